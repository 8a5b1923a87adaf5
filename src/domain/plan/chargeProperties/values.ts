import BigNumber from 'bignumber.js';
import { z } from 'zod';
import { parseDecimal } from '../../../billing/money.ts';
import { LIST_LIMITS } from '../../shared/limits.ts';

/** The decimal a value holds (decimal string or finite number), or `null` when it is not one. */
export function decimalOf(value: unknown): BigNumber | null {
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  try {
    return parseDecimal(value);
  } catch {
    return null;
  }
}

// Zod's default for a missing key is "expected string, received undefined": say "is required" instead.
const said = (expected: string) => ({
  error: (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : `must be ${expected}`),
});

/**
 * A money amount in major units: a decimal string ≥ 0 (`"0.05"`). Money is never a JS number, so `5` is refused
 * (a GraphQL literal `5` arrives as the string "5" already).
 */
export const amount = z
  .string(said('a decimal string such as "0.05"'))
  .refine((s) => decimalOf(s)?.isNegative() === false, 'must be a decimal string ≥ 0 such as "0.05"');

/** A percent as a decimal string between 0 and 100 (`"1.3"` is 1.3 %). */
export const rate = z
  .string(said('a decimal string between 0 and 100 such as "1.3"'))
  .refine((s) => {
    const value = decimalOf(s);
    return value !== null && !value.isNegative() && value.isLessThanOrEqualTo(100);
  }, 'must be a decimal string between 0 and 100 such as "1.3"');

type QuantityRule = { positive?: boolean; integer?: boolean };

/** A quantity (units, bounds, sizes): a number or a decimal string, ≥ 0 (or > 0), optionally whole. */
export function quantity(rule: QuantityRule = {}) {
  const what = `a${rule.integer ? 'n integer' : ' number'} ${rule.positive ? '> 0' : '≥ 0'}`;
  return z.custom<number | string>(
    (value) => {
      const parsed = decimalOf(value);
      if (parsed === null || parsed.isNegative() || (rule.positive && parsed.isZero())) return false;
      return !rule.integer || parsed.isInteger();
    },
    said(`${what} (a number or a decimal string)`),
  );
}

/** `pricingGroupKeys`: event property names; the model prices each combination of their values separately. */
export const pricingGroupKeys = z
  .array(z.string(said('a string')).min(1, 'must not be empty'), said('an array of event property names'))
  .max(LIST_LIMITS.pricingGroupKeys, `at most ${LIST_LIMITS.pricingGroupKeys} keys`)
  .nullish();

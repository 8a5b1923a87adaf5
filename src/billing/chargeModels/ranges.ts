import BigNumber from 'bignumber.js';
import { formatDecimal, parseDecimal } from '../money.ts';
import type { Bound } from './types.ts';

/** A tier with parsed bounds; `price` is the per-unit amount (or the rate, for graduated percentage). */
export interface ParsedRange {
  readonly from: BigNumber;
  readonly to: BigNumber | null;
  readonly price: BigNumber;
  readonly flat: BigNumber;
}

interface RawRange {
  readonly fromValue: Bound;
  readonly toValue: Bound | null;
  readonly flatAmount: string;
}

/** Parses ranges in the order given; `priceOf` picks the per-unit field. Throws on a non-decimal field. */
export function parseRanges<R extends RawRange>(ranges: readonly R[] | undefined, field: string, priceOf: (range: R) => string): ParsedRange[] {
  if (!Array.isArray(ranges)) throw new TypeError(`${field} must be an array of ranges`);
  return ranges.map((range, i) => ({
    from: parseDecimal(range.fromValue, `${field}[${i}].fromValue`),
    to: range.toValue === null || range.toValue === undefined ? null : parseDecimal(range.toValue, `${field}[${i}].toValue`),
    price: parseDecimal(priceOf(range), `${field}[${i}]`),
    flat: parseDecimal(range.flatAmount, `${field}[${i}].flatAmount`),
  }));
}

/**
 * Lago's `adjacent_ranges?`: at least two ranges and each starts exactly where the previous one ends
 * (0–0.1, 0.1–1, 1–∞). Otherwise the integer "+1" convention applies (0–10, 11–20, 21–∞).
 */
export function areAdjacent(ranges: readonly ParsedRange[]): boolean {
  return ranges.length >= 2 && ranges.every((range, i) => {
    const previous = ranges[i - 1];
    return previous === undefined || range.from.isEqualTo(previous.to ?? 0);
  });
}

/** Lago's stop rule: the last tier entered is the first unbounded one or the first reaching `units`. */
export function isLastTier(range: ParsedRange, units: BigNumber): boolean {
  return range.to === null || range.to.isGreaterThanOrEqualTo(units);
}

/** A bound as a decimal string, `null` for unbounded. */
export function formatBound(bound: BigNumber | null): string | null {
  return bound === null ? null : formatDecimal(bound);
}

/** `amount / divisor`, or 0 when the divisor is 0 (Lago's `unit_amount` guard). */
export function perUnit(amount: BigNumber, divisor: BigNumber): BigNumber {
  return divisor.isZero() ? new BigNumber(0) : amount.div(divisor);
}

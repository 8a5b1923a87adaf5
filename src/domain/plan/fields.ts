import BigNumber from 'bignumber.js';
import { ValidationError } from '../shared/errors.ts';
import { LIST_LIMITS, tooMany } from '../shared/limits.ts';

const INTEGER = /^\d+$/;

/** Integer cents as a string ("1550"), ≥ 0 (or > 0); returned without leading zeros. */
export function centsOf(value: unknown, field: string, rule: { positive?: boolean } = {}): string {
  if (typeof value !== 'string' || !INTEGER.test(value)) {
    throw new ValidationError(`${field}: must be a string of an integer number of cents, such as "1550"`, field);
  }
  const cents = new BigNumber(value);
  if (rule.positive && cents.isZero()) throw new ValidationError(`${field}: must be greater than 0`, field);
  return cents.toFixed();
}

/** A code (plan, metric, tax): kept exactly as sent, since other APIs match it, so blanks and edge spaces are refused. */
export function codeOf(value: unknown, field: string): string {
  if (typeof value !== 'string' || !/^\S(.*\S)?$/s.test(value)) throw new ValidationError(`${field}: must not be blank or start or end with spaces`, field);
  return value;
}

/** A required text, trimmed, non-empty. */
export function requiredText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ValidationError(`${field}: must not be empty`, field);
  return value.trim();
}

/** An optional text: absent or blank reads as `null`. */
export function optionalText(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new ValidationError(`${field}: must be a string`, field);
  return value.trim() === '' ? null : value;
}

/** A boolean input: absent or null reads as `fallback`. */
export function flag(value: unknown, field: string, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') throw new ValidationError(`${field}: must be true or false`, field);
  return value;
}

/** At most `LIST_LIMITS.taxCodes` tax codes, each naming one of the organization's live taxes; repeats are dropped. */
export function taxCodesOf(value: unknown, existing: readonly string[] | undefined, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ValidationError(`${field}: must be a list of tax codes`, field);
  if (value.length > LIST_LIMITS.taxCodes) throw new ValidationError(tooMany(field, LIST_LIMITS.taxCodes, 'tax codes'), field);
  const known = existing === undefined ? null : new Set(existing);
  value.forEach((code: unknown, i) => {
    if (typeof code !== 'string') throw new ValidationError(`${field}.${i}: must be a tax code`, `${field}.${i}`);
    if (known && !known.has(code)) throw new ValidationError(`${field}.${i}: no tax with code "${code}"`, `${field}.${i}`);
  });
  return [...new Set(value as string[])];
}

/** A list input: absent or null reads as `[]`; longer than `max` (with `what` it holds) is refused. */
export function listOf<T>(value: readonly T[] | null | undefined, field: string, cap?: { max: number; what: string }): readonly T[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ValidationError(`${field}: must be a list`, field);
  if (cap && value.length > cap.max) throw new ValidationError(tooMany(field, cap.max, cap.what), field);
  return value;
}

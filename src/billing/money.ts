import BigNumber from 'bignumber.js';
import cc from 'currency-codes';

/** A decimal as it arrives from outside: a decimal string, or a finite JS number for counts and bounds. */
export type DecimalInput = string | number | BigNumber;

// Same shape Lago accepts for numeric event properties (`^-?\d+(\.\d+)?$`): no exponent, no blanks, no "5.".
const DECIMAL_PATTERN = /^-?\d+(\.\d+)?$/;

/**
 * Parses a decimal string (`"12"`, `"-0.5"`) into a BigNumber; finite numbers and BigNumbers pass through.
 * Anything else (`"1e3"`, `" 5"`, `"5."`, `""`, `NaN`, `Infinity`) throws a `TypeError` naming `field`.
 */
export function parseDecimal(value: DecimalInput, field = 'value'): BigNumber {
  if (BigNumber.isBigNumber(value)) {
    if (value.isFinite()) return value;
  } else if (typeof value === 'number') {
    if (Number.isFinite(value)) return new BigNumber(value);
  } else if (typeof value === 'string' && DECIMAL_PATTERN.test(value)) {
    return new BigNumber(value);
  }
  throw new TypeError(`${field} must be a decimal string, got ${JSON.stringify(String(value))}`);
}

/** Like `parseDecimal`, but `null` / `undefined` / `""` give `fallback` (Lago's `BigDecimal(x || 0)`). */
export function parseOptionalDecimal(value: DecimalInput | null | undefined, field: string, fallback = new BigNumber(0)): BigNumber {
  return value === null || value === undefined || value === '' ? fallback : parseDecimal(value, field);
}

/** A BigNumber as a plain decimal string, never in exponent notation (`1e-7` → `"0.0000001"`). */
export function formatDecimal(value: BigNumber): string {
  return value.toFixed();
}

/**
 * The currency's minor-unit exponent from ISO 4217 (`currency-codes`): EUR/USD 2, JPY 0, KWD/BHD 3.
 * Throws a `RangeError` for an unknown code.
 */
export function currencyExponent(currency: string): number {
  const digits = cc.code(currency)?.digits;
  if (digits === undefined) throw new RangeError(`unknown currency ${JSON.stringify(currency)}`);
  return digits;
}

/** How many subunits make one unit: `10 ** exponent` (100 for EUR). */
export function subunitToUnit(currency: string): BigNumber {
  return new BigNumber(10).pow(currencyExponent(currency));
}

/**
 * THE rounding function: an amount in major units rounded ROUND_HALF_UP (ties away from zero, like Ruby's
 * BigDecimal#round) at the currency exponent. `roundToCurrency(1.005, 'EUR')` → 1.01.
 */
export function roundToCurrency(amountMajor: BigNumber, currency: string): BigNumber {
  return amountMajor.decimalPlaces(currencyExponent(currency), BigNumber.ROUND_HALF_UP);
}

/** Major units → integer cents, rounded once with `roundToCurrency`. `toCents(15.555, 'EUR')` → 1556. */
export function toCents(amountMajor: BigNumber, currency: string): BigNumber {
  return roundToCurrency(amountMajor, currency).shiftedBy(currencyExponent(currency));
}

/** Major units → cents without rounding (Lago's `precise_*_cents`). Exact: a decimal shift. */
export function toPreciseCents(amountMajor: BigNumber, currency: string): BigNumber {
  return amountMajor.shiftedBy(currencyExponent(currency));
}

/** Cents → major units. Exact: a decimal shift. */
export function fromCents(cents: BigNumber, currency: string): BigNumber {
  return cents.shiftedBy(-currencyExponent(currency));
}

/**
 * Splits integer `totalCents` in proportion to `ratios` without losing a cent: each share is floored, then the
 * leftover cents go to the shares with the largest remainders, first share on ties (1003 split 50/50 → 502 + 501),
 * so every share is within one cent of its exact part. Negative totals split the same way with the sign kept.
 * Ratios must be non-negative and not all zero.
 */
export function allocate(totalCents: BigNumber, ratios: readonly DecimalInput[]): BigNumber[] {
  if (!totalCents.isInteger()) throw new RangeError(`allocate needs integer cents, got ${totalCents.toFixed()}`);
  const weights = ratios.map((ratio, i) => parseDecimal(ratio, `ratios[${i}]`));
  if (weights.some((w) => w.isNegative())) throw new RangeError('allocate ratios must be non-negative');
  const sum = BigNumber.sum(0, ...weights);
  if (sum.isZero()) throw new RangeError('allocate needs at least one positive ratio');
  const total = totalCents.abs();
  const shares = weights.map((w) => total.times(w).idiv(sum));
  const leftover = total.minus(BigNumber.sum(0, ...shares)).toNumber(); // < number of shares: a small count
  // Largest remainder: the leftover cents go to the shares that lost the most to truncation (ties: first share),
  // so every share stays within one cent of its exact part and 1003 split 50/50 is 502 + 501.
  const byRemainder = weights
    .map((w, i) => ({ i, remainder: total.times(w).mod(sum) }))
    .filter(({ i }) => !weights[i]!.isZero())
    .sort((a, b) => b.remainder.comparedTo(a.remainder) || a.i - b.i);
  for (const { i } of byRemainder.slice(0, leftover)) shares[i] = shares[i]!.plus(1);
  return totalCents.isNegative() ? shares.map((s) => (s.isZero() ? s : s.negated())) : shares;
}

import BigNumber from 'bignumber.js';
import { daysBetweenInclusive } from '../periods/days.ts';
import { localEpochDay, startOfLocalDay } from '../periods/zone.ts';

/**
 * The arithmetic of Lago's prorated aggregations (§2.12, `ProratedAggregations::SumService`), reproduced to the
 * digit: the ratios are computed by Postgres (`PostgresStore#duration_ratio_sql`) or by Ruby Floats, and the sum is
 * then ceiled at 5 decimals, so a value on a 5-decimal boundary can land one step above the exact quotient.
 */

/**
 * Postgres' `numeric / numeric` of two positive integers below 10,000 (`select_div_scale`): 16 significant digits
 * beyond the quotient's first base-10,000 digit, so 20 decimals when `numerator ≤ denominator` (quotient below 1),
 * 16 otherwise; rounded half away from zero. `(DATE(to) − DATE(ts) + 1) / duration` is always such a division.
 */
export function postgresRatio(numerator: number, denominator: number): BigNumber {
  if (!Number.isSafeInteger(numerator) || !Number.isSafeInteger(denominator) || denominator <= 0) {
    throw new RangeError(`postgresRatio needs integers and a positive denominator, got ${numerator} / ${denominator}`);
  }
  if (numerator <= 0) return new BigNumber(numerator).div(denominator).decimalPlaces(20, BigNumber.ROUND_HALF_UP);
  const scale = numerator >= 10_000 || denominator >= 10_000 ? 20 : numerator <= denominator ? 20 : 16;
  return new BigNumber(numerator).div(denominator).decimalPlaces(scale, BigNumber.ROUND_HALF_UP);
}

/** `a.fdiv(b)` as Ruby prints it (`Float#to_s`, shortest round-trip digits): what Lago interpolates into SQL. */
export function floatText(numerator: number, denominator: number): BigNumber {
  return new BigNumber((numerator / denominator).toExponential());
}

/**
 * `a.fdiv(b)` as a BigDecimal operand (`BigDecimal * Float`, bigdecimal 4: `rb_float_convert_to_BigDecimal(v, 0)`):
 * the shortest round-trip digits, cut (not rounded) to 16 significant digits.
 */
export function floatAsBigDecimal(numerator: number, denominator: number): BigNumber {
  const [mantissa, exponent] = (numerator / denominator).toExponential().split('e') as [string, string];
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '').slice(0, 16);
  const value = new BigNumber(`${digits[0]}.${digits.slice(1) || '0'}e${exponent}`);
  return negative ? value.negated() : value;
}

/** Lago's `.ceil(5)`. */
export const ceil5 = (value: BigNumber): BigNumber => value.decimalPlaces(5, BigNumber.ROUND_CEIL);

/** The customer-local day of an instant, as an epoch day number, memoized per timezone for events of one day. */
const lastDay = new Map<string, { start: number; end: number; day: number }>();
export function localDayOf(ms: number, timezone: string): number {
  const last = lastDay.get(timezone);
  if (last !== undefined && last.start <= ms && ms < last.end) return last.day;
  const day = localEpochDay(ms, timezone);
  if (lastDay.size > 64) lastDay.clear();
  lastDay.set(timezone, { start: startOfLocalDay(day, timezone), end: startOfLocalDay(day + 1, timezone), day });
  return day;
}

/** The window a prorated charge is priced over: the charges period (its end possibly a termination). */
export type ProrationWindow = { from: string; to: string; durationDays: number; timezone: string };

/** `(DATE(to) − DATE(ts) + 1) / duration` for an event on local day `day` (Postgres arithmetic). */
export function dayRatio(window: ProrationWindow, day: number): BigNumber {
  return postgresRatio(localDayOf(Date.parse(window.to), window.timezone) - day + 1, window.durationDays);
}

/**
 * Lago's `persisted_pro_rata`: `date_diff_with_timezone(from, to).fdiv(charges_duration)`, 1 on a whole period, less
 * on a partial first period or a termination. Returns the day count too (the Float is made from it).
 */
export function persistedDays(window: ProrationWindow): number {
  return daysBetweenInclusive(window.from, window.to, window.timezone);
}

/**
 * Prorated SUM units (`ProratedAggregations::SumService#compute_event_aggregation`, `.ceil(5)`): the events before the
 * period (history and earlier periods) × `persisted days / duration` — a Float Ruby prints into the SQL — plus each
 * in-period day's Σ values × that day's Postgres ratio.
 */
export function proratedSumUnits(window: ProrationWindow, persistedTotal: BigNumber, days: Readonly<Record<string, string>>): BigNumber {
  let total = persistedTotal.isZero() ? new BigNumber(0) : persistedTotal.times(floatText(persistedDays(window), window.durationDays));
  for (const [day, sum] of Object.entries(days)) total = total.plus(new BigNumber(sum).times(dayRatio(window, Number(day))));
  return ceil5(total);
}

/**
 * The prorated share a pay-in-advance prorated event bills (`ProratedAggregations::BaseService#
 * compute_pay_in_advance_aggregation`): `(units × date_diff_with_timezone(ts, period end).fdiv(duration)).ceil(5)`.
 */
export function inAdvanceProratedUnits(units: BigNumber, timestamp: string, periodTo: string, durationDays: number, timezone: string): BigNumber {
  const days = daysBetweenInclusive(timestamp, periodTo, timezone);
  return ceil5(units.times(floatAsBigDecimal(days, durationDays)));
}

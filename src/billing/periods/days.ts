import { chargesRange, intervalRange, resolveSubscription } from './context.ts';
import type { Instant, PeriodSubscription } from './types.ts';
import { assertTimezone, DAY_MS, isStartOfLocalDay, localEpochDay, offsetMs, toMillis } from './zone.ts';

/** Options of `daysBetweenInclusive`. */
export interface DayCountOptions {
  /**
   * The subscription was terminated by an upgrade: count one day less, because the upgrade day is billed on
   * the new plan (Lago's `Subscription#date_diff_with_timezone`).
   */
  readonly terminatedByUpgrade?: boolean;
}

/**
 * Lago's `Utils::Datetime.date_diff_with_timezone`: the number of calendar days from `from` to `to` in
 * `timezone`, both inclusive. Computed as `ceil((to − from − (offset(from) − offset(to))) / 1 day)`, so any
 * partial day counts as a whole one and a DST change does not shift the count; a `to` exactly at local midnight
 * is first moved one second later so that its day is counted.
 * @example daysBetweenInclusive('2024-01-01T05:00:00Z', '2024-02-01T04:59:59.999Z', 'America/New_York') === 31
 */
export function daysBetweenInclusive(
  from: Instant,
  to: Instant,
  timezone: string,
  options: DayCountOptions = {},
): number {
  assertTimezone(timezone);
  const fromMs = toMillis(from, 'from');
  let toMs = toMillis(to, 'to');
  // NOTE: Lago adds one second (not one millisecond) to a local-midnight `to`, "to make sure we do not miss a day".
  if (isStartOfLocalDay(toMs, timezone)) toMs += 1000;
  const offsetDelta = offsetMs(fromMs, timezone) - offsetMs(toMs, timezone);
  const days = Math.ceil((toMs - fromMs - offsetDelta) / DAY_MS);
  return options.terminatedByUpgrade === true ? days - 1 : days;
}

/** Options of `prorationDays`. */
export interface ProrationOptions extends DayCountOptions {
  /**
   * Which period length divides: the plan interval's (subscription fee, the default) or the charges period's
   * (monthly for yearly/semiannual plans with `billChargesMonthly`; prorated charges, weighted sums).
   */
  readonly basis?: 'SUBSCRIPTION' | 'CHARGES';
}

/** Billed days and the whole period's length: a prorated amount is `amount × days / periodDays`. */
export interface ProrationDays {
  readonly days: number;
  readonly periodDays: number;
}

/**
 * The two day counts of Lago's subscription-fee proration (`compute_amount`): `days` = `daysBetweenInclusive`
 * over [from, to] in the customer's timezone; `periodDays` = length of the whole period containing `from`'s local
 * day (28–31, 7, 90–92, 181–184, 365/366 — the real length of that period, clamped anniversaries included).
 */
export function prorationDays(
  subscription: PeriodSubscription,
  from: Instant,
  to: Instant,
  options: ProrationOptions = {},
): ProrationDays {
  const sub = resolveSubscription(subscription);
  const fromDay = localEpochDay(toMillis(from, 'from'), sub.timezone);
  const range = options.basis === 'CHARGES' ? chargesRange(sub, fromDay) : intervalRange(sub, fromDay);
  return { days: daysBetweenInclusive(from, to, sub.timezone, options), periodDays: range.next - range.first };
}

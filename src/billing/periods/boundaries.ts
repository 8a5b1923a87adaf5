import { ValidationError } from '../../domain/shared/errors.ts';
import { formatEpochDay, fromEpochDay } from './civilDate.ts';
import type { ResolvedSubscription } from './context.ts';
import { assertNotBefore, chargesRange, intervalRange, resolveSubscription } from './context.ts';
import type { DayRange } from './dayRange.ts';
import { rangeContaining } from './dayRange.ts';
import type { BillingBoundaries, Instant, PeriodSubscription } from './types.ts';
import { localEpochDay, startOfLocalDay, toIso, toMillis } from './zone.ts';

/** Options of a billing run. */
export interface BillingRunOptions {
  /** Invoice grace period in days (Lago `invoice_grace_period`), added to the issuing date. Default 0. */
  readonly gracePeriodDays?: number;
}

/**
 * The windows a regular billing run at `billingAt` bills. `billingAt` is first converted to the customer's
 * timezone; its local date is the billing date, normally the day after a period ends (billing at
 * 2022-03-01T00:00Z for America/New_York is Feb 28 locally and bills January).
 * - Subscription fee: pay-in-advance → the period containing the billing date (the upcoming one);
 *   in arrears → the period before it (the elapsed one).
 * - Charges: always the elapsed charges period (monthly for yearly/semiannual plans with `billChargesMonthly`).
 * Fee windows start at the beginning of `startedAt`'s local day at the earliest, charge windows at `startedAt`
 * itself; a window that ends before the start collapses onto `startedAt` (Lago's clamps).
 * @throws ValidationError if the billing date is before the subscription's start day or inputs are invalid.
 */
export function billingBoundaries(
  subscription: PeriodSubscription,
  billingAt: Instant,
  options: BillingRunOptions = {},
): BillingBoundaries {
  const sub = resolveSubscription(subscription);
  const billingDay = billingDayOf(sub, billingAt);
  const current = intervalRange(sub, billingDay);
  const feeRange = sub.payInAdvance ? current : intervalRange(sub, current.first - 1);
  const chargesWindow = chargesRange(sub, chargesRange(sub, billingDay).first - 1);
  const feeFromMs = startOfLocalDay(Math.max(feeRange.first, sub.startDay), sub.timezone);
  const chargesFromMs = Math.max(startOfLocalDay(chargesWindow.first, sub.timezone), sub.startedAtMs);
  return {
    billingDate: formatEpochDay(billingDay),
    subscriptionFeeFrom: toIso(feeFromMs),
    subscriptionFeeTo: toIso(endOf(sub, feeRange)),
    chargesFrom: toIso(chargesFromMs),
    chargesTo: toIso(endOf(sub, chargesWindow)),
    periodDays: feeRange.next - feeRange.first,
    chargesPeriodDays: chargesWindow.next - chargesWindow.first,
    issuingDate: formatEpochDay(billingDay + gracePeriodDays(options)),
    subscriptionFeeDue: sub.chargesInterval === sub.interval || isFirstMonthOfPeriod(sub, billingDay),
  };
}

/** Facts about the subscription's history that decide whether a run bills the subscription fee. */
export interface SubscriptionFeeContext {
  /** A subscription fee has already been billed for this subscription. */
  readonly alreadyBilled: boolean;
  /** The subscription was created with a `subscriptionAt` on an earlier day than its creation. */
  readonly startedInPast: boolean;
  /** The subscription is being terminated by this run. */
  readonly terminated: boolean;
}

/**
 * Lago's `should_create_yearly_subscription_fee?` / semiannual counterpart: whether a billing run at `billingAt`
 * bills the subscription fee of a yearly or semiannual plan (other intervals: always `true`).
 * - in advance, not started in the past: first month of a period, or never billed yet;
 * - in advance, started in the past: first month of a period other than the very first one;
 * - in arrears: first month of a period, or terminating.
 */
export function shouldBillSubscriptionFee(
  subscription: PeriodSubscription,
  billingAt: Instant,
  context: SubscriptionFeeContext,
): boolean {
  const sub = resolveSubscription(subscription);
  if (sub.interval !== 'YEARLY' && sub.interval !== 'SEMIANNUAL') return true;
  const billingDay = billingDayOf(sub, billingAt);
  const firstMonth = isFirstMonthOfPeriod(sub, billingDay);
  if (!sub.payInAdvance) return context.terminated || firstMonth;
  if (!context.startedInPast) return firstMonth || !context.alreadyBilled;
  return firstMonth && !isFirstMonthOfFirstPeriod(sub, billingDay);
}

function billingDayOf(sub: ResolvedSubscription, billingAt: Instant): number {
  const ms = toMillis(billingAt, 'billingAt');
  assertNotBefore(ms, sub.startDayMs, 'billingAt');
  return localEpochDay(ms, sub.timezone);
}

/** End of a window: 23:59:59.999 local on its last day, but never before `startedAt` (Lago's clamp). */
function endOf(sub: ResolvedSubscription, range: DayRange): number {
  return Math.max(startOfLocalDay(range.next, sub.timezone) - 1, sub.startedAtMs);
}

function gracePeriodDays(options: BillingRunOptions): number {
  const days = options.gracePeriodDays ?? 0;
  if (!Number.isInteger(days) || days < 0) {
    throw new ValidationError('gracePeriodDays must be a non-negative integer', 'gracePeriodDays');
  }
  return days;
}

/**
 * Lago's `first_month_in_yearly_period?` / `first_month_in_semiannual_period?`: the month (calendar or
 * anniversary) containing the billing date starts the same day as the plan period containing it.
 */
function isFirstMonthOfPeriod(sub: ResolvedSubscription, billingDay: number): boolean {
  const month = rangeContaining('MONTHLY', sub.billingTime, sub.anchor, billingDay);
  return month.first === intervalRange(sub, billingDay).first;
}

/**
 * Lago's `first_month_in_first_yearly_period?` (and semiannual): calendar → a first month in the anchor's year;
 * anniversary → the month containing the billing date starts in the anchor's own month and year.
 */
function isFirstMonthOfFirstPeriod(sub: ResolvedSubscription, billingDay: number): boolean {
  if (!isFirstMonthOfPeriod(sub, billingDay)) return false;
  const monthStart = fromEpochDay(rangeContaining('MONTHLY', sub.billingTime, sub.anchor, billingDay).first);
  if (sub.billingTime === 'CALENDAR') return monthStart.year === sub.anchor.year;
  return monthStart.year === sub.anchor.year && monthStart.month === sub.anchor.month;
}

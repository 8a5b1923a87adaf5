/**
 * Billing periods as pure functions, matching Lago's `Subscriptions::DatesService` rules: periods are computed on
 * calendar dates in the customer's timezone and exposed as UTC instants (00:00:00.000 local → 23:59:59.999 local).
 */
export type {
  BillingBoundaries,
  BillingTime,
  CurrentBillingPeriod,
  Instant,
  Period,
  PeriodSubscription,
  PlanInterval,
} from './types.ts';
export { chargesPeriodContaining, currentBillingPeriod, nextBillingDate, periodContaining } from './periods.ts';
export type { BillingRunOptions, SubscriptionFeeContext } from './boundaries.ts';
export { billingBoundaries, shouldBillSubscriptionFee } from './boundaries.ts';
export type { DayCountOptions, ProrationDays, ProrationOptions } from './days.ts';
export { daysBetweenInclusive, prorationDays } from './days.ts';

/** Plan billing interval (Lago `plans.interval`, upper-cased as in the GraphQL enums). */
export type PlanInterval = 'WEEKLY' | 'MONTHLY' | 'QUARTERLY' | 'SEMIANNUAL' | 'YEARLY';

/** Subscription billing time: calendar-aligned periods or periods anchored on `subscriptionAt`. */
export type BillingTime = 'CALENDAR' | 'ANNIVERSARY';

/**
 * A point in time: an ISO-8601 string (with `Z` or an offset; a string without one is read as UTC, never as the
 * machine's zone) or a `Date`.
 */
export type Instant = string | Date;

/** What the period rules need to know about a subscription and its plan. */
export interface PeriodSubscription {
  readonly interval: PlanInterval;
  readonly billingTime: BillingTime;
  /** The anniversary: its local day (and weekday, month) in `timezone` anchors anniversary periods. */
  readonly subscriptionAt: Instant;
  /** When the subscription actually started; the first period is clamped to it. */
  readonly startedAt: Instant;
  /** The customer's applicable IANA timezone (customer → billing entity → "UTC", resolved by the caller). */
  readonly timezone: string;
  /** Plan `pay_in_advance`: the subscription fee covers the upcoming period instead of the elapsed one. */
  readonly payInAdvance: boolean;
  /** Plan `bill_charges_monthly`: yearly/semiannual plans bill their charges every month. */
  readonly billChargesMonthly: boolean;
}

/**
 * A closed billing window as UTC ISO instants with millisecond precision: `from` is 00:00:00.000 local time of the
 * first day (or the clamped start), `to` is 23:59:59.999 local time of the last day. The next period's `from` is
 * `to` + 1 ms.
 */
export interface Period {
  readonly from: string;
  readonly to: string;
}

/** The window a subscription exposes as `currentBillingPeriodStartedAt` / `currentBillingPeriodEndingAt`. */
export interface CurrentBillingPeriod {
  readonly startedAt: string;
  readonly endingAt: string;
}

/** Everything a billing run needs to know about the windows it bills (see `billingBoundaries`). */
export interface BillingBoundaries {
  /** The billing run's date in the customer's timezone, `YYYY-MM-DD`. */
  readonly billingDate: string;
  readonly subscriptionFeeFrom: string;
  readonly subscriptionFeeTo: string;
  readonly chargesFrom: string;
  readonly chargesTo: string;
  /** Length in days of the whole plan-interval period containing the fee's start (the proration divisor). */
  readonly periodDays: number;
  /** Length in days of the whole charges period (monthly when `billChargesMonthly`), for prorated charges. */
  readonly chargesPeriodDays: number;
  /** Invoice issuing date, `YYYY-MM-DD`: the billing date in the customer's timezone plus any grace period. */
  readonly issuingDate: string;
  /**
   * Whether this run is one that bills the subscription fee on a regular cycle: always, except for yearly and
   * semiannual plans with `billChargesMonthly`, which bill the fee only in the first month of their period.
   */
  readonly subscriptionFeeDue: boolean;
}

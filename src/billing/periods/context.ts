import { ValidationError } from '../../domain/shared/errors.ts';
import type { CivilDate } from './civilDate.ts';
import { fromEpochDay } from './civilDate.ts';
import type { DayRange } from './dayRange.ts';
import { rangeContaining } from './dayRange.ts';
import { assertTimezone, localEpochDay, startOfLocalDay, toMillis } from './zone.ts';
import type { BillingTime, PeriodSubscription, PlanInterval } from './types.ts';

/** A subscription with its instants parsed and its local anchors derived once. */
export interface ResolvedSubscription {
  readonly interval: PlanInterval;
  readonly billingTime: BillingTime;
  readonly timezone: string;
  readonly payInAdvance: boolean;
  /** `subscriptionAt` as a local date: anniversary day, weekday and month. */
  readonly anchor: CivilDate;
  readonly startedAtMs: number;
  /** Local epoch day of `startedAt`, and the instant that day begins. */
  readonly startDay: number;
  readonly startDayMs: number;
  /** Cadence of charges and of billing runs: monthly for yearly/semiannual plans that bill charges monthly. */
  readonly chargesInterval: PlanInterval;
}

/** Parses and validates a subscription's inputs (throws `ValidationError` on a bad zone or instant). */
export function resolveSubscription(subscription: PeriodSubscription): ResolvedSubscription {
  const { interval, billingTime, timezone } = subscription;
  assertTimezone(timezone);
  const startedAtMs = toMillis(subscription.startedAt, 'startedAt');
  const startDay = localEpochDay(startedAtMs, timezone);
  const monthlyCharges = subscription.billChargesMonthly && (interval === 'YEARLY' || interval === 'SEMIANNUAL');
  return {
    interval,
    billingTime,
    timezone,
    payInAdvance: subscription.payInAdvance,
    anchor: fromEpochDay(localEpochDay(toMillis(subscription.subscriptionAt, 'subscriptionAt'), timezone)),
    startedAtMs,
    startDay,
    startDayMs: startOfLocalDay(startDay, timezone),
    chargesInterval: monthlyCharges ? 'MONTHLY' : interval,
  };
}

/** The whole plan-interval period containing local day `day`. */
export function intervalRange(sub: ResolvedSubscription, day: number): DayRange {
  return rangeContaining(sub.interval, sub.billingTime, sub.anchor, day);
}

/** The whole charges period (monthly when charges are billed monthly) containing local day `day`. */
export function chargesRange(sub: ResolvedSubscription, day: number): DayRange {
  return rangeContaining(sub.chargesInterval, sub.billingTime, sub.anchor, day);
}

/** Throws unless `ms` is at or after `floorMs` (the subscription has no period before it started). */
export function assertNotBefore(ms: number, floorMs: number, field: string): void {
  if (ms < floorMs) throw new ValidationError(`${field} is before the subscription started`, field);
}

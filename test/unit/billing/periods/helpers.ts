import type { PeriodSubscription } from '../../../../src/billing/periods/index.ts';

/** A subscription for period tests: UTC, calendar monthly, in arrears, started at `subscriptionAt`. */
export function subscription(overrides: Partial<PeriodSubscription> & { subscriptionAt: string }): PeriodSubscription {
  return {
    interval: 'MONTHLY',
    billingTime: 'CALENDAR',
    startedAt: overrides.subscriptionAt,
    timezone: 'UTC',
    payInAdvance: false,
    billChargesMonthly: false,
    ...overrides,
  };
}

/** `YYYY-MM-DD` → that UTC day's first millisecond, as the API prints it. */
export function dayStart(date: string): string {
  return `${date}T00:00:00.000Z`;
}

/** `YYYY-MM-DD` → that UTC day's last millisecond, as the API prints it. */
export function dayEnd(date: string): string {
  return `${date}T23:59:59.999Z`;
}

/** The UTC period spanning whole days `first`..`last`. */
export function utcPeriod(first: string, last: string): { from: string; to: string } {
  return { from: dayStart(first), to: dayEnd(last) };
}

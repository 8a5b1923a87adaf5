import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import type { PeriodSubscription, PlanInterval } from '../../../../src/billing/periods/index.ts';
import {
  chargesPeriodContaining,
  daysBetweenInclusive,
  periodContaining,
  prorationDays,
} from '../../../../src/billing/periods/index.ts';

const DAY = 86_400_000;

/** Zones with DST, half-hour and 45-minute offsets, and DST jumps at midnight (Santiago, Cairo, Tehran). */
const zones = [
  'UTC',
  'America/New_York',
  'Asia/Kolkata',
  'Europe/Paris',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'America/Santiago',
  'Africa/Cairo',
  'Asia/Tehran',
] as const;

const intervals: readonly PlanInterval[] = ['WEEKLY', 'MONTHLY', 'QUARTERLY', 'SEMIANNUAL', 'YEARLY'];

const allowedPeriodDays: Record<PlanInterval, readonly number[]> = {
  WEEKLY: [7],
  MONTHLY: [28, 29, 30, 31],
  QUARTERLY: [89, 90, 91, 92],
  SEMIANNUAL: [181, 182, 183, 184],
  YEARLY: [365, 366],
};

/** Subscription dates biased towards the 28th–31st, where anniversaries clamp. */
const subscriptionAtArb = fc
  .record({
    year: fc.integer({ min: 2000, max: 2032 }),
    month: fc.integer({ min: 1, max: 12 }),
    day: fc.oneof(fc.integer({ min: 1, max: 31 }), fc.constantFrom(28, 29, 30, 31)),
    minuteOfDay: fc.integer({ min: 0, max: 1439 }),
  })
  .map(({ year, month, day, minuteOfDay }) => {
    const clamped = Math.min(day, new Date(Date.UTC(year, month, 0)).getUTCDate());
    return Date.UTC(year, month - 1, clamped) + minuteOfDay * 60_000;
  });

const subscriptionArb: fc.Arbitrary<PeriodSubscription> = fc
  .record({
    interval: fc.constantFrom(...intervals),
    billingTime: fc.constantFrom('CALENDAR' as const, 'ANNIVERSARY' as const),
    timezone: fc.constantFrom(...zones),
    subscriptionAt: subscriptionAtArb,
    startDelay: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 400 * DAY })),
    payInAdvance: fc.boolean(),
    billChargesMonthly: fc.boolean(),
  })
  .map(({ subscriptionAt, startDelay, ...rest }) => ({
    ...rest,
    subscriptionAt: new Date(subscriptionAt).toISOString(),
    startedAt: new Date(subscriptionAt + startDelay).toISOString(),
  }));

const ms = (iso: string) => Date.parse(iso);
const iso = (millis: number) => new Date(millis).toISOString();
const startOfStartDay = (sub: PeriodSubscription) =>
  DateTime.fromISO(String(sub.startedAt), { zone: sub.timezone }).startOf('day').toMillis();

describe('period properties over random subscriptions, intervals and timezones', () => {
  it('consecutive periods tile time: next.from = prev.to + 1 ms, from the start day onwards', () => {
    fc.assert(
      fc.property(subscriptionArb, (sub) => {
        let period = periodContaining(sub, sub.startedAt);
        expect(ms(period.from)).toBe(startOfStartDay(sub));
        for (let i = 0; i < 14; i += 1) {
          expect(ms(period.from)).toBeLessThan(ms(period.to));
          const next = periodContaining(sub, iso(ms(period.to) + 1));
          expect(ms(next.from)).toBe(ms(period.to) + 1);
          period = next;
        }
      }),
    );
  });

  it('consecutive charges periods tile time from the exact start instant', () => {
    fc.assert(
      fc.property(subscriptionArb, (sub) => {
        let period = chargesPeriodContaining(sub, sub.startedAt);
        expect(period.from).toBe(iso(ms(String(sub.startedAt))));
        for (let i = 0; i < 14; i += 1) {
          const next = chargesPeriodContaining(sub, iso(ms(period.to) + 1));
          expect(ms(next.from)).toBe(ms(period.to) + 1);
          period = next;
        }
      }),
    );
  });

  it('every instant lies in exactly the period periodContaining returns', () => {
    fc.assert(
      fc.property(subscriptionArb, fc.integer({ min: 0, max: 6 * 366 * DAY }), (sub, offset) => {
        const instant = startOfStartDay(sub) + offset;
        const period = periodContaining(sub, iso(instant));
        const [from, to] = [ms(period.from), ms(period.to)];
        expect(from).toBeLessThanOrEqual(instant);
        expect(instant).toBeLessThanOrEqual(to);
        // Both ends map back to the same period, and the instants just outside belong to its neighbours.
        expect(periodContaining(sub, period.from)).toEqual(period);
        expect(periodContaining(sub, period.to)).toEqual(period);
        expect(periodContaining(sub, iso(to + 1)).from).toBe(iso(to + 1));
        if (from > startOfStartDay(sub)) expect(periodContaining(sub, iso(from - 1)).to).toBe(iso(from - 1));
      }),
    );
  });

  it('periods start at local midnight and whole periods have an allowed length counted both ways', () => {
    fc.assert(
      fc.property(subscriptionArb, fc.integer({ min: 400 * DAY, max: 6 * 366 * DAY }), (sub, offset) => {
        const period = periodContaining(sub, iso(startOfStartDay(sub) + offset));
        const from = DateTime.fromISO(period.from, { zone: sub.timezone });
        expect(from.toMillis()).toBe(from.startOf('day').toMillis());
        const { periodDays } = prorationDays(sub, period.from, period.to);
        expect(allowedPeriodDays[sub.interval]).toContain(periodDays);
        expect(daysBetweenInclusive(period.from, period.to, sub.timezone)).toBe(periodDays);
      }),
    );
  });

  it('monthly anniversary periods start on the anniversary day, clamped to the end of shorter months', () => {
    const monthlyAnniversary = subscriptionArb.map((sub) => ({
      ...sub,
      interval: 'MONTHLY' as const,
      billingTime: 'ANNIVERSARY' as const,
    }));
    fc.assert(
      fc.property(monthlyAnniversary, fc.integer({ min: 400 * DAY, max: 6 * 366 * DAY }), (sub, offset) => {
        const anchorDay = DateTime.fromISO(String(sub.subscriptionAt), { zone: sub.timezone }).day;
        const from = DateTime.fromISO(periodContaining(sub, iso(startOfStartDay(sub) + offset)).from, {
          zone: sub.timezone,
        });
        expect(from.day).toBe(Math.min(anchorDay, from.daysInMonth ?? 31));
      }),
    );
  });
});

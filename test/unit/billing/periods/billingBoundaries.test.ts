import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../../src/domain/shared/errors.ts';
import type { BillingTime, PlanInterval } from '../../../../src/billing/periods/index.ts';
import { billingBoundaries, shouldBillSubscriptionFee } from '../../../../src/billing/periods/index.ts';
import { dayEnd, dayStart, subscription } from './helpers.ts';

/** Started long before the runs below, on Wednesday 2023-03-15 (anniversary: the 15th / March / Wednesday). */
const subscriptionAt = '2023-03-15T10:00:00Z';

type Row = readonly [
  interval: PlanInterval,
  billingTime: BillingTime,
  billingDate: string,
  elapsed: readonly [string, string, number],
  upcoming: readonly [string, string, number],
];

const matrix: readonly Row[] = [
  ['WEEKLY', 'CALENDAR', '2024-01-08', ['2024-01-01', '2024-01-07', 7], ['2024-01-08', '2024-01-14', 7]],
  ['WEEKLY', 'ANNIVERSARY', '2024-01-10', ['2024-01-03', '2024-01-09', 7], ['2024-01-10', '2024-01-16', 7]],
  ['MONTHLY', 'CALENDAR', '2024-03-01', ['2024-02-01', '2024-02-29', 29], ['2024-03-01', '2024-03-31', 31]],
  ['MONTHLY', 'ANNIVERSARY', '2024-03-15', ['2024-02-15', '2024-03-14', 29], ['2024-03-15', '2024-04-14', 31]],
  ['QUARTERLY', 'CALENDAR', '2024-04-01', ['2024-01-01', '2024-03-31', 91], ['2024-04-01', '2024-06-30', 91]],
  ['QUARTERLY', 'ANNIVERSARY', '2024-03-15', ['2023-12-15', '2024-03-14', 91], ['2024-03-15', '2024-06-14', 92]],
  ['SEMIANNUAL', 'CALENDAR', '2024-07-01', ['2024-01-01', '2024-06-30', 182], ['2024-07-01', '2024-12-31', 184]],
  ['SEMIANNUAL', 'ANNIVERSARY', '2024-09-15', ['2024-03-15', '2024-09-14', 184], ['2024-09-15', '2025-03-14', 181]],
  ['YEARLY', 'CALENDAR', '2025-01-01', ['2024-01-01', '2024-12-31', 366], ['2025-01-01', '2025-12-31', 365]],
  ['YEARLY', 'ANNIVERSARY', '2025-03-15', ['2024-03-15', '2025-03-14', 365], ['2025-03-15', '2026-03-14', 365]],
];

describe('billing boundaries for every interval × billing time', () => {
  describe.each(matrix)('%s %s billed on %s', (interval, billingTime, billingDate, elapsed, upcoming) => {
    const base = { subscriptionAt, interval, billingTime };
    const [elapsedFirst, elapsedLast, elapsedDays] = elapsed;
    const [upcomingFirst, upcomingLast, upcomingDays] = upcoming;

    it('in arrears bills the subscription fee and the charges of the elapsed period', () => {
      expect(billingBoundaries(subscription(base), dayStart(billingDate))).toEqual({
        billingDate,
        subscriptionFeeFrom: dayStart(elapsedFirst),
        subscriptionFeeTo: dayEnd(elapsedLast),
        chargesFrom: dayStart(elapsedFirst),
        chargesTo: dayEnd(elapsedLast),
        periodDays: elapsedDays,
        chargesPeriodDays: elapsedDays,
        issuingDate: billingDate,
        subscriptionFeeDue: true,
      });
    });

    it('in advance bills the subscription fee of the upcoming period and the charges of the elapsed one', () => {
      expect(billingBoundaries(subscription({ ...base, payInAdvance: true }), dayStart(billingDate))).toEqual({
        billingDate,
        subscriptionFeeFrom: dayStart(upcomingFirst),
        subscriptionFeeTo: dayEnd(upcomingLast),
        chargesFrom: dayStart(elapsedFirst),
        chargesTo: dayEnd(elapsedLast),
        periodDays: upcomingDays,
        chargesPeriodDays: elapsedDays,
        issuingDate: billingDate,
        subscriptionFeeDue: true,
      });
    });
  });
});

describe('billing in the customer timezone', () => {
  it('Lago monthly_service_spec: billing at 2022-03-01T00:00Z for America/New_York bills January', () => {
    const ny = subscription({ subscriptionAt: '2021-02-02T00:00:00Z', timezone: 'America/New_York' });
    expect(billingBoundaries(ny, '2022-03-01T00:00:00Z')).toMatchObject({
      billingDate: '2022-02-28',
      subscriptionFeeFrom: '2022-01-01T05:00:00.000Z',
      subscriptionFeeTo: '2022-02-01T04:59:59.999Z',
      chargesFrom: '2022-01-01T05:00:00.000Z',
      chargesTo: '2022-02-01T04:59:59.999Z',
      periodDays: 31,
      issuingDate: '2022-02-28',
    });
  });

  it('New York pay-in-advance run at local midnight on March 1: the fee period crosses the DST start', () => {
    const ny = subscription({
      subscriptionAt: '2021-02-02T00:00:00Z',
      timezone: 'America/New_York',
      payInAdvance: true,
    });
    expect(billingBoundaries(ny, '2024-03-01T05:00:00Z')).toMatchObject({
      billingDate: '2024-03-01',
      subscriptionFeeFrom: '2024-03-01T05:00:00.000Z',
      subscriptionFeeTo: '2024-04-01T03:59:59.999Z',
      chargesFrom: '2024-02-01T05:00:00.000Z',
      chargesTo: '2024-03-01T04:59:59.999Z',
      periodDays: 31,
      chargesPeriodDays: 29,
    });
  });

  it('Kolkata: the run at 2024-01-31T18:30Z is Feb 1 locally and bills January (UTC+05:30 boundaries)', () => {
    const kolkata = subscription({ subscriptionAt: '2021-02-02T00:00:00Z', timezone: 'Asia/Kolkata' });
    expect(billingBoundaries(kolkata, '2024-01-31T18:30:00Z')).toMatchObject({
      billingDate: '2024-02-01',
      subscriptionFeeFrom: '2023-12-31T18:30:00.000Z',
      subscriptionFeeTo: '2024-01-31T18:29:59.999Z',
      chargesFrom: '2023-12-31T18:30:00.000Z',
      chargesTo: '2024-01-31T18:29:59.999Z',
      periodDays: 31,
    });
  });

  it('monthly anniversary on the 31st bills the clamped period Jan 31–Feb 27 on Feb 28 (2023)', () => {
    const sub = subscription({ subscriptionAt: '2023-01-31T10:00:00Z', billingTime: 'ANNIVERSARY' });
    expect(billingBoundaries(sub, '2023-02-28T00:00:00Z')).toMatchObject({
      subscriptionFeeFrom: '2023-01-31T00:00:00.000Z',
      subscriptionFeeTo: '2023-02-27T23:59:59.999Z',
      periodDays: 28,
    });
    expect(billingBoundaries(sub, '2023-03-31T00:00:00Z')).toMatchObject({
      subscriptionFeeFrom: '2023-02-28T00:00:00.000Z',
      subscriptionFeeTo: '2023-03-30T23:59:59.999Z',
      periodDays: 31,
    });
  });

  it('a late run (mid-period) still bills the last elapsed period', () => {
    const sub = subscription({ subscriptionAt: '2021-02-02T00:00:00Z' });
    expect(billingBoundaries(sub, '2022-03-07T00:00:00Z')).toMatchObject({
      subscriptionFeeFrom: '2022-02-01T00:00:00.000Z',
      subscriptionFeeTo: '2022-02-28T23:59:59.999Z',
    });
  });
});

describe('the first billing of a subscription started mid-period', () => {
  const startedAt = '2024-02-10T15:30:00Z';

  it('in arrears: the fee starts at the start day, charges at the exact start instant, periodDays is whole', () => {
    expect(billingBoundaries(subscription({ subscriptionAt: startedAt }), '2024-03-01T00:00:00Z')).toMatchObject({
      subscriptionFeeFrom: '2024-02-10T00:00:00.000Z',
      subscriptionFeeTo: '2024-02-29T23:59:59.999Z',
      chargesFrom: '2024-02-10T15:30:00.000Z',
      chargesTo: '2024-02-29T23:59:59.999Z',
      periodDays: 29,
    });
  });

  it('in advance on the start day: fee for the rest of the period, an empty charges window at startedAt', () => {
    const sub = subscription({ subscriptionAt: startedAt, payInAdvance: true });
    expect(billingBoundaries(sub, startedAt)).toMatchObject({
      subscriptionFeeFrom: '2024-02-10T00:00:00.000Z',
      subscriptionFeeTo: '2024-02-29T23:59:59.999Z',
      chargesFrom: '2024-02-10T15:30:00.000Z',
      chargesTo: '2024-02-10T15:30:00.000Z',
      periodDays: 29,
    });
  });

  it('in New York the start day is the local one (Feb 9, 22:00 local)', () => {
    const sub = subscription({ subscriptionAt: '2024-02-10T03:00:00Z', timezone: 'America/New_York' });
    expect(billingBoundaries(sub, '2024-03-01T05:00:00Z')).toMatchObject({
      subscriptionFeeFrom: '2024-02-09T05:00:00.000Z',
      chargesFrom: '2024-02-10T03:00:00.000Z',
      chargesTo: '2024-03-01T04:59:59.999Z',
    });
  });

  it('refuses a billing date before the subscription started', () => {
    expect(() => billingBoundaries(subscription({ subscriptionAt: startedAt }), '2024-02-09T12:00:00Z')).toThrow(
      ValidationError,
    );
  });
});

describe('yearly and semiannual plans billing charges monthly', () => {
  it('calendar yearly in arrears: January bills the year (clamped to the start) and December charges', () => {
    const sub = subscription({ subscriptionAt, interval: 'YEARLY', billChargesMonthly: true });
    expect(billingBoundaries(sub, '2024-01-01T00:00:00Z')).toEqual({
      billingDate: '2024-01-01',
      subscriptionFeeFrom: '2023-03-15T00:00:00.000Z',
      subscriptionFeeTo: '2023-12-31T23:59:59.999Z',
      chargesFrom: '2023-12-01T00:00:00.000Z',
      chargesTo: '2023-12-31T23:59:59.999Z',
      periodDays: 365,
      chargesPeriodDays: 31,
      issuingDate: '2024-01-01',
      subscriptionFeeDue: true,
    });
  });

  it('calendar yearly: other months bill only the month of charges, not the subscription fee', () => {
    const sub = subscription({ subscriptionAt, interval: 'YEARLY', billChargesMonthly: true });
    expect(billingBoundaries(sub, '2024-02-01T00:00:00Z')).toMatchObject({
      chargesFrom: '2024-01-01T00:00:00.000Z',
      chargesTo: '2024-01-31T23:59:59.999Z',
      chargesPeriodDays: 31,
      subscriptionFeeDue: false,
    });
  });

  it('anniversary yearly in advance: the fee is due in the anniversary month only', () => {
    const sub = subscription({
      subscriptionAt,
      interval: 'YEARLY',
      billingTime: 'ANNIVERSARY',
      payInAdvance: true,
      billChargesMonthly: true,
    });
    expect(billingBoundaries(sub, '2024-03-15T00:00:00Z')).toMatchObject({
      subscriptionFeeFrom: '2024-03-15T00:00:00.000Z',
      subscriptionFeeTo: '2025-03-14T23:59:59.999Z',
      chargesFrom: '2024-02-15T00:00:00.000Z',
      chargesTo: '2024-03-14T23:59:59.999Z',
      periodDays: 365,
      chargesPeriodDays: 29,
      subscriptionFeeDue: true,
    });
    expect(billingBoundaries(sub, '2024-04-15T00:00:00Z')).toMatchObject({
      chargesFrom: '2024-03-15T00:00:00.000Z',
      chargesTo: '2024-04-14T23:59:59.999Z',
      subscriptionFeeDue: false,
    });
  });

  it('calendar semiannual: the fee is due in January and July', () => {
    const sub = subscription({ subscriptionAt, interval: 'SEMIANNUAL', billChargesMonthly: true });
    expect(billingBoundaries(sub, '2024-07-01T00:00:00Z').subscriptionFeeDue).toBe(true);
    expect(billingBoundaries(sub, '2024-08-01T00:00:00Z').subscriptionFeeDue).toBe(false);
  });

  it('anniversary semiannual on Aug 31: the clamped Feb 29 anniversary run is a fee month', () => {
    const sub = subscription({
      subscriptionAt: '2023-08-31T00:00:00Z',
      interval: 'SEMIANNUAL',
      billingTime: 'ANNIVERSARY',
      billChargesMonthly: true,
    });
    expect(billingBoundaries(sub, '2024-02-29T00:00:00Z')).toMatchObject({
      subscriptionFeeFrom: '2023-08-31T00:00:00.000Z',
      subscriptionFeeTo: '2024-02-28T23:59:59.999Z',
      chargesFrom: '2024-01-31T00:00:00.000Z',
      chargesTo: '2024-02-28T23:59:59.999Z',
      periodDays: 182,
      chargesPeriodDays: 29,
      subscriptionFeeDue: true,
    });
    expect(billingBoundaries(sub, '2024-03-31T00:00:00Z').subscriptionFeeDue).toBe(false);
  });

  it('billChargesMonthly has no effect on monthly plans', () => {
    const sub = subscription({ subscriptionAt, billChargesMonthly: true });
    expect(billingBoundaries(sub, '2024-03-01T00:00:00Z')).toMatchObject({ periodDays: 29, subscriptionFeeDue: true });
  });
});

describe('shouldBillSubscriptionFee (Lago should_create_yearly_subscription_fee?)', () => {
  const yearly = (payInAdvance: boolean) =>
    subscription({ subscriptionAt, interval: 'YEARLY', billChargesMonthly: true, payInAdvance });
  const regular = { alreadyBilled: true, startedInPast: false, terminated: false };

  it('in arrears: in the first month of the year, or when terminating', () => {
    expect(shouldBillSubscriptionFee(yearly(false), '2024-01-01T00:00:00Z', regular)).toBe(true);
    expect(shouldBillSubscriptionFee(yearly(false), '2024-05-01T00:00:00Z', regular)).toBe(false);
    expect(shouldBillSubscriptionFee(yearly(false), '2024-05-01T00:00:00Z', { ...regular, terminated: true })).toBe(
      true,
    );
  });

  it('in advance: in the first month, or while never billed', () => {
    expect(shouldBillSubscriptionFee(yearly(true), '2024-05-01T00:00:00Z', regular)).toBe(false);
    expect(shouldBillSubscriptionFee(yearly(true), '2024-05-01T00:00:00Z', { ...regular, alreadyBilled: false })).toBe(
      true,
    );
  });

  it('in advance and started in the past: in a first month other than the first period’s', () => {
    const past = { ...regular, startedInPast: true };
    const sub = subscription({
      subscriptionAt: '2023-01-01T00:00:00Z',
      interval: 'YEARLY',
      billChargesMonthly: true,
      payInAdvance: true,
    });
    expect(shouldBillSubscriptionFee(sub, '2023-01-01T00:00:00Z', past)).toBe(false);
    expect(shouldBillSubscriptionFee(sub, '2024-01-01T00:00:00Z', past)).toBe(true);
  });

  it('is always true for other intervals', () => {
    expect(shouldBillSubscriptionFee(subscription({ subscriptionAt }), '2024-05-10T00:00:00Z', regular)).toBe(true);
  });
});

describe('issuing date', () => {
  it('adds the grace period to the local billing date', () => {
    const sub = subscription({ subscriptionAt, timezone: 'Asia/Kolkata' });
    expect(billingBoundaries(sub, '2024-02-29T18:30:00Z', { gracePeriodDays: 3 }).issuingDate).toBe('2024-03-04');
  });

  it('refuses a negative or fractional grace period', () => {
    const sub = subscription({ subscriptionAt });
    expect(() => billingBoundaries(sub, '2024-03-01T00:00:00Z', { gracePeriodDays: -1 })).toThrow(ValidationError);
    expect(() => billingBoundaries(sub, '2024-03-01T00:00:00Z', { gracePeriodDays: 1.5 })).toThrow(ValidationError);
  });
});

import { describe, expect, it } from 'vitest';
import {
  chargesPeriodContaining,
  currentBillingPeriod,
  nextBillingDate,
} from '../../../../src/billing/periods/index.ts';
import { ValidationError } from '../../../../src/domain/shared/errors.ts';
import { subscription, utcPeriod } from './helpers.ts';

describe('nextBillingDate', () => {
  const ny = subscription({ subscriptionAt: '2020-01-01T00:00:00Z', timezone: 'America/New_York' });

  it('is local midnight of the day after the current period ends (EDT midnight on April 1)', () => {
    expect(nextBillingDate(ny, '2024-03-15T12:00:00Z')).toBe('2024-04-01T04:00:00.000Z');
    expect(nextBillingDate(ny, '2024-04-01T03:59:59.999Z')).toBe('2024-04-01T04:00:00.000Z');
  });

  it('is strictly after `after`: at a billing instant it returns the following one', () => {
    expect(nextBillingDate(ny, '2024-04-01T04:00:00Z')).toBe('2024-05-01T04:00:00.000Z');
  });

  it('is Monday midnight in Kolkata for a calendar weekly plan', () => {
    const weekly = subscription({
      subscriptionAt: '2020-01-01T00:00:00Z',
      interval: 'WEEKLY',
      timezone: 'Asia/Kolkata',
    });
    expect(nextBillingDate(weekly, '2024-01-10T00:00:00Z')).toBe('2024-01-14T18:30:00.000Z');
  });

  it('follows clamped anniversaries: the 31st bills on Feb 28 in 2023', () => {
    const sub = subscription({ subscriptionAt: '2023-01-31T10:00:00Z', billingTime: 'ANNIVERSARY' });
    expect(nextBillingDate(sub, '2023-02-10T00:00:00Z')).toBe('2023-02-28T00:00:00.000Z');
    expect(nextBillingDate(sub, '2023-02-28T00:00:00Z')).toBe('2023-03-31T00:00:00.000Z');
  });

  it('runs monthly for a yearly plan billing charges monthly, yearly otherwise', () => {
    const base = { subscriptionAt: '2020-01-01T00:00:00Z', interval: 'YEARLY' as const };
    expect(nextBillingDate(subscription({ ...base, billChargesMonthly: true }), '2024-03-15T00:00:00Z')).toBe(
      '2024-04-01T00:00:00.000Z',
    );
    expect(nextBillingDate(subscription(base), '2024-03-15T00:00:00Z')).toBe('2025-01-01T00:00:00.000Z');
  });

  it('for a subscription not started yet, is the end of its first period', () => {
    const pending = subscription({ subscriptionAt: '2024-05-10T12:00:00Z' });
    expect(nextBillingDate(pending, '2024-01-01T00:00:00Z')).toBe('2024-06-01T00:00:00.000Z');
  });
});

describe('chargesPeriodContaining', () => {
  it('starts the first charges period at the exact start instant', () => {
    const sub = subscription({ subscriptionAt: '2024-02-10T15:30:00Z' });
    expect(chargesPeriodContaining(sub, '2024-02-20T00:00:00Z')).toEqual({
      from: '2024-02-10T15:30:00.000Z',
      to: '2024-02-29T23:59:59.999Z',
    });
    expect(chargesPeriodContaining(sub, '2024-03-20T00:00:00Z')).toEqual(utcPeriod('2024-03-01', '2024-03-31'));
  });

  it('is monthly for a semiannual anniversary plan billing charges monthly', () => {
    const sub = subscription({
      subscriptionAt: '2023-08-31T00:00:00Z',
      interval: 'SEMIANNUAL',
      billingTime: 'ANNIVERSARY',
      billChargesMonthly: true,
    });
    expect(chargesPeriodContaining(sub, '2024-02-15T00:00:00Z')).toEqual(utcPeriod('2024-01-31', '2024-02-28'));
  });

  it('refuses an instant before startedAt', () => {
    const sub = subscription({ subscriptionAt: '2024-02-10T15:30:00Z' });
    expect(() => chargesPeriodContaining(sub, '2024-02-10T15:29:59.999Z')).toThrow(ValidationError);
  });
});

describe('currentBillingPeriod', () => {
  it('exposes the charges period containing now (monthly for a yearly plan billing charges monthly)', () => {
    const sub = subscription({
      subscriptionAt: '2023-03-15T10:00:00Z',
      interval: 'YEARLY',
      billingTime: 'ANNIVERSARY',
      billChargesMonthly: true,
      timezone: 'Asia/Kolkata',
    });
    expect(currentBillingPeriod(sub, '2024-06-01T00:00:00Z')).toEqual({
      startedAt: '2024-05-14T18:30:00.000Z',
      endingAt: '2024-06-14T18:29:59.999Z',
    });
  });

  it('exposes the whole plan period otherwise', () => {
    const sub = subscription({ subscriptionAt: '2023-03-15T10:00:00Z', interval: 'QUARTERLY' });
    expect(currentBillingPeriod(sub, '2024-06-01T00:00:00Z')).toEqual({
      startedAt: '2024-04-01T00:00:00.000Z',
      endingAt: '2024-06-30T23:59:59.999Z',
    });
  });

  it('starts at startedAt during the first period and is null before the subscription starts', () => {
    const sub = subscription({ subscriptionAt: '2024-02-10T15:30:00Z' });
    expect(currentBillingPeriod(sub, '2024-02-10T16:00:00Z')).toEqual({
      startedAt: '2024-02-10T15:30:00.000Z',
      endingAt: '2024-02-29T23:59:59.999Z',
    });
    expect(currentBillingPeriod(sub, '2024-02-10T15:00:00Z')).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../../src/domain/shared/errors.ts';
import { daysBetweenInclusive, prorationDays } from '../../../../src/billing/periods/index.ts';
import { subscription } from './helpers.ts';

describe('daysBetweenInclusive (Lago date_diff_with_timezone)', () => {
  it('counts a whole period inclusively: January in New York is 31 days', () => {
    expect(daysBetweenInclusive('2024-01-01T05:00:00Z', '2024-02-01T04:59:59.999Z', 'America/New_York')).toBe(31);
  });

  it('is not shifted by the March DST start (a 743-hour March still counts 31 days)', () => {
    expect(daysBetweenInclusive('2024-03-01T05:00:00Z', '2024-04-01T03:59:59.999Z', 'America/New_York')).toBe(31);
  });

  it('is not shifted by the November DST end (a 721-hour November still counts 30 days)', () => {
    expect(daysBetweenInclusive('2024-11-01T04:00:00Z', '2024-12-01T04:59:59.999Z', 'America/New_York')).toBe(30);
  });

  it('counts the Kolkata month of January 2024 as 31 days', () => {
    expect(daysBetweenInclusive('2023-12-31T18:30:00Z', '2024-01-31T18:29:59.999Z', 'Asia/Kolkata')).toBe(31);
  });

  it('counts any partial day as a whole day', () => {
    expect(daysBetweenInclusive('2024-02-10T15:30:00Z', '2024-02-29T23:59:59.999Z', 'UTC')).toBe(20);
    expect(daysBetweenInclusive('2024-01-01T00:00:00Z', '2024-01-01T00:00:00.001Z', 'UTC')).toBe(1);
  });

  it('adds one second to a `to` exactly at local midnight so that its day is counted', () => {
    expect(daysBetweenInclusive('2024-01-01T00:00:00Z', '2024-01-05T00:00:00Z', 'UTC')).toBe(5);
    expect(daysBetweenInclusive('2024-01-01T05:00:00Z', '2024-01-05T05:00:00Z', 'America/New_York')).toBe(5);
  });

  it('only local midnight gets the extra second: 2024-01-05T00:00Z is 19:00 in New York', () => {
    expect(daysBetweenInclusive('2024-01-01T05:00:00Z', '2024-01-05T00:00:00Z', 'America/New_York')).toBe(4);
  });

  it('subtracts one day when the subscription was terminated by an upgrade', () => {
    expect(daysBetweenInclusive('2024-01-01T00:00:00Z', '2024-01-15T10:00:00Z', 'UTC')).toBe(15);
    expect(
      daysBetweenInclusive('2024-01-01T00:00:00Z', '2024-01-15T10:00:00Z', 'UTC', { terminatedByUpgrade: true }),
    ).toBe(14);
  });

  it('refuses an unknown timezone', () => {
    expect(() => daysBetweenInclusive('2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z', 'Nowhere/Land')).toThrow(
      ValidationError,
    );
  });
});

describe('prorationDays', () => {
  it('a calendar month started on the 10th bills 20 of 29 days (February 2024)', () => {
    const sub = subscription({ subscriptionAt: '2024-02-10T15:30:00Z' });
    expect(prorationDays(sub, '2024-02-10T00:00:00Z', '2024-02-29T23:59:59.999Z')).toEqual({
      days: 20,
      periodDays: 29,
    });
  });

  it.each([
    ['WEEKLY', '2024-01-10', 7],
    ['MONTHLY', '2023-02-10', 28],
    ['QUARTERLY', '2023-02-10', 90],
    ['QUARTERLY', '2024-02-10', 91],
    ['QUARTERLY', '2024-08-10', 92],
    ['SEMIANNUAL', '2023-02-10', 181],
    ['SEMIANNUAL', '2024-02-10', 182],
    ['SEMIANNUAL', '2024-08-10', 184],
    ['YEARLY', '2023-02-10', 365],
    ['YEARLY', '2024-02-10', 366],
  ] as const)('calendar %s period containing %s has %i days', (interval, date, periodDays) => {
    const sub = subscription({ subscriptionAt: '2020-01-01T00:00:00Z', interval });
    expect(prorationDays(sub, `${date}T00:00:00Z`, `${date}T23:59:59.999Z`)).toEqual({ days: 1, periodDays });
  });

  it.each([
    ['2023-01-31', 28],
    ['2023-02-28', 31],
    ['2023-03-31', 30],
    ['2024-01-31', 29],
  ] as const)('monthly anniversary on the 31st: the period starting %s has %i days', (date, periodDays) => {
    const sub = subscription({ subscriptionAt: '2023-01-31T00:00:00Z', billingTime: 'ANNIVERSARY' });
    expect(prorationDays(sub, `${date}T00:00:00Z`, `${date}T00:00:00.001Z`).periodDays).toBe(periodDays);
  });

  it.each([
    ['2024-02-29', 365],
    ['2025-02-28', 365],
    ['2027-02-28', 366],
  ] as const)('leap-day yearly anniversary: the period starting %s has %i days', (date, periodDays) => {
    const sub = subscription({
      subscriptionAt: '2024-02-29T00:00:00Z',
      interval: 'YEARLY',
      billingTime: 'ANNIVERSARY',
    });
    expect(prorationDays(sub, `${date}T00:00:00Z`, `${date}T00:00:00.001Z`).periodDays).toBe(periodDays);
  });

  it('uses the period containing `from` in the customer timezone', () => {
    const ny = subscription({ subscriptionAt: '2020-01-01T00:00:00Z', timezone: 'America/New_York' });
    expect(prorationDays(ny, '2024-03-01T02:00:00Z', '2024-03-01T04:59:59.999Z')).toEqual({ days: 1, periodDays: 29 });
  });

  it('with the CHARGES basis divides by the monthly charges period of a yearly plan billing charges monthly', () => {
    const sub = subscription({ subscriptionAt: '2020-01-01T00:00:00Z', interval: 'YEARLY', billChargesMonthly: true });
    const from = '2024-02-10T00:00:00Z';
    const to = '2024-02-29T23:59:59.999Z';
    expect(prorationDays(sub, from, to)).toEqual({ days: 20, periodDays: 366 });
    expect(prorationDays(sub, from, to, { basis: 'CHARGES' })).toEqual({ days: 20, periodDays: 29 });
  });

  it('an upgrade-terminated period bills one day less', () => {
    const sub = subscription({ subscriptionAt: '2020-01-01T00:00:00Z' });
    expect(
      prorationDays(sub, '2024-03-01T00:00:00Z', '2024-03-16T09:00:00Z', { terminatedByUpgrade: true }),
    ).toEqual({ days: 15, periodDays: 31 });
  });
});

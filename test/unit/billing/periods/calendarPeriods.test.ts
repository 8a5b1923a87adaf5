import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../../src/domain/shared/errors.ts';
import { periodContaining } from '../../../../src/billing/periods/index.ts';
import { subscription, utcPeriod } from './helpers.ts';

const since2020 = { subscriptionAt: '2020-01-01T00:00:00Z' };

describe('calendar periods in UTC', () => {
  it.each([
    ['WEEKLY', '2024-01-10T12:00:00Z', '2024-01-08', '2024-01-14'],
    ['WEEKLY', '2024-01-14T23:59:59.999Z', '2024-01-08', '2024-01-14'],
    ['WEEKLY', '2024-01-15T00:00:00Z', '2024-01-15', '2024-01-21'],
    ['MONTHLY', '2024-02-15T12:00:00Z', '2024-02-01', '2024-02-29'],
    ['MONTHLY', '2023-02-15T12:00:00Z', '2023-02-01', '2023-02-28'],
    ['QUARTERLY', '2024-02-15T12:00:00Z', '2024-01-01', '2024-03-31'],
    ['QUARTERLY', '2024-05-15T12:00:00Z', '2024-04-01', '2024-06-30'],
    ['QUARTERLY', '2024-08-15T12:00:00Z', '2024-07-01', '2024-09-30'],
    ['QUARTERLY', '2024-12-31T23:59:59.999Z', '2024-10-01', '2024-12-31'],
    ['SEMIANNUAL', '2024-06-30T12:00:00Z', '2024-01-01', '2024-06-30'],
    ['SEMIANNUAL', '2024-07-01T00:00:00Z', '2024-07-01', '2024-12-31'],
    ['YEARLY', '2024-07-01T00:00:00Z', '2024-01-01', '2024-12-31'],
  ] as const)('%s calendar period containing %s runs %s..%s', (interval, instant, first, last) => {
    expect(periodContaining(subscription({ ...since2020, interval }), instant)).toEqual(utcPeriod(first, last));
  });

  it('weeks run Monday to Sunday', () => {
    const sunday = periodContaining(subscription({ ...since2020, interval: 'WEEKLY' }), '2024-03-03T08:00:00Z');
    expect(sunday).toEqual(utcPeriod('2024-02-26', '2024-03-03'));
  });
});

describe('calendar periods for a customer in America/New_York', () => {
  const ny = { ...since2020, timezone: 'America/New_York' };

  it.each([
    ['WEEKLY', '2024-01-10T12:00:00Z', '2024-01-08T05:00:00.000Z', '2024-01-15T04:59:59.999Z'],
    ['MONTHLY', '2024-01-15T12:00:00Z', '2024-01-01T05:00:00.000Z', '2024-02-01T04:59:59.999Z'],
    ['QUARTERLY', '2024-05-15T12:00:00Z', '2024-04-01T04:00:00.000Z', '2024-07-01T03:59:59.999Z'],
    ['SEMIANNUAL', '2024-03-15T12:00:00Z', '2024-01-01T05:00:00.000Z', '2024-07-01T03:59:59.999Z'],
    ['YEARLY', '2024-03-15T12:00:00Z', '2024-01-01T05:00:00.000Z', '2025-01-01T04:59:59.999Z'],
  ] as const)('%s period containing %s starts and ends at local midnight', (interval, instant, from, to) => {
    expect(periodContaining(subscription({ ...ny, interval }), instant)).toEqual({ from, to });
  });

  it('converts the instant to local time first: 2024-03-01T02:00Z is still February in New York', () => {
    expect(periodContaining(subscription(ny), '2024-03-01T02:00:00Z')).toEqual({
      from: '2024-02-01T05:00:00.000Z',
      to: '2024-03-01T04:59:59.999Z',
    });
  });

  it('a monthly period crossing the March DST start begins at EST midnight and ends at EDT midnight', () => {
    expect(periodContaining(subscription(ny), '2024-03-15T12:00:00Z')).toEqual({
      from: '2024-03-01T05:00:00.000Z',
      to: '2024-04-01T03:59:59.999Z',
    });
    expect(periodContaining(subscription(ny), '2024-04-01T04:00:00.000Z').from).toBe('2024-04-01T04:00:00.000Z');
  });

  it('the week containing the DST start (Sunday 2024-03-10) still starts Monday at local midnight', () => {
    const weekly = subscription({ ...ny, interval: 'WEEKLY' });
    const week = { from: '2024-03-04T05:00:00.000Z', to: '2024-03-11T03:59:59.999Z' };
    expect(periodContaining(weekly, '2024-03-10T07:30:00Z')).toEqual(week);
    expect(periodContaining(weekly, '2024-03-11T03:59:59.999Z')).toEqual(week);
    expect(periodContaining(weekly, '2024-03-11T04:00:00Z')).toEqual({
      from: '2024-03-11T04:00:00.000Z',
      to: '2024-03-18T03:59:59.999Z',
    });
  });

  it('a quarter crossing the November DST end begins at EDT midnight and ends at EST midnight', () => {
    expect(periodContaining(subscription({ ...ny, interval: 'QUARTERLY' }), '2024-11-03T12:00:00Z')).toEqual({
      from: '2024-10-01T04:00:00.000Z',
      to: '2025-01-01T04:59:59.999Z',
    });
  });
});

describe('calendar periods for a customer in Asia/Kolkata (UTC+05:30)', () => {
  const kolkata = { ...since2020, timezone: 'Asia/Kolkata' };

  it.each([
    ['WEEKLY', '2024-01-10T12:00:00Z', '2024-01-07T18:30:00.000Z', '2024-01-14T18:29:59.999Z'],
    ['MONTHLY', '2024-01-15T12:00:00Z', '2023-12-31T18:30:00.000Z', '2024-01-31T18:29:59.999Z'],
    ['QUARTERLY', '2024-05-15T12:00:00Z', '2024-03-31T18:30:00.000Z', '2024-06-30T18:29:59.999Z'],
    ['SEMIANNUAL', '2024-09-15T12:00:00Z', '2024-06-30T18:30:00.000Z', '2024-12-31T18:29:59.999Z'],
    ['YEARLY', '2024-09-15T12:00:00Z', '2023-12-31T18:30:00.000Z', '2024-12-31T18:29:59.999Z'],
  ] as const)('%s period containing %s is shifted by the +05:30 offset', (interval, instant, from, to) => {
    expect(periodContaining(subscription({ ...kolkata, interval }), instant)).toEqual({ from, to });
  });

  it('2024-01-31T19:00Z is already 1 February 00:30 in Kolkata, so it lies in February', () => {
    expect(periodContaining(subscription(kolkata), '2024-01-31T19:00:00Z')).toEqual({
      from: '2024-01-31T18:30:00.000Z',
      to: '2024-02-29T18:29:59.999Z',
    });
  });
});

describe('the first calendar period', () => {
  it('starts at the beginning of the local day the subscription started', () => {
    const sub = subscription({ subscriptionAt: '2024-02-10T15:30:00Z' });
    expect(periodContaining(sub, '2024-02-20T00:00:00Z')).toEqual(utcPeriod('2024-02-10', '2024-02-29'));
    expect(periodContaining(sub, '2024-02-10T00:00:00Z')).toEqual(utcPeriod('2024-02-10', '2024-02-29'));
  });

  it('uses the start day in the customer timezone (22:00 on Feb 9 in New York)', () => {
    const sub = subscription({ subscriptionAt: '2024-02-10T03:00:00Z', timezone: 'America/New_York' });
    expect(periodContaining(sub, '2024-02-20T00:00:00Z')).toEqual({
      from: '2024-02-09T05:00:00.000Z',
      to: '2024-03-01T04:59:59.999Z',
    });
  });

  it('clamps a yearly period to the start and leaves later periods whole', () => {
    const sub = subscription({ subscriptionAt: '2023-06-15T09:00:00Z', interval: 'YEARLY' });
    expect(periodContaining(sub, '2023-07-01T00:00:00Z')).toEqual(utcPeriod('2023-06-15', '2023-12-31'));
    expect(periodContaining(sub, '2024-07-01T00:00:00Z')).toEqual(utcPeriod('2024-01-01', '2024-12-31'));
  });

  it('refuses an instant before the local day the subscription started', () => {
    const sub = subscription({ subscriptionAt: '2024-02-10T15:30:00Z' });
    expect(() => periodContaining(sub, '2024-02-09T23:59:59.999Z')).toThrow(ValidationError);
  });

  it('refuses an unknown timezone and an unparseable instant', () => {
    expect(() => periodContaining(subscription({ ...since2020, timezone: 'Mars/Olympus' }), '2024-01-01')).toThrow(
      ValidationError,
    );
    expect(() => periodContaining(subscription(since2020), 'not a date')).toThrow(ValidationError);
  });
});

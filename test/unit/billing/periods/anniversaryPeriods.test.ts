import { describe, expect, it } from 'vitest';
import type { PeriodSubscription } from '../../../../src/billing/periods/index.ts';
import { periodContaining } from '../../../../src/billing/periods/index.ts';
import { dayStart, subscription, utcPeriod } from './helpers.ts';

/** The `count` consecutive periods from the one containing `start`, as [first day, last day] UTC dates. */
function periodsFrom(sub: PeriodSubscription, start: string, count: number): [string, string][] {
  const result: [string, string][] = [];
  let instant = start;
  for (let i = 0; i < count; i += 1) {
    const period = periodContaining(sub, instant);
    result.push([period.from.slice(0, 10), period.to.slice(0, 10)]);
    instant = new Date(Date.parse(period.to) + 1).toISOString();
  }
  return result;
}

const anniversary = (subscriptionAt: string, interval: PeriodSubscription['interval'] = 'MONTHLY') =>
  subscription({ subscriptionAt, interval, billingTime: 'ANNIVERSARY' });

describe('monthly anniversary on the 31st', () => {
  it('in a non-leap year (2023): the period before a clamped month ends one day early', () => {
    expect(periodsFrom(anniversary('2023-01-31T10:00:00Z'), '2023-01-31T10:00:00Z', 6)).toEqual([
      ['2023-01-31', '2023-02-27'],
      ['2023-02-28', '2023-03-30'],
      ['2023-03-31', '2023-04-29'],
      ['2023-04-30', '2023-05-30'],
      ['2023-05-31', '2023-06-29'],
      ['2023-06-30', '2023-07-30'],
    ]);
  });

  it('in a leap year (2024): February anniversary falls on the 29th', () => {
    expect(periodsFrom(anniversary('2024-01-31T10:00:00Z'), '2024-01-31T10:00:00Z', 3)).toEqual([
      ['2024-01-31', '2024-02-28'],
      ['2024-02-29', '2024-03-30'],
      ['2024-03-31', '2024-04-29'],
    ]);
  });

  it('re-derives every anniversary from subscriptionAt: a short month does not drag the later ones', () => {
    const sub = anniversary('2023-01-31T10:00:00Z');
    expect(periodContaining(sub, '2023-08-15T00:00:00Z')).toEqual(utcPeriod('2023-07-31', '2023-08-30'));
    expect(periodContaining(sub, '2023-12-31T00:00:00Z')).toEqual(utcPeriod('2023-12-31', '2024-01-30'));
  });

  it('matches Lago monthly_service_spec: subscription on 2022-01-31 has a period ending 2022-02-27', () => {
    expect(periodContaining(anniversary('2022-01-31T00:00:00Z'), '2022-02-27T12:00:00Z').to).toBe(
      '2022-02-27T23:59:59.999Z',
    );
  });
});

describe('monthly anniversary on the 29th and 30th', () => {
  it('the 30th clamps to Feb 28 in 2023 (the January period ends on Feb 27)', () => {
    expect(periodsFrom(anniversary('2023-01-30T00:00:00Z'), '2023-01-30T00:00:00Z', 3)).toEqual([
      ['2023-01-30', '2023-02-27'],
      ['2023-02-28', '2023-03-29'],
      ['2023-03-30', '2023-04-29'],
    ]);
  });

  it('the 29th needs no clamp in a leap year but clamps to Feb 28 in 2023', () => {
    expect(periodsFrom(anniversary('2024-01-29T00:00:00Z'), '2024-01-29T00:00:00Z', 2)).toEqual([
      ['2024-01-29', '2024-02-28'],
      ['2024-02-29', '2024-03-28'],
    ]);
    expect(periodsFrom(anniversary('2023-01-29T00:00:00Z'), '2023-01-29T00:00:00Z', 2)).toEqual([
      ['2023-01-29', '2023-02-27'],
      ['2023-02-28', '2023-03-28'],
    ]);
  });
});

describe('yearly anniversary on the leap day', () => {
  it('2024-02-29 → 2024-02-29..2025-02-27, then Feb 28 in common years and Feb 29 again in 2028', () => {
    expect(periodsFrom(anniversary('2024-02-29T00:00:00Z', 'YEARLY'), '2024-02-29T00:00:00Z', 5)).toEqual([
      ['2024-02-29', '2025-02-27'],
      ['2025-02-28', '2026-02-27'],
      ['2026-02-28', '2027-02-27'],
      ['2027-02-28', '2028-02-28'],
      ['2028-02-29', '2029-02-27'],
    ]);
  });

  it('a yearly anniversary on another day keeps its month and day', () => {
    expect(periodContaining(anniversary('2023-03-15T08:00:00Z', 'YEARLY'), '2024-03-14T23:00:00Z')).toEqual(
      utcPeriod('2023-03-15', '2024-03-14'),
    );
  });
});

describe('weekly anniversary', () => {
  const wednesday = anniversary('2024-01-10T09:00:00Z', 'WEEKLY');

  it('runs Wednesday to Tuesday when subscribed on a Wednesday', () => {
    expect(periodContaining(wednesday, '2024-02-04T12:00:00Z')).toEqual(utcPeriod('2024-01-31', '2024-02-06'));
    expect(periodContaining(wednesday, '2024-02-06T23:59:59.999Z')).toEqual(utcPeriod('2024-01-31', '2024-02-06'));
    expect(periodContaining(wednesday, dayStart('2024-02-07'))).toEqual(utcPeriod('2024-02-07', '2024-02-13'));
  });

  it('the first week starts the day the subscription started', () => {
    expect(periodContaining(wednesday, '2024-01-12T00:00:00Z')).toEqual(utcPeriod('2024-01-10', '2024-01-16'));
  });

  it('a New York week crossing the DST start runs from EST midnight to EDT midnight', () => {
    const ny = subscription({
      subscriptionAt: '2024-01-10T15:00:00Z',
      interval: 'WEEKLY',
      billingTime: 'ANNIVERSARY',
      timezone: 'America/New_York',
    });
    expect(periodContaining(ny, '2024-03-10T12:00:00Z')).toEqual({
      from: '2024-03-06T05:00:00.000Z',
      to: '2024-03-13T03:59:59.999Z',
    });
  });
});

describe('quarterly and semiannual anniversaries', () => {
  it('quarterly on Nov 30 clamps to Feb 29 in 2024 and Feb 28 in 2025', () => {
    expect(periodsFrom(anniversary('2023-11-30T00:00:00Z', 'QUARTERLY'), '2023-11-30T00:00:00Z', 5)).toEqual([
      ['2023-11-30', '2024-02-28'],
      ['2024-02-29', '2024-05-29'],
      ['2024-05-30', '2024-08-29'],
      ['2024-08-30', '2024-11-29'],
      ['2024-11-30', '2025-02-27'],
    ]);
  });

  it('semiannual on Aug 31 alternates clamped February and August anniversaries', () => {
    expect(periodsFrom(anniversary('2023-08-31T00:00:00Z', 'SEMIANNUAL'), '2023-08-31T00:00:00Z', 4)).toEqual([
      ['2023-08-31', '2024-02-28'],
      ['2024-02-29', '2024-08-30'],
      ['2024-08-31', '2025-02-27'],
      ['2025-02-28', '2025-08-30'],
    ]);
  });
});

describe('anniversaries are read in the customer timezone', () => {
  it('New York: 2024-01-31T03:00Z is Jan 30 locally, so the anniversary is the 30th (Feb 29 in 2024)', () => {
    const sub = subscription({
      subscriptionAt: '2024-01-31T03:00:00Z',
      billingTime: 'ANNIVERSARY',
      timezone: 'America/New_York',
    });
    expect(periodContaining(sub, '2024-03-15T12:00:00Z')).toEqual({
      from: '2024-02-29T05:00:00.000Z',
      to: '2024-03-30T03:59:59.999Z',
    });
  });

  it('Kolkata: 2024-01-30T20:00Z is Jan 31 01:30 locally, so the anniversary is the 31st', () => {
    const sub = subscription({
      subscriptionAt: '2024-01-30T20:00:00Z',
      billingTime: 'ANNIVERSARY',
      timezone: 'Asia/Kolkata',
    });
    expect(periodContaining(sub, '2024-02-10T00:00:00Z')).toEqual({
      from: '2024-01-30T18:30:00.000Z',
      to: '2024-02-28T18:29:59.999Z',
    });
    expect(periodContaining(sub, '2024-03-01T00:00:00Z')).toEqual({
      from: '2024-02-28T18:30:00.000Z',
      to: '2024-03-30T18:29:59.999Z',
    });
  });

  it('a started-later subscription (e.g. after an upgrade) keeps the original anniversary', () => {
    const sub = subscription({
      subscriptionAt: '2024-01-15T00:00:00Z',
      startedAt: '2024-03-20T14:00:00Z',
      billingTime: 'ANNIVERSARY',
    });
    expect(periodContaining(sub, '2024-03-25T00:00:00Z')).toEqual(utcPeriod('2024-03-20', '2024-04-14'));
    expect(periodContaining(sub, '2024-04-15T00:00:00Z')).toEqual(utcPeriod('2024-04-15', '2024-05-14'));
  });
});

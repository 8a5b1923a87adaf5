import BigNumber from 'bignumber.js';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import type { IntervalOccurrencesInput, TopUp, TopUpRule, TopUpWallet } from '../../../../src/billing/wallets/index.ts';
import { intervalOccurrences, intervalTopUp, thresholdTopUp } from '../../../../src/billing/wallets/index.ts';
import { d } from '../support.ts';

const rule = (extra: Partial<TopUpRule> = {}): TopUpRule => ({
  trigger: 'THRESHOLD',
  method: 'FIXED',
  paidCredits: d(20),
  grantedCredits: d(0),
  thresholdCredits: d(10),
  targetOngoingBalance: null,
  grantsTargetTopUp: false,
  ignorePaidTopUpLimits: false,
  ...extra,
});
const wallet = (extra: Partial<TopUpWallet> = {}): TopUpWallet => ({
  currency: 'EUR',
  rateAmount: d(1),
  paidTopUpMinAmountCents: null,
  paidTopUpMaxAmountCents: null,
  ...extra,
});
const plain = (topUp: TopUp | null) => (topUp === null ? null : { paid: topUp.paidCredits.toFixed(), granted: topUp.grantedCredits.toFixed() });
const threshold = (r: TopUpRule, ongoing: BigNumber.Value, pending: BigNumber.Value = 0, w: TopUpWallet = wallet(), backingOffAfterDecline = false) =>
  plain(thresholdTopUp({ rule: r, wallet: w, ongoingBalanceCredits: d(ongoing), pendingCredits: d(pending), backingOffAfterDecline }));

// Worked from app/services/wallets/threshold_top_up_service.rb and RecurringTransactionRule#compute_*.
describe('thresholdTopUp (Wallets::ThresholdTopUpService)', () => {
  it('fires when the ongoing balance is at or below the threshold, and pending top-ups do not lift it above', () => {
    expect(threshold(rule(), 11)).toBeNull();
    expect(threshold(rule(), 10)).toEqual({ paid: '20', granted: '0' });
    expect(threshold(rule(), 5, 6)).toBeNull(); // 5 + 6 > 10
    expect(threshold(rule(), 5, 5)).toEqual({ paid: '20', granted: '0' }); // 5 + 5 ≤ 10; gap 0 < 20
  });

  it('fixed: buys enough multiples of paid credits to cover the gap, capped at the max top-up', () => {
    // gap = 100 − (−30) − 5 − 10 = 115 ≥ 20 → 20 × (⌊115 / 20⌋ + 1) = 120.
    const r = rule({ thresholdCredits: d(100), grantedCredits: d(5) });
    expect(threshold(r, -30, 10)).toEqual({ paid: '120', granted: '5' });
    expect(threshold(r, -30, 10, wallet({ paidTopUpMaxAmountCents: d(10_000) }))).toEqual({ paid: '100', granted: '5' });
    expect(threshold(rule({ ...r, ignorePaidTopUpLimits: true }), -30, 10, wallet({ paidTopUpMaxAmountCents: d(10_000) }))).toEqual({ paid: '120', granted: '5' });
    // gap exactly one multiple: 10 − (−10) − 0 − 0 = 20 → 20 × 2.
    expect(threshold(rule(), -10)).toEqual({ paid: '40', granted: '0' });
  });

  it('fixed: the paid credits outside the top-up limits make Lago refuse the whole transaction', () => {
    expect(threshold(rule(), 0, 0, wallet({ paidTopUpMinAmountCents: d(5_000) }))).toBeNull(); // 2000 cents < 5000
    expect(threshold(rule({ ignorePaidTopUpLimits: true }), 0, 0, wallet({ paidTopUpMinAmountCents: d(5_000) }))).toEqual({ paid: '20', granted: '0' });
    expect(threshold(rule(), 0, 0, wallet({ paidTopUpMaxAmountCents: d(1_000) }))).toBeNull(); // gap < paid: no cap, then refused
  });

  it('target: tops up to the target, raised to the min top-up; a granting rule grants the raw gap', () => {
    const r = rule({ method: 'TARGET', targetOngoingBalance: d(100), paidCredits: d(0) });
    expect(threshold(r, 4)).toEqual({ paid: '96', granted: '0' });
    expect(threshold(r, 4, 0, wallet({ paidTopUpMinAmountCents: d(20_000) }))).toEqual({ paid: '200', granted: '0' });
    // Limits are ignored afterwards for target rules: a max below the gap does not refuse it.
    expect(threshold(r, 4, 0, wallet({ paidTopUpMaxAmountCents: d(100) }))).toEqual({ paid: '96', granted: '0' });
    expect(threshold({ ...r, grantsTargetTopUp: true }, 4, 0, wallet({ paidTopUpMinAmountCents: d(20_000) }))).toEqual({ paid: '0', granted: '96' });
    expect(threshold({ ...r, thresholdCredits: d(100) }, 100)).toBeNull(); // nothing to add
    expect(threshold({ ...r, ignorePaidTopUpLimits: true }, 4, 0, wallet({ paidTopUpMinAmountCents: d(20_000) }))).toEqual({ paid: '96', granted: '0' });
  });

  it('floors the credits to 5 decimals (a min of 10 EUR at 3 EUR a credit is 3.33333 credits)', () => {
    const r = rule({ method: 'TARGET', targetOngoingBalance: d(2), thresholdCredits: d(1), paidCredits: d(0) });
    expect(threshold(r, 1, 0, wallet({ rateAmount: d(3), paidTopUpMinAmountCents: d(1_000) }))).toEqual({ paid: '3.33333', granted: '0' });
  });

  it('backs off a paid top-up after a decline, not a granted one', () => {
    expect(threshold(rule(), 0, 0, wallet(), true)).toBeNull();
    const granting = rule({ method: 'TARGET', targetOngoingBalance: d(50), grantsTargetTopUp: true, paidCredits: d(0) });
    expect(threshold(granting, 0, 0, wallet(), true)).toEqual({ paid: '0', granted: '50' });
  });

  it('refuses credits worth 0 cents (amount_rounds_to_zero)', () => {
    // gap 0.5 < 1 → 1 credit = 0.001 EUR → 0.00.
    expect(threshold(rule({ paidCredits: d(1), thresholdCredits: d('0.5') }), 0, 0, wallet({ rateAmount: d('0.001') }))).toBeNull();
    expect(threshold(rule({ paidCredits: d(10), thresholdCredits: d('0.5') }), 0, 0, wallet({ rateAmount: d('0.001') }))).toEqual({ paid: '10', granted: '0' });
  });
});

describe('intervalTopUp (Wallets::CreateIntervalWalletTransactionsService)', () => {
  const interval = (r: Partial<TopUpRule>, ongoing: BigNumber.Value, w: TopUpWallet = wallet()) =>
    plain(intervalTopUp({ rule: rule({ trigger: 'INTERVAL', thresholdCredits: d(0), ...r }), wallet: w, ongoingBalanceCredits: d(ongoing) }));

  it('fixed: the rule’s credits as they are, whatever the balance, within the limits', () => {
    expect(interval({ paidCredits: d(10), grantedCredits: d(5) }, -500)).toEqual({ paid: '10', granted: '5' });
    expect(interval({ paidCredits: d(10) }, 0, wallet({ paidTopUpMaxAmountCents: d(500) }))).toBeNull();
    expect(interval({ paidCredits: d(10), ignorePaidTopUpLimits: true }, 0, wallet({ paidTopUpMaxAmountCents: d(500) }))).toEqual({ paid: '10', granted: '0' });
    expect(interval({ paidCredits: d(0), grantedCredits: d(0) }, 0)).toBeNull();
  });

  it('target: the Lago spec example (gap 150, min 200 credits; granted: the raw 150)', () => {
    const target = { method: 'TARGET' as const, targetOngoingBalance: d(200), paidCredits: d(0) };
    const w = wallet({ paidTopUpMinAmountCents: d(20_000) });
    expect(interval(target, 50, w)).toEqual({ paid: '200', granted: '0' });
    expect(interval({ ...target, grantsTargetTopUp: true }, 50, w)).toEqual({ paid: '0', granted: '150' });
    expect(interval(target, 200, w)).toBeNull();
  });

  it('refuses a rule of the other trigger', () => {
    expect(() => intervalTopUp({ rule: rule(), wallet: wallet(), ongoingBalanceCredits: d(0) })).toThrow(RangeError);
    expect(() => thresholdTopUp({ rule: rule({ trigger: 'INTERVAL' }), wallet: wallet(), ongoingBalanceCredits: d(0), pendingCredits: d(0) })).toThrow(RangeError);
  });
});

const occurrences = (input: Partial<IntervalOccurrencesInput> & Pick<IntervalOccurrencesInput, 'interval' | 'from' | 'to'>) =>
  intervalOccurrences({ startedAt: null, walletCreatedAt: '2020-01-01T00:00:00Z', timezone: 'UTC', ...input });

// Worked from the SQL of create_interval_wallet_transactions_service.rb with the clock's `*:55` hourly tick.
describe('intervalOccurrences (Clock::CreateIntervalWalletTransactionsJob)', () => {
  it('monthly from a 31st: the last day of shorter months; never on the wallet’s creation day (Lago spec)', () => {
    const out = occurrences({ interval: 'MONTHLY', walletCreatedAt: '2021-03-31T00:00:00Z', from: '2021-03-30T00:00:00Z', to: '2021-07-01T00:00:00Z' });
    expect(out).toEqual(['2021-04-30T00:55:00.000Z', '2021-05-31T00:55:00.000Z', '2021-06-30T00:55:00.000Z']);
    const feb = occurrences({ interval: 'MONTHLY', startedAt: '2023-01-31T00:00:00Z', from: '2023-02-01T00:00:00Z', to: '2024-03-01T00:00:00Z' });
    expect(feb.filter((x) => x.slice(5, 7) === '02')).toEqual(['2023-02-28T00:55:00.000Z', '2024-02-29T00:55:00.000Z']);
  });

  it('weekly: same weekday, first tick of the day', () => {
    const out = occurrences({ interval: 'WEEKLY', walletCreatedAt: '2024-01-01T10:00:00Z', from: '2024-01-01T00:00:00Z', to: '2024-01-16T00:00:00Z' });
    expect(out).toEqual(['2024-01-08T00:55:00.000Z', '2024-01-15T00:55:00.000Z']);
  });

  it('on the started_at day, waits for the first tick at or after started_at (compared as local wall time vs UTC)', () => {
    expect(occurrences({ interval: 'WEEKLY', startedAt: '2024-01-10T15:20:00Z', from: '2024-01-09T00:00:00Z', to: '2024-01-18T00:00:00Z' })).toEqual([
      '2024-01-10T15:55:00.000Z',
      '2024-01-17T00:55:00.000Z',
    ]);
    expect(occurrences({ interval: 'WEEKLY', startedAt: '2024-01-10T15:58:00Z', from: '2024-01-09T00:00:00Z', to: '2024-01-11T00:00:00Z' })).toEqual(['2024-01-10T16:55:00.000Z']);
    // Tokyo (+9): started 09:00 local, read as 09:00 UTC → the 09:55Z tick (18:55 local); then local midnight + :55.
    expect(occurrences({ interval: 'WEEKLY', startedAt: '2024-01-10T00:00:00Z', timezone: 'Asia/Tokyo', from: '2024-01-01T00:00:00Z', to: '2024-01-20T00:00:00Z' })).toEqual([
      '2024-01-10T09:55:00.000Z',
      '2024-01-16T15:55:00.000Z',
    ]);
    // New York (−5): started 09:00 local = 14:00Z, but read as 09:00 UTC, so it fires at 09:55Z, before it started.
    expect(occurrences({ interval: 'WEEKLY', startedAt: '2024-01-10T14:00:00Z', timezone: 'America/New_York', from: '2024-01-01T00:00:00Z', to: '2024-01-20T00:00:00Z' })).toEqual([
      '2024-01-10T09:55:00.000Z',
      '2024-01-17T05:55:00.000Z',
    ]);
  });

  it('follows local days across DST (Europe/Paris), the tick staying at :55 UTC', () => {
    const out = occurrences({ interval: 'MONTHLY', startedAt: '2024-01-31T00:00:00Z', timezone: 'Europe/Paris', from: '2024-01-01T00:00:00Z', to: '2024-05-01T00:00:00Z' });
    expect(out).toEqual(['2024-01-31T01:55:00.000Z', '2024-02-28T23:55:00.000Z', '2024-03-30T23:55:00.000Z', '2024-04-29T22:55:00.000Z']);
  });

  it('quarterly and semiannual: every 3 / 6 months from the anchor’s month, last day of short months', () => {
    const q = occurrences({ interval: 'QUARTERLY', startedAt: '2023-11-30T00:00:00Z', from: '2023-12-01T00:00:00Z', to: '2024-12-01T00:00:00Z' });
    expect(q).toEqual(['2024-02-29T00:55:00.000Z', '2024-05-30T00:55:00.000Z', '2024-08-30T00:55:00.000Z', '2024-11-30T00:55:00.000Z']);
    const q3 = occurrences({ interval: 'QUARTERLY', startedAt: '2023-12-15T00:00:00Z', from: '2024-01-01T00:00:00Z', to: '2024-12-31T00:00:00Z' });
    expect(q3.map((x) => x.slice(0, 10))).toEqual(['2024-03-15', '2024-06-15', '2024-09-15', '2024-12-15']);
    const s = occurrences({ interval: 'SEMIANNUAL', startedAt: '2023-03-31T00:00:00Z', from: '2023-04-01T00:00:00Z', to: '2024-04-01T00:00:00Z' });
    expect(s).toEqual(['2023-09-30T00:55:00.000Z', '2024-03-31T00:55:00.000Z']);
  });

  it('yearly: a February 29th anchor fires on February 28th in common years', () => {
    const out = occurrences({ interval: 'YEARLY', startedAt: '2024-02-29T00:00:00Z', from: '2024-03-01T00:00:00Z', to: '2028-03-01T00:00:00Z' });
    expect(out).toEqual(['2025-02-28T00:55:00.000Z', '2026-02-28T00:55:00.000Z', '2027-02-28T00:55:00.000Z', '2028-02-29T00:55:00.000Z']);
  });

  it('stops at expiration and never fires twice a day, even when `from` falls after that day’s tick', () => {
    const base = { interval: 'WEEKLY' as const, startedAt: '2024-01-01T00:00:00Z' };
    expect(occurrences({ ...base, from: '2024-01-08T06:00:00Z', to: '2024-01-09T00:00:00Z' })).toEqual([]);
    expect(occurrences({ ...base, expirationAt: '2024-01-15T00:55:00Z', from: '2024-01-01T00:00:00Z', to: '2024-02-01T00:00:00Z' })).toEqual(['2024-01-01T00:55:00.000Z', '2024-01-08T00:55:00.000Z']);
  });
});

const instantArb = (min: number, max: number) => fc.integer({ min, max }).map((s) => new Date(Date.UTC(2023, 0, 1) + s * 60_000).toISOString());
const occurrenceArb = fc.record({
  interval: fc.constantFrom('WEEKLY', 'MONTHLY', 'QUARTERLY', 'SEMIANNUAL', 'YEARLY' as const),
  startedAt: fc.option(instantArb(0, 400 * 1440), { nil: null }),
  walletCreatedAt: instantArb(0, 400 * 1440),
  timezone: fc.constantFrom('UTC', 'Europe/Paris', 'Asia/Tokyo', 'America/New_York', 'Asia/Kolkata', 'Pacific/Chatham'),
  from: instantArb(0, 600 * 1440),
  span: fc.integer({ min: 0, max: 500 * 1440 }),
  cut: fc.double({ min: 0, max: 1, noNaN: true }),
});

describe('intervalOccurrences — properties', () => {
  it('strictly increasing, in (from, to], at :55 UTC, at most one per local day, never on the creation day', () => {
    fc.assert(
      fc.property(occurrenceArb, (raw) => {
        const to = new Date(Date.parse(raw.from) + raw.span * 60_000).toISOString();
        const out = intervalOccurrences({ ...raw, to });
        const days = new Set<string>();
        const created = DateTime.fromISO(raw.walletCreatedAt, { zone: raw.timezone }).toISODate();
        let previous = Date.parse(raw.from);
        for (const at of out) {
          const ms = Date.parse(at);
          expect(ms).toBeGreaterThan(previous);
          expect(ms).toBeLessThanOrEqual(Date.parse(to));
          expect(new Date(ms).getUTCMinutes()).toBe(55);
          const day = DateTime.fromMillis(ms, { zone: raw.timezone }).toISODate()!;
          expect(days.has(day)).toBe(false);
          expect(day).not.toBe(created);
          days.add(day);
          previous = ms;
        }
      }),
      { seed: 555, numRuns: 150 },
    );
  });

  it('splitting the range anywhere gives the same occurrences', () => {
    fc.assert(
      fc.property(occurrenceArb, (raw) => {
        const fromMs = Date.parse(raw.from);
        const to = new Date(fromMs + raw.span * 60_000).toISOString();
        const mid = new Date(fromMs + Math.floor(raw.span * raw.cut) * 60_000).toISOString();
        const whole = intervalOccurrences({ ...raw, to });
        expect([...intervalOccurrences({ ...raw, to: mid }), ...intervalOccurrences({ ...raw, from: mid, to })]).toEqual(whole);
      }),
      { seed: 808, numRuns: 100 },
    );
  });

  it('a monthly rule fires once in every later calendar month (UTC anchor at midnight)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 31 }), fc.integer({ min: 2, max: 30 }), (day, months) => {
        const startedAt = `2023-01-${String(day).padStart(2, '0')}T00:00:00Z`;
        const out = intervalOccurrences({ interval: 'MONTHLY', startedAt, walletCreatedAt: '2022-06-01T00:00:00Z', timezone: 'UTC', from: '2023-02-01T00:00:00Z', to: DateTime.fromISO('2023-02-01T00:00:00Z', { zone: 'utc' }).plus({ months }).toISO()! });
        expect(out.map((x) => x.slice(0, 7))).toEqual(Array.from({ length: months }, (_, i) => DateTime.fromISO('2023-02-01', { zone: 'utc' }).plus({ months: i }).toFormat('yyyy-MM')));
        for (const at of out) expect(Number(at.slice(8, 10))).toBe(Math.min(day, DateTime.fromISO(at, { zone: 'utc' }).daysInMonth!));
      }),
      { seed: 3, numRuns: 100 },
    );
  });
});

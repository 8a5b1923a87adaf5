import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SubscriptionFeeInput, SubscriptionFeeResult } from '../../../../src/billing/invoice/subscriptionFee.ts';
import { proratedAmount, subscriptionFee, subscriptionFeeRule } from '../../../../src/billing/invoice/subscriptionFee.ts';
import type { PeriodSubscription, PlanInterval } from '../../../../src/billing/periods/index.ts';
import { billingBoundaries } from '../../../../src/billing/periods/index.ts';
import { subscription } from '../periods/helpers.ts';
import { d, expectDecimal } from '../support.ts';

type Overrides = Partial<SubscriptionFeeInput> & Pick<SubscriptionFeeInput, 'subscription' | 'from' | 'to'>;

/** A first invoice of a fresh subscription of a 100-cent plan, no trial, no plan change. */
function feeInput(overrides: Overrides): SubscriptionFeeInput {
  return {
    planAmountCents: '100',
    currency: 'EUR',
    trialEndsAt: null,
    terminated: false,
    terminatedByUpgrade: false,
    hasNextSubscription: false,
    createdByUpgrade: false,
    hasPreviousSubscription: false,
    previousFeeBilled: false,
    startedInPast: false,
    ...overrides,
  };
}

function expectFee(fee: SubscriptionFeeResult, amountCents: number, preciseAmountCents: string | number): void {
  expectDecimal(fee.amountCents, amountCents);
  expectDecimal(fee.preciseAmountCents, preciseAmountCents);
  expectDecimal(fee.units, 1);
}

const plusDays = (iso: string, days: number) => new Date(Date.parse(iso) + days * 86_400_000).toISOString();

// Examples from lago-api spec/services/fees/subscription_service_spec.rb (commit 1b1c24a6): plan of 100 cents, EUR,
// customer in UTC unless stated. "L<n>" is the line of the expected amounts.
describe('subscription fee — Lago spec examples', () => {
  const jan1 = subscription({ subscriptionAt: '2022-01-01T00:01:00Z' });
  const march = { from: '2022-03-01T00:00:00Z', to: '2022-03-31T23:59:59Z' };

  it('a whole month billed as a first invoice is the plan amount (L67)', () => {
    const fee = subscriptionFee(feeInput({ subscription: jan1, ...march }));
    expect(fee.rule).toBe('FIRST_SUBSCRIPTION');
    expectFee(fee, 100, 100);
    expect([fee.days, fee.periodDays]).toEqual([31, 31]);
    expectDecimal(fee.planAmountCents, 100);
  });

  it('a trial ending inside the month bills from the trial end (L105: 28 days × 100/31)', () => {
    const started = subscription({ subscriptionAt: '2022-03-01T00:00:00Z' });
    const fee = subscriptionFee(feeInput({ subscription: started, ...march, trialEndsAt: '2022-03-04T00:00:00Z' }));
    expectFee(fee, 90, '90.32258064516128');
    expect(fee.fromDatetime).toBe('2022-03-04T00:00:00.000Z');
    expect(fee.toDatetime).toBe('2022-03-31T23:59:59.000Z');
    expect(fee.days).toBe(28);
  });

  it('a trial lasting past the window bills nothing (L121)', () => {
    const started = subscription({ subscriptionAt: '2022-03-01T00:00:00Z' });
    const fee = subscriptionFee(feeInput({ subscription: started, ...march, trialEndsAt: '2022-04-15T00:00:00Z' }));
    expectFee(fee, 0, 0);
    expect(fee.days).toBe(0);
  });

  describe('weekly', () => {
    const monday = subscription({ subscriptionAt: '2022-06-20T00:01:00Z', interval: 'WEEKLY' });
    const week = { from: '2022-06-20T00:00:00Z', to: '2022-06-26T23:59:59.999Z' };

    it('started on a Monday: the whole week (L330)', () => {
      expectFee(subscriptionFee(feeInput({ subscription: monday, ...week })), 100, 100);
    });

    it('trial of 3 days: 4 days × 100/7 (L350) — the trial end 00:01 counts its whole day', () => {
      const fee = subscriptionFee(feeInput({ subscription: monday, ...week, trialEndsAt: '2022-06-23T00:01:00Z' }));
      expectFee(fee, 57, '57.14285714285714');
      expect([fee.days, fee.periodDays]).toEqual([4, 7]);
    });

    it('started on a Wednesday: 5 days (L423), with a trial of 3 days 2 days (L440)', () => {
      const wednesday = subscription({ subscriptionAt: '2022-06-22T00:00:00Z', interval: 'WEEKLY' });
      const window = { from: '2022-06-22T00:00:00Z', to: '2022-06-26T23:59:59.999Z' };
      expectFee(subscriptionFee(feeInput({ subscription: wednesday, ...window })), 71, '71.42857142857143');
      const inTrial = subscriptionFee(feeInput({ subscription: wednesday, ...window, trialEndsAt: '2022-06-25T00:00:00Z' }));
      expectFee(inTrial, 29, '28.57142857142857');
      // The same in advance (L467, L482): a calendar in-advance plan is prorated on its first invoice.
      const inAdvance = { ...wednesday, payInAdvance: true };
      expectFee(subscriptionFee(feeInput({ subscription: inAdvance, ...window })), 71, '71.42857142857143');
    });

    it('started in the past before the billed week: full amount (L519)', () => {
      const past = subscription({ subscriptionAt: '2022-06-22T00:00:00Z', interval: 'WEEKLY' });
      const fee = subscriptionFee(feeInput({ subscription: past, from: '2022-06-27T00:00:00Z', to: '2022-07-03T23:59:59.999Z', startedInPast: true }));
      expect(fee.rule).toBe('FULL_PERIOD');
      expectFee(fee, 100, 100);
    });
  });

  describe('monthly', () => {
    const jan = { from: '2022-01-01T00:00:00Z', to: '2022-01-31T23:59:59.999Z' };

    it('trial of 3 days from 2022-01-01 00:01: 28 days (L577, in advance L630)', () => {
      expectFee(subscriptionFee(feeInput({ subscription: jan1, ...jan, trialEndsAt: '2022-01-04T00:01:00Z' })), 90, '90.32258064516128');
      const inAdvance = { ...jan1, payInAdvance: true };
      expectFee(subscriptionFee(feeInput({ subscription: inAdvance, ...jan, trialEndsAt: '2022-01-04T00:01:00Z' })), 90, '90.32258064516128');
      expectFee(subscriptionFee(feeInput({ subscription: inAdvance, ...jan })), 100, 100); // L615
    });

    it('started on the 15th: 17 days (L661), with a trial of 3 days 14 days (L678)', () => {
      const mid = subscription({ subscriptionAt: '2022-03-15T00:00:00Z' });
      const window = { from: '2022-03-15T00:00:00Z', to: '2022-03-31T23:59:59.999Z' };
      expectFee(subscriptionFee(feeInput({ subscription: mid, ...window })), 55, '54.83870967741935');
      expectFee(subscriptionFee(feeInput({ subscription: mid, ...window, trialEndsAt: '2022-03-18T00:00:00Z' })), 45, '45.16129032258064');
    });

    it('anniversary in advance with a 15-day trial: 16 days × 3000/30 (L797; Europe/Paris L820)', () => {
      const anniversary = subscription({
        subscriptionAt: '2022-08-31T00:00:00Z',
        startedAt: '2022-08-31T00:01:00Z',
        billingTime: 'ANNIVERSARY',
        payInAdvance: true,
      });
      const fee = subscriptionFee(feeInput({
        subscription: anniversary,
        planAmountCents: '3000',
        from: '2022-08-31T00:00:00Z',
        to: '2022-09-30T23:59:59Z',
        trialEndsAt: '2022-09-15T00:01:00Z',
      }));
      expect(fee.rule).toBe('FULL_PERIOD'); // in advance, anniversary, no previous subscription
      expectFee(fee, 1600, 1600);
      expect([fee.days, fee.periodDays]).toEqual([16, 30]); // Aug 31 – Sep 29: the anniversary clamps to Sep 30
      const paris = subscriptionFee(feeInput({
        subscription: { ...anniversary, timezone: 'Europe/Paris' },
        planAmountCents: '3000',
        from: '2022-08-30T22:00:00Z',
        to: '2022-09-30T21:59:59Z',
        trialEndsAt: '2022-09-15T00:01:00Z',
      }));
      expectFee(paris, 1600, 1600);
    });
  });

  describe('yearly', () => {
    it('a whole calendar year (L853) and a year started on March 15: 292 days × 100/365 (L907)', () => {
      const year = subscription({ subscriptionAt: '2022-01-01T00:00:00Z', interval: 'YEARLY' });
      expectFee(subscriptionFee(feeInput({ subscription: year, from: '2022-01-01T00:00:00Z', to: '2022-12-31T23:59:59.999Z' })), 100, 100);
      const march15 = subscription({ subscriptionAt: '2022-03-15T00:00:00Z', interval: 'YEARLY' });
      const fee = subscriptionFee(feeInput({ subscription: march15, from: '2022-03-15T00:00:00Z', to: '2022-12-31T23:59:59.999Z' }));
      expectFee(fee, 80, 80);
      expect([fee.days, fee.periodDays]).toEqual([292, 365]);
    });
  });

  describe('already billed once: the full amount, prorated only by a trial ending inside', () => {
    const billed = { previousFeeBilled: true } as const;
    const jan1Midnight = subscription({ subscriptionAt: '2022-01-01T00:00:00Z' });
    const jan = { from: '2022-01-01T00:00:00Z', to: '2022-01-31T23:59:59.999Z' };

    it('full period (L956), trial of 3 days (L973)', () => {
      const full = subscriptionFee(feeInput({ subscription: jan1Midnight, ...jan, ...billed }));
      expect(full.rule).toBe('FULL_PERIOD');
      expectFee(full, 100, 100);
      expect(full.days).toBe(full.periodDays);
      expectFee(subscriptionFee(feeInput({ subscription: jan1Midnight, ...jan, ...billed, trialEndsAt: '2022-01-04T00:00:00Z' })), 90, '90.32258064516128');
    });

    it('in advance: weekly trial of 5 days (L1006), monthly of 15 (L1031), yearly of 35 (L1056)', () => {
      const weekly = { ...jan1Midnight, interval: 'WEEKLY' as const, payInAdvance: true };
      expectFee(
        subscriptionFee(feeInput({ subscription: weekly, from: '2022-01-02T00:00:00Z', to: '2022-01-09T23:59:59.999Z', trialEndsAt: '2022-01-06T00:00:00Z', ...billed })),
        57,
        '57.14285714285714',
      );
      const monthly = { ...jan1Midnight, payInAdvance: true };
      expectFee(subscriptionFee(feeInput({ subscription: monthly, ...jan, trialEndsAt: '2022-01-16T00:00:00Z', ...billed })), 52, '51.61290322580645');
      const yearly = { ...jan1Midnight, interval: 'YEARLY' as const, payInAdvance: true };
      const fee = subscriptionFee(feeInput({ subscription: yearly, from: '2022-01-01T00:00:00Z', to: '2022-12-31T23:59:59.999Z', trialEndsAt: '2022-02-05T00:00:00Z', ...billed }));
      expectFee(fee, 90, '90.41095890410958');
      expect([fee.days, fee.periodDays]).toEqual([330, 365]);
    });
  });

  describe('terminated in arrears (window cut at the termination)', () => {
    const mid = subscription({ subscriptionAt: '2022-03-15T00:00:00Z' });
    const window = { from: '2022-03-01T00:00:00Z', to: '2022-03-20T23:59:59.999Z' };
    const terminated = { terminated: true } as const;
    const upgraded = { terminated: true, terminatedByUpgrade: true, hasNextSubscription: true } as const;

    it('20 days (L1146), also in Europe/Paris (L1178)', () => {
      const fee = subscriptionFee(feeInput({ subscription: mid, ...window, ...terminated }));
      expect(fee.rule).toBe('TERMINATED');
      expectFee(fee, 65, '64.51612903225806');
      const paris = subscriptionFee(feeInput({
        subscription: { ...mid, timezone: 'Europe/Paris' },
        from: '2022-02-28T23:00:00Z',
        to: '2022-03-20T22:59:59.999Z',
        ...terminated,
      }));
      expectFee(paris, 65, '64.51612903225806');
    });

    it('weekly: 3 days × 100/7 (L1208)', () => {
      const weekly = { ...mid, interval: 'WEEKLY' as const };
      expectFee(subscriptionFee(feeInput({ subscription: weekly, from: '2022-03-14T00:00:00Z', to: '2022-03-16T23:59:59.999Z', ...terminated })), 43, '42.85714285714286');
    });

    it('by an upgrade the upgrade day goes to the new plan: 19 days (L1227); a 3-day trial leaves 2 (L1248)', () => {
      const fee = subscriptionFee(feeInput({ subscription: mid, ...window, ...upgraded }));
      expectFee(fee, 61, '61.29032258064516');
      expect(fee.days).toBe(19);
      expectFee(subscriptionFee(feeInput({ subscription: mid, ...window, ...upgraded, trialEndsAt: '2022-03-18T00:00:00Z' })), 6, '6.451612903225806');
      expectFee(subscriptionFee(feeInput({ subscription: mid, ...window, ...upgraded, trialEndsAt: '2022-04-29T00:00:00Z' })), 0, 0); // L1261
    });

    it('an upgrade on the first day bills 0 days, never −1', () => {
      const fee = subscriptionFee(feeInput({ subscription: mid, from: '2022-03-15T00:00:00Z', to: '2022-03-15T09:00:00Z', ...upgraded }));
      expect(fee.days).toBe(0);
      expectFee(fee, 0, 0);
    });

    it('a downgrade (next subscription, not an upgrade) is not a terminated amount', () => {
      expect(subscriptionFeeRule(feeInput({ subscription: mid, ...window, terminated: true, hasNextSubscription: true }))).toBe('FIRST_SUBSCRIPTION');
      expect(subscriptionFeeRule(feeInput({ subscription: mid, ...window, terminated: true, hasNextSubscription: true, previousFeeBilled: true }))).toBe('FULL_PERIOD');
    });

    it('a terminated pay-in-advance plan is not prorated to the termination: it was billed ahead (credit note refunds)', () => {
      const inAdvance = { ...mid, payInAdvance: true };
      const fee = subscriptionFee(feeInput({ subscription: inAdvance, ...window, ...terminated, previousFeeBilled: true }));
      expect(fee.rule).toBe('FULL_PERIOD');
      expectFee(fee, 100, 100);
    });
  });

  describe('created by an upgrade', () => {
    const mid = subscription({ subscriptionAt: '2022-03-15T00:00:00Z' });
    const upgrade = { createdByUpgrade: true, hasPreviousSubscription: true } as const;
    const window = { from: '2022-03-15T00:00:00Z', to: '2022-03-31T23:59:59.999Z' };

    it('bills from the upgrade day: 17 days (L1314), Europe/Paris (L1347), in advance (L1408)', () => {
      const fee = subscriptionFee(feeInput({ subscription: mid, ...window, ...upgrade, previousFeeBilled: true }));
      expect(fee.rule).toBe('UPGRADED'); // before the full-amount rules
      expectFee(fee, 55, '54.83870967741935');
      const paris = subscriptionFee(feeInput({
        subscription: { ...mid, timezone: 'Europe/Paris' },
        from: '2022-03-14T23:00:00Z',
        to: '2022-03-31T21:59:59.999Z',
        ...upgrade,
      }));
      expectFee(paris, 55, '54.83870967741935');
      const inAdvance = { ...mid, payInAdvance: true };
      expectFee(subscriptionFee(feeInput({ subscription: inAdvance, from: '2022-03-15T00:00:00Z', to: '2022-03-31T23:59:59.999Z', ...upgrade })), 55, '54.83870967741935');
    });

    it('a trial inherited from the first subscription ending on the 18th: 14 days (L1365), past the period: 0 (L1380)', () => {
      expectFee(subscriptionFee(feeInput({ subscription: mid, ...window, ...upgrade, trialEndsAt: '2022-03-18T00:00:00Z' })), 45, '45.16129032258064');
      expectFee(subscriptionFee(feeInput({ subscription: mid, ...window, ...upgrade, trialEndsAt: '2022-04-29T00:00:00Z' })), 0, 0);
    });
  });
});

describe('subscription fee — rules', () => {
  const mid = subscription({ subscriptionAt: '2022-03-15T10:00:00Z' });
  const window = { from: '2022-03-15T00:00:00Z', to: '2022-03-31T23:59:59.999Z' };

  it('full amount for an anniversary in-advance plan with no previous subscription, prorated after a downgrade', () => {
    const anniversary = { ...mid, billingTime: 'ANNIVERSARY' as const, payInAdvance: true };
    const april = { from: '2022-03-15T00:00:00Z', to: '2022-04-14T23:59:59.999Z' };
    expect(subscriptionFeeRule(feeInput({ subscription: anniversary, ...april }))).toBe('FULL_PERIOD');
    expect(subscriptionFeeRule(feeInput({ subscription: anniversary, ...april, hasPreviousSubscription: true }))).toBe('FIRST_SUBSCRIPTION');
  });

  it('started in the past: full in advance; in arrears only when started before the billed period', () => {
    const inAdvance = { ...mid, payInAdvance: true };
    expect(subscriptionFeeRule(feeInput({ subscription: inAdvance, ...window, startedInPast: true }))).toBe('FULL_PERIOD');
    // In arrears, started on the 15th and billing March: started inside the period → prorated.
    const prorated = subscriptionFee(feeInput({ subscription: mid, ...window, startedInPast: true }));
    expect(prorated.rule).toBe('FIRST_SUBSCRIPTION');
    expectFee(prorated, 55, '54.83870967741935');
    // Billing April for the same subscription: started before → full.
    const april = { from: '2022-04-01T00:00:00Z', to: '2022-04-30T23:59:59.999Z' };
    expect(subscriptionFeeRule(feeInput({ subscription: mid, ...april, startedInPast: true }))).toBe('FULL_PERIOD');
  });

  it('first_subscription_amount compares the trial-end DATE (midnight UTC): a trial ending on the first day is ignored', () => {
    // The window opens at 00:00 UTC on March 15; the trial ends at 10:00 that day. Its date (Mar 15 00:00) is not
    // after `from`, so Lago bills the whole window; the other branches compare the instant and cut at 10:00.
    const trialEndsAt = '2022-03-15T10:00:00Z';
    const first = subscriptionFee(feeInput({ subscription: mid, ...window, trialEndsAt }));
    expect(first.rule).toBe('FIRST_SUBSCRIPTION');
    expect(first.fromDatetime).toBe('2022-03-15T00:00:00.000Z');
    expect(first.days).toBe(17);
    const upgraded = subscriptionFee(feeInput({ subscription: mid, ...window, trialEndsAt, createdByUpgrade: true, hasPreviousSubscription: true }));
    expect(upgraded.fromDatetime).toBe('2022-03-15T10:00:00.000Z');
    expect(upgraded.days).toBe(17); // the trial-end day still counts whole
  });

  it('first_subscription_amount: a trial whose date is the last day of the window bills nothing', () => {
    // trial_end_date (Mar 31 00:00 UTC) < to, so not "covering"; but it is after `from` → from = the instant.
    const fee = subscriptionFee(feeInput({ subscription: mid, ...window, trialEndsAt: '2022-03-31T12:00:00Z' }));
    expect(fee.days).toBe(1);
    expectFee(fee, 3, '3.225806451612903');
  });

  it('reproduces Float ties: 34 cents, 21 of 28 days is 25 cents in Lago (25.5 in decimals)', () => {
    const feb = subscription({ subscriptionAt: '2023-02-08T00:00:00Z' });
    const fee = subscriptionFee(feeInput({ subscription: feb, planAmountCents: '34', from: '2023-02-08T00:00:00Z', to: '2023-02-28T23:59:59.999Z' }));
    expect([fee.days, fee.periodDays]).toEqual([21, 28]);
    expectFee(fee, 25, '25.49999999999999');
    // …while 29 cents over 14 of 28 days is 14.500000000000002 in Floats: 15.
    expectDecimal(proratedAmount(d(29), 14, 28).amountCents, 15);
  });

  it('refuses inconsistent inputs', () => {
    expect(() => subscriptionFee(feeInput({ subscription: mid, ...window, planAmountCents: '10.5' }))).toThrow(RangeError);
    expect(() => subscriptionFee(feeInput({ subscription: mid, ...window, currency: 'XXY' }))).toThrow(RangeError);
    expect(() => subscriptionFee(feeInput({ subscription: mid, ...window, terminatedByUpgrade: true }))).toThrow(RangeError);
    expect(() => subscriptionFee(feeInput({ subscription: mid, from: window.to, to: window.from }))).toThrow(RangeError);
  });
});

const intervals: readonly PlanInterval[] = ['WEEKLY', 'MONTHLY', 'QUARTERLY', 'SEMIANNUAL', 'YEARLY'];
const zones = ['UTC', 'America/New_York', 'Europe/Paris', 'Asia/Kolkata', 'Pacific/Chatham'] as const;

/**
 * A subscription, a billing run after its start and the fee window that run bills (billingBoundaries). Runs whose
 * window collapses onto `startedAt` (an in-arrears run inside the first period has no elapsed period) are left out.
 */
const scenarioArb = fc
  .record({
    interval: fc.constantFrom(...intervals),
    billingTime: fc.constantFrom('CALENDAR' as const, 'ANNIVERSARY' as const),
    timezone: fc.constantFrom(...zones),
    payInAdvance: fc.boolean(),
    startMs: fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }),
    runAfterDays: fc.integer({ min: 0, max: 800 }),
    planAmountCents: fc.integer({ min: 0, max: 10_000_000 }),
  })
  .map(({ interval, billingTime, timezone, payInAdvance, startMs, runAfterDays, planAmountCents }) => {
    const startedAt = new Date(startMs).toISOString();
    const sub: PeriodSubscription = { interval, billingTime, timezone, payInAdvance, subscriptionAt: startedAt, startedAt, billChargesMonthly: false };
    const boundaries = billingBoundaries(sub, plusDays(startedAt, runAfterDays));
    return { sub, planAmountCents, from: boundaries.subscriptionFeeFrom, to: boundaries.subscriptionFeeTo, periodDays: boundaries.periodDays };
  })
  .filter(({ sub, to }) => to !== sub.startedAt);

const historyArb = fc.record({
  previousFeeBilled: fc.boolean(),
  startedInPast: fc.boolean(),
  hasPreviousSubscription: fc.boolean(),
  createdByUpgrade: fc.boolean(),
});

describe('subscription fee — properties', () => {
  it('never exceeds the plan amount, never goes negative, and its cents are its precise amount rounded', () => {
    fc.assert(
      fc.property(scenarioArb, historyArb, ({ sub, planAmountCents, from, to }, history) => {
        const fee = subscriptionFee(feeInput({ subscription: sub, planAmountCents: String(planAmountCents), from, to, ...history }));
        expect(fee.amountCents.isInteger()).toBe(true);
        expect(fee.amountCents.isGreaterThanOrEqualTo(0)).toBe(true);
        expect(fee.amountCents.isLessThanOrEqualTo(planAmountCents)).toBe(true);
        expect(fee.days).toBeLessThanOrEqual(fee.periodDays);
        expect(fee.preciseAmountCents.minus(fee.amountCents).abs().isLessThanOrEqualTo(0.5)).toBe(true);
        expect(fee.units.eq(1)).toBe(true);
      }),
    );
  });

  it('the period divisor is the one billingBoundaries reports, and a full period bills exactly the plan', () => {
    fc.assert(
      fc.property(scenarioArb, ({ sub, planAmountCents, from, to, periodDays }) => {
        const full = subscriptionFee(feeInput({ subscription: sub, planAmountCents: String(planAmountCents), from, to, previousFeeBilled: true }));
        expect(full.rule).toBe('FULL_PERIOD');
        expect(full.periodDays).toBe(periodDays);
        expect(full.days).toBe(full.periodDays);
        expectDecimal(full.amountCents, planAmountCents);
        const first = subscriptionFee(feeInput({ subscription: sub, planAmountCents: String(planAmountCents), from, to }));
        if (first.rule === 'FIRST_SUBSCRIPTION' && first.days === first.periodDays) expectDecimal(first.amountCents, planAmountCents);
      }),
    );
  });

  it('more days never bill less, and the upgrade day is exactly one day less (floor 0)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.constantFrom(7, 28, 29, 30, 31, 90, 91, 92, 181, 184, 365, 366), fc.nat(), (amount, periodDays, seed) => {
        const days = seed % (periodDays + 1);
        const fewer = proratedAmount(d(amount), Math.max(0, days - 1), periodDays).amountCents;
        expect(proratedAmount(d(amount), days, periodDays).amountCents.isGreaterThanOrEqualTo(fewer)).toBe(true);
      }),
    );
    fc.assert(
      fc.property(scenarioArb, ({ sub, planAmountCents, from, to }) => {
        const inArrears = { ...sub, payInAdvance: false };
        const plain = subscriptionFee(feeInput({ subscription: inArrears, planAmountCents: String(planAmountCents), from, to, terminated: true }));
        const upgraded = subscriptionFee(feeInput({ subscription: inArrears, planAmountCents: String(planAmountCents), from, to, terminated: true, terminatedByUpgrade: true, hasNextSubscription: true }));
        expect(upgraded.days).toBe(Math.max(0, plain.days - 1));
        expect(upgraded.amountCents.isLessThanOrEqualTo(plain.amountCents)).toBe(true);
      }),
    );
  });

  it('a trial lasting to the end of the window bills 0 whatever the rule; a trial over before it changes nothing', () => {
    fc.assert(
      fc.property(scenarioArb, historyArb, fc.boolean(), ({ sub, planAmountCents, from, to }, history, terminated) => {
        const input = feeInput({ subscription: sub, planAmountCents: String(planAmountCents), from, to, terminated, ...history });
        const covered = subscriptionFee({ ...input, trialEndsAt: plusDays(to, 1) });
        expect(covered.amountCents.isZero()).toBe(true);
        expect(covered.days).toBe(0);
        const over = subscriptionFee({ ...input, trialEndsAt: plusDays(from, -2) });
        const none = subscriptionFee(input);
        expectDecimal(over.amountCents, none.amountCents.toFixed());
        expect(over.days).toBe(none.days);
      }),
    );
  });
});

import BigNumber from 'bignumber.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PrepaidFee, PrepaidWallet } from '../../../../src/billing/wallets/index.ts';
import { allocatePrepaidCredits, distributeCreditNotes } from '../../../../src/billing/wallets/index.ts';
import { d, expectDecimal } from '../support.ts';

/** The values an arbitrary generates. */
type Value<A> = A extends fc.Arbitrary<infer T> ? T : never;

const fee = (id: string, feeType: PrepaidFee['feeType'], amount: BigNumber.Value, taxes: BigNumber.Value, extra: Partial<PrepaidFee> = {}): PrepaidFee => ({
  id,
  feeType,
  billableMetricCode: null,
  amountCents: d(amount),
  preciseCouponsAmountCents: d(0),
  taxesPreciseAmountCents: d(taxes),
  preciseCreditNotesAmountCents: d(0),
  ...extra,
});
const charge = (id: string, metric: string, amount: BigNumber.Value, taxes: BigNumber.Value, extra: Partial<PrepaidFee> = {}) =>
  fee(id, 'CHARGE', amount, taxes, { billableMetricCode: metric, ...extra });

let clock = 0;
const wallet = (walletId: string, balance: BigNumber.Value, extra: Partial<PrepaidWallet> = {}): PrepaidWallet => ({
  walletId,
  currency: 'EUR',
  rateAmount: d(1),
  priority: 50,
  createdAt: new Date(Date.UTC(2024, 0, 1) + (clock += 1000)).toISOString(),
  balanceCents: d(balance),
  feeTypes: [],
  billableMetricCodes: [],
  ...extra,
});

const allocate = (total: BigNumber.Value, fees: PrepaidFee[], wallets: PrepaidWallet[]) =>
  allocatePrepaidCredits({ currency: 'EUR', totalAmountCents: d(total), fees, wallets });
const byWallet = (result: ReturnType<typeof allocate>) => Object.fromEntries(result.wallets.map((w) => [w.walletId, w.amountCents.toNumber()]));

describe('allocatePrepaidCredits (Credits::AllocatePrepaidCreditsByWalletsService)', () => {
  it('drains wallets by priority, honouring fee-type limits (Lago spec "splits across all wallets")', () => {
    // Buckets: subscription 3500 + 100 = 3600, charge 1500 + 50 = 1550 (total 5150). Priority 49 first, then 50,
    // each by creation: P takes 1000 of subscription; PC 1000 of charge; PS 1000 of subscription (1600 left); N 1000
    // of subscription; C the 550 charge left; S the 600 subscription left.
    const fees = [fee('s', 'SUBSCRIPTION', 3500, 100), charge('c', 'api', 1500, 50)];
    const wallets = [
      wallet('N', 1000),
      wallet('P', 1000, { priority: 49 }),
      wallet('C', 1000, { feeTypes: ['charge'] }),
      wallet('PC', 1000, { priority: 49, feeTypes: ['CHARGE'] }),
      wallet('S', 1000, { feeTypes: ['subscription'] }),
      wallet('PS', 1000, { priority: 49, feeTypes: ['SUBSCRIPTION'] }),
    ];
    const result = allocate(5150, fees, wallets);
    expect(result.wallets.map((w) => w.walletId)).toEqual(['P', 'PC', 'PS', 'N', 'C', 'S']);
    expect(byWallet(result)).toEqual({ P: 1000, PC: 1000, PS: 1000, N: 1000, C: 550, S: 600 });
    expectDecimal(result.prepaidCreditAmountCents, 5150);
  });

  it('a wallet targeting a metric pays only that metric’s charges', () => {
    // Buckets by amount: subscription 66, api 44, storage 33. A (api only) takes 44; B takes 66 + 33.
    const fees = [fee('s', 'SUBSCRIPTION', 60, 6), charge('a', 'api', 40, 4), charge('b', 'storage', 30, 3)];
    const result = allocate(143, fees, [wallet('B', 1000, { priority: 20 }), wallet('A', 1000, { priority: 10, billableMetricCodes: ['api'] })]);
    expect(byWallet(result)).toEqual({ A: 44, B: 99 });
  });

  it('a metric on a non-charge fee is ignored (Lago keys by fee.charge)', () => {
    const result = allocate(100, [fee('x', 'ADD_ON', 100, 0, { billableMetricCode: 'api' })], [wallet('A', 1000, { billableMetricCodes: ['api'] })]);
    expect(result.wallets).toEqual([]);
  });

  it('adds a small positive rounding gap to the largest bucket (Lago spec "precise tax rounding")', () => {
    // Caps 53412.7 + 53412.7 = 106825.4 < 106826: the gap 0.6 ≤ 2 buckets goes to the first.
    const fees = [charge('a', 'm1', 50_000, '3412.7'), charge('b', 'm2', 50_000, '3412.7')];
    const result = allocate(106_826, fees, [wallet('W', 200_000)]);
    expect(byWallet(result)).toEqual({ W: 106_826 });
  });

  it('does not reconcile a gap larger than a cent per bucket', () => {
    // Cap 100, total 103: gap 3 > 1 bucket, so at most 100 is paid.
    const result = allocate(103, [fee('s', 'SUBSCRIPTION', 100, 0)], [wallet('W', 1000)]);
    expect(byWallet(result)).toEqual({ W: 100 });
  });

  it('caps by the invoice total when the caps exceed it (Lago spec "rounds the decimals")', () => {
    // Caps: subscription 66, charge 44 + 4.4 = 48.4 (Σ 114.4 > 114): the second wallet gets min(48.4, 1000, 114 − 66).
    const fees = [fee('s', 'SUBSCRIPTION', 60, 6), charge('c', 'api', 44, '4.4')];
    const result = allocate(114, fees, [wallet('S', 1000, { priority: 1, feeTypes: ['subscription'] }), wallet('M', 1000, { priority: 2, billableMetricCodes: ['api'] })]);
    expect(byWallet(result)).toEqual({ S: 66, M: 48 });
  });

  it('rounds each wallet’s decimal allocation half up: Σ can pass the total by a cent (Lago behaviour)', () => {
    // Caps 10.5 (api) and 9.5 (subscription), total 20: A takes 10.5 → 11, B 9.5 → 10, Σ 21.
    const fees = [charge('c', 'api', 10, '0.5'), fee('s', 'SUBSCRIPTION', 9, '0.5')];
    const result = allocate(20, fees, [wallet('A', 1000, { priority: 1, billableMetricCodes: ['api'] }), wallet('B', 1000, { priority: 2 })]);
    expect(byWallet(result)).toEqual({ A: 11, B: 10 });
    expectDecimal(result.wallets[0]!.allocatedCents, '10.5');
    expectDecimal(result.prepaidCreditAmountCents, 21);
  });

  it('skips fees with a zero sub-total or a non-positive cap (coupons, credit notes)', () => {
    const fees = [
      fee('covered', 'SUBSCRIPTION', 100, 0, { preciseCouponsAmountCents: d(100) }),
      fee('credited', 'ADD_ON', 100, 20, { preciseCreditNotesAmountCents: d(120) }),
      fee('paid', 'COMMITMENT', 50, 0),
    ];
    const result = allocate(100, fees, [wallet('W', 1000)]);
    expect(byWallet(result)).toEqual({ W: 50 });
  });

  it('skips a fee whose sub-total is exactly 0 even when it carries taxes', () => {
    const fees = [fee('covered', 'SUBSCRIPTION', 100, 5, { preciseCouponsAmountCents: d(100) }), fee('paid', 'ADD_ON', 50, 0)];
    expect(byWallet(allocate(55, fees, [wallet('W', 1000)]))).toEqual({ W: 50 });
  });

  it('buckets non-charge fees by type alone: the gap test counts one bucket, not one per metric', () => {
    // Two add-ons → one bucket of 20; the gap 2 > 1 bucket is not reconciled.
    const fees = [fee('a', 'ADD_ON', 10, 0, { billableMetricCode: 'x' }), fee('b', 'ADD_ON', 10, 0, { billableMetricCode: 'y' })];
    expect(byWallet(allocate(22, fees, [wallet('W', 1000)]))).toEqual({ W: 20 });
  });

  it('skips wallets of another currency or with a non-positive balance, and does nothing on a non-positive total', () => {
    const fees = [fee('s', 'SUBSCRIPTION', 100, 0)];
    const wallets = [wallet('usd', 1000, { priority: 1, currency: 'USD' }), wallet('empty', 0, { priority: 2 }), wallet('eur', 1000, { priority: 3 })];
    expect(byWallet(allocate(100, fees, wallets))).toEqual({ eur: 100 });
    expect(allocate(0, fees, wallets).wallets).toEqual([]);
    expect(allocate(-5, fees, wallets).prepaidCreditAmountCents.toNumber()).toBe(0);
  });

  it('routes a fee targeting a wallet code to that wallet only', () => {
    const fees = [charge('t', 'api', 100, 0, { targetWalletCode: 'promo' }), charge('u', 'api', 50, 0, { targetWalletCode: null })];
    const wallets = [wallet('first', 1000, { priority: 1 }), wallet('promo', 1000, { priority: 2, code: 'promo' })];
    expect(byWallet(allocate(150, fees, wallets))).toEqual({ first: 50, promo: 100 });
  });

  it('converts each debit to credits through WalletCredit.from_amount_cents', () => {
    const result = allocate(1575, [fee('s', 'SUBSCRIPTION', 1575, 0)], [wallet('W', 5000, { rateAmount: d('1.5') })]);
    expectDecimal(result.wallets[0]!.creditAmount!, '10.5');
    const third = allocate(1000, [fee('s', 'SUBSCRIPTION', 1000, 0)], [wallet('W', 5000, { rateAmount: d(3) })]);
    expectDecimal(third.wallets[0]!.creditAmount!, '3.33333');
  });
});

describe('distributeCreditNotes (Credits::CreditNoteService#apply_credit_to_fees)', () => {
  const fees = [
    { amountCents: d(1000), preciseCouponsAmountCents: d(0), taxesAmountCents: d(200) },
    { amountCents: d(500), preciseCouponsAmountCents: d(0), taxesAmountCents: d(100) },
  ];

  it('weights the credit by the fees’ remaining after-tax amounts over what is left of the invoice', () => {
    // 100 × 1200 / 1800 = 66.666… (Float) → 66.66667; 100 × 600 / 1800 = 33.333… → 33.33333.
    expect(distributeCreditNotes(fees, d(100), d(1800)).map((x) => x.toFixed())).toEqual(['66.66667', '33.33333']);
    // Then 200 over the 1700 left: 66.66667 + 200 × 1133.33333 / 1700 = 200.0000029… → 200; likewise 100.
    expect(distributeCreditNotes(fees, [d(100), d(200)], d(1800)).map((x) => x.toFixed())).toEqual(['200', '100']);
  });

  it('uses the rounded fee taxes and caps each fee at its after-tax amount', () => {
    const taxed = [{ amountCents: d(100), preciseCouponsAmountCents: d('10.5'), taxesPreciseAmountCents: d('17.9') }];
    // After tax: 100 − 10.5 + round(17.9) = 107.5; the whole of it is credited.
    expect(distributeCreditNotes(taxed, d(108), d(108)).map((x) => x.toFixed())).toEqual(['107.5']);
  });

  it('caps a fee already credited beyond its after-tax amount', () => {
    // A: 150 + 10 × (120 − 150) / 220 = 148.63636 > 120 → 120. B: 10 × 100 / 220 = 4.54545.
    const credited = [
      { amountCents: d(100), preciseCouponsAmountCents: d(0), taxesAmountCents: d(20), preciseCreditNotesAmountCents: d(150) },
      { amountCents: d(100), preciseCouponsAmountCents: d(0), taxesAmountCents: d(0) },
    ];
    expect(distributeCreditNotes(credited, d(10), d(220)).map((x) => x.toFixed())).toEqual(['120', '4.54545']);
  });

  it('refuses a credit beyond what is left of the invoice', () => {
    expect(() => distributeCreditNotes(fees, [d(1000), d(900)], d(1800))).toThrow(RangeError);
  });
});

const feeArb = fc.record({
  kind: fc.constantFrom('SUBSCRIPTION', 'ADD_ON', 'm1', 'm2', 'm3'),
  amount: fc.integer({ min: 0, max: 50_000 }),
  taxes: fc.integer({ min: 0, max: 5_000 }),
});
const walletArb = fc.record({
  balance: fc.integer({ min: -100, max: 40_000 }),
  priority: fc.integer({ min: 1, max: 50 }),
  limit: fc.constantFrom('none', 'm1', 'CHARGE', 'SUBSCRIPTION'),
});
const build = (rawFees: Value<typeof feeArb>[], rawWallets: Value<typeof walletArb>[]) => {
  const fees = rawFees.map((f, i) =>
    f.kind.startsWith('m') ? charge(`f${i}`, f.kind, f.amount, f.taxes) : fee(`f${i}`, f.kind as PrepaidFee['feeType'], f.amount, f.taxes),
  );
  const wallets = rawWallets.map((w, i) =>
    wallet(`w${i}`, w.balance, {
      priority: w.priority,
      createdAt: new Date(Date.UTC(2024, 0, 1, 0, 0, i)).toISOString(),
      feeTypes: w.limit === 'CHARGE' || w.limit === 'SUBSCRIPTION' ? [w.limit] : [],
      billableMetricCodes: w.limit === 'm1' ? ['m1'] : [],
    }),
  );
  const total = BigNumber.sum(0, ...fees.map((f) => f.amountCents.plus(f.taxesPreciseAmountCents)));
  return { fees, wallets, total };
};
const scenario = fc.tuple(fc.array(feeArb, { minLength: 0, maxLength: 8 }), fc.array(walletArb, { minLength: 0, maxLength: 5 }));

describe('allocatePrepaidCredits — properties', () => {
  it('no wallet pays more than its balance, Σ never passes the total, Σ per wallet = prepaidCreditAmountCents', () => {
    fc.assert(
      fc.property(scenario, fc.integer({ min: -10, max: 10 }), ([rawFees, rawWallets], totalShift) => {
        const { fees, wallets, total } = build(rawFees, rawWallets);
        const result = allocatePrepaidCredits({ currency: 'EUR', totalAmountCents: total.plus(totalShift), fees, wallets });
        const balances = new Map(wallets.map((w) => [w.walletId, w.balanceCents]));
        for (const debit of result.wallets) {
          expect(debit.amountCents.isGreaterThan(0)).toBe(true);
          expect(debit.amountCents.isLessThanOrEqualTo(balances.get(debit.walletId)!)).toBe(true);
        }
        const sum = BigNumber.sum(0, ...result.wallets.map((w) => w.amountCents));
        expectDecimal(result.prepaidCreditAmountCents, sum);
        expect(sum.isLessThanOrEqualTo(BigNumber.max(total.plus(totalShift), 0))).toBe(true);
      }),
      { seed: 1234, numRuns: 400 },
    );
  });

  it('a wallet restricted to one metric never pays more than that metric’s charges', () => {
    fc.assert(
      fc.property(scenario, ([rawFees, rawWallets]) => {
        const { fees, wallets, total } = build(rawFees, rawWallets);
        const result = allocatePrepaidCredits({ currency: 'EUR', totalAmountCents: total, fees, wallets });
        const m1 = BigNumber.sum(0, ...fees.filter((f) => f.billableMetricCode === 'm1').map((f) => f.amountCents.plus(f.taxesPreciseAmountCents)));
        const restricted = new Set(wallets.filter((w) => w.billableMetricCodes.length > 0).map((w) => w.walletId));
        const paid = BigNumber.sum(0, ...result.wallets.filter((w) => restricted.has(w.walletId)).map((w) => w.amountCents));
        expect(paid.isLessThanOrEqualTo(m1)).toBe(true);
      }),
      { seed: 99, numRuns: 400 },
    );
  });

  it('unrestricted wallets are drained greedily in priority order, whatever the input order', () => {
    fc.assert(
      fc.property(scenario, fc.nat(), ([rawFees, rawWallets], rotation) => {
        const { fees, total } = build(rawFees, rawWallets.map((w) => ({ ...w, limit: 'none' as const })));
        const { wallets } = build(rawFees, rawWallets.map((w) => ({ ...w, limit: 'none' as const })));
        const shift = wallets.length === 0 ? 0 : rotation % wallets.length;
        const rotated = [...wallets.slice(shift), ...wallets.slice(0, shift)];
        const result = allocatePrepaidCredits({ currency: 'EUR', totalAmountCents: total, fees, wallets: rotated });
        const ordered = [...wallets].sort((a, b) => a.priority - b.priority || a.createdAt.localeCompare(b.createdAt));
        let left = total;
        const expected: Record<string, number> = {};
        for (const w of ordered) {
          const take = BigNumber.min(w.balanceCents, left);
          if (take.isGreaterThan(0)) expected[w.walletId] = take.toNumber();
          left = left.minus(BigNumber.max(take, 0));
        }
        expect(byWallet(result)).toEqual(expected);
        expect(result.wallets.map((w) => w.walletId)).toEqual(ordered.map((w) => w.walletId).filter((id) => id in expected));
      }),
      { seed: 2024, numRuns: 300 },
    );
  });
});

describe('distributeCreditNotes — properties', () => {
  it('each fee stays within [0, after tax]; crediting the whole total credits every fee fully', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 20_000 })), { minLength: 1, maxLength: 6 }), fc.double({ min: 0, max: 1, noNaN: true }), (raw, ratio) => {
        const fees = raw.map(([amount, taxes]) => ({ amountCents: d(amount), preciseCouponsAmountCents: d(0), taxesAmountCents: d(taxes) }));
        const total = BigNumber.sum(0, ...raw.map(([a, t]) => a + t));
        const credit = total.times(ratio).integerValue(BigNumber.ROUND_DOWN);
        const split = distributeCreditNotes(fees, credit, total);
        split.forEach((value, i) => {
          expect(value.isGreaterThanOrEqualTo(0)).toBe(true);
          expect(value.isLessThanOrEqualTo(raw[i]![0] + raw[i]![1])).toBe(true);
        });
        const whole = distributeCreditNotes(fees, total, total);
        expect(whole.map((x) => x.toFixed())).toEqual(raw.map(([a, t]) => String(a + t)));
      }),
      { seed: 31, numRuns: 300 },
    );
  });
});

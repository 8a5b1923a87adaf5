import BigNumber from 'bignumber.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AppliedCouponState, CouponFee, CouponsApplied } from '../../../../src/billing/invoice/coupons.ts';
import { applyCoupons, bigDecimalDivide, bigDecimalPrecision } from '../../../../src/billing/invoice/coupons.ts';
import { d, expectDecimal } from '../support.ts';

const T0 = '2024-01-01T00:00:00Z';

const fee = (id: string, amountCents: BigNumber.Value, extra: Partial<CouponFee> = {}): CouponFee => ({
  id,
  feeType: 'SUBSCRIPTION',
  amountCents: d(amountCents),
  billableMetricCode: null,
  planCode: 'basic',
  ...extra,
});
const charge = (id: string, amountCents: BigNumber.Value, metric: string, planCode: string | null = 'basic'): CouponFee =>
  fee(id, amountCents, { feeType: 'CHARGE', billableMetricCode: metric, planCode });

const fixed = (id: string, amountCents: BigNumber.Value, extra: Partial<AppliedCouponState> = {}): AppliedCouponState => ({
  appliedCouponId: id,
  couponCode: `code-${id}`,
  couponType: 'FIXED_AMOUNT',
  frequency: 'ONCE',
  amountCents: d(amountCents),
  amountCurrency: 'EUR',
  percentageRate: null,
  frequencyDurationRemaining: null,
  creditedAmountCents: d(0),
  limitedPlanCodes: [],
  limitedBillableMetricCodes: [],
  createdAt: T0,
  ...extra,
});
const percentage = (id: string, rate: BigNumber.Value, extra: Partial<AppliedCouponState> = {}): AppliedCouponState =>
  fixed(id, 0, { couponType: 'PERCENTAGE', amountCents: null, amountCurrency: null, percentageRate: d(rate), ...extra });

const apply = (fees: CouponFee[], coupons: AppliedCouponState[], extra: { progressiveBillingCreditAmountCents?: BigNumber } = {}) =>
  applyCoupons({ currency: 'EUR', fees, coupons, ...extra });

const creditsOf = (result: CouponsApplied) => result.credits.map((c) => [c.appliedCouponId, c.amountCents.toFixed()]);
const feeCoupon = (result: CouponsApplied, id: string) => result.feeCoupons.get(id) ?? d(0);

describe('coupons — Lago spec examples (spec/services/credits/applied_coupon_service_spec.rb)', () => {
  // fee1 200 + fee2 100: the invoice sub-total is 300.
  const fees = [fee('fee1', 200), fee('fee2', 100)];

  it('a fixed once coupon of 12: credit 12 split 8 / 4 pro rata, terminated', () => {
    const result = apply(fees, [fixed('c', 12)]);
    expect(result.credits).toHaveLength(1);
    const [credit] = result.credits;
    expectDecimal(credit?.amountCents ?? d(-1), 12);
    expectDecimal(credit?.creditedAmountCents ?? d(-1), 12);
    expect(credit?.terminated).toBe(true);
    expectDecimal(feeCoupon(result, 'fee1'), 8); // 12 × 200 / 300
    expectDecimal(feeCoupon(result, 'fee2'), 4);
    expectDecimal(result.couponsAmountCents, 12);
  });

  it('a coupon larger than the invoice is capped at it and stays active', () => {
    const result = apply([fee('fee1', 4), fee('fee2', 2)], [fixed('c', 12)]);
    expect(creditsOf(result)).toEqual([['c', '6']]);
    expect(result.credits[0]?.terminated).toBe(false);
    expectDecimal(feeCoupon(result, 'fee1'), 4);
    expectDecimal(feeCoupon(result, 'fee2'), 2);
  });

  it('a partially used once coupon applies its remainder and terminates', () => {
    const result = apply(fees, [fixed('c', 12, { creditedAmountCents: d(6) })]);
    expect(creditsOf(result)).toEqual([['c', '6']]);
    expect(result.credits[0]?.terminated).toBe(true);
    expectDecimal(result.credits[0]?.creditedAmountCents ?? d(-1), 12);
    expectDecimal(feeCoupon(result, 'fee1'), 4);
    expectDecimal(feeCoupon(result, 'fee2'), 2);
  });

  it('a once percentage coupon of 20 %: 60 split 40 / 20, terminated', () => {
    const result = apply(fees, [percentage('c', 20)]);
    expect(creditsOf(result)).toEqual([['c', '60']]);
    expect(result.credits[0]?.terminated).toBe(true);
    expectDecimal(feeCoupon(result, 'fee1'), 40);
    expectDecimal(feeCoupon(result, 'fee2'), 20);
  });

  it('recurring coupons count down and terminate at 0, never below', () => {
    const three = apply(fees, [percentage('c', 20, { frequency: 'RECURRING', frequencyDurationRemaining: 3 })]).credits[0];
    expect([three?.amountCents.toFixed(), three?.frequencyDurationRemaining, three?.terminated]).toEqual(['60', 2, false]);
    const one = apply(fees, [percentage('c', 20, { frequency: 'RECURRING', frequencyDurationRemaining: 1 })]).credits[0];
    expect([one?.amountCents.toFixed(), one?.frequencyDurationRemaining, one?.terminated]).toEqual(['60', 0, true]);
    const zero = apply(fees, [fixed('c', 12, { frequency: 'RECURRING', frequencyDurationRemaining: 0 })]).credits[0];
    expect([zero?.amountCents.toFixed(), zero?.frequencyDurationRemaining, zero?.terminated]).toEqual(['12', 0, true]);
  });

  it('a forever fixed coupon is capped at the invoice and never terminates', () => {
    const result = apply([fee('fee1', 4), fee('fee2', 2)], [fixed('c', 12, { frequency: 'FOREVER' })]);
    expect(creditsOf(result)).toEqual([['c', '6']]);
    expect(result.credits[0]?.terminated).toBe(false);
    expectDecimal(result.credits[0]?.creditedAmountCents ?? d(-1), 6);
  });

  it('a fixed coupon in another currency is skipped; a percentage one applies whatever its currency', () => {
    expect(apply(fees, [fixed('c', 10, { amountCurrency: 'NOK' })]).credits).toEqual([]);
    expect(creditsOf(apply(fees, [percentage('c', 10, { amountCurrency: 'NOK' })]))).toEqual([['c', '30']]);
  });

  it('limited to a plan: only that plan’s fees; no fee of the plan, no credit', () => {
    const planFees = [fee('fee1', 300, { planCode: 'pro' }), fee('fee2', 100)];
    const result = apply(planFees, [fixed('c', 12, { limitedPlanCodes: ['pro'] })]);
    expect(creditsOf(result)).toEqual([['c', '12']]);
    expectDecimal(feeCoupon(result, 'fee1'), 12);
    expect(result.feeCoupons.has('fee2')).toBe(false);
    expect(apply(planFees, [fixed('c', 12, { limitedPlanCodes: ['other'] })]).credits).toEqual([]);
  });

  it('limited to a metric, over progressive-billing credits already on the fees: 18 / 54 / 0', () => {
    // fee1 50 with 15 already credited, fee2 150 with 45: base = 35 + 105 = 140; 12 × 35 / 140 = 3, 12 × 105 / 140 = 9.
    const result = apply(
      [charge('fee1', 50, 'bm', 'basic'), charge('fee2', 150, 'bm', 'basic'), fee('fee3', 100)].map((f) =>
        f.id === 'fee1' ? { ...f, preciseCouponsAmountCents: d(15) } : f.id === 'fee2' ? { ...f, preciseCouponsAmountCents: d(45) } : f,
      ),
      [fixed('c', 12, { limitedBillableMetricCodes: ['bm'] })],
      { progressiveBillingCreditAmountCents: d(60) },
    );
    expect(creditsOf(result)).toEqual([['c', '12']]);
    expectDecimal(feeCoupon(result, 'fee1'), 3); // 15 → 18
    expectDecimal(feeCoupon(result, 'fee2'), 9); // 45 → 54
    expect(result.feeCoupons.has('fee3')).toBe(false);
  });
});

describe('coupons — several coupons (spec/services/credits/applied_coupons_service_spec.rb)', () => {
  const fees = [fee('fee', 100)];
  const later = '2024-01-02T00:00:00Z';

  it('fixed 10 then 20 % of the rest: 10 + 18', () => {
    const result = apply(fees, [percentage('latest', 20, { createdAt: later }), fixed('first', 10)]);
    expect(creditsOf(result)).toEqual([['first', '10'], ['latest', '18']]);
    expectDecimal(result.couponsAmountCents, 28);
  });

  it('by age: the same two coupons applied the other way round give 20 + 10', () => {
    const result = apply(fees, [percentage('first', 20), fixed('latest', 10, { createdAt: later })]);
    expect(creditsOf(result)).toEqual([['first', '20'], ['latest', '10']]);
  });

  it('two fixed (10 + 20) and two percentages (15 % then 20 % of 85 = 17)', () => {
    expectDecimal(apply(fees, [fixed('a', 10), fixed('b', 20, { createdAt: later })]).couponsAmountCents, 30);
    const result = apply(fees, [percentage('a', 15), percentage('b', 20, { createdAt: later })]);
    expect(creditsOf(result)).toEqual([['a', '15'], ['b', '17']]);
  });

  it('stops once the sub-total is 0: the first coupon covers the invoice, the second gets no credit', () => {
    const result = apply([fee('fee', 5)], [fixed('a', 10), percentage('b', 20, { createdAt: later })]);
    expect(creditsOf(result)).toEqual([['a', '5']]);
  });

  it('stop at zero exactly: 60 + 40 use up 100, the recurring third coupon is not counted down', () => {
    const third = percentage('c', 10, { frequency: 'RECURRING', frequencyDurationRemaining: 2, createdAt: '2024-01-03T00:00:00Z' });
    const result = apply(fees, [fixed('a', 60), fixed('b', 40, { createdAt: later }), third]);
    expect(creditsOf(result)).toEqual([['a', '60'], ['b', '40']]);
    expectDecimal(feeCoupon(result, 'fee'), 100);
  });

  it('metric limit first, then plan limit, unlimited last; a coupon on a plan without fees is skipped', () => {
    // Spec: plan coupon 82 (oldest), metric coupon 5 (+2 h), plan coupon 20 on another plan (+1 day).
    const result = apply(
      [charge('fee_middle', 12, 'bm', null), fee('fee', 75)],
      [
        fixed('plan', 82, { limitedPlanCodes: ['basic'] }),
        fixed('metric', 5, { limitedBillableMetricCodes: ['bm'], createdAt: '2024-01-01T02:00:00Z' }),
        fixed('other_plan', 20, { limitedPlanCodes: ['other'], createdAt: later }),
      ],
    );
    expect(creditsOf(result)).toEqual([['metric', '5'], ['plan', '75']]);
    expectDecimal(result.couponsAmountCents, 80);
    expectDecimal(feeCoupon(result, 'fee_middle'), 5);
    expectDecimal(feeCoupon(result, 'fee'), 75);
  });
});

describe('coupons — rules, hand-computed', () => {
  it('restriction outranks age: a newer metric coupon goes before an older unlimited one', () => {
    // Right order: 50 % of the metric fee (100) = 50, then fixed 150 on the 150 left = 150: 200.
    // (The other order would give 150 on 200, then 50 % of the 25 left on the charge = 13: 163.)
    const result = apply(
      [charge('usage', 100, 'api_calls'), fee('sub', 100)],
      [fixed('old_unlimited', 150, { frequency: 'FOREVER' }), percentage('new_metric', 50, { limitedBillableMetricCodes: ['api_calls'], createdAt: '2025-01-01T00:00:00Z' })],
    );
    expect(creditsOf(result)).toEqual([['new_metric', '50'], ['old_unlimited', '150']]);
    expectDecimal(feeCoupon(result, 'usage'), 100);
    expectDecimal(feeCoupon(result, 'sub'), 100);
  });

  it('a plan limit targets every fee of the plan’s subscriptions (subscription, charge, commitment), not add-ons', () => {
    const result = apply(
      [fee('sub', 100), charge('usage', 200, 'api_calls'), fee('commit', 100, { feeType: 'COMMITMENT' }), fee('addon', 600, { feeType: 'ADD_ON', planCode: null })],
      [percentage('c', 10, { limitedPlanCodes: ['basic'] })],
    );
    expect(creditsOf(result)).toEqual([['c', '40']]); // 10 % of 400
    expect([...result.feeCoupons.entries()].map(([id, v]) => [id, v.toFixed()])).toEqual([['sub', '10'], ['usage', '20'], ['commit', '10']]);
  });

  it('a metric limit targets only the CHARGE fees of the metric', () => {
    const result = apply(
      [charge('calls', 1000, 'api_calls'), charge('storage', 3000, 'storage'), fee('sub', 2000)],
      [percentage('c', 10, { limitedBillableMetricCodes: ['api_calls'] }), fixed('after', 500, { createdAt: '2024-02-01T00:00:00Z' })],
    );
    // 10 % of 1000 = 100 on the calls fee. Then 500 unlimited on 5900, weighted by what is left of each fee, in
    // Floats: 500 × 900 / 5900 = 76.27118644067797 → 76.27119 (+100), 500 × 3000 / 5900 = 254.2372881355932 →
    // 254.23729, 500 × 2000 / 5900 = 169.4915254237288 → 169.49153: the split sums to 500.00001.
    expect(creditsOf(result)).toEqual([['c', '100'], ['after', '500']]);
    expectDecimal(feeCoupon(result, 'calls'), '176.27119');
    expectDecimal(feeCoupon(result, 'storage'), '254.23729');
    expectDecimal(feeCoupon(result, 'sub'), '169.49153');
  });

  it('a once fixed coupon larger than the first invoice carries its remainder to the second', () => {
    const coupon = fixed('c', 5000);
    const first = apply([fee('sub', 3000)], [coupon]);
    const credit = first.credits[0];
    expect([credit?.amountCents.toFixed(), credit?.creditedAmountCents.toFixed(), credit?.terminated]).toEqual(['3000', '3000', false]);
    const second = apply([fee('sub', 4000)], [{ ...coupon, creditedAmountCents: credit?.creditedAmountCents ?? d(0) }]);
    const rest = second.credits[0];
    expect([rest?.amountCents.toFixed(), rest?.creditedAmountCents.toFixed(), rest?.terminated]).toEqual(['2000', '5000', true]);
    expectDecimal(feeCoupon(second, 'sub'), 2000);
  });

  it('a recurring coupon of 2 periods credits twice, then terminates', () => {
    let coupon = fixed('c', 700, { frequency: 'RECURRING', frequencyDurationRemaining: 2 });
    const states: unknown[] = [];
    for (const amount of [1000, 500]) {
      const credit = apply([fee('sub', amount)], [coupon]).credits[0];
      if (credit === undefined) throw new Error('no credit');
      states.push([credit.amountCents.toFixed(), credit.frequencyDurationRemaining, credit.terminated]);
      coupon = { ...coupon, frequencyDurationRemaining: credit.frequencyDurationRemaining, creditedAmountCents: credit.creditedAmountCents };
    }
    expect(states).toEqual([['700', 1, false], ['500', 0, true]]);
  });

  it('currency mismatch: the fixed USD coupon is skipped, the next one still applies', () => {
    const result = apply([fee('sub', 1000)], [fixed('usd', 300, { amountCurrency: 'USD' }), fixed('eur', 200, { createdAt: '2024-02-01T00:00:00Z' })]);
    expect(creditsOf(result)).toEqual([['eur', '200']]);
  });

  it('nothing applies when the fees total 0, or when a progressive-billing credit already covers them', () => {
    expect(apply([fee('sub', 0)], [percentage('c', 10)]).credits).toEqual([]);
    expect(apply([], [percentage('c', 10)]).credits).toEqual([]);
    const covered = apply([charge('usage', 500, 'api_calls', 'basic')].map((f) => ({ ...f, preciseCouponsAmountCents: d(500) })), [fixed('c', 10)], {
      progressiveBillingCreditAmountCents: d(500),
    });
    expect(covered.credits).toEqual([]);
  });

  it('a zero credit is still a credit: it counts a recurring period down and ends a once percentage coupon', () => {
    // The metric fee is fully covered by the first coupon; the sub-total (the subscription fee) is still positive.
    const limited = { limitedBillableMetricCodes: ['api_calls'] };
    const result = apply(
      [charge('usage', 100, 'api_calls'), fee('sub', 50)],
      [
        fixed('cover', 100, { ...limited, frequency: 'FOREVER' }),
        percentage('recurring', 10, { ...limited, frequency: 'RECURRING', frequencyDurationRemaining: 2, createdAt: '2024-01-02T00:00:00Z' }),
        percentage('once_pct', 10, { ...limited, createdAt: '2024-01-03T00:00:00Z' }),
        fixed('once_fixed', 30, { ...limited, createdAt: '2024-01-04T00:00:00Z' }),
      ],
    );
    expect(result.credits.map((c) => [c.appliedCouponId, c.amountCents.toFixed(), c.frequencyDurationRemaining, c.terminated])).toEqual([
      ['cover', '100', null, false],
      ['recurring', '0', 1, false],
      ['once_pct', '0', null, true],
      ['once_fixed', '0', null, false],
    ]);
    expect(result.feeCoupons.has('sub')).toBe(false);
  });

  it('a percentage above 100 % is capped at the base', () => {
    expect(creditsOf(apply([fee('sub', 999)], [percentage('c', 150)]))).toEqual([['c', '999']]);
  });

  it('an applied coupon listed twice applies once', () => {
    expect(creditsOf(apply([fee('sub', 1000)], [fixed('c', 100), fixed('c', 100)]))).toEqual([['c', '100']]);
  });

  it('equal created_at: by applied coupon id, whatever the input order', () => {
    const coupons = [fixed('b', 100), percentage('a', 50)];
    expect(creditsOf(apply([fee('sub', 1000)], coupons))).toEqual([['a', '500'], ['b', '100']]);
    expect(creditsOf(apply([fee('sub', 1000)], [...coupons].reverse()))).toEqual([['a', '500'], ['b', '100']]);
  });

  it('created_at is compared as an instant (offsets, microseconds)', () => {
    const coupons = [fixed('paris', 100, { createdAt: '2024-01-01T00:30:00+01:00' }), fixed('utc', 50, { createdAt: '2024-01-01T00:00:00.000001Z' })];
    expect(creditsOf(apply([fee('sub', 1000)], coupons)).map(([id]) => id)).toEqual(['paris', 'utc']);
  });

  it('rejects malformed input', () => {
    expect(() => apply([fee('sub', '1.5')], [])).toThrow(RangeError);
    expect(() => apply([fee('sub', 1), fee('sub', 2)], [])).toThrow(RangeError);
    expect(() => apply([fee('sub', 100)], [fixed('c', 0, { amountCents: null })])).toThrow(TypeError);
    expect(() => apply([fee('sub', 100)], [percentage('c', 10, { percentageRate: null })])).toThrow(TypeError);
    expect(() => apply([fee('sub', 100)], [fixed('c', 10, { creditedAmountCents: d(11) })])).toThrow(RangeError);
    expect(() => apply([fee('sub', 100)], [fixed('c', 10, { createdAt: 'yesterday' })])).toThrow(RangeError);
  });
});

describe('coupons — Ruby number types', () => {
  it('14.5 % of 100: 15 when limited (BigDecimal × 0.145) but 14 when unlimited (100 × 0.145 = 14.499999999999998)', () => {
    const fees = [charge('usage', 100, 'api_calls')];
    expect(creditsOf(apply(fees, [percentage('c', '14.5', { limitedBillableMetricCodes: ['api_calls'] })]))).toEqual([['c', '15']]);
    expect(creditsOf(apply(fees, [percentage('c', '14.5')]))).toEqual([['c', '14']]);
  });

  it('a decimal limited base: the credit row truncates it, the fees take it whole', () => {
    // A (metrics m, n; 1000 on 3000): 1000 × 1000 / 3000 → 333.33333 on f1, 666.66667 on f2.
    // B (metric m, once 1000): base 1000 − 333.33333 = 666.66667 → credit 666 (bigint), f1 takes all 666.66667,
    //   and B stays active (666.66667 < 1000). Sub-total 3000 − 1000 − 666 = 1334.
    // C (unlimited, forever 5000): 1334; f2 takes 1334 × 1333.33333 / 1334 = 1333.33333. D: nothing left.
    const result = apply(
      [charge('f1', 1000, 'm'), charge('f2', 2000, 'n')],
      [
        fixed('A', 1000, { frequency: 'FOREVER', limitedBillableMetricCodes: ['m', 'n'] }),
        fixed('B', 1000, { limitedBillableMetricCodes: ['m'], createdAt: '2024-01-02T00:00:00Z' }),
        fixed('C', 5000, { frequency: 'FOREVER', createdAt: '2024-01-03T00:00:00Z' }),
        percentage('D', 10, { createdAt: '2024-01-04T00:00:00Z' }),
      ],
    );
    expect(result.credits.map((c) => [c.appliedCouponId, c.amountCents.toFixed(), c.creditedAmountCents.toFixed(), c.terminated])).toEqual([
      ['A', '1000', '1000', false],
      ['B', '666', '666', false],
      ['C', '1334', '1334', false],
    ]);
    expectDecimal(result.couponsAmountCents, 3000);
    expectDecimal(feeCoupon(result, 'f1'), 1000);
    expectDecimal(feeCoupon(result, 'f2'), 2000);
  });

  it('BigDecimal#precision and BigDecimal#/ (bigdecimal 4.1)', () => {
    expect([d('1e20'), d('1e-20'), d('3.1415'), d(0), d('0.5'), d(1200)].map(bigDecimalPrecision)).toEqual([21, 20, 5, 0, 1, 4]);
    // At least 32 significant digits, rounded half up.
    expectDecimal(bigDecimalDivide(d(1000000), d(3000)), '333.33333333333333333333333333333');
    expectDecimal(bigDecimalDivide(d(2000000), d(3000)), '666.66666666666666666666666666667');
    expectDecimal(bigDecimalDivide(d(1), d(8)), '0.125');
    // precision(1234567890.123456789012345) = 25 → 41 digits.
    expectDecimal(bigDecimalDivide(d('1234567890.123456789012345'), d(7)), '176366841.44620811271604928571428571428571');
    expectDecimal(bigDecimalDivide(d(-2), d(3)), '-0.66666666666666666666666666666667');
  });

  it('a limited percentage coupon can round above its decimal base: its fees stop at their amounts (property seed -1257709942)', () => {
    // c0 (1.4 %, plans p1 p2): base 36, 36 × 0.014 = 0.504 → 1; f0 += 1 × 1 / 36 → 0.02778, f3 += 1 × 35 / 36 → 0.97222.
    // c4 (fixed 0, p2): 0. c5 (51.42869 %, p2): base 1 − 0.02778 = 0.97222 × 0.5142869 = 0.500000009918 < base, so
    //   AmountService rounds it to 1 > base (it caps before rounding); f0 += 1 × 0.97222 / 0.97222 → 1.02778, capped at
    //   its amount 1: the fees take 0.97222 of the 1 credited. c1–c3 (unlimited fixed 0, sub-total 34): 0 each.
    const result = apply(
      [fee('f0', 1, { planCode: 'p2' }), fee('f1', 0, { planCode: 'p1' }), fee('f2', 0, { planCode: 'p1' }), fee('f3', 35, { planCode: 'p1' })],
      [
        percentage('c0', '1.4', { limitedPlanCodes: ['p1', 'p2'] }),
        fixed('c1', 0),
        fixed('c2', 0),
        fixed('c3', 0),
        fixed('c4', 0, { limitedPlanCodes: ['p2'] }),
        percentage('c5', '51.42869', { limitedPlanCodes: ['p2'] }),
      ],
    );
    expect(result.credits.map((c) => [c.appliedCouponId, c.amountCents.toFixed(), c.terminated])).toEqual([
      ['c0', '1', true],
      ['c4', '0', true],
      ['c5', '1', true],
      ['c1', '0', true],
      ['c2', '0', true],
      ['c3', '0', true],
    ]);
    expectDecimal(result.couponsAmountCents, 2);
    expect([...result.feeCoupons.entries()].map(([id, v]) => [id, v.toFixed()]).sort()).toEqual([
      ['f0', '1'],
      ['f3', '0.97222'],
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Properties. Tolerance: Lago keeps `precise_coupons_amount_cents` at 5 decimals, and weighs the fees in Floats, so a
// coupon's split over n fees is within n × 0.00002 of the amount it spreads. That amount is the untruncated credit:
// ≥ the stored credit and < stored + 1 (a decimal limited base is truncated in the credit row). An unlimited coupon
// spreads `credit × Σ remaining / sub-total`, short of the credit by at most what earlier truncations left on the
// fees (D = Σ fee coupons − Σ credits so far). One exception: `AmountService` caps a percentage credit at the base
// before rounding it, so a limited percentage coupon on a decimal base can round above that base (0.97222 × 51.42869 %
// → 1); each fee's share then exceeds its remainder and every targeted fee is capped at its amount, so the coupon
// spreads exactly its base, short of the credit by less than 1.
// ---------------------------------------------------------------------------------------------------------------

const METRICS = ['m1', 'm2', 'm3'];
const PLANS = ['p1', 'p2'];

const amountArb = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 1_000_000_000 }));

const feeArb = (id: string): fc.Arbitrary<CouponFee> =>
  fc
    .record({
      feeType: fc.constantFrom<CouponFee['feeType']>('SUBSCRIPTION', 'CHARGE', 'CHARGE', 'COMMITMENT', 'ADD_ON'),
      amount: amountArb,
      metric: fc.constantFrom(...METRICS),
      plan: fc.constantFrom(...PLANS),
      progressiveShare: fc.option(fc.integer({ min: 0, max: 100 }), { freq: 5 }),
    })
    .map(({ feeType, amount, metric, plan, progressiveShare }) => ({
      id,
      feeType,
      amountCents: d(amount),
      billableMetricCode: feeType === 'CHARGE' ? metric : null,
      planCode: feeType === 'ADD_ON' ? null : plan,
      ...(progressiveShare === null ? {} : { preciseCouponsAmountCents: d(amount).times(progressiveShare).idiv(100) }),
    }));

const rateArb = fc.oneof(
  fc.constantFrom('0', '5', '10', '14.5', '1.4', '20', '33.33333', '50', '99.99999', '100', '150'),
  fc.integer({ min: 0, max: 10_000_000 }).map((n) => d(n).shiftedBy(-5).toFixed()),
);

const couponArb = (id: string): fc.Arbitrary<AppliedCouponState> =>
  fc
    .record({
      couponType: fc.constantFrom<AppliedCouponState['couponType']>('FIXED_AMOUNT', 'PERCENTAGE'),
      frequency: fc.constantFrom<AppliedCouponState['frequency']>('ONCE', 'RECURRING', 'FOREVER'),
      amount: amountArb,
      usedShare: fc.integer({ min: 0, max: 100 }),
      currency: fc.constantFrom('EUR', 'EUR', 'EUR', 'USD'),
      rate: rateArb,
      remaining: fc.integer({ min: 0, max: 4 }),
      limit: fc.oneof(
        fc.constant({ metrics: [] as string[], plans: [] as string[] }),
        fc.subarray(METRICS, { minLength: 1 }).map((metrics) => ({ metrics, plans: [] as string[] })),
        fc.subarray(PLANS, { minLength: 1 }).map((plans) => ({ metrics: [] as string[], plans })),
      ),
      second: fc.integer({ min: 0, max: 5 }),
    })
    .map(({ couponType, frequency, amount, usedShare, currency, rate, remaining, limit, second }) => ({
      appliedCouponId: id,
      couponCode: `code-${id}`,
      couponType,
      frequency,
      amountCents: couponType === 'FIXED_AMOUNT' ? d(amount) : null,
      amountCurrency: couponType === 'FIXED_AMOUNT' ? currency : null,
      percentageRate: couponType === 'PERCENTAGE' ? d(rate) : null,
      frequencyDurationRemaining: frequency === 'RECURRING' ? remaining : null,
      creditedAmountCents: couponType === 'FIXED_AMOUNT' && frequency === 'ONCE' ? d(amount).times(usedShare).idiv(100) : d(0),
      limitedPlanCodes: limit.plans,
      limitedBillableMetricCodes: limit.metrics,
      createdAt: `2024-01-01T00:00:0${second}Z`,
    }));

const invoiceArb = fc
  .tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 6 }))
  .chain(([feeCount, couponCount]) =>
    fc.record({
      fees: fc.tuple(...Array.from({ length: feeCount }, (_, i) => feeArb(`f${i}`))),
      coupons: fc.tuple(...Array.from({ length: couponCount }, (_, i) => couponArb(`c${i}`))),
    }),
  )
  .map(({ fees, coupons }) => ({
    fees: fees as CouponFee[],
    coupons: coupons as AppliedCouponState[],
    progressive: (fees as CouponFee[]).reduce((sum, f) => sum.plus(f.preciseCouponsAmountCents ?? 0), d(0)),
  }));

type Invoice = { fees: CouponFee[]; coupons: AppliedCouponState[]; progressive: BigNumber };
const run = ({ fees, coupons, progressive }: Invoice, order: AppliedCouponState[] = coupons) =>
  applyCoupons({ currency: 'EUR', fees, coupons: order, progressiveBillingCreditAmountCents: progressive });
const sum = (values: Iterable<BigNumber>) => [...values].reduce((a, b) => a.plus(b), d(0));
const serializedCredits = (credits: CouponsApplied['credits']) =>
  JSON.stringify(credits.map((c) => ({ ...c, amountCents: c.amountCents.toFixed(), creditedAmountCents: c.creditedAmountCents.toFixed() })));
const serialized = (result: CouponsApplied) =>
  JSON.stringify({
    credits: serializedCredits(result.credits),
    feeCoupons: [...result.feeCoupons.entries()].map(([id, v]) => [id, v.toFixed()]).sort(),
    total: result.couponsAmountCents.toFixed(),
  });
const TOLERANCE_PER_FEE = d('0.00002');
/** The fees a coupon weighs on: metric limits (CHARGE fees of those metrics) win over plan limits; else all. */
const targetedBy = (coupon: AppliedCouponState, fees: CouponFee[]) =>
  coupon.limitedBillableMetricCodes.length > 0
    ? fees.filter((f) => f.feeType === 'CHARGE' && f.billableMetricCode !== null && coupon.limitedBillableMetricCodes.includes(f.billableMetricCode))
    : coupon.limitedPlanCodes.length > 0
      ? fees.filter((f) => f.planCode !== null && coupon.limitedPlanCodes.includes(f.planCode))
      : fees;
const isLimited = (coupon: AppliedCouponState) => coupon.limitedBillableMetricCodes.length > 0 || coupon.limitedPlanCodes.length > 0;
const RUNS = { numRuns: 300 };

describe('coupons — properties', () => {
  it('couponsAmountCents = Σ credits; credits are non-negative integers; Σ credits ≤ the sub-total before coupons', () => {
    fc.assert(
      fc.property(invoiceArb, (invoice) => {
        const result = run(invoice);
        expect(result.couponsAmountCents.eq(sum(result.credits.map((c) => c.amountCents)))).toBe(true);
        for (const credit of result.credits) expect(credit.amountCents.isInteger() && !credit.amountCents.isNegative()).toBe(true);
        const subTotal = sum(invoice.fees.map((f) => f.amountCents)).minus(invoice.progressive);
        expect(result.couponsAmountCents.lte(BigNumber.max(subTotal, 0))).toBe(true);
        expect(result.couponsAmountCents.lte(sum(invoice.fees.map((f) => f.amountCents)))).toBe(true);
      }),
      RUNS,
    );
  });

  it('no fee’s coupons exceed its amount, and no fee is credited negatively', () => {
    fc.assert(
      fc.property(invoiceArb, (invoice) => {
        const result = run(invoice);
        for (const f of invoice.fees) {
          const added = feeCoupon(result, f.id);
          expect(added.isNegative()).toBe(false);
          expect((added.decimalPlaces() ?? 0) <= 5).toBe(true);
          expect(added.plus(f.preciseCouponsAmountCents ?? 0).lte(f.amountCents)).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('does not depend on the input order of the coupons', () => {
    fc.assert(
      fc.property(
        invoiceArb.chain((invoice) => fc.tuple(fc.constant(invoice), fc.shuffledSubarray(invoice.coupons, { minLength: invoice.coupons.length }))),
        ([invoice, shuffled]) => {
          expect(serialized(run(invoice, shuffled))).toBe(serialized(run(invoice)));
        },
      ),
      RUNS,
    );
  });

  it('each coupon’s split over the fees sums to its credit, within the precision Lago keeps (see above)', () => {
    fc.assert(
      fc.property(invoiceArb, (invoice) => {
        const full = run(invoice);
        const byId = new Map(invoice.coupons.map((c) => [c.appliedCouponId, c]));
        const credited = full.credits.map((c) => byId.get(c.appliedCouponId) as AppliedCouponState);
        const tolerance = TOLERANCE_PER_FEE.times(invoice.fees.length);
        let before: CouponsApplied = run(invoice, []);
        for (let k = 1; k <= credited.length; k += 1) {
          // Coupons apply one after the other without looking ahead: the first k credited coupons alone give the
          // same first k credits, so the difference between two prefixes is the k-th coupon's split.
          const prefix = run(invoice, credited.slice(0, k));
          expect(serializedCredits(prefix.credits)).toBe(serializedCredits(full.credits.slice(0, k)));
          const credit = full.credits[k - 1]?.amountCents ?? d(0);
          const split = sum(prefix.feeCoupons.values()).minus(sum(before.feeCoupons.values()));
          const leftOver = BigNumber.max(sum(before.feeCoupons.values()).minus(before.couponsAmountCents), 0);
          const gap = split.minus(credit);
          const coupon = credited[k - 1] as AppliedCouponState;
          const targeted = targetedBy(coupon, invoice.fees);
          const preciseBefore = (f: CouponFee) => (f.preciseCouponsAmountCents ?? d(0)).plus(feeCoupon(before, f.id));
          const base = sum(targeted.map((f) => f.amountCents.minus(preciseBefore(f))));
          if (coupon.couponType === 'PERCENTAGE' && isLimited(coupon) && credit.gt(base)) {
            // Rounded above its decimal base: every targeted fee reaches its amount, the split is the base exactly.
            expect(credit.minus(base).lt(1)).toBe(true);
            for (const f of targeted) expect(feeCoupon(prefix, f.id).plus(f.preciseCouponsAmountCents ?? 0).eq(f.amountCents)).toBe(true);
            expect(split.eq(base)).toBe(true);
          } else {
            expect(gap.lt(tolerance.plus(1))).toBe(true);
            expect(gap.gte(leftOver.plus(tolerance).negated())).toBe(true);
          }
          before = prefix;
        }
      }),
      { numRuns: 150 },
    );
  });

  it('frequency bookkeeping: recurring counts down by one, once percentage ends, forever never ends, credited adds up', () => {
    fc.assert(
      fc.property(invoiceArb, (invoice) => {
        const result = run(invoice);
        const byId = new Map(invoice.coupons.map((c) => [c.appliedCouponId, c]));
        for (const credit of result.credits) {
          const coupon = byId.get(credit.appliedCouponId) as AppliedCouponState;
          expect(credit.creditedAmountCents.eq(coupon.creditedAmountCents.plus(credit.amountCents))).toBe(true);
          if (coupon.frequency === 'RECURRING') {
            expect(credit.frequencyDurationRemaining).toBe(Math.max((coupon.frequencyDurationRemaining ?? 0) - 1, 0));
            expect(credit.terminated).toBe(credit.frequencyDurationRemaining === 0);
          } else if (coupon.frequency === 'FOREVER') {
            expect(credit.terminated).toBe(false);
          } else if (coupon.couponType === 'PERCENTAGE') {
            expect(credit.terminated).toBe(true);
          } else if (credit.terminated) {
            expect(credit.amountCents.eq(coupon.amountCents?.minus(coupon.creditedAmountCents) ?? -1)).toBe(true);
          }
          if (coupon.couponType === 'FIXED_AMOUNT') {
            expect(coupon.amountCurrency).toBe('EUR');
            expect(credit.amountCents.lte(coupon.amountCents ?? 0)).toBe(true);
          }
        }
      }),
      RUNS,
    );
  });
});

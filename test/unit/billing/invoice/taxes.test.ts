import BigNumber from 'bignumber.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TaxableFee, TaxRate } from '../../../../src/billing/invoice/taxes.ts';
import { computeTaxes } from '../../../../src/billing/invoice/taxes.ts';
import { d, expectDecimal } from '../support.ts';

const tax1: TaxRate = { code: 'tax1', name: 'VAT 10', rate: '10' };
const tax2: TaxRate = { code: 'tax2', rate: '12' };

const fee = (id: string, amountCents: BigNumber.Value, taxes: TaxRate[], extra: Partial<TaxableFee> = {}): TaxableFee => ({
  id,
  amountCents: d(amountCents),
  taxes,
  ...extra,
});

describe('taxes — Lago spec examples', () => {
  it('two fees, two taxes (spec/services/invoices/apply_taxes_service_spec.rb:41-76)', () => {
    const result = computeTaxes([fee('fee1', 1000, [tax1]), fee('fee2', 2000, [tax1, tax2])]);
    const [t1, t2] = result.appliedTaxes;
    expect(t1).toMatchObject({ code: 'tax1', name: 'VAT 10', rate: '10' });
    expectDecimal(t1?.amountCents ?? d(-1), 300);
    expectDecimal(t1?.feesAmountCents ?? d(-1), 3000);
    expect(t2).toMatchObject({ code: 'tax2', name: null, rate: '12' });
    expectDecimal(t2?.amountCents ?? d(-1), 240);
    expectDecimal(t2?.feesAmountCents ?? d(-1), 2000);
    expectDecimal(result.taxesAmountCents, 540);
    expectDecimal(result.taxesRate, 18); // 10 × 3000/3000 + 12 × 2000/3000
    expectDecimal(result.fees[1]?.taxesAmountCents ?? d(-1), 440);
    expectDecimal(result.fees[1]?.taxesRate ?? d(-1), 22);
  });

  it('a zero invoice prorates the rate by fee count (apply_taxes_service_spec.rb:80-129)', () => {
    const result = computeTaxes([fee('fee1', 0, [tax1]), fee('fee2', 0, [tax1, tax2])]);
    expectDecimal(result.taxesAmountCents, 0);
    expectDecimal(result.taxesRate, 16); // 10 × 2/2 + 12 × 1/2
    expect(result.fees.every((f) => f.taxesAmountCents.isZero())).toBe(true);
  });

  it('coupons come before taxes, the tax base is truncated in feesAmountCents (apply_taxes_service_spec.rb:131-179)', () => {
    // 1000 coupon cents split 1/3 – 2/3; Lago stores precise coupons at 5 decimals (numeric(30,5)).
    const fees = [
      fee('fee1', 1000, [tax1], { preciseCouponsAmountCents: d('333.33333') }),
      fee('fee2', 2000, [tax1, tax2], { preciseCouponsAmountCents: d('666.66667') }),
    ];
    const result = computeTaxes(fees, { subTotalExcludingTaxesAmountCents: d(2000) });
    const [t1, t2] = result.appliedTaxes;
    expectDecimal(t1?.amountCents ?? d(-1), 200);
    expectDecimal(t1?.feesAmountCents ?? d(-1), 2000);
    expectDecimal(t2?.amountCents ?? d(-1), 160); // 1333.33333 × 12 / 100 = 159.9999996
    expectDecimal(t2?.feesAmountCents ?? d(-1), 1333); // 1333.33333 assigned to a bigint column
    expectDecimal(result.taxesAmountCents, 360);
    expectDecimal(result.taxesRate, 18); // 10 + 12 × 0.666666665 = 17.99999998 → round(5)
  });

  it('per fee: a coupon reduces the base (spec/services/fees/apply_taxes_service_spec.rb:261-289)', () => {
    const result = computeTaxes([fee('f', 1000, [{ code: 'tax3', rate: '5' }], { preciseAmountCents: d(1000), preciseCouponsAmountCents: d(100) })]);
    const [only] = result.fees;
    expectDecimal(only?.taxesAmountCents ?? d(-1), 45);
    expectDecimal(only?.taxesPreciseAmountCents ?? d(-1), 45);
    expectDecimal(only?.taxesRate ?? d(-1), 5);
    expectDecimal(only?.appliedTaxes[0]?.amountCents ?? d(-1), 45);
    expectDecimal(only?.appliedTaxes[0]?.preciseAmountCents ?? d(-1), 45);
  });

  it('per fee: several taxes stack on the same base (fees/apply_taxes_service_spec.rb:212-257: 100 + 120 = 220)', () => {
    const result = computeTaxes([fee('f', 1000, [tax1, tax2])]);
    expectDecimal(result.fees[0]?.taxesAmountCents ?? d(-1), 220);
    expectDecimal(result.fees[0]?.taxesPreciseAmountCents ?? d(-1), 220);
    expectDecimal(result.fees[0]?.taxesRate ?? d(-1), 22);
  });
});

describe('taxes — rounding', () => {
  const vat = { code: 'vat', rate: '20' };

  it('each fee tax, each invoice tax and the invoice total are rounded separately', () => {
    // Three fees of 1.25 cents of tax each: every fee rounds to 1, the invoice to round(3.75) = 4.
    const result = computeTaxes([fee('a', '6.25', [vat]), fee('b', '6.25', [vat]), fee('c', '6.25', [vat])]);
    expect(result.fees.map((f) => f.taxesAmountCents.toNumber())).toEqual([1, 1, 1]);
    expectDecimal(result.appliedTaxes[0]?.amountCents ?? d(-1), 4);
    expectDecimal(result.taxesAmountCents, 4);
  });

  it('a fee rounds the sum of its unrounded taxes, not the sum of its rounded ones', () => {
    // 45 × 1% = 0.45 twice: each applied tax rounds to 0, the fee to round(0.9) = 1.
    const result = computeTaxes([fee('a', 45, [{ code: 'x', rate: '1' }, { code: 'y', rate: '1' }])]);
    expect(result.fees[0]?.appliedTaxes.map((t) => t.amountCents.toNumber())).toEqual([0, 0]);
    expectDecimal(result.fees[0]?.taxesAmountCents ?? d(-1), 1);
    // The invoice taxes are per tax (0.45 each → 0 and 0) but its total rounds their unrounded sum: 1.
    expect(result.appliedTaxes.map((t) => t.amountCents.toNumber())).toEqual([0, 0]);
    expectDecimal(result.taxesAmountCents, 1);
  });

  it('rounds ties half away from zero, on the Float Lago computes', () => {
    // 250 × 1% = 2.5 → 3; 8.5% of 1 cent = 0.085 → 0.
    expectDecimal(computeTaxes([fee('a', 250, [{ code: 'x', rate: '1' }])]).taxesAmountCents, 3);
    expectDecimal(computeTaxes([fee('a', 1, [{ code: 'x', rate: '8.5' }])]).taxesAmountCents, 0);
    // 0.1 + 0.2 is 0.30000000000000004 in Floats: the fee's rate shows it.
    expectDecimal(computeTaxes([fee('a', 100, [{ code: 'x', rate: '0.1' }, { code: 'y', rate: '0.2' }])]).fees[0]?.taxesRate ?? d(-1), '0.30000000000000004');
  });

  it('the precise tax uses the fee precise amount', () => {
    const result = computeTaxes([fee('a', 100, [vat], { preciseAmountCents: d('100.4') })]);
    expectDecimal(result.fees[0]?.appliedTaxes[0]?.preciseAmountCents ?? d(-1), '20.08');
    expectDecimal(result.fees[0]?.appliedTaxes[0]?.amountCents ?? d(-1), 20);
  });

  it('untaxed fees count in the rate denominator', () => {
    const result = computeTaxes([fee('a', 1000, [vat]), fee('b', 1000, [])]);
    expectDecimal(result.taxesRate, 10);
    expectDecimal(result.fees[1]?.taxesAmountCents ?? d(-1), 0);
    expect(result.fees[1]?.appliedTaxes).toEqual([]);
    expectDecimal(computeTaxes([fee('a', 0, [vat]), fee('b', 0, [])]).taxesRate, 10); // 1 fee of 2 × 20
    expectDecimal(computeTaxes([]).taxesAmountCents, 0);
  });

  it('refuses a tax listed twice on a fee, two rates for one code, and a negative rate', () => {
    expect(() => computeTaxes([fee('a', 1, [vat, vat])])).toThrow(RangeError);
    expect(() => computeTaxes([fee('a', 1, [vat]), fee('b', 1, [{ code: 'vat', rate: '19' }])])).toThrow(RangeError);
    expect(() => computeTaxes([fee('a', 1, [{ code: 'neg', rate: '-1' }])])).toThrow(RangeError);
    expect(() => computeTaxes([fee('a', 1, [{ code: 'bad', rate: '1e2' }])])).toThrow(TypeError);
  });
});

const rateArb = fc.oneof(fc.constantFrom('0', '5', '5.5', '7.7', '8.5', '10', '19.6', '20', '21', '25'), fc.integer({ min: 0, max: 3000 }).map((n) => new BigNumber(n).shiftedBy(-2).toFixed()));
const taxPoolArb = fc.uniqueArray(fc.record({ code: fc.constantFrom('a', 'b', 'c', 'd'), rate: rateArb }), { selector: (t) => t.code, minLength: 1, maxLength: 4 });
const feesArb = taxPoolArb.chain((pool) =>
  fc.array(
    fc.record({
      amount: fc.integer({ min: 0, max: 5_000_000 }),
      couponShare: fc.integer({ min: 0, max: 100 }),
      taxes: fc.subarray(pool),
    }),
    { minLength: 1, maxLength: 8 },
  ).map((rows) => rows.map((row, i): TaxableFee => ({
    id: `fee${i}`,
    amountCents: d(row.amount),
    preciseCouponsAmountCents: d(row.amount).times(row.couponShare).div(100).decimalPlaces(5),
    taxes: row.taxes,
  }))),
);

describe('taxes — properties', () => {
  it('|invoice taxes − Σ fee taxes| ≤ ⌊fees/2⌋ and |invoice taxes − Σ applied taxes| ≤ ⌊taxes/2⌋; one fee: equal', () => {
    fc.assert(
      fc.property(feesArb, (fees) => {
        const result = computeTaxes(fees);
        const feeSum = BigNumber.sum(0, ...result.fees.map((f) => f.taxesAmountCents));
        const appliedSum = BigNumber.sum(0, ...result.appliedTaxes.map((t) => t.amountCents));
        expect(result.taxesAmountCents.minus(feeSum).abs().toNumber()).toBeLessThanOrEqual(Math.floor(fees.length / 2));
        expect(result.taxesAmountCents.minus(appliedSum).abs().toNumber()).toBeLessThanOrEqual(Math.floor(result.appliedTaxes.length / 2));
        if (fees.length === 1) expectDecimal(result.taxesAmountCents, feeSum);
      }),
    );
  });

  it('every amount is integer cents within half a cent of its exact value', () => {
    fc.assert(
      fc.property(feesArb, (fees) => {
        const result = computeTaxes(fees);
        let exactTotal = new BigNumber(0);
        result.fees.forEach((feeTaxes, i) => {
          const input = fees[i]!;
          const base = input.amountCents.minus(input.preciseCouponsAmountCents ?? 0);
          const exact = BigNumber.sum(0, ...input.taxes.map((t) => base.times(t.rate).div(100)));
          exactTotal = exactTotal.plus(exact);
          expect(feeTaxes.taxesAmountCents.isInteger()).toBe(true);
          // Half a cent, plus the Float error (far below a millionth of a cent at these magnitudes).
          expect(feeTaxes.taxesAmountCents.minus(exact).abs().isLessThanOrEqualTo('0.500001')).toBe(true);
          expect(feeTaxes.taxesPreciseAmountCents.minus(exact).abs().isLessThan('0.000001')).toBe(true);
          // Lago sums the rates as Floats: JS numbers are the same doubles (4.45 + 8.61 = 13.059999999999999).
          expectDecimal(feeTaxes.taxesRate, String(input.taxes.reduce((sum, t) => sum + Number(t.rate), 0)));
        });
        expect(result.taxesAmountCents.minus(exactTotal).abs().isLessThanOrEqualTo('0.500001')).toBe(true);
      }),
    );
  });

  it('a zero fee (or a fully discounted one) has zero taxes; a zero rate taxes nothing', () => {
    fc.assert(
      fc.property(feesArb, (fees) => {
        const zeroed = fees.map((f) => ({ ...f, amountCents: d(0), preciseCouponsAmountCents: d(0) }));
        const result = computeTaxes(zeroed);
        expect(result.taxesAmountCents.isZero()).toBe(true);
        expect(result.fees.every((f) => f.taxesAmountCents.isZero() && f.taxesPreciseAmountCents.isZero())).toBe(true);
        const discounted = computeTaxes(fees.map((f) => ({ ...f, preciseCouponsAmountCents: f.amountCents })));
        expect(discounted.taxesAmountCents.isZero()).toBe(true);
        const untaxed = computeTaxes(fees.map((f) => ({ ...f, taxes: f.taxes.map((t) => ({ ...t, rate: '0' })) })));
        expect(untaxed.taxesAmountCents.isZero()).toBe(true);
      }),
    );
  });

  it('the invoice rate is the base-weighted mean of the rates, and the largest rate bounds it', () => {
    fc.assert(
      fc.property(feesArb, (fees) => {
        const result = computeTaxes(fees);
        const maxFeeRate = BigNumber.max(0, ...result.fees.map((f) => f.taxesRate));
        expect(result.taxesRate.isLessThanOrEqualTo(maxFeeRate.plus('0.00001'))).toBe(true);
        expect(result.taxesRate.decimalPlaces() ?? 0).toBeLessThanOrEqual(5);
      }),
    );
  });
});

import BigNumber from 'bignumber.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyCoupons, type AppliedCouponState } from '../../../src/billing/invoice/coupons.ts';
import { assembleInvoice, type ChargeToBill, type InvoiceToAssemble } from '../../../src/billing/invoicing.ts';
import type { ChargeUsage } from '../../../src/billing/usage/price.ts';
import type { PlanCharge } from '../../../src/domain/plan/types.ts';

/**
 * Issue 14's property: for random fees, coupons and credit notes, an invoice assembled as finalization does it
 * (src/application/invoices.ts `finalizationLedger`: coupons on the plain fees, then credit notes on what the
 * taxed sub-total leaves) has total = fees − coupons + taxes − credit notes, every component ≥ 0, the coupons' split
 * onto the fees summing to the coupons' amount, and the credits it lists adding up to its totals.
 */
const METRICS = ['calls', 'storage', 'seats'];
const RATES = ['0', '5.5', '20'];

const big = (v: number) => new BigNumber(v);
function chargeOf(index: number, metric: string, amounts: number[], rate: string | null): ChargeToBill {
  const usage = {
    billableMetric: { id: metric, name: metric, code: metric, aggregationType: 'COUNT' },
    fees: amounts.map((amount) => ({
      filterValues: null,
      invoiceDisplayName: null,
      groupedBy: {},
      units: big(1),
      eventsCount: 1,
      amountCents: big(amount),
      preciseAmountCents: big(amount),
      unitAmountCents: big(amount),
      preciseUnitAmount: big(amount).shiftedBy(-2),
      details: null,
    })),
  } as unknown as ChargeUsage;
  const charge = { id: `charge-${index}`, chargeModel: 'STANDARD', invoiceDisplayName: null, billableMetricCode: metric } as unknown as PlanCharge;
  return { charge, usage, taxes: rate === null ? [] : [{ code: `t${rate}`, rate }], trueUp: null };
}

const invoiceArb = fc.record({
  subscriptionFee: fc.option(fc.integer({ min: 0, max: 500_000 }), { nil: null }),
  planRate: fc.option(fc.constantFrom(...RATES), { nil: null }),
  charges: fc.array(fc.record({ metric: fc.constantFrom(...METRICS), amounts: fc.array(fc.integer({ min: 0, max: 200_000 }), { minLength: 1, maxLength: 3 }), rate: fc.option(fc.constantFrom(...RATES), { nil: null }) }), { maxLength: 4 }),
});
const couponArb = fc.record({
  couponType: fc.constantFrom('FIXED_AMOUNT' as const, 'PERCENTAGE' as const),
  frequency: fc.constantFrom('ONCE' as const, 'RECURRING' as const, 'FOREVER' as const),
  amount: fc.integer({ min: 1, max: 300_000 }),
  rate: fc.integer({ min: 1, max: 10_000 }).map((r) => big(r).shiftedBy(-2)),
  metric: fc.option(fc.constantFrom(...METRICS), { nil: null }),
  credited: fc.integer({ min: 0, max: 100 }),
});

describe('an invoice with coupons and credit notes (property)', () => {
  it('total = fees − coupons + taxes − credit notes; no component negative; splits add up', () => {
    // The cases must exercise both discounts (else the property says nothing about them).
    let couponCases = 0;
    let creditNoteCases = 0;
    fc.assert(
      fc.property(invoiceArb, fc.array(couponArb, { maxLength: 4 }), fc.array(fc.integer({ min: 1, max: 400_000 }), { maxLength: 3 }), (shape, coupons, noteBalances) => {
        const planTaxes = shape.planRate === null ? [] : [{ code: `p${shape.planRate}`, rate: shape.planRate }];
        const input: InvoiceToAssemble = {
          invoiceId: 'inv',
          subscriptionId: 'sub',
          currency: 'EUR',
          subscriptionFee:
            shape.subscriptionFee === null
              ? null
              : {
                  fee: { units: big(1), amountCents: big(shape.subscriptionFee), preciseAmountCents: big(shape.subscriptionFee), planAmountCents: big(shape.subscriptionFee), fromDatetime: '2026-01-01T00:00:00.000Z', toDatetime: '2026-01-31T23:59:59.999Z', days: 31, periodDays: 31 } as never,
                  taxes: planTaxes,
                  invoiceDisplayName: null,
                },
          charges: shape.charges.map((c, i) => chargeOf(i, c.metric, c.amounts, c.rate)),
          chargesFrom: '2026-01-01T00:00:00.000Z',
          chargesTo: '2026-01-31T23:59:59.999Z',
          commitment: null,
        };
        const plain = assembleInvoice(input);
        const states: AppliedCouponState[] = coupons.map((c, i) => ({
          appliedCouponId: `ac-${i}`,
          couponCode: `c${i}`,
          couponType: c.couponType,
          frequency: c.frequency,
          amountCents: c.couponType === 'FIXED_AMOUNT' ? big(c.amount) : null,
          amountCurrency: c.couponType === 'FIXED_AMOUNT' ? 'EUR' : null,
          percentageRate: c.couponType === 'PERCENTAGE' ? c.rate : null,
          frequencyDurationRemaining: c.frequency === 'RECURRING' ? 3 : null,
          creditedAmountCents: c.couponType === 'FIXED_AMOUNT' && c.frequency === 'ONCE' ? BigNumber.min(c.credited, c.amount - 1) : big(0),
          limitedPlanCodes: [],
          limitedBillableMetricCodes: c.metric === null ? [] : [c.metric],
          createdAt: `2026-01-0${1 + (i % 9)}T00:00:00.000Z`,
        }));
        const applied = applyCoupons({ currency: 'EUR', fees: plain.fees.map((f) => ({ id: f.id, feeType: f.feeType, amountCents: new BigNumber(f.amountCents), billableMetricCode: f.billableMetricCode, planCode: 'plan' })), coupons: states });
        const withCoupons = assembleInvoice({ ...input, coupons: applied });
        // Credit notes after taxes, oldest first, each at most what remains.
        let remaining = new BigNumber(withCoupons.totals.subTotalIncludingTaxesAmountCents);
        const consumed = noteBalances.flatMap((balance, i) => {
          const amount = BigNumber.min(balance, remaining);
          remaining = remaining.minus(amount);
          return amount.isGreaterThan(0) ? [{ creditNoteId: `cn-${i}`, creditNoteNumber: `CN${i}`, amountCents: amount }] : [];
        });
        const final = assembleInvoice({ ...input, coupons: applied, ...(consumed.length === 0 ? {} : { creditNotes: { amountCents: BigNumber.sum(0, ...consumed.map((c) => c.amountCents)), credits: consumed } }) });
        const t = Object.fromEntries(Object.entries(final.totals).map(([k, v]) => [k, new BigNumber(v)])) as Record<keyof typeof final.totals, BigNumber>;
        if (t.couponsAmountCents.isGreaterThan(0)) couponCases += 1;
        if (t.creditNotesAmountCents.isGreaterThan(0)) creditNoteCases += 1;
        expect(t.totalAmountCents.toFixed()).toBe(t.feesAmountCents.minus(t.couponsAmountCents).plus(t.taxesAmountCents).minus(t.creditNotesAmountCents).toFixed());
        for (const [name, value] of Object.entries(t)) expect(value.isNegative(), `${name} ${value.toFixed()}`).toBe(false);
        for (const name of ['feesAmountCents', 'couponsAmountCents', 'taxesAmountCents', 'creditNotesAmountCents', 'totalAmountCents'] as const) expect(t[name].isInteger(), name).toBe(true);
        // The fees are those of the plain invoice; coupons never exceed a fee.
        expect(final.fees.map((f) => f.amountCents)).toEqual(plain.fees.map((f) => f.amountCents));
        for (const f of final.fees) expect(new BigNumber(f.preciseCouponsAmountCents ?? '0').isLessThanOrEqualTo(f.amountCents)).toBe(true);
        // The coupons' split onto the fees adds up to the coupons' amount (Lago truncates each credit to the cent
        // after splitting its exact amount: at most one cent per coupon apart, never below).
        const split = BigNumber.sum(0, ...final.fees.map((f) => f.preciseCouponsAmountCents ?? '0'));
        expect(split.minus(t.couponsAmountCents).abs().isLessThanOrEqualTo(coupons.length), `split ${split.toFixed()} vs ${t.couponsAmountCents.toFixed()}`).toBe(true);
        // The credits listed are what the totals say.
        const credits = final.credits ?? [];
        expect(BigNumber.sum(0, ...credits.filter((c) => c.type === 'COUPON').map((c) => c.amountCents)).toFixed()).toBe(t.couponsAmountCents.toFixed());
        expect(BigNumber.sum(0, ...credits.filter((c) => c.type === 'CREDIT_NOTE').map((c) => c.amountCents)).toFixed()).toBe(t.creditNotesAmountCents.toFixed());
      }),
      { numRuns: 300 },
    );
    expect(couponCases).toBeGreaterThan(50);
    expect(creditNoteCases).toBeGreaterThan(50);
  });
});

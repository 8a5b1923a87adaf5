import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeTaxes } from '../../../../src/billing/invoice/taxes.ts';
import { invoiceTotals, paymentStatusFor } from '../../../../src/billing/invoice/totals.ts';
import { d, expectDecimal } from '../support.ts';

const fees = (...cents: number[]) => cents.map((c) => ({ amountCents: d(c) }));

describe('invoice totals (§4.4)', () => {
  it('applies progressive credit and coupons before taxes, credit notes and wallets after', () => {
    const totals = invoiceTotals({
      fees: fees(1000, 2000),
      progressiveBillingCreditAmountCents: d(500),
      couponsAmountCents: d(300),
      taxesAmountCents: d(440),
      creditNotesAmountCents: d(140),
      prepaidCreditAmountCents: d(1000),
    });
    expectDecimal(totals.feesAmountCents, 3000);
    expectDecimal(totals.subTotalExcludingTaxesAmountCents, 2200);
    expectDecimal(totals.subTotalIncludingTaxesAmountCents, 2640);
    expectDecimal(totals.creditNotesAmountCents, 140);
    expectDecimal(totals.prepaidCreditAmountCents, 1000);
    expectDecimal(totals.totalAmountCents, 1500);
    expect(paymentStatusFor(totals)).toBe('PENDING');
  });

  it('a zero total is paid at generation; credits default to 0', () => {
    const free = invoiceTotals({ fees: fees(0), taxesAmountCents: d(0) });
    expectDecimal(free.totalAmountCents, 0);
    expectDecimal(free.couponsAmountCents, 0);
    expect(paymentStatusFor(free)).toBe('SUCCEEDED');
    const covered = invoiceTotals({ fees: fees(1000), taxesAmountCents: d(200), prepaidCreditAmountCents: d(1200) });
    expect(paymentStatusFor(covered)).toBe('SUCCEEDED');
    expect(invoiceTotals({ fees: [], taxesAmountCents: d(0) }).feesAmountCents.isZero()).toBe(true);
  });

  it('totals Lago spec numbers: 3000 of fees, 1000 of coupons, 360 of taxes (invoices/apply_taxes_service_spec.rb:131-179)', () => {
    const taxes = computeTaxes(
      [
        { id: 'fee1', amountCents: d(1000), preciseCouponsAmountCents: d('333.33333'), taxes: [{ code: 'tax1', rate: '10' }] },
        { id: 'fee2', amountCents: d(2000), preciseCouponsAmountCents: d('666.66667'), taxes: [{ code: 'tax1', rate: '10' }, { code: 'tax2', rate: '12' }] },
      ],
      { subTotalExcludingTaxesAmountCents: d(2000) },
    );
    const totals = invoiceTotals({ fees: fees(1000, 2000), couponsAmountCents: d(1000), taxesAmountCents: taxes.taxesAmountCents });
    expectDecimal(totals.subTotalExcludingTaxesAmountCents, 2000);
    expectDecimal(totals.subTotalIncludingTaxesAmountCents, 2360);
    expectDecimal(totals.totalAmountCents, 2360);
  });

  it('refuses credits larger than what they apply to (Lago caps each where it is computed) and non-integer cents', () => {
    expect(() => invoiceTotals({ fees: fees(100), taxesAmountCents: d(0), progressiveBillingCreditAmountCents: d(101) })).toThrow(RangeError);
    expect(() => invoiceTotals({ fees: fees(100), taxesAmountCents: d(0), progressiveBillingCreditAmountCents: d(60), couponsAmountCents: d(41) })).toThrow(RangeError);
    expect(() => invoiceTotals({ fees: fees(100), taxesAmountCents: d(20), creditNotesAmountCents: d(121) })).toThrow(RangeError);
    expect(() => invoiceTotals({ fees: fees(100), taxesAmountCents: d(20), creditNotesAmountCents: d(100), prepaidCreditAmountCents: d(21) })).toThrow(RangeError);
    expect(() => invoiceTotals({ fees: fees(100), taxesAmountCents: d(0), couponsAmountCents: d(-1) })).toThrow(RangeError);
    expect(() => invoiceTotals({ fees: [{ amountCents: d('1.5') }], taxesAmountCents: d(0) })).toThrow(RangeError);
    expect(() => invoiceTotals({ fees: fees(1), taxesAmountCents: d(-1) })).toThrow(RangeError);
  });
});

/** An invoice whose credits are each capped at what they apply to, as Lago's credit services cap them. */
const invoiceArb = fc
  .record({
    fees: fc.array(fc.integer({ min: 0, max: 1_000_000 }), { maxLength: 10 }),
    taxRatePercent: fc.integer({ min: 0, max: 30 }),
    shares: fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1.2, noNaN: true })),
  })
  .map(({ fees: cents, taxRatePercent, shares: [progressive, coupons, creditNotes, prepaid] }) => {
    const total = cents.reduce((a, b) => a + b, 0);
    const progressiveCredit = Math.floor(total * progressive);
    const coupon = Math.floor((total - progressiveCredit) * coupons);
    const taxes = Math.round(((total - progressiveCredit - coupon) * taxRatePercent) / 100);
    const incl = total - progressiveCredit - coupon + taxes;
    const creditNote = Math.floor(incl * creditNotes);
    const wallet = Math.min(Math.floor(incl * prepaid), incl - creditNote);
    return {
      fees: fees(...cents),
      taxesAmountCents: d(taxes),
      progressiveBillingCreditAmountCents: d(progressiveCredit),
      couponsAmountCents: d(coupon),
      creditNotesAmountCents: d(creditNote),
      prepaidCreditAmountCents: d(wallet),
    };
  });

describe('invoice totals — properties', () => {
  it('the identities hold and nothing goes negative', () => {
    fc.assert(
      fc.property(invoiceArb, (input) => {
        const t = invoiceTotals(input);
        expectDecimal(t.subTotalExcludingTaxesAmountCents, t.feesAmountCents.minus(t.progressiveBillingCreditAmountCents).minus(t.couponsAmountCents));
        expectDecimal(t.subTotalIncludingTaxesAmountCents, t.subTotalExcludingTaxesAmountCents.plus(t.taxesAmountCents));
        expectDecimal(t.totalAmountCents, t.subTotalIncludingTaxesAmountCents.minus(t.creditNotesAmountCents).minus(t.prepaidCreditAmountCents));
        for (const value of Object.values(t)) {
          expect(value.isInteger()).toBe(true);
          expect(value.isNegative()).toBe(false);
        }
        expect(t.totalAmountCents.isLessThanOrEqualTo(t.subTotalIncludingTaxesAmountCents)).toBe(true);
        expect(paymentStatusFor(t)).toBe(t.totalAmountCents.isZero() ? 'SUCCEEDED' : 'PENDING');
      }),
    );
  });
});

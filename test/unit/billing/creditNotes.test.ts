import BigNumber from 'bignumber.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CreditableFee, CreditNoteAmounts, CreditNoteInvoice, CreditNoteItemInput, EarlierCreditNote, TerminationCreditInput } from '../../../src/billing/creditNotes.ts';
import {
  adjustSplitForRounding,
  checkSplit,
  creditNoteAmounts,
  creditNoteTaxesForItems,
  estimateCreditNote,
  invoiceCreditableAmountCents,
  invoiceFeeTotalAmountCents,
  invoiceRefundableAmountCents,
  terminationCredit,
} from '../../../src/billing/creditNotes.ts';
import type { AppliedCouponState } from '../../../src/billing/invoice/coupons.ts';
import { applyCoupons } from '../../../src/billing/invoice/coupons.ts';
import { computeTaxes } from '../../../src/billing/invoice/taxes.ts';
import { d, expectDecimal } from './support.ts';

const tax = (code: string, rate: BigNumber.Value) => ({ code, name: code.toUpperCase(), rate: d(rate).toFixed() });

const fee = (id: string, amountCents: BigNumber.Value, extra: Partial<CreditableFee> = {}): CreditableFee => ({
  id,
  amountCents: d(amountCents),
  preciseCouponsAmountCents: d(0),
  taxes: [],
  creditedAmountCents: d(0),
  ...extra,
});

const invoiceOf = (fees: readonly CreditableFee[], extra: Partial<CreditNoteInvoice> = {}): CreditNoteInvoice => ({
  feesAmountCents: BigNumber.sum(0, ...fees.map((f) => f.amountCents)),
  couponsAmountCents: d(0),
  totalAmountCents: d(0),
  ...extra,
});

const item = (feeId: string, amountCents: BigNumber.Value): CreditNoteItemInput => ({ feeId, amountCents: d(amountCents) });

const amounts = (fees: readonly CreditableFee[], items: CreditNoteItemInput[], invoice: Partial<CreditNoteInvoice> = {}) =>
  creditNoteAmounts({ currency: 'EUR', fees, items, invoice: invoiceOf(fees, invoice) });

const expectAmounts = (a: CreditNoteAmounts, expected: Record<string, BigNumber.Value>) => {
  for (const [key, value] of Object.entries(expected)) {
    const actual = (a as unknown as Record<string, BigNumber>)[key];
    expect(actual, key).toBeDefined();
    expectDecimal(actual ?? d(-1), value);
  }
};

const earlier = (note: Partial<EarlierCreditNote>): EarlierCreditNote => ({
  creditAmountCents: d(0),
  refundAmountCents: d(0),
  offsetAmountCents: d(0),
  taxesAmountCents: d(0),
  preciseTaxesAmountCents: d(0),
  ...note,
});

describe('ApplyTaxesService (spec/services/credit_notes/apply_taxes_service_spec.rb)', () => {
  // fee1 100 (coupons 20 × 100 / 120, tax1 12 %), fee2 20 (coupons 20 × 20 / 120, tax1 + tax2 8 %); items 20 and 50.
  const fee1 = fee('fee1', 100, { preciseCouponsAmountCents: d('16.66667'), taxes: [tax('tax1', 12)] });
  const fee2 = fee('fee2', 20, { preciseCouponsAmountCents: d('3.33333'), taxes: [tax('tax1', 12), tax('tax2', 8)] });

  it('local taxes: 7 + 3, taxes rate 17.71429, coupons adjustment 12', () => {
    const result = creditNoteTaxesForItems([
      { fee: fee1, preciseAmountCents: d(20) },
      { fee: fee2, preciseAmountCents: d(50) },
    ]);
    expect(result.appliedTaxes.map((t) => [t.code, t.rate, t.amountCents.toFixed()])).toEqual([
      ['tax1', '12', '7'],
      ['tax2', '8', '3'],
    ]);
    expectDecimal(result.taxesAmountCents, 10);
    expectDecimal(result.taxesRate, '17.71429');
    expectDecimal(result.couponsAdjustmentAmountCents.integerValue(BigNumber.ROUND_HALF_UP), 12);
    // base of tax1 = (20 − 16.66667 × 0.2) + (50 − 3.33333 × 2.5)
    expectDecimal(result.appliedTaxes[0]?.baseAmountCents ?? d(-1), 58);
  });

  it('no taxes on the fees: no applied tax, rate 0, coupons adjustment still 12', () => {
    const result = creditNoteTaxesForItems([
      { fee: { ...fee1, taxes: [] }, preciseAmountCents: d(20) },
      { fee: { ...fee2, taxes: [] }, preciseAmountCents: d(50) },
    ]);
    expect(result.appliedTaxes).toHaveLength(0);
    expectDecimal(result.taxesAmountCents, 0);
    expectDecimal(result.taxesRate, 0);
    expectDecimal(result.couponsAdjustmentAmountCents.integerValue(BigNumber.ROUND_HALF_UP), 12);
  });

  it('plain fees, 20 % and 10 %: 14 + 5, rate 27.14286', () => {
    const a = fee('a', 100, { taxes: [tax('t20', 20)] });
    const b = fee('b', 50, { taxes: [tax('t20', 20), tax('t10', 10)] });
    const result = creditNoteTaxesForItems([
      { fee: a, preciseAmountCents: d(20) },
      { fee: b, preciseAmountCents: d(50) },
    ]);
    expect(result.appliedTaxes.map((t) => t.amountCents.toFixed())).toEqual(['14', '5']);
    expectDecimal(result.taxesAmountCents, 19);
    expectDecimal(result.taxesRate, '27.14286');
  });
});

describe('CreateService (spec/services/credit_notes/create_service_spec.rb)', () => {
  const vat = [tax('vat', 20)];

  it('two fees of 10, items 10 + 5, 20 %: taxes 3, total 18, credit 12 + refund 6', () => {
    const fees = [fee('fee1', 10, { taxes: vat }), fee('fee2', 10, { taxes: vat })];
    const a = amounts(fees, [item('fee1', 10), item('fee2', 5)], { totalAmountCents: d(24) });
    expectAmounts(a, { couponsAdjustmentAmountCents: 0, taxesAmountCents: 3, taxesRate: 20, subTotalExcludingTaxesAmountCents: 15, totalAmountCents: 18 });
    expect(a.items.map((i) => [i.feeId, i.amountCents.toFixed(), i.preciseAmountCents.toFixed()])).toEqual([
      ['fee1', '10', '10'],
      ['fee2', '5', '5'],
    ]);
    const split = { creditAmountCents: d(12), refundAmountCents: d(6), offsetAmountCents: d(0) };
    const feeTotal = invoiceFeeTotalAmountCents(fees);
    expectDecimal(feeTotal, 24);
    expect(() => checkSplit({ ...split, totalAmountCents: a.totalAmountCents, paidAmountCents: d(6), dueAmountCents: d(18), feeTotalAmountCents: feeTotal })).not.toThrow();
    const final = adjustSplitForRounding(a, split);
    expect([final.creditAmountCents, final.refundAmountCents, final.totalAmountCents].map(String)).toEqual(['12', '6', '18']);
  });

  it('v3 invoice with coupons: items 10 + 5 on fees of 10 carrying 5 each → sub-total 8, taxes 2, total 10 (credit 7 + refund 3)', () => {
    const fees = [fee('fee1', 10, { taxes: vat, preciseCouponsAmountCents: d(5) }), fee('fee2', 10, { taxes: vat, preciseCouponsAmountCents: d(5) })];
    const a = amounts(fees, [item('fee1', 10), item('fee2', 5)], { couponsAmountCents: d(10), totalAmountCents: d(12) });
    expectAmounts(a, { couponsAdjustmentAmountCents: 8, preciseCouponsAdjustmentAmountCents: '7.5', taxesAmountCents: 2, subTotalExcludingTaxesAmountCents: 8, totalAmountCents: 10, preciseTotalAmountCents: 9 });
    // The caller asked for 6 + 3 = 9 (the precise total): accepted within a cent, then the rounding step adds the cent.
    const split = { creditAmountCents: d(6), refundAmountCents: d(3), offsetAmountCents: d(0) };
    checkSplit({ ...split, totalAmountCents: a.totalAmountCents, preciseTotalAmountCents: a.preciseTotalAmountCents, paidAmountCents: d(12), dueAmountCents: d(0), feeTotalAmountCents: invoiceFeeTotalAmountCents(fees) });
    const final = adjustSplitForRounding(a, split);
    expect([final.creditAmountCents, final.refundAmountCents, final.totalAmountCents].map(String)).toEqual(['7', '3', '10']);
  });

  it('a decimal item (19333.33 of a 20000 fee, 25 %): amount 19333, precise 19333.33, taxes 4833, refund 24166 kept', () => {
    const fees = [fee('fee1', 20000, { taxes: [tax('vat', 25)] })];
    const a = amounts(fees, [item('fee1', '19333.33')], { totalAmountCents: d(25000) });
    expectAmounts(a, { subTotalExcludingTaxesAmountCents: 19333, taxesAmountCents: 4833, couponsAdjustmentAmountCents: 0, totalAmountCents: 24166, taxesRate: 25 });
    expect(a.items.map((i) => [i.amountCents.toFixed(), i.preciseAmountCents.toFixed()])).toEqual([['19333', '19333.33']]);
    const split = { creditAmountCents: d(0), refundAmountCents: d(24166), offsetAmountCents: d(0) };
    checkSplit({ ...split, totalAmountCents: a.totalAmountCents, paidAmountCents: d(25000), dueAmountCents: d(0), feeTotalAmountCents: invoiceFeeTotalAmountCents(fees) });
    const final = adjustSplitForRounding(a, split);
    expect([final.creditAmountCents, final.refundAmountCents].map(String)).toEqual(['0', '24166']);
  });

  it('an offset of 18 on an invoice still owing 18', () => {
    const fees = [fee('fee1', 10, { taxes: vat }), fee('fee2', 10, { taxes: vat })];
    const a = amounts(fees, [item('fee1', 10), item('fee2', 5)]);
    expect(() =>
      checkSplit({ totalAmountCents: a.totalAmountCents, creditAmountCents: d(0), refundAmountCents: d(0), offsetAmountCents: d(18), paidAmountCents: d(6), dueAmountCents: d(18), feeTotalAmountCents: d(24) }),
    ).not.toThrow();
  });

  it('an item above what is left on its fee is refused with the fee id (higher_than_remaining_fee_amount)', () => {
    const fees = [fee('fee1', 10, { taxes: vat }), fee('fee2', 10, { taxes: vat })];
    expect(() => amounts(fees, [item('fee1', 10), item('fee2', 15)])).toThrow(/fee2.*higher_than_remaining_fee_amount/);
  });

  it('zero items make a zero total, which the split check refuses (total_amount_must_be_positive)', () => {
    const fees = [fee('fee1', 10, { taxes: vat }), fee('fee2', 10, { taxes: vat })];
    const a = amounts(fees, [item('fee1', 0), item('fee2', 0)]);
    expectDecimal(a.totalAmountCents, 0);
    expect(() =>
      checkSplit({ totalAmountCents: a.totalAmountCents, creditAmountCents: d(0), refundAmountCents: d(0), offsetAmountCents: d(0), paidAmountCents: d(0), dueAmountCents: d(24), feeTotalAmountCents: d(24) }),
    ).toThrow(/total_amount_must_be_positive/);
  });
});

describe('EstimateService (spec/services/credit_notes/estimate_service_spec.rb)', () => {
  const vat = [tax('vat', 20)];

  it('fees of 10 with coupons of 5 each, items 10 + 5, paid 9: sub-total 8, taxes 1, credit = refund = total = 9', () => {
    const fees = [fee('fee1', 10, { taxes: vat, preciseCouponsAmountCents: d(5) }), fee('fee2', 10, { taxes: vat, preciseCouponsAmountCents: d(5) })];
    const invoice = invoiceOf(fees, { couponsAmountCents: d(10), totalAmountCents: d(12), totalPaidAmountCents: d(9), paymentSucceeded: true });
    const e = estimateCreditNote({ currency: 'EUR', fees, items: [item('fee1', 10), item('fee2', 5)], invoice });
    expectAmounts(e, { subTotalExcludingTaxesAmountCents: 8, creditAmountCents: 9, refundAmountCents: 9, couponsAdjustmentAmountCents: 8, taxesAmountCents: 1, totalAmountCents: 9, taxesRate: 20 });
    expectDecimal(invoiceCreditableAmountCents(fees, invoice), 12); // 20 − 10 + round((5 + 5) × 20 %)
    expectDecimal(invoiceRefundableAmountCents(fees, invoice), 9);
    // The create service makes that note 10 (it adds the cent to the total where the estimate took it off the taxes).
    expectDecimal(creditNoteAmounts({ currency: 'EUR', fees, items: [item('fee1', 10), item('fee2', 5)], invoice }).totalAmountCents, 10);
  });

  it('rounding adjustment: 19333 of a 20000 fee at 25 %, paid 25000 → credit = refund = 24166, taxes 4833', () => {
    const fees = [fee('fee1', 20000, { taxes: [tax('vat', 25)] })];
    const invoice = invoiceOf(fees, { totalAmountCents: d(25000), totalPaidAmountCents: d(25000), paymentSucceeded: true });
    const e = estimateCreditNote({ currency: 'EUR', fees, items: [item('fee1', 19333)], invoice });
    expectAmounts(e, { subTotalExcludingTaxesAmountCents: 19333, creditAmountCents: 24166, refundAmountCents: 24166, couponsAdjustmentAmountCents: 0, taxesAmountCents: 4833, taxesRate: 25 });
  });

  it('items above the fee are refused (higher_than_remaining_fee_amount); decimals are truncated', () => {
    const fees = [fee('fee1', 10, { taxes: vat }), fee('fee2', 10, { taxes: vat })];
    const invoice = invoiceOf(fees, { totalAmountCents: d(24) });
    expect(() => estimateCreditNote({ currency: 'EUR', fees, items: [item('fee1', 10), item('fee2', 15)], invoice })).toThrow(/fee2/);
    const e = estimateCreditNote({ currency: 'EUR', fees, items: [item('fee1', '9.9')], invoice });
    expect(e.items.map((i) => i.amountCents.toFixed())).toEqual(['9']);
    // The estimate checks each item against its fee alone; the create service adds up the items of one fee.
    expect(() => estimateCreditNote({ currency: 'EUR', fees, items: [item('fee1', 6), item('fee1', 6)], invoice })).not.toThrow();
    expect(() => amounts(fees, [item('fee1', 6), item('fee1', 6)])).toThrow(/fee1/);
  });

  it('refundable amount: nothing on a fully paid invoice whose payment has not succeeded; net of earlier refunds', () => {
    const fees = [fee('fee1', 1000, { taxes: vat })];
    expectDecimal(invoiceRefundableAmountCents(fees, invoiceOf(fees, { totalAmountCents: d(1200), totalPaidAmountCents: d(1200), paymentSucceeded: false })), 0);
    const invoice = invoiceOf(fees, { totalAmountCents: d(1200), totalPaidAmountCents: d(1200), paymentSucceeded: true, creditNotes: [earlier({ refundAmountCents: d(500) })] });
    expectDecimal(invoiceRefundableAmountCents(fees, invoice), 700);
  });
});

describe('creditNoteAmounts — rules', () => {
  it('an unknown fee, a negative amount or credited items beyond the fee are refused, naming the fee', () => {
    const fees = [fee('f', 100, { creditedAmountCents: d(60) })];
    expect(() => amounts(fees, [item('nope', 1)])).toThrow(/nope/);
    expect(() => amounts(fees, [item('f', -1)])).toThrow(/f.*invalid_value/);
    expect(() => amounts(fees, [item('f', 41)])).toThrow(/40 cents left to credit on fee f/);
    expect(() => amounts(fees, [item('f', 40)])).not.toThrow();
  });

  it('the invoice-level cap tolerates one cent over, like Lago', () => {
    const fees = [fee('f', 100, { taxes: [tax('vat', 20)] })];
    expect(() => amounts(fees, [item('f', 100)], { creditableAmountCents: d(119) })).not.toThrow();
    expect(() => amounts(fees, [item('f', 100)], { creditableAmountCents: d(118) })).toThrow(/higher_than_remaining_invoice_amount/);
    // Default cap: fee total (120) − the earlier notes' credit + refund + offset.
    expect(() => amounts(fees, [item('f', 50)], { creditNotes: [earlier({ creditAmountCents: d(60) })] })).not.toThrow();
    expect(() => amounts(fees, [item('f', 50)], { creditNotes: [earlier({ creditAmountCents: d(60), refundAmountCents: d(5) })] })).toThrow(/exceed the 55 cents/);
  });

  it('the note crediting all that remains gives back the earlier notes’ tax roundings (fee of 5 at 10 %: 0 + 1 = invoice tax 1)', () => {
    const fees = [fee('f', 5, { taxes: [tax('vat', 10)] })];
    const first = amounts(fees, [item('f', 2)]);
    expectAmounts(first, { taxesAmountCents: 0, preciseTaxesAmountCents: '0.2', totalAmountCents: 2 });
    const credited = [{ ...fees[0]!, creditedAmountCents: d(2) }];
    const previous = [earlier({ creditAmountCents: first.totalAmountCents, taxesAmountCents: first.taxesAmountCents, preciseTaxesAmountCents: first.preciseTaxesAmountCents })];
    const last = amounts(credited, [item('f', 3)], { creditNotes: previous });
    expectAmounts(last, { taxesAmountCents: 1, preciseTaxesAmountCents: '0.5', totalAmountCents: 4 });
    // Without the earlier note's rounding, 3 cents at 10 % would carry no tax.
    expectDecimal(amounts(credited, [item('f', 3)]).taxesAmountCents, 0);
  });

  it('…and takes back what they rounded up (fee of 10 at 15 %: 1 + 1 = invoice tax 2)', () => {
    const fees = [fee('f', 10, { taxes: [tax('vat', 15)] })];
    const first = amounts(fees, [item('f', 5)]);
    expectAmounts(first, { taxesAmountCents: 1, preciseTaxesAmountCents: '0.75' });
    const previous = [earlier({ creditAmountCents: first.totalAmountCents, taxesAmountCents: first.taxesAmountCents, preciseTaxesAmountCents: first.preciseTaxesAmountCents })];
    const last = amounts([{ ...fees[0]!, creditedAmountCents: d(5) }], [item('f', 5)], { creditNotes: previous });
    expectAmounts(last, { taxesAmountCents: 1, preciseTaxesAmountCents: '0.5' });
  });

  it('…which can make the last note’s taxes negative: 30 at 5 % in three notes of 10 → 1 + 1 − 1 (BigDecimal rounds −0.5 away from zero)', () => {
    let fees = [fee('f', 30, { taxes: [tax('vat', 5)] })];
    let notes: EarlierCreditNote[] = [];
    const taxes: string[] = [];
    for (let n = 0; n < 3; n += 1) {
      const a = amounts(fees, [item('f', 10)], { creditNotes: notes });
      taxes.push(a.taxesAmountCents.toFixed());
      notes = [...notes, earlier({ creditAmountCents: a.totalAmountCents, taxesAmountCents: a.taxesAmountCents, preciseTaxesAmountCents: a.preciseTaxesAmountCents })];
      fees = [{ ...fees[0]!, creditedAmountCents: fees[0]!.creditedAmountCents.plus(10) }];
      if (n === 2) expectAmounts(a, { preciseTaxesAmountCents: '-0.5', totalAmountCents: 9 });
    }
    expect(taxes).toEqual(['1', '1', '-1']); // Σ 1, where the invoice's taxes are round(1.5) = 2
  });

  it('…and the earlier notes’ 5-place precise taxes can drift off the invoice’s half cent: 3 notes of a fee whose tax is 21621759.5 → Σ 21621759', () => {
    // Fee 2163954.29 with 1778.34 of coupons at 10 %: invoice taxes round(216217595 × 10 %) = round(21621759.5) = 21621760.
    const invoice = { couponsAmountCents: d(177834), totalAmountCents: d(237839355) };
    let fees = [fee('fee0', 216395429, { preciseCouponsAmountCents: d(177834), taxes: [tax('t5', 10)] })];
    let notes: EarlierCreditNote[] = [];
    const seen: string[][] = [];
    for (const amount of [73574445, 71410492, 71410492]) {
      const a = amounts(fees, [item('fee0', amount)], { ...invoice, creditNotes: notes });
      seen.push([a.preciseCouponsAdjustmentAmountCents, a.subTotalExcludingTaxesAmountCents, a.preciseTaxesAmountCents, a.taxesAmountCents].map((v) => v.toFixed()));
      notes = [...notes, earlier({ creditAmountCents: a.totalAmountCents, taxesAmountCents: a.taxesAmountCents, preciseTaxesAmountCents: a.preciseTaxesAmountCents })];
      fees = [{ ...fees[0]!, creditedAmountCents: fees[0]!.creditedAmountCents.plus(amount) }];
    }
    // Note 1: 73574445 − 60463.55929 = 73513981.44071, tax 7351398.144071 stored as .14407 (rounding −0.14407).
    // Note 2: 71410492 − 58685.22035 = 71351806.77965, tax 7135180.677965 stored as .67796 (rounding +0.32204).
    // Note 3 (all that remains): the same .67796, less 0.17797 = 7135180.49999 → 7135180, where the exact tax shares
    // (…0.1440707 + 2 × …0.6779647 = …1.5) would have given …0.5 → 7135181.
    expect(seen).toEqual([
      ['60463.55929', '73513981', '7351398.14407', '7351398'],
      ['58685.22035', '71351807', '7135180.67796', '7135181'],
      ['58685.22035', '71351807', '7135180.49999', '7135180'],
    ]);
    expect(BigNumber.sum(...notes.map((n) => n.taxesAmountCents)).toFixed()).toBe('21621759'); // the invoice's: 21621760
  });

  it('a partial note carries the coupons pro rata of the fee: 16 of a 31-cent fee with 10 of coupons', () => {
    const fees = [fee('f', 3100, { taxes: [tax('vat', 20)], preciseCouponsAmountCents: d(1000) })];
    const a = amounts(fees, [item('f', 1600)], { couponsAmountCents: d(1000) });
    expectAmounts(a, { couponsAdjustmentAmountCents: 516, preciseCouponsAdjustmentAmountCents: '516.12903', subTotalExcludingTaxesAmountCents: 1084, taxesAmountCents: 217, totalAmountCents: 1301 });
    expect(a.appliedTaxes.map((t) => [t.code, t.baseAmountCents.toFixed(), t.amountCents.toFixed()])).toEqual([['vat', '1084', '217']]);
  });

  it('the blended rate weighs each tax by its base (a taxed and an untaxed fee)', () => {
    const fees = [fee('a', 100, { taxes: [tax('vat', 20)] }), fee('b', 300)];
    const a = amounts(fees, [item('a', 100), item('b', 300)]);
    expectAmounts(a, { taxesRate: 5, taxesAmountCents: 20, totalAmountCents: 420 });
  });

  it('fee total of the invoice: Σ amounts + round(Σ amount × rate / 100)', () => {
    expectDecimal(invoiceFeeTotalAmountCents([fee('a', 333, { taxes: [tax('x', '5.5')] }), fee('b', 333, { taxes: [tax('x', '5.5')] })]), 703); // 666 + 36.63
    expectDecimal(invoiceFeeTotalAmountCents([]), 0);
  });
});

describe('checkSplit — ValidateService rules', () => {
  const base = {
    totalAmountCents: d(120),
    creditAmountCents: d(120),
    refundAmountCents: d(0),
    offsetAmountCents: d(0),
    paidAmountCents: d(0),
    dueAmountCents: d(120),
    feeTotalAmountCents: d(120),
  };

  it('the split must match the total within a cent', () => {
    expect(() => checkSplit({ ...base, creditAmountCents: d(121) })).not.toThrow();
    expect(() => checkSplit({ ...base, creditAmountCents: d(118) })).toThrow(/^base: .*does_not_match_item_amounts/);
    expect(() => checkSplit({ ...base, totalAmountCents: d(10), preciseTotalAmountCents: d('119.5'), creditAmountCents: d(120) })).not.toThrow();
  });

  it('refund: only of what was paid and not yet refunded', () => {
    const refund = { ...base, creditAmountCents: d(20), refundAmountCents: d(100) };
    expect(() => checkSplit(refund)).toThrow(/^refundAmountCents: .*cannot_refund_unpaid_invoice/);
    expect(() => checkSplit({ ...refund, paidAmountCents: d(99), dueAmountCents: d(21) })).toThrow(/^refundAmountCents: .*higher_than_remaining_invoice_amount/);
    expect(() => checkSplit({ ...refund, paidAmountCents: d(100), dueAmountCents: d(20) })).not.toThrow();
    const notes = [{ creditAmountCents: d(0), refundAmountCents: d(10), offsetAmountCents: d(0) }];
    expect(() => checkSplit({ ...refund, paidAmountCents: d(100), dueAmountCents: d(20), feeTotalAmountCents: d(130), creditNotes: notes })).toThrow(/90 cents paid/);
    // A fully paid invoice whose payment has not succeeded cannot be refunded.
    expect(() => checkSplit({ ...refund, paidAmountCents: d(120), dueAmountCents: d(0), paymentSucceeded: false })).toThrow(/cannot_refund_unpaid_invoice/);
  });

  it('credit: up to the fee total less earlier credits and offsets, a cent over tolerated', () => {
    const notes = [{ creditAmountCents: d(50), refundAmountCents: d(0), offsetAmountCents: d(10) }];
    expect(() => checkSplit({ ...base, totalAmountCents: d(61), creditAmountCents: d(61), feeTotalAmountCents: d(120), creditNotes: notes })).not.toThrow();
    expect(() => checkSplit({ ...base, totalAmountCents: d(62), creditAmountCents: d(62), feeTotalAmountCents: d(120), creditNotes: notes })).toThrow(/^creditAmountCents: /);
  });

  it('offset: up to what the invoice still owes (and can still credit)', () => {
    const offset = { ...base, creditAmountCents: d(0), offsetAmountCents: d(120) };
    expect(() => checkSplit({ ...offset, paidAmountCents: d(30), dueAmountCents: d(90) })).toThrow(/^offsetAmountCents: .*90 cents the invoice still owes/);
    expect(() => checkSplit({ ...offset, dueAmountCents: d(120) })).not.toThrow();
    expect(() => checkSplit({ ...offset, creditAmountCents: d(30), offsetAmountCents: d(90), paidAmountCents: d(30), dueAmountCents: d(90) })).not.toThrow();
  });

  it('the sum: up to the fee total less every earlier note, and positive; amounts are non-negative integers', () => {
    const notes = [{ creditAmountCents: d(0), refundAmountCents: d(30), offsetAmountCents: d(0) }];
    expect(() => checkSplit({ ...base, totalAmountCents: d(92), creditAmountCents: d(92), creditNotes: notes })).toThrow(/^base: .*higher_than_remaining_invoice_amount/);
    expect(() => checkSplit({ ...base, totalAmountCents: d(91), creditAmountCents: d(91), creditNotes: notes })).not.toThrow();
    expect(() => checkSplit({ ...base, totalAmountCents: d(0), creditAmountCents: d(0) })).toThrow(/total_amount_must_be_positive/);
    expect(() => checkSplit({ ...base, creditAmountCents: d(-1) })).toThrow(/creditAmountCents/);
    expect(() => checkSplit({ ...base, refundAmountCents: d('0.5') })).toThrow(/refundAmountCents/);
  });
});

describe('adjustSplitForRounding — AdjustAmountsWithRoundingService', () => {
  const note = { subTotalExcludingTaxesAmountCents: d(100), taxesAmountCents: d(20) };
  const split = (credit: number, refund: number, offset: number) => ({ creditAmountCents: d(credit), refundAmountCents: d(refund), offsetAmountCents: d(offset) });
  const show = (s: ReturnType<typeof adjustSplitForRounding>) => [s.creditAmountCents, s.refundAmountCents, s.offsetAmountCents, s.totalAmountCents].map(String);

  it('a total a cent off moves to sub-total + taxes, the cent going to the credit', () => {
    expect(show(adjustSplitForRounding(note, split(121, 0, 0)))).toEqual(['120', '0', '0', '120']);
    expect(show(adjustSplitForRounding(note, split(60, 59, 0)))).toEqual(['61', '59', '0', '120']);
    expect(show(adjustSplitForRounding(note, split(100, 20, 0)))).toEqual(['100', '20', '0', '120']);
  });

  it('without a credit the refund takes the whole total, even beside an offset (Lago’s code as written)', () => {
    expect(show(adjustSplitForRounding(note, split(0, 119, 0)))).toEqual(['0', '120', '0', '120']);
    expect(show(adjustSplitForRounding(note, split(0, 19, 100)))).toEqual(['0', '120', '100', '120']);
  });
});

describe('terminationCredit (spec/services/credit_notes/create_from_termination_spec.rb)', () => {
  // Plan 31.00 monthly, calendar, paid in advance, 20 % tax; started 2022-09-01, terminated 2022-10-15 10:00 UTC.
  const vat = [tax('vat', 20)];
  const subFee = (extra: Partial<TerminationCreditInput['fee']> = {}): TerminationCreditInput['fee'] => ({
    id: 'sub',
    amountCents: d(3100),
    preciseCouponsAmountCents: d(0),
    creditedAmountCents: d(0),
    fromDatetime: '2022-10-01T00:00:00.000Z',
    toDatetime: '2022-10-31T23:59:59.999Z',
    taxes: vat,
    ...extra,
  });
  const base = (extra: Partial<TerminationCreditInput> = {}): TerminationCreditInput => ({
    fee: subFee(),
    terminatedAt: '2022-10-15T10:00:00Z',
    timezone: 'UTC',
    upgrade: false,
    planAmountCents: d(3100),
    periodDays: 31,
    ...extra,
  });

  /**
   * The whole of Lago's path: CreateFromTermination → CreateService (items, taxes, validation, rounding); the fee is
   * alone on its invoice unless `secondFee` (another 31.00 subscription fee at 20 %).
   */
  function run(input: TerminationCreditInput, options: { secondFee?: boolean; couponsAmountCents?: number; paid?: number; creditNotes?: EarlierCreditNote[] } = {}) {
    const credit = terminationCredit(input);
    if (credit === null) return null;
    const f = input.fee;
    const fees = [fee(f.id ?? 'sub', f.amountCents, { preciseCouponsAmountCents: f.preciseCouponsAmountCents, taxes: f.taxes, creditedAmountCents: f.creditedAmountCents })];
    if (options.secondFee === true) fees.push(fee('other', 3100, { taxes: vat }));
    const invoice = invoiceOf(fees, { couponsAmountCents: d(options.couponsAmountCents ?? 0), creditNotes: options.creditNotes ?? [] });
    const a = creditNoteAmounts({ currency: 'EUR', fees, items: [{ feeId: f.id ?? 'sub', amountCents: credit.preciseAmountCents }], invoice });
    const paid = d(options.paid ?? 0);
    const invoiceTotal = input.invoice?.subTotalIncludingTaxesAmountCents ?? d(0);
    checkSplit({
      ...credit,
      totalAmountCents: a.totalAmountCents,
      preciseTotalAmountCents: a.preciseTotalAmountCents,
      paidAmountCents: paid,
      dueAmountCents: BigNumber.max(0, invoiceTotal.minus(paid)),
      feeTotalAmountCents: invoiceFeeTotalAmountCents(fees),
      creditNotes: options.creditNotes ?? [],
    });
    const final = adjustSplitForRounding(a, credit);
    return {
      item: [credit.amountCents.toFixed(), credit.preciseAmountCents.toFixed()],
      taxes: a.taxesAmountCents.toFixed(),
      split: [final.creditAmountCents, final.refundAmountCents, final.offsetAmountCents, final.totalAmountCents].map(String),
    };
  }

  it('16 unused days of 31.00: item 16.00, taxes 3.20, credit 19.20', () => {
    expect(run(base())).toEqual({ item: ['1600', '1600'], taxes: '320', split: ['1920', '0', '0', '1920'] });
  });

  it('the plan amount of the fee’s amount details (62.00): 32.00 + 6.40', () => {
    expect(run(base({ fee: subFee({ amountCents: d(6200) }), planAmountCents: d(6200) }))).toEqual({ item: ['3200', '3200'], taxes: '640', split: ['3840', '0', '0', '3840'] });
  });

  it('earlier credit notes on the fee are deducted: 16.00 − 10.00 → 6.00 + 1.20', () => {
    expect(run(base({ fee: subFee({ creditedAmountCents: d(1000) }) }))).toEqual({ item: ['600', '600'], taxes: '120', split: ['720', '0', '0', '720'] });
  });

  it('a trial ending after the termination excludes its days (46 days: 15.00); one outlasting the period leaves nothing', () => {
    expect(run(base({ trialEndDate: '2022-10-17' }))).toEqual({ item: ['1500', '1500'], taxes: '300', split: ['1800', '0', '0', '1800'] });
    expect(terminationCredit(base({ trialEndDate: '2022-12-30' }))).toBeNull();
  });

  it('an upgrade credits the termination day too: 17.00 + 3.40', () => {
    expect(run(base({ upgrade: true }))).toEqual({ item: ['1700', '1700'], taxes: '340', split: ['2040', '0', '0', '2040'] });
    expect(() => terminationCredit(base({ upgrade: true, onTermination: 'REFUND' }))).toThrow(RangeError);
    expect(() => terminationCredit(base({ upgrade: true, onTermination: 'OFFSET' }))).toThrow(RangeError);
  });

  it('timezones: Lago counts UTC dates of local ends of day (Los Angeles 17 days, Paris 16)', () => {
    const la = base({ terminatedAt: '2022-10-15T01:00:00Z', timezone: 'America/Los_Angeles', fee: subFee({ fromDatetime: '2022-10-01T07:00:00.000Z', toDatetime: '2022-11-01T06:59:59.999Z' }) });
    expect(run(la)).toEqual({ item: ['1700', '1700'], taxes: '340', split: ['2040', '0', '0', '2040'] });
    const paris = base({ terminatedAt: '2022-10-15T01:00:00Z', timezone: 'Europe/Paris', fee: subFee({ fromDatetime: '2022-09-30T22:00:00.000Z', toDatetime: '2022-10-31T22:59:59.999Z' }) });
    expect(run(paris)).toEqual({ item: ['1600', '1600'], taxes: '320', split: ['1920', '0', '0', '1920'] });
  });

  it('rounding at max precision: 15 days of 9.99 over 30 is the Float 499.49999999999994 → item 499.49999, total 4.99', () => {
    const input = base({
      fee: subFee({ amountCents: d(999), taxes: [], fromDatetime: '2023-02-28T00:00:00.000Z', toDatetime: '2023-03-29T23:59:59.999Z' }),
      planAmountCents: d(999),
      periodDays: 30,
      terminatedAt: '2023-03-14T10:00:00Z',
    });
    expect(run(input)).toEqual({ item: ['499', '499.49999'], taxes: '0', split: ['499', '0', '0', '499'] });
  });

  it('coupons: 10.00 of coupons → 13.01 (taxes 2.17); coupons covering the fee → no credit note', () => {
    expect(run(base({ fee: subFee({ preciseCouponsAmountCents: d(1000) }) }), { couponsAmountCents: 1000 })).toEqual({
      item: ['1600', '1600'],
      taxes: '217',
      split: ['1301', '0', '0', '1301'],
    });
    expect(terminationCredit(base({ fee: subFee({ preciseCouponsAmountCents: d(3100) }) }))).toBeNull();
  });

  it('no note for a zero fee or a voided invoice', () => {
    expect(terminationCredit(base({ fee: subFee({ amountCents: d(0) }), planAmountCents: d(0) }))).toBeNull();
    expect(terminationCredit(base({ invoice: { subTotalIncludingTaxesAmountCents: d(3720), totalPaidAmountCents: d(0), voided: true } }))).toBeNull();
  });

  describe('refund and offset (two 31.00 subscription fees on a 74.40 invoice)', () => {
    const withInvoice = (onTermination: 'REFUND' | 'OFFSET', paid: number, extra: Partial<TerminationCreditInput> = {}) =>
      base({
        onTermination,
        fee: subFee({ preciseAmountCents: d(3100), taxesPreciseAmountCents: d(620) }),
        invoice: { subTotalIncludingTaxesAmountCents: d(7440), totalPaidAmountCents: d(paid) },
        ...extra,
      });

    it.each([
      ['REFUND', 7440, ['0', '1920', '0', '1920']],
      ['REFUND', 5580, ['930', '990', '0', '1920']],
      ['REFUND', 930, ['1920', '0', '0', '1920']],
      ['REFUND', 0, ['1920', '0', '0', '1920']],
      ['OFFSET', 7440, ['0', '1920', '0', '1920']],
      ['OFFSET', 5580, ['0', '990', '930', '1920']],
      ['OFFSET', 930, ['0', '0', '1920', '1920']],
      ['OFFSET', 0, ['0', '0', '1920', '1920']],
    ] as const)('%s with %d paid: %j', (mode, paid, split) => {
      expect(run(withInvoice(mode, paid), { secondFee: true, paid })?.split).toEqual(split);
    });

    const earlierNote = [earlier({ creditAmountCents: d(200), taxesAmountCents: d(40) })];
    it.each([
      ['REFUND', ['690', '990', '0', '1680']],
      ['OFFSET', ['0', '990', '690', '1680']],
    ] as const)('%s after an earlier 2.00 note on the fee: 14.00 → 16.80 split %j', (mode, split) => {
      const input = withInvoice(mode, 5580, { fee: subFee({ preciseAmountCents: d(3100), taxesPreciseAmountCents: d(620), creditedAmountCents: d(200) }) });
      expect(run(input, { secondFee: true, paid: 5580, creditNotes: earlierNote })).toEqual({ item: ['1400', '1400'], taxes: '280', split });
    });

    it.each([
      ['REFUND', ['374', '1035', '0', '1409']],
      ['OFFSET', ['0', '1035', '374', '1409']],
    ] as const)('%s with 5.00 of coupons on the fee (fee share 45.61 % of 55.80 paid) → 14.09: %j', (mode, split) => {
      const input = base({
        onTermination: mode,
        fee: subFee({ preciseAmountCents: d(3100), preciseCouponsAmountCents: d(500), taxesPreciseAmountCents: d(520), creditedAmountCents: d(200) }),
        invoice: { subTotalIncludingTaxesAmountCents: d(6840), totalPaidAmountCents: d(5580) },
      });
      expect(run(input, { secondFee: true, paid: 5580, couponsAmountCents: 500, creditNotes: earlierNote })).toEqual({ item: ['1400', '1400'], taxes: '235', split });
    });

    it.each([
      ['REFUND', ['480', '1440', '0', '1920']],
      ['OFFSET', ['0', '1440', '480', '1920']],
    ] as const)('%s with a 41-day trial (4 used days after it), 19.20 paid: %j', (mode, split) => {
      const input = base({
        onTermination: mode,
        trialEndDate: '2022-10-12',
        fee: subFee({ preciseAmountCents: d(3100), taxesPreciseAmountCents: d(620) }),
        invoice: { subTotalIncludingTaxesAmountCents: d(3720), totalPaidAmountCents: d(1920) },
      });
      expect(run(input, { paid: 1920 })?.split).toEqual(split);
    });

    it('a refund or an offset needs the invoice', () => {
      expect(() => terminationCredit(base({ onTermination: 'REFUND' }))).toThrow(/needs the fee's invoice/);
    });
  });

  it('an unused amount above the fee (a fee already prorated) is capped at the fee, an Integer', () => {
    // 16 days at 3100 / 31 = 1600 > a fee of 1000: the fee amount, minus 300 already credited.
    expect(run(base({ fee: subFee({ amountCents: d(1000), creditedAmountCents: d(300) }) }))).toEqual({ item: ['700', '700'], taxes: '140', split: ['840', '0', '0', '840'] });
    expect(terminationCredit(base({ fee: subFee({ amountCents: d(1000), creditedAmountCents: d(1000) }) }))).toBeNull();
  });

  it('terminated on the last day of the period: nothing unused (an upgrade that day credits that day)', () => {
    expect(terminationCredit(base({ terminatedAt: '2022-10-31T10:00:00Z' }))).toBeNull();
    expect(run(base({ terminatedAt: '2022-10-31T10:00:00Z', upgrade: true }))?.item).toEqual(['100', '100']);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Properties, on invoices built with the engine's own coupon and tax steps
// ---------------------------------------------------------------------------------------------------------------

interface Built {
  readonly fees: CreditableFee[];
  readonly invoice: CreditNoteInvoice;
  readonly subTotal: BigNumber;
  readonly taxes: BigNumber;
  /** The invoice's unrounded taxes (Σ of the fees' precise tax amounts). */
  readonly preciseTaxes: BigNumber;
}

const RATES = ['20', '5.5', '8.5', '0', '19.6', '10'];

const invoiceArb: fc.Arbitrary<Built> = fc
  .record({
    fees: fc.array(
      fc.record({
        amount: fc.oneof(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 500_000_000 })),
        taxes: fc.subarray([0, 1, 2, 3, 4, 5], { maxLength: 2 }),
      }),
      { minLength: 1, maxLength: 4 },
    ),
    coupon: fc.option(fc.oneof(fc.record({ kind: fc.constant('FIXED' as const), amount: fc.integer({ min: 1, max: 200_000 }) }), fc.record({ kind: fc.constant('PERCENTAGE' as const), rate: fc.integer({ min: 1, max: 100 }) }))),
  })
  .map(({ fees: specs, coupon }) => {
    const raw = specs.map((s, i) => ({ id: `fee${i}`, amount: d(s.amount), taxes: s.taxes.map((t) => tax(`t${t}`, RATES[t] ?? '0')) }));
    const coupons: AppliedCouponState[] =
      coupon === null
        ? []
        : [
            {
              appliedCouponId: 'c',
              couponCode: 'c',
              couponType: coupon.kind === 'FIXED' ? 'FIXED_AMOUNT' : 'PERCENTAGE',
              frequency: 'FOREVER',
              amountCents: coupon.kind === 'FIXED' ? d(coupon.amount) : null,
              amountCurrency: coupon.kind === 'FIXED' ? 'EUR' : null,
              percentageRate: coupon.kind === 'PERCENTAGE' ? d(coupon.rate) : null,
              frequencyDurationRemaining: null,
              creditedAmountCents: d(0),
              limitedPlanCodes: [],
              limitedBillableMetricCodes: [],
              createdAt: '2024-01-01T00:00:00Z',
            },
          ];
    const applied = applyCoupons({
      currency: 'EUR',
      fees: raw.map((f) => ({ id: f.id, feeType: 'SUBSCRIPTION' as const, amountCents: f.amount, billableMetricCode: null, planCode: 'p' })),
      coupons,
    });
    const fees = raw.map((f) => fee(f.id, f.amount, { preciseCouponsAmountCents: applied.feeCoupons.get(f.id) ?? d(0), taxes: f.taxes }));
    const feesAmount = BigNumber.sum(0, ...fees.map((f) => f.amountCents));
    const subTotal = feesAmount.minus(applied.couponsAmountCents);
    const invoiceTaxes = computeTaxes(
      fees.map((f) => ({ id: f.id, amountCents: f.amountCents, preciseCouponsAmountCents: f.preciseCouponsAmountCents, taxes: f.taxes.map((t) => ({ code: t.code, name: t.name ?? undefined, rate: t.rate })) })),
      { subTotalExcludingTaxesAmountCents: subTotal },
    );
    const taxes = invoiceTaxes.taxesAmountCents;
    const invoice: CreditNoteInvoice = { feesAmountCents: feesAmount, couponsAmountCents: applied.couponsAmountCents, totalAmountCents: subTotal.plus(taxes) };
    const preciseTaxes = BigNumber.sum(0, ...invoiceTaxes.fees.map((f) => f.taxesPreciseAmountCents));
    return { fees, invoice, subTotal, taxes, preciseTaxes };
  });

/** Items: a share (0–100 %) of what is left on each fee, some fees left out. */
const itemsArb = (fees: readonly CreditableFee[]) =>
  fc.tuple(...fees.map(() => fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }))).map((shares) =>
    fees.flatMap((f, i) => {
      const share = shares[i];
      if (share === undefined) return [];
      const left = f.amountCents.minus(f.creditedAmountCents);
      return [item(f.id, left.times(share).idiv(100))];
    }),
  );

const withItems = invoiceArb.chain((built) => itemsArb(built.fees).map((items) => ({ built, items })));

const isCents = (value: BigNumber) => value.isInteger() && !value.isNegative();

/**
 * Credits `items` as one more note of the invoice, returning the fees and earlier notes after it. A note whose total
 * is 0 is refused by Lago (`total_amount_must_be_positive`): nothing changes.
 */
function credit(fees: CreditableFee[], invoice: CreditNoteInvoice, items: CreditNoteItemInput[]) {
  const a = creditNoteAmounts({ currency: 'EUR', fees, items, invoice });
  if (a.totalAmountCents.isZero()) return { a, fees, invoice };
  const credited = new Map<string, BigNumber>();
  for (const i of a.items) credited.set(i.feeId, (credited.get(i.feeId) ?? d(0)).plus(i.amountCents));
  const after = fees.map((f) => ({ ...f, creditedAmountCents: f.creditedAmountCents.plus(credited.get(f.id) ?? 0) }));
  const note = earlier({ creditAmountCents: a.totalAmountCents, taxesAmountCents: a.taxesAmountCents, preciseTaxesAmountCents: a.preciseTaxesAmountCents });
  return { a, fees: after, invoice: { ...invoice, creditNotes: [...(invoice.creditNotes ?? []), note] } };
}

describe('credit notes — properties', () => {
  it('total = sub-total + taxes; Σ items − coupons adjustment = sub-total (but for a coupons share ending in exactly .5)', () => {
    fc.assert(
      fc.property(withItems, ({ built, items }) => {
        const a = creditNoteAmounts({ currency: 'EUR', fees: built.fees, items, invoice: built.invoice });
        expect(a.totalAmountCents.toFixed()).toBe(a.subTotalExcludingTaxesAmountCents.plus(a.taxesAmountCents).toFixed());
        const itemsSum = BigNumber.sum(0, ...a.items.map((i) => i.amountCents));
        const viaRounded = itemsSum.minus(a.couponsAdjustmentAmountCents).plus(a.taxesAmountCents);
        // Lago rounds the sub-total from the precise coupons adjustment: with a share of exactly x.5, Σ − round(x.5)
        // and round(Σ − x.5) differ by the one cent.
        const precise = a.preciseCouponsAdjustmentAmountCents;
        const tie = precise.mod(1).eq('0.5') && a.couponsAdjustmentAmountCents.isGreaterThan(precise);
        expect(a.totalAmountCents.minus(viaRounded).toFixed()).toBe(tie ? '1' : '0');
      }),
      { numRuns: 400 },
    );
  });

  it('every amount is a non-negative integer', () => {
    fc.assert(
      fc.property(withItems, ({ built, items }) => {
        const a = creditNoteAmounts({ currency: 'EUR', fees: built.fees, items, invoice: built.invoice });
        for (const value of [a.couponsAdjustmentAmountCents, a.taxesAmountCents, a.subTotalExcludingTaxesAmountCents, a.totalAmountCents, ...a.items.map((i) => i.amountCents)]) {
          expect(isCents(value)).toBe(true);
        }
        for (const t of a.appliedTaxes) expect(isCents(t.amountCents) && isCents(t.baseAmountCents)).toBe(true);
        // On a fully discounted invoice the rate is Lago's ratio of two near-zero residues (any sign): not checked.
        if (a.subTotalExcludingTaxesAmountCents.isGreaterThan(0)) expect(a.taxesRate.isNegative()).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('crediting a whole invoice in one note gives back its total: no cent lost or created', () => {
    fc.assert(
      fc.property(invoiceArb, (built) => {
        const items = built.fees.map((f) => item(f.id, f.amountCents));
        const a = creditNoteAmounts({ currency: 'EUR', fees: built.fees, items, invoice: built.invoice });
        expect(a.subTotalExcludingTaxesAmountCents.toFixed()).toBe(built.subTotal.toFixed());
        expect(a.taxesAmountCents.toFixed()).toBe(built.taxes.toFixed());
        expect(a.totalAmountCents.toFixed()).toBe(built.invoice.totalAmountCents.toFixed());
      }),
      { numRuns: 400 },
    );
  });

  it('notes splitting the fees never credit more than a fee; the one going over is refused naming the fee', () => {
    fc.assert(
      fc.property(withItems, fc.integer({ min: 1, max: 100 }), ({ built, items }, extra) => {
        const first = credit(built.fees, built.invoice, items);
        for (const f of first.fees) expect(f.creditedAmountCents.isLessThanOrEqualTo(f.amountCents)).toBe(true);
        const target = first.fees.find((f) => f.amountCents.isGreaterThan(0));
        if (target === undefined) return;
        const left = target.amountCents.minus(target.creditedAmountCents);
        expect(() => creditNoteAmounts({ currency: 'EUR', fees: first.fees, items: [item(target.id, left.plus(extra))], invoice: first.invoice })).toThrow(target.id);
      }),
      { numRuns: 200 },
    );
  });

  it('taxes never exceed the invoice’s: one note, and a series of notes crediting all of it adds up to them, but for a cent near a half cent', () => {
    fc.assert(
      fc.property(withItems, ({ built, items }) => {
        const first = credit(built.fees, built.invoice, items);
        expect(first.a.taxesAmountCents.isLessThanOrEqualTo(built.taxes)).toBe(true);
        // Two more notes: half of what is left, then the rest.
        const half = first.fees.map((f) => item(f.id, f.amountCents.minus(f.creditedAmountCents).idiv(2)));
        const second = credit(first.fees, first.invoice, half);
        const rest = second.fees.map((f) => item(f.id, f.amountCents.minus(f.creditedAmountCents)));
        const third = credit(second.fees, second.invoice, rest);
        const notes = third.invoice.creditNotes ?? [];
        for (const f of third.fees) expect(f.creditedAmountCents.isLessThanOrEqualTo(f.amountCents)).toBe(true);
        // A note of total 0 is refused, so a fee whose share rounds to nothing may stay uncredited: no last note.
        if (third.fees.some((f) => !f.creditedAmountCents.eq(f.amountCents)) || notes.length === 0) return;
        const taxes = BigNumber.sum(0, ...notes.map((n) => n.taxesAmountCents));
        // The last note's precise taxes L are its own minus Σ earlier (taxes − precise taxes), so the notes' taxes add up
        // to E + round(L) (E: the earlier notes' taxes), where Q = L + E is Σ of every note's stored precise taxes (each
        // the Float rounded to 5 places, the last before its adjustment). That is round(Q), but for Lago's one lost
        // cent when L is a negative half (BigDecimal rounds −0.5 to −1): see the rule tests above.
        const last = notes.at(-1)!.preciseTaxesAmountCents;
        const earlierTaxes = BigNumber.sum(0, ...notes.slice(0, -1).map((n) => n.taxesAmountCents));
        const stored = last.plus(earlierTaxes);
        const lost = last.isNegative() && last.mod(1).eq('-0.5');
        const notesRound = stored.integerValue(BigNumber.ROUND_HALF_UP);
        expect(taxes.toFixed()).toBe(notesRound.minus(lost ? 1 : 0).toFixed());
        // Q is the invoice's unrounded taxes P but for each note's 5-place rounding (≤ 0.000005 a note; the Floats'
        // errors are below 1e-6 here), so it rounds to the invoice's round(P) unless P is that close to a half cent:
        // then the notes lose or gain that one cent (the fixed case above).
        const window = d('0.000005').times(notes.length).plus('0.000001');
        expect(stored.minus(built.preciseTaxes).abs().isLessThanOrEqualTo(window)).toBe(true);
        const drift = built.taxes.minus(notesRound);
        if (!drift.isZero()) {
          const half = built.preciseTaxes.integerValue(BigNumber.ROUND_FLOOR).plus('0.5');
          expect(built.preciseTaxes.minus(half).abs().isLessThanOrEqualTo(window)).toBe(true);
          expect(drift.abs().toFixed()).toBe('1');
        }
        expect(built.taxes.minus(taxes).toFixed()).toBe(drift.plus(lost ? 1 : 0).toFixed());
        notes.slice(0, -1).forEach((n) => expect(n.taxesAmountCents.isNegative()).toBe(false));
        expect(notes.at(-1)!.taxesAmountCents.isGreaterThanOrEqualTo(-1)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('the termination credit never exceeds what is left on the fee, and grows with the unused days', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 1, max: 31 }),
        fc.boolean(),
        (amount, creditedShare, day, upgrade) => {
          const fee = {
            amountCents: d(amount),
            preciseCouponsAmountCents: d(0),
            creditedAmountCents: d(amount).times(creditedShare).idiv(100),
            fromDatetime: '2024-01-01T00:00:00.000Z',
            toDatetime: '2024-01-31T23:59:59.999Z',
            taxes: [tax('vat', 20)],
          };
          const at = (dayOfMonth: number) => `2024-01-${String(dayOfMonth).padStart(2, '0')}T12:00:00Z`;
          const input = { fee, timezone: 'Europe/Paris', upgrade, planAmountCents: d(amount), periodDays: 31 };
          const result = terminationCredit({ ...input, terminatedAt: at(day) });
          const left = fee.amountCents.minus(fee.creditedAmountCents);
          if (result === null) return;
          expect(result.amountCents.isLessThanOrEqualTo(left)).toBe(true);
          expect(result.preciseAmountCents.decimalPlaces() ?? 0).toBeLessThanOrEqual(5);
          if (day > 1) {
            const earlierResult = terminationCredit({ ...input, terminatedAt: at(day - 1) });
            expect(earlierResult).not.toBeNull();
            expect(earlierResult!.amountCents.isGreaterThanOrEqualTo(result.amountCents)).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

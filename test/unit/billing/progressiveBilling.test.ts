import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { InvoiceChargeFee, ProgressiveBillingInvoice, ProgressiveInvoiceFee, UsageThreshold } from '../../../src/billing/progressiveBilling.ts';
import {
  lifetimeInvoicedUsageAmountCents,
  lifetimeUsage,
  progressiveBilledAmount,
  progressiveBillingCredit,
  progressiveBillingCreditNote,
  progressiveInvoiceCharges,
  usageThresholdsPassed,
} from '../../../src/billing/progressiveBilling.ts';
import { d, expectDecimal } from './support.ts';

const fixed = (amount: number): UsageThreshold => ({ id: `t${amount}`, amountCents: d(amount), recurring: false, thresholdDisplayName: null });
const recurringT = (amount: number): UsageThreshold => ({ id: `r${amount}`, amountCents: d(amount), recurring: true, thresholdDisplayName: 'every' });
const thresholdsOf = (amounts: number[], recurring?: number) => [...amounts.map(fixed), ...(recurring === undefined ? [] : [recurringT(recurring)])];

const passed = (thresholds: UsageThreshold[], invoiced: number, current: number, extra: { historical?: number; progressive?: number } = {}) =>
  usageThresholdsPassed({
    thresholds,
    historicalUsageAmountCents: d(extra.historical ?? 0),
    invoicedUsageAmountCents: d(invoiced),
    currentUsageAmountCents: d(current),
    progressiveBilledAmountCents: d(extra.progressive ?? 0),
  }).map((t) => t.amountCents.toNumber());

/** `validate_thresholds` of Lago's spec: `[invoiced, current] => expected amounts`. */
type Table = [[number, number], number[]][];
const checkTable = (thresholds: UsageThreshold[], table: Table, extra: { historical?: number; progressive?: number } = {}) => {
  for (const [[invoiced, current], expected] of table) {
    expect(passed(thresholds, invoiced, current, extra), `invoiced ${invoiced} current ${current}`).toEqual(expected);
  }
};

// The tables are Lago's `spec/services/lifetime_usages/usage_thresholds/check_service_spec.rb`, copied row by row.
describe('usageThresholdsPassed — Lago check_service_spec without a progressive billed amount', () => {
  it('no thresholds: nothing passes', () => {
    checkTable([], [[[0, 7], []], [[0, 10], []], [[9, 2], []], [[11, 1], []], [[11, 10], []]]);
  });
  it('one fixed threshold of 10', () => {
    checkTable(thresholdsOf([10]), [[[0, 7], []], [[0, 10], [10]], [[9, 2], [10]], [[11, 1], []], [[11, 10], []]]);
  });
  it('fixed thresholds 10, 20, 31, 40 pass when invoiced < amount ≤ total', () => {
    checkTable(thresholdsOf([10, 20, 31, 40]), [
      [[0, 7], []], [[0, 10], [10]], [[0, 31], [10, 20, 31]], [[9, 2], [10]], [[9, 20], [10, 20]], [[9, 31], [10, 20, 31, 40]],
      [[11, 1], []], [[11, 10], [20]], [[21, 20], [31, 40]], [[40, 2], []], [[50, 0], []],
    ]);
  });
  it('recurring 10 alone: reported once when (invoiced mod 10) + current reaches 10', () => {
    checkTable(thresholdsOf([], 10), [
      [[0, 7], []], [[0, 10], [10]], [[9, 2], [10]], [[11, 1], []], [[11, 8], []], [[11, 9], [10]], [[11, 10], [10]], [[11, 20], [10]],
      [[202, 7], []], [[202, 8], [10]],
    ]);
  });
  it('fixed 10 + recurring 5', () => {
    checkTable(thresholdsOf([10], 5), [
      [[0, 7], []], [[0, 10], [10]], [[0, 15], [10, 5]], [[0, 20], [10, 5]], [[9, 2], [10]], [[9, 6], [10, 5]], [[9, 20], [10, 5]],
      [[11, 3], []], [[11, 4], [5]], [[11, 20], [5]],
    ]);
  });
  it('fixed 10, 20, 31, 40 + recurring 5', () => {
    checkTable(thresholdsOf([10, 20, 31, 40], 5), [
      [[0, 7], []], [[0, 10], [10]], [[0, 31], [10, 20, 31]], [[0, 44], [10, 20, 31, 40]], [[0, 45], [10, 20, 31, 40, 5]],
      [[9, 2], [10]], [[9, 20], [10, 20]], [[9, 31], [10, 20, 31, 40]], [[9, 37], [10, 20, 31, 40, 5]], [[11, 1], []], [[11, 10], [20]],
      [[21, 20], [31, 40]], [[21, 24], [31, 40, 5]], [[40, 2], []], [[40, 5], [5]], [[41, 4], [5]], [[49, 1], [5]], [[50, 0], []], [[50, 5], [5]],
    ]);
  });
});

describe('usageThresholdsPassed — Lago check_service_spec with progressive_billed_amount 10', () => {
  const pb = { progressive: 10 };
  it('no thresholds', () => {
    checkTable([], [[[0, 7], []], [[0, 10], []], [[9, 2], []], [[11, 1], []], [[11, 10], []]], pb);
  });
  it('a current usage below the billed amount passes nothing; one fixed threshold of 10', () => {
    checkTable(thresholdsOf([10]), [[[9, 2], []], [[9, 20], []], [[11, 10], []], [[11, 20], []]], pb);
  });
  it('fixed 10, 20, 31, 40: the billed amount counts as invoiced', () => {
    checkTable(thresholdsOf([10, 20, 31, 40]), [
      [[0, 10], []], [[0, 31], [20, 31]], [[9, 10], []], [[9, 12], [20]], [[9, 20], [20]], [[9, 31], [20, 31, 40]], [[11, 11], []],
      [[11, 20], [31]], [[21, 20], [40]], [[30, 12], []], [[50, 10], []],
    ], pb);
  });
  it('recurring 10 alone', () => {
    checkTable(thresholdsOf([], 10), [[[0, 10], []], [[11, 10], []], [[11, 19], [10]], [[202, 17], []], [[202, 18], [10]], [[202, 28], [10]]], pb);
  });
  it('fixed 10 + recurring 5', () => {
    checkTable(thresholdsOf([10], 5), [
      [[0, 7], []], [[0, 10], []], [[0, 15], [5]], [[0, 20], [5]], [[9, 2], []], [[9, 6], []], [[9, 16], [5]], [[11, 3], []], [[11, 4], []],
      [[11, 14], [5]], [[11, 24], [5]],
    ], pb);
  });
  it('fixed 10, 20, 31, 40 + recurring 5', () => {
    checkTable(thresholdsOf([10, 20, 31, 40], 5), [
      [[0, 7], []], [[0, 10], []], [[0, 31], [20, 31]], [[0, 44], [20, 31, 40]], [[0, 45], [20, 31, 40, 5]], [[9, 2], []], [[9, 20], [20]],
      [[9, 31], [20, 31, 40]], [[9, 37], [20, 31, 40, 5]], [[11, 1], []], [[11, 10], []], [[20, 20], [31, 40]], [[21, 20], [40]],
      [[21, 24], [40, 5]], [[40, 14], []], [[40, 15], [5]], [[41, 14], [5]], [[49, 1], []], [[49, 11], [5]], [[50, 5], []], [[50, 15], [5]],
    ], pb);
  });
});

describe('usageThresholdsPassed — other rules', () => {
  it('Lago spec: the historical usage (11) counts as invoiced', () => {
    checkTable(thresholdsOf([10, 20, 31, 40]), [
      [[0, 7], []], [[0, 9], [20]], [[0, 10], [20]], [[9, 0], []], [[0, 31], [20, 31, 40]], [[8, 2], [20]], [[8, 20], [20, 31]],
      [[8, 31], [20, 31, 40]], [[11, 1], []], [[11, 10], [31]], [[21, 20], [40]], [[40, 2], []], [[50, 0], []],
    ], { historical: 11 });
  });

  it('returns the threshold records, fixed ones ascending whatever the input order, the recurring one last and once', () => {
    const thresholds = [recurringT(100), fixed(300), fixed(200)];
    const result = usageThresholdsPassed({
      thresholds,
      historicalUsageAmountCents: d(0),
      invoicedUsageAmountCents: d(0),
      currentUsageAmountCents: d(1000), // 7 steps above 300: still one recurring entry
      progressiveBilledAmountCents: d(0),
    });
    expect(result).toEqual([thresholds[2], thresholds[1], thresholds[0]]);
  });

  it('refuses two recurring thresholds and non-positive amounts', () => {
    const base = { historicalUsageAmountCents: d(0), invoicedUsageAmountCents: d(0), currentUsageAmountCents: d(0), progressiveBilledAmountCents: d(0) };
    expect(() => usageThresholdsPassed({ ...base, thresholds: [recurringT(5), recurringT(6)] })).toThrow(/multiple_recurring_thresholds/);
    expect(() => usageThresholdsPassed({ ...base, thresholds: [fixed(0)] })).toThrow(/positive/);
  });

  const scenario = fc.record({
    amounts: fc.uniqueArray(fc.integer({ min: 1, max: 500 }), { maxLength: 5 }),
    step: fc.option(fc.integer({ min: 1, max: 200 }), { nil: undefined }),
    historical: fc.integer({ min: 0, max: 300 }),
    invoiced: fc.integer({ min: 0, max: 300 }),
    progressive: fc.integer({ min: 0, max: 300 }),
    extra: fc.integer({ min: 0, max: 600 }),
  });

  it('property: every fixed threshold passed is above what is invoiced and at most the total usage', () => {
    fc.assert(
      fc.property(scenario, ({ amounts, step, historical, invoiced, progressive, extra }) => {
        const current = progressive + extra;
        const result = usageThresholdsPassed({
          thresholds: thresholdsOf(amounts, step),
          historicalUsageAmountCents: d(historical),
          invoicedUsageAmountCents: d(invoiced),
          currentUsageAmountCents: d(current),
          progressiveBilledAmountCents: d(progressive),
        });
        for (const t of result.filter((r) => !r.recurring)) {
          expect(t.amountCents.toNumber()).toBeGreaterThan(historical + invoiced + progressive);
          expect(t.amountCents.toNumber()).toBeLessThanOrEqual(historical + invoiced + current);
        }
        // Once the progressive invoice bills the current usage, the same check passes nothing more.
        expect(passed(thresholdsOf(amounts, step), invoiced, current, { historical, progressive: current })).toEqual([]);
      }),
    );
  });

  it('property: a recurring threshold crossed twice in a period is found by two successive checks', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 999 }), (step, a, b) => {
        const first = step + (a % step); // first crossing: between 1 and 2 steps
        const second = 2 * step + (b % step); // the second level, possibly less than a step after `first`
        const thresholds = thresholdsOf([], step);
        expect(passed(thresholds, 0, first)).toEqual([step]);
        // The first progressive invoice billed `first`: below the second level nothing, at it the step again.
        expect(passed(thresholds, 0, 2 * step - 1, { progressive: Math.min(first, 2 * step - 1) })).toEqual([]);
        expect(passed(thresholds, 0, second, { progressive: first })).toEqual([step]);
        expect(passed(thresholds, 0, second, { progressive: second })).toEqual([]);
      }),
    );
  });
});

const pFee = (id: string, chargeId: string, amount: number, extra: Partial<ProgressiveInvoiceFee> = {}): ProgressiveInvoiceFee => ({
  id,
  chargeId,
  chargeFilterId: null,
  groupedBy: {},
  amountCents: d(amount),
  preciseCouponsAmountCents: d(0),
  taxes: [],
  creditedAmountCents: d(0),
  ...extra,
});

const PERIOD = { chargesFromDatetime: '2024-03-01T00:00:00Z', chargesToDatetime: '2024-04-01T00:00:00Z' };
const pInvoice = (id: string, fees: ProgressiveInvoiceFee[], extra: Partial<ProgressiveBillingInvoice> = {}): ProgressiveBillingInvoice => ({
  id,
  status: 'FINALIZED',
  issuingDate: '2024-03-15',
  createdAt: '2024-03-15T10:00:00Z',
  ...PERIOD,
  feesAmountCents: fees.reduce((s, f) => s.plus(f.amountCents), d(0)),
  couponsAmountCents: d(0),
  creditsAmountCents: d(0),
  creditNotesCreditAmountCents: d(0),
  fees,
  ...extra,
});

const billedAt = (invoices: ProgressiveBillingInvoice[], timestamp = '2024-03-20T00:00:00Z', includeGenerating = false) =>
  progressiveBilledAmount({ invoices, timestamp, includeGenerating });

// Examples from Lago's `spec/services/subscriptions/progressive_billed_amount_spec.rb`.
describe('progressiveBilledAmount', () => {
  it('nothing without a progressive invoice in the period', () => {
    const outside = pInvoice('old', [pFee('f', 'c', 20)], { chargesFromDatetime: '2024-01-01T00:00:00Z', chargesToDatetime: '2024-02-01T00:00:00Z' });
    const r = billedAt([outside]);
    expect(r.invoice).toBeNull();
    expectDecimal(r.progressiveBilledAmountCents, 0);
    expectDecimal(r.toCreditAmountCents, 0);
  });

  it('spec: partial coupon 100 − 30 → 70 to credit, 100 billed', () => {
    const r = billedAt([pInvoice('i', [pFee('f', 'c', 100)], { couponsAmountCents: d(30) })]);
    expectDecimal(r.progressiveBilledAmountCents, 100);
    expectDecimal(r.toCreditAmountCents, 70);
  });

  it('spec: the most recent invoice alone counts (80 after its coupons), not the sum', () => {
    const older = pInvoice('1', [pFee('f1', 'c', 50)], { issuingDate: '2024-03-10', couponsAmountCents: d(10) });
    const newer = pInvoice('2', [pFee('f2', 'c', 100)], { issuingDate: '2024-03-11', couponsAmountCents: d(20) });
    const r = billedAt([newer, older]);
    expect(r.invoice?.id).toBe('2');
    expectDecimal(r.progressiveBilledAmountCents, 100);
    expectDecimal(r.toCreditAmountCents, 80);
  });

  it('spec: on the same issuing date the later created invoice wins', () => {
    const a = pInvoice('a', [pFee('fa', 'c', 50)], { createdAt: '2024-03-15T08:00:00Z' });
    const b = pInvoice('b', [pFee('fb', 'c', 100)], { createdAt: '2024-03-15T09:00:00Z' });
    expect(billedAt([b, a]).invoice?.id).toBe('b');
    expect(billedAt([a, b]).invoice?.id).toBe('b');
  });

  it('spec: credits already taken (30) and credit notes (20) come off; never below 0', () => {
    expectDecimal(billedAt([pInvoice('i', [pFee('f', 'c', 100)], { couponsAmountCents: d(20), creditsAmountCents: d(30) })]).toCreditAmountCents, 50);
    expectDecimal(billedAt([pInvoice('i', [pFee('f', 'c', 100)], { couponsAmountCents: d(20), creditNotesCreditAmountCents: d(20) })]).toCreditAmountCents, 60);
    expectDecimal(billedAt([pInvoice('i', [pFee('f', 'c', 100)], { couponsAmountCents: d(60), creditsAmountCents: d(50) })]).toCreditAmountCents, 0);
  });

  it('only finalized and failed invoices count (generating on request); the period is [from, to)', () => {
    const voided = pInvoice('v', [pFee('f', 'c', 10)], { status: 'VOIDED' });
    expect(billedAt([voided]).invoice).toBeNull();
    expect(billedAt([pInvoice('x', [pFee('f', 'c', 10)], { status: 'FAILED' })]).invoice?.id).toBe('x');
    const generating = pInvoice('g', [pFee('f', 'c', 10)], { status: 'GENERATING' });
    expect(billedAt([generating]).invoice).toBeNull();
    expect(billedAt([generating], undefined, true).invoice?.id).toBe('g');
    expect(billedAt([pInvoice('p', [])], PERIOD.chargesFromDatetime).invoice?.id).toBe('p');
    expect(billedAt([pInvoice('p', [])], PERIOD.chargesToDatetime).invoice).toBeNull();
  });
});

const iFee = (id: string, chargeId: string, amount: number, extra: Partial<InvoiceChargeFee> = {}): InvoiceChargeFee => ({
  id,
  subscriptionId: 'sub',
  chargeId,
  chargeFilterId: null,
  groupedBy: {},
  amountCents: d(amount),
  ...extra,
});
const creditOf = (fees: InvoiceChargeFee[], invoices: ProgressiveBillingInvoice[], more: { subscriptionId: string; progressiveInvoices: ProgressiveBillingInvoice[] }[] = []) =>
  progressiveBillingCredit({
    fees,
    subscriptions: [
      { subscriptionId: 'sub', chargesFromDatetime: PERIOD.chargesFromDatetime, progressiveInvoices: invoices },
      ...more.map((m) => ({ ...m, chargesFromDatetime: PERIOD.chargesFromDatetime })),
    ],
  });
const preciseOf = (r: ReturnType<typeof creditOf>) => Object.fromEntries([...r.feePreciseCouponsAmountCents].map(([k, v]) => [k, v.toNumber()]));

// Examples from Lago's `spec/services/credits/progressive_billing_service_spec.rb` (fees 500 + 500 on charges A, B).
describe('progressiveBillingCredit', () => {
  it('spec: one progressive invoice of 20 on charge A → a 20 credit, put on the fee of A', () => {
    const r = creditOf([iFee('f1', 'A', 500), iFee('f2', 'B', 500)], [pInvoice('pb', [pFee('p1', 'A', 20)])]);
    expect(r.credits).toEqual([{ subscriptionId: 'sub', progressiveBillingInvoiceId: 'pb', amountCents: d(20) }]);
    expectDecimal(r.amountCents, 20);
    expect(preciseOf(r)).toEqual({ f1: 20 });
    expect(r.creditNotes).toEqual([]);
  });

  it('spec: a fee of 19 caps the credit at 19 and its precise coupons at 19; the excess 1 becomes a credit note', () => {
    const r = creditOf([iFee('f1', 'A', 19), iFee('f2', 'B', 500)], [pInvoice('pb', [pFee('p1', 'A', 20)])]);
    expectDecimal(r.amountCents, 19);
    expect(preciseOf(r)).toEqual({ f1: 19 });
    expect(r.creditNotes).toEqual([{ progressiveBillingInvoiceId: 'pb', items: [{ feeId: 'p1', amountCents: d(1) }], creditAmountCents: d(1) }]);
  });

  it('spec: the same charges on both invoices → 40, 20 on each fee', () => {
    const r = creditOf([iFee('f1', 'A', 500), iFee('f2', 'B', 500)], [pInvoice('pb', [pFee('p1', 'A', 20), pFee('p2', 'B', 20)])]);
    expectDecimal(r.amountCents, 40);
    expect(preciseOf(r)).toEqual({ f1: 20, f2: 20 });
  });

  it('spec: several progressive invoices → only the latest (200) is credited', () => {
    const first = pInvoice('pb1', [pFee('p1', 'A', 20)], { issuingDate: '2024-03-10' });
    const second = pInvoice('pb2', [pFee('p2', 'A', 200)], { issuingDate: '2024-03-11' });
    const r = creditOf([iFee('f1', 'A', 500), iFee('f2', 'B', 500)], [first, second]);
    expect(r.credits.map((c) => [c.progressiveBillingInvoiceId, c.amountCents.toNumber()])).toEqual([['pb2', 200]]);
  });

  it('spec: a latest invoice of 2000 on charge A against a 500 fee of A → credit 500 and a 1500 credit note on it', () => {
    const invoices = [
      pInvoice('pb1', [pFee('p1', 'A', 20)], { issuingDate: '2024-03-10' }),
      pInvoice('pb2', [pFee('p2', 'A', 1000)], { issuingDate: '2024-03-11' }),
      pInvoice('pb3', [pFee('p3', 'A', 2000)], { issuingDate: '2024-03-12' }),
    ];
    const r = creditOf([iFee('f1', 'A', 500), iFee('f2', 'B', 500)], invoices);
    expectDecimal(r.amountCents, 500);
    expect(r.creditNotes).toEqual([{ progressiveBillingInvoiceId: 'pb3', items: [{ feeId: 'p3', amountCents: d(1500) }], creditAmountCents: d(1500) }]);
  });

  it('spec: two subscriptions, one with a progressive invoice → one credit; an invoice of another period → none', () => {
    const other = [iFee('g1', 'C', 500, { subscriptionId: 'sub2' }), iFee('g2', 'D', 500, { subscriptionId: 'sub2' })];
    const r = creditOf([iFee('f1', 'A', 500), iFee('f2', 'B', 500), ...other], [pInvoice('pb', [pFee('p1', 'A', 20)])], [{ subscriptionId: 'sub2', progressiveInvoices: [] }]);
    expect(r.credits.map((c) => c.subscriptionId)).toEqual(['sub']);
    const outside = pInvoice('old', [pFee('p1', 'A', 20)], { chargesFromDatetime: '2024-01-01T00:00:00Z', chargesToDatetime: '2024-02-01T00:00:00Z' });
    expect(creditOf([iFee('f1', 'A', 500)], [outside]).credits).toEqual([]);
  });

  it('spec scenario: progressive invoices of 20000 then 60000 (cumulative) → the second credits 20000, the period end 60000', () => {
    const first = pInvoice('pb1', [pFee('p1', 'A', 20000)], { issuingDate: '2024-03-16' });
    // The second progressive invoice itself: fees = the usage since the period start.
    const onSecond = creditOf([iFee('s1', 'A', 60000)], [first]);
    expectDecimal(onSecond.amountCents, 20000);
    const second = pInvoice('pb2', [pFee('p2', 'A', 60000)], { issuingDate: '2024-03-26' });
    const firstTaken = { ...first, creditsAmountCents: d(20000) };
    const atEnd = creditOf([iFee('e1', 'A', 60000)], [firstTaken, second]);
    expect(atEnd.credits.map((c) => [c.progressiveBillingInvoiceId, c.amountCents.toNumber()])).toEqual([['pb2', 60000]]);
  });

  it('the spread adds the progressive fee amount, not the credit (a coupon on the progressive invoice does not shrink it)', () => {
    const r = creditOf([iFee('f1', 'A', 500)], [pInvoice('pb', [pFee('p1', 'A', 100)], { couponsAmountCents: d(30) })]);
    expectDecimal(r.amountCents, 70);
    expect(preciseOf(r)).toEqual({ f1: 100 });
  });

  it('fees match on charge, charge filter and grouping (any key order), the first one taking it', () => {
    const fees = [
      iFee('x', 'A', 500, { chargeFilterId: 'flt' }),
      iFee('y', 'A', 500, { groupedBy: { region: 'eu', tier: 'a' } }),
      iFee('z', 'A', 500, { groupedBy: { tier: 'a', region: 'eu' }, preciseCouponsAmountCents: d(7) }),
    ];
    const r = creditOf(fees, [pInvoice('pb', [pFee('p1', 'A', 30, { groupedBy: { tier: 'a', region: 'eu' } })])]);
    expect(preciseOf(r)).toEqual({ y: 30 });
    const r2 = creditOf(fees.slice(2), [pInvoice('pb', [pFee('p1', 'A', 30, { groupedBy: { region: 'eu', tier: 'a' } })])]);
    expect(preciseOf(r2)).toEqual({ z: 37 });
  });

  it('property: the credit never exceeds what the invoice holds for those charges nor what is left to credit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 100 }), (feeAmount, billed, coupons) => {
        const invoice = pInvoice('pb', [pFee('p1', 'A', billed)], { couponsAmountCents: d(Math.min(coupons, billed)) });
        const r = creditOf([iFee('f1', 'A', feeAmount), iFee('f2', 'B', 999)], [invoice]);
        const toCredit = billed - Math.min(coupons, billed);
        expect(r.amountCents.toNumber()).toBe(Math.min(feeAmount, toCredit));
        const noteItems = r.creditNotes.flatMap((n) => n.items).reduce((s, i) => s + i.amountCents.toNumber(), 0);
        expect(noteItems).toBe(Math.max(toCredit - feeAmount, 0));
      }),
    );
  });
});

// `spec/services/credit_notes/create_from_progressive_billing_invoice_spec.rb`: fees 80 and 40, both taxed 20 %.
describe('progressiveBillingCreditNote', () => {
  const tax = [{ code: 'vat', name: 'VAT', rate: '20' }];
  const invoice = pInvoice('pb', [pFee('fee2', 'B', 40, { taxes: tax }), pFee('fee1', 'A', 80, { taxes: tax })]);

  it('spec: 100 → items 80 (largest fee first) and 20, credit 120 with the taxes', () => {
    expect(progressiveBillingCreditNote(invoice, d(100))).toEqual({
      progressiveBillingInvoiceId: 'pb',
      items: [{ feeId: 'fee1', amountCents: d(80) }, { feeId: 'fee2', amountCents: d(20) }],
      creditAmountCents: d(120),
    });
  });

  it('spec: nothing for 0; more than the fees can hold (130) fails', () => {
    expect(progressiveBillingCreditNote(invoice, d(0))).toBeNull();
    expect(() => progressiveBillingCreditNote(invoice, d(130))).toThrow(/creditable_amount_is_less_than_requested/);
  });

  it('what earlier notes credited is not creditable again; a coupon share comes off the credit', () => {
    const credited = pInvoice('pb', [pFee('a', 'A', 80, { creditedAmountCents: d(80) }), pFee('b', 'B', 40, { preciseCouponsAmountCents: d(10) })]);
    const note = progressiveBillingCreditNote(credited, d(20));
    expect(note?.items).toEqual([{ feeId: 'a', amountCents: d(0) }, { feeId: 'b', amountCents: d(20) }]);
    // coupons adjustment = 10 × 20/40 = 5 → 20 − 5 = 15.
    expectDecimal(note!.creditAmountCents, 15);
  });
});

// `spec/services/lifetime_usages/usage_thresholds_completion_service_spec.rb` and
// `find_last_and_next_thresholds_service_spec.rb` (their thresholds 100 and 200, applied at A and B).
describe('lifetimeUsage', () => {
  const A = '2024-02-01T00:00:00Z';
  const B = '2024-02-10T00:00:00Z';
  const NOW = '2024-03-01T00:00:00Z';
  const usage = (current: number, thresholds: UsageThreshold[], applied: { id: string; lifetime?: number; at: string }[] = [], extra: { historical?: number; invoiced?: number } = {}) =>
    lifetimeUsage({
      historicalUsageAmountCents: d(extra.historical ?? 0),
      invoicedUsageAmountCents: d(extra.invoiced ?? 0),
      currentUsageAmountCents: d(current),
      thresholds,
      appliedThresholds: applied.map((a) => ({ usageThresholdId: a.id, lifetimeUsageAmountCents: d(a.lifetime ?? 0), createdAt: a.at })),
      now: NOW,
    });
  const rows = (u: ReturnType<typeof usage>) => u.usageThresholds.map((r) => [r.usageThresholdId, r.amountCents.toNumber(), r.completionRatio.toFixed(), r.reachedAt]);

  it('total = historical + invoiced + current; no thresholds → no rows, nulls', () => {
    const u = usage(7, [], [], { historical: 11, invoiced: 5 });
    expectDecimal(u.totalUsageAmountCents, 23);
    expect(u.usageThresholds).toEqual([]);
    expect([u.lastThresholdAmountCents, u.nextThresholdAmountCents, u.nextThresholdRatio]).toEqual([null, null, null]);
  });

  it('spec: one threshold of 100 at 0 then at 23 → ratio 0 then 0.23', () => {
    expect(rows(usage(0, [fixed(100)]))).toEqual([['t100', 100, '0', null]]);
    const u = usage(23, [fixed(100)]);
    expect(rows(u)).toEqual([['t100', 100, '0.23', null]]);
    expect([u.lastThresholdAmountCents, u.nextThresholdAmountCents?.toNumber(), u.nextThresholdRatio?.toFixed()]).toEqual([null, 100, '0.23']);
  });

  it('spec: 120 with 100 applied at A → 100 reached at A, 200 at 0.2; above both → last 200, no next', () => {
    const u = usage(120, [fixed(100), fixed(200)], [{ id: 't100', at: A }]);
    expect(rows(u)).toEqual([['t100', 100, '1', A], ['t200', 200, '0.2', null]]);
    expect([u.lastThresholdAmountCents?.toNumber(), u.nextThresholdAmountCents?.toNumber(), u.nextThresholdRatio?.toFixed()]).toEqual([100, 200, '0.2']);
    const above = usage(223, [fixed(100), fixed(200)], [{ id: 't100', at: A }]);
    expect(rows(above)).toEqual([['t100', 100, '1', A], ['t200', 200, '1', NOW]]); // not applied yet: now
    expect([above.lastThresholdAmountCents?.toNumber(), above.nextThresholdAmountCents, above.nextThresholdRatio]).toEqual([200, null, null]);
  });

  it('spec: next threshold recurring (200) after 100 → listed at 300, ratio 0.1', () => {
    const u = usage(120, [fixed(100), recurringT(200)], [{ id: 't100', at: A }]);
    expect(rows(u)).toEqual([['t100', 100, '1', A], ['r200', 300, '0.1', null]]);
    expect([u.lastThresholdAmountCents?.toNumber(), u.nextThresholdAmountCents?.toNumber(), u.nextThresholdRatio?.toFixed()]).toEqual([100, 300, '0.1']);
  });

  it('spec: 723 with the recurring one applied at 700 → 300, 500, 700 reached at B, 900 at 0.115', () => {
    const u = usage(723, [fixed(100), recurringT(200)], [{ id: 't100', at: A }, { id: 'r200', lifetime: 700, at: B }]);
    expect(rows(u)).toEqual([['t100', 100, '1', A], ['r200', 300, '1', B], ['r200', 500, '1', B], ['r200', 700, '1', B], ['r200', 900, '0.115', null]]);
    expect([u.lastThresholdAmountCents?.toNumber(), u.nextThresholdAmountCents?.toNumber(), u.nextThresholdRatio?.toFixed()]).toEqual([700, 900, '0.115']);
  });

  it('a pending fixed threshold hides the recurring levels: recurring listed at largest fixed + step, ratio 0', () => {
    expect(rows(usage(50, [fixed(100), fixed(300), recurringT(200)]))).toEqual([['t100', 100, '0.5', null], ['t300', 300, '0', null], ['r200', 500, '0', null]]);
  });

  it('Lago quirk kept: the recurring remainder is (last + total) mod step, so 100 + step 300 at 550 → 800 at 50/300', () => {
    const u = usage(550, [fixed(100), recurringT(300)]);
    expect(rows(u)).toEqual([['t100', 100, '1', NOW], ['r300', 400, '1', NOW], ['r300', 800, '0.16666666666666666', null]]);
  });

  it('the latest applied instance of a fixed threshold gives its reached_at', () => {
    expect(rows(usage(150, [fixed(100)], [{ id: 't100', at: B }, { id: 't100', at: A }]))[0]![3]).toBe(B);
  });

  it('invoiced usage: charge fees of finalized or draft subscription invoices only', () => {
    const total = lifetimeInvoicedUsageAmountCents([
      { invoiceType: 'SUBSCRIPTION', status: 'FINALIZED', chargeFeesAmountCents: d(100) },
      { invoiceType: 'SUBSCRIPTION', status: 'DRAFT', chargeFeesAmountCents: d(20) },
      { invoiceType: 'SUBSCRIPTION', status: 'VOIDED', chargeFeesAmountCents: d(1000) },
      { invoiceType: 'PROGRESSIVE_BILLING', status: 'FINALIZED', chargeFeesAmountCents: d(5000) },
    ]);
    expectDecimal(total, 120);
  });
});

describe('progressiveInvoiceCharges', () => {
  it('keeps the invoiceable in-arrears charges only', () => {
    const charges = [
      { id: 'a', invoiceable: true, payInAdvance: false },
      { id: 'b', invoiceable: false, payInAdvance: false },
      { id: 'c', invoiceable: true, payInAdvance: true },
      { id: 'd', invoiceable: false, payInAdvance: true },
    ];
    expect(progressiveInvoiceCharges(charges).map((c) => c.id)).toEqual(['a']);
  });
});

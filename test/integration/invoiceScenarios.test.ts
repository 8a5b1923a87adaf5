import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';

/**
 * Invoice scenarios end to end, through GraphQL and the manual clock, each amount computed by hand from Lago's rules
 * (README "Invoicing" and "Billing rules"; /work/shared/reference/billing-semantics.md §3.2–3.5, §3.7, §4.2, §4.4–4.6).
 * Lago paths are those of getlago/lago-api at 1b1c24a6a6c321d7900b05906bf1b20f706c97c2.
 *
 * Subscription fee (§3.4, app/services/fees/subscription_service.rb#compute_amount): `days × amount.fdiv(periodDays)`
 * with inclusive local days, rounded half away from zero; the full plan amount once a fee was billed before.
 */

type AppliedTax = { taxCode: string; taxRate: string; amountCents: string; feesAmountCents: string | null };
type Fee = {
  feeType: string;
  billableMetricCode: string | null;
  units: string;
  eventsCount: number;
  amountCents: string;
  taxesAmountCents: string;
  trueUp: boolean;
  fromDatetime: string;
  toDatetime: string;
  details: Record<string, unknown> | null;
  appliedTaxes: AppliedTax[];
};
type Invoice = {
  id: string;
  number: string;
  status: string;
  paymentStatus: string;
  reason: string;
  externalCustomerId: string;
  externalSubscriptionId: string;
  planCode: string;
  billingDate: string;
  issuingDate: string;
  paymentDueDate: string;
  netPaymentTerm: number;
  gracePeriodDays: number;
  finalizesAt: string | null;
  sequentialId: number | null;
  organizationSequentialId: number | null;
  feesAmountCents: string;
  taxesAmountCents: string;
  subTotalExcludingTaxesAmountCents: string;
  subTotalIncludingTaxesAmountCents: string;
  totalAmountCents: string;
  chargesFromDatetime: string | null;
  chargesToDatetime: string | null;
  subscriptionFeeFromDatetime: string | null;
  subscriptionFeeToDatetime: string | null;
  appliedTaxes: AppliedTax[];
  fees: Fee[];
};

const APPLIED_TAX = 'taxCode taxRate amountCents feesAmountCents';
const INVOICE_FIELDS = `id number status paymentStatus reason externalCustomerId externalSubscriptionId planCode billingDate issuingDate paymentDueDate
  netPaymentTerm gracePeriodDays finalizesAt sequentialId organizationSequentialId
  feesAmountCents taxesAmountCents subTotalExcludingTaxesAmountCents subTotalIncludingTaxesAmountCents totalAmountCents
  chargesFromDatetime chargesToDatetime subscriptionFeeFromDatetime subscriptionFeeToDatetime appliedTaxes { ${APPLIED_TAX} }
  fees { feeType billableMetricCode units eventsCount amountCents taxesAmountCents trueUp fromDatetime toDatetime details appliedTaxes { ${APPLIED_TAX} } }`;

let server: TestServer;
afterEach(async () => server?.close());

async function ok<T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const result = await server.gql<T>(query, variables);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data as T;
}

const createMetric = (input: Record<string, unknown>) =>
  ok('mutation($input: CreateBillableMetricInput!) { createBillableMetric(input: $input) { billableMetric { code } } }', { input: { aggregationType: 'COUNT', ...input } });
const createPlan = (input: Record<string, unknown>) =>
  ok('mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { code } } }', {
    input: { name: String(input.code), interval: 'MONTHLY', amountCurrency: 'EUR', ...input },
  });
const createCustomer = (input: Record<string, unknown>) =>
  ok<{ createCustomer: { customer: { externalId: string; sequentialId: number } } }>(
    'mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { externalId sequentialId } } }',
    { input: { currency: 'EUR', ...input } },
  );
const createSubscription = (input: Record<string, unknown>) =>
  ok<{ createSubscription: { subscription: { status: string; planCode: string; startedAt: string | null; trialEndsAt: string | null } } }>(
    'mutation($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { status planCode startedAt trialEndsAt } } }',
    { input },
  );
const createTax = (input: Record<string, unknown>) => ok('mutation($input: CreateTaxInput!) { createTax(input: $input) { tax { code } } }', { input });
const updateOrganization = (input: Record<string, unknown>) =>
  ok('mutation($input: UpdateOrganizationInput!) { updateOrganization(input: $input) { organization { id } } }', { input });

const CALLS_CHARGE = { billableMetricCode: 'calls', chargeModel: 'STANDARD', properties: { amount: '0.5' } };

/** A server on the manual clock at `start`, a COUNT metric `calls`, a plan `basic` (3100 cents a month, 0.50 EUR a call), customer c1, subscription s1. */
async function setup(options: { start: string; plan?: Record<string, unknown>; customer?: Record<string, unknown>; subscription?: Record<string, unknown> }) {
  server = await startTestServer({ CLOCK: 'manual', CLOCK_START: options.start });
  await createMetric({ code: 'calls', name: 'Calls' });
  await createPlan({ code: 'basic', amountCents: '3100', charges: [CALLS_CHARGE], ...options.plan });
  await createCustomer({ externalId: 'c1', ...options.customer });
  await createSubscription({ externalId: 's1', externalCustomerId: 'c1', planCode: 'basic', ...options.subscription });
}

/** Sends `count` events at `timestamp`, first moving the clock there when it is behind (events may not be ahead of it). */
async function send(count: number, timestamp: string, subscription = 's1', code = 'calls', properties?: Record<string, unknown>): Promise<void> {
  if (server.system.app.deps.clock.now().getTime() < Date.parse(timestamp)) await server.advanceClock(timestamp);
  const events = Array.from({ length: count }, (_, i) => ({ transactionId: `${subscription}-${code}-${timestamp}-${i}`, externalSubscriptionId: subscription, code, timestamp, ...(properties ? { properties } : {}) }));
  const data = await ok<{ createEvents: { acceptedCount: number } }>('mutation($input: CreateEventsInput!) { createEvents(input: $input) { acceptedCount } }', { input: { events } });
  expect(data.createEvents.acceptedCount).toBe(count);
}

const REASON_ORDER: Record<string, number> = { SUBSCRIPTION_STARTING: 0, PERIOD_END: 1, SUBSCRIPTION_TERMINATING: 2 };

/** Every invoice of the organization, oldest billing day first (then start → period end → termination, then subscription). */
async function invoices(): Promise<Invoice[]> {
  const all: Invoice[] = [];
  let after: string | null = null;
  for (;;) {
    const data: { invoices: { edges: { node: Invoice }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } = await ok(
      `query($after: String) { invoices(first: 20, after: $after) { edges { node { ${INVOICE_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
      { after },
    );
    all.push(...data.invoices.edges.map((e) => e.node));
    if (!data.invoices.pageInfo.hasNextPage) break;
    after = data.invoices.pageInfo.endCursor;
  }
  return all.sort(
    (a, b) =>
      a.billingDate.localeCompare(b.billingDate) ||
      REASON_ORDER[a.reason]! - REASON_ORDER[b.reason]! ||
      (a.chargesFromDatetime ?? '').localeCompare(b.chargesFromDatetime ?? '') ||
      a.externalSubscriptionId.localeCompare(b.externalSubscriptionId),
  );
}

const feeLines = (invoice: Invoice | undefined) => invoice!.fees.map((f) => [f.feeType, f.amountCents, f.units]);
const window = (invoice: Invoice | undefined) => [invoice!.subscriptionFeeFromDatetime, invoice!.subscriptionFeeToDatetime, invoice!.chargesFromDatetime, invoice!.chargesToDatetime];

describe('invoice scenarios', () => {
  it('anniversary on the 31st: Jan 31–Feb 27, Feb 28–Mar 30, Mar 31–Apr 29, each billed the day after, full fee each', async () => {
    // Lago: spec/services/subscriptions/dates/monthly_service_spec.rb:284 (subscription_at Jan 31, billed Feb 28 → to
    // Feb 27 23:59:59); spec/scenarios/subscriptions/billing_boundaries_spec.rb:38-94 (the same walk in 2024: Jan 31–Feb 28,
    // Feb 29–Mar 30, Mar 31–Apr 29); reference §3.3. MonthlyService#compute_to_date: the 30th of the next month, clamped to
    // the day before the month's last day when the month is shorter than the anniversary.
    await setup({ start: '2026-01-31T00:00:00Z', subscription: { billingTime: 'ANNIVERSARY', subscriptionAt: '2026-01-31T00:00:00Z' } });
    await send(2, '2026-02-27T23:00:00Z'); // the last day of the first period
    await server.advanceClock('2026-02-27T23:59:59Z');
    expect(await invoices()).toEqual([]);
    await server.advanceClock('2026-02-28T00:00:00Z');
    expect(await invoices()).toHaveLength(1);
    await send(3, '2026-02-28T00:00:00Z'); // the first instant of the second period
    await send(4, '2026-03-30T23:59:59Z'); // its last second
    await server.advanceClock('2026-03-30T23:59:59.999Z');
    expect(await invoices()).toHaveLength(1);
    await send(1, '2026-03-31T00:00:00Z'); // the third period's first instant (the clock reaches the second billing instant)
    await server.advanceClock('2026-04-30T00:00:00Z');
    const [first, second, third, ...rest] = await invoices();
    expect(rest).toEqual([]);

    // Period 1: Jan 31–Feb 27 = 28 days of a 28-day period: 28 × 3100 / 28 = 3100; 2 calls × 50 = 100.
    expect(first).toMatchObject({ reason: 'PERIOD_END', billingDate: '2026-02-28', issuingDate: '2026-02-28', totalAmountCents: '3200' });
    expect(window(first)).toEqual(['2026-01-31T00:00:00.000Z', '2026-02-27T23:59:59.999Z', '2026-01-31T00:00:00.000Z', '2026-02-27T23:59:59.999Z']);
    expect(feeLines(first)).toEqual([
      ['SUBSCRIPTION', '3100', '1'],
      ['CHARGE', '100', '2'],
    ]);
    expect(first!.fees[0]!.details).toMatchObject({ days: 28, periodDays: 28 });

    // Period 2: Feb 28–Mar 30 = 31 days: the full fee 3100 (a fee was billed before); 3 + 4 calls = 350.
    expect(second).toMatchObject({ billingDate: '2026-03-31', totalAmountCents: '3450' });
    expect(window(second)).toEqual(['2026-02-28T00:00:00.000Z', '2026-03-30T23:59:59.999Z', '2026-02-28T00:00:00.000Z', '2026-03-30T23:59:59.999Z']);
    expect(feeLines(second)).toEqual([
      ['SUBSCRIPTION', '3100', '1'],
      ['CHARGE', '350', '7'],
    ]);
    expect(second!.fees[0]!.details).toMatchObject({ periodDays: 31 });

    // Period 3: Mar 31–Apr 29 = 30 days: 3100; 1 call = 50.
    expect(third).toMatchObject({ billingDate: '2026-04-30', totalAmountCents: '3150' });
    expect(window(third)).toEqual(['2026-03-31T00:00:00.000Z', '2026-04-29T23:59:59.999Z', '2026-03-31T00:00:00.000Z', '2026-04-29T23:59:59.999Z']);
    expect(feeLines(third)).toEqual([
      ['SUBSCRIPTION', '3100', '1'],
      ['CHARGE', '50', '1'],
    ]);
    expect(third!.fees[0]!.details).toMatchObject({ periodDays: 30 });
    expect([first, second, third].map((i) => i!.number.slice(-7))).toEqual(['001-001', '001-002', '001-003']);
  });

  it('anniversary on the 31st, started at noon: the fee from local midnight, the charges from the start', async () => {
    // Lago: DatesService#from_datetime clamps the fee window to the start day's 00:00 local, #charges_from_datetime to
    // started_at itself (app/services/subscriptions/dates_service.rb:64-115); billing_boundaries_spec.rb:58-61 (started
    // 2024-01-31T01:00: fee from 00:00, charges from 01:00). Jan 31–Feb 27 = 28 days of 28: 2800 of 2800.
    await setup({ start: '2026-01-31T12:00:00Z', plan: { amountCents: '2800' }, subscription: { billingTime: 'ANNIVERSARY' } });
    await send(2, '2026-01-31T12:00:00Z');
    await server.advanceClock('2026-02-28T00:00:00Z');
    const [first] = await invoices();
    expect(window(first)).toEqual(['2026-01-31T00:00:00.000Z', '2026-02-27T23:59:59.999Z', '2026-01-31T12:00:00.000Z', '2026-02-27T23:59:59.999Z']);
    expect(feeLines(first)).toEqual([
      ['SUBSCRIPTION', '2800', '1'],
      ['CHARGE', '100', '2'],
    ]);
    expect(first!.fees[0]!.details).toMatchObject({ days: 28, periodDays: 28 });
  });

  it('anniversary on the 30th in advance, 2024: each period billed at its start, the elapsed charges with it', async () => {
    // Lago: spec/scenarios/subscriptions/billing_boundaries_spec.rb:96-162 — created 2024-01-30, in advance, anniversary:
    // fee windows Jan 30–Feb 28, Feb 29–Mar 29, Mar 30–Apr 29, Apr 30–May 29; charges one period behind. The first invoice
    // bills the full amount (should_use_full_amount?: in advance + anniversary + no previous subscription, reference §3.4 rule 3).
    await setup({ start: '2024-01-30T00:00:00Z', plan: { amountCents: '3000', payInAdvance: true }, subscription: { billingTime: 'ANNIVERSARY' } });
    await send(1, '2024-02-28T23:59:59Z');
    await send(2, '2024-03-29T12:00:00Z');
    await server.advanceClock('2024-04-30T02:00:00Z');
    const all = await invoices();
    expect(all.map((i) => [i.reason, i.billingDate, ...window(i)])).toEqual([
      ['SUBSCRIPTION_STARTING', '2024-01-30', '2024-01-30T00:00:00.000Z', '2024-02-28T23:59:59.999Z', null, null],
      ['PERIOD_END', '2024-02-29', '2024-02-29T00:00:00.000Z', '2024-03-29T23:59:59.999Z', '2024-01-30T00:00:00.000Z', '2024-02-28T23:59:59.999Z'],
      ['PERIOD_END', '2024-03-30', '2024-03-30T00:00:00.000Z', '2024-04-29T23:59:59.999Z', '2024-02-29T00:00:00.000Z', '2024-03-29T23:59:59.999Z'],
      ['PERIOD_END', '2024-04-30', '2024-04-30T00:00:00.000Z', '2024-05-29T23:59:59.999Z', '2024-03-30T00:00:00.000Z', '2024-04-29T23:59:59.999Z'],
    ]);
    expect(all.map(feeLines)).toEqual([
      [['SUBSCRIPTION', '3000', '1']],
      [['SUBSCRIPTION', '3000', '1'], ['CHARGE', '50', '1']],
      [['SUBSCRIPTION', '3000', '1'], ['CHARGE', '100', '2']],
      [['SUBSCRIPTION', '3000', '1']],
    ]);
  });

  describe('yearly plan billing its charges monthly', () => {
    it('in arrears: charges every month, the subscription fee only on the January run (the first month of the next year)', async () => {
      // Lago: Invoices::CalculateFeesService#should_create_yearly_subscription_fee? (app/services/invoices/calculate_fees_service.rb:320-342):
      // in arrears → `terminated? || first_month_in_yearly_period?`, calendar → billing_date.month == 1
      // (app/services/subscriptions/dates/yearly_service.rb:6-10); charges boundaries monthly (yearly_service.rb:89-107).
      // Scenario: spec/scenarios/subscriptions/billing_boundaries_spec.rb:211-299 (a yearly plan with charges billed monthly
      // issues an invoice every month, the yearly period only on the next year's run).
      await setup({ start: '2026-03-15T00:00:00Z', plan: { interval: 'YEARLY', amountCents: '120000', billChargesMonthly: true } });
      await send(2, '2026-03-20T00:00:00Z');
      await send(4, '2026-04-10T00:00:00Z');
      await server.advanceClock('2026-05-01T00:00:00Z');
      let all = await invoices();
      expect(all.map((i) => [i.billingDate, i.chargesFromDatetime, i.chargesToDatetime])).toEqual([
        ['2026-04-01', '2026-03-15T00:00:00.000Z', '2026-03-31T23:59:59.999Z'],
        ['2026-05-01', '2026-04-01T00:00:00.000Z', '2026-04-30T23:59:59.999Z'],
      ]);
      // No subscription fee in April or May: only the charges, 2 × 50 and 4 × 50.
      expect(all.map(feeLines)).toEqual([[['CHARGE', '100', '2']], [['CHARGE', '200', '4']]]);

      await send(6, '2026-12-31T12:00:00Z');
      await server.advanceClock('2027-01-01T00:00:00Z');
      all = await invoices();
      expect(all.map((i) => i.billingDate)).toEqual(['2026-04-01', '2026-05-01', '2026-06-01', '2026-07-01', '2026-08-01', '2026-09-01', '2026-10-01', '2026-11-01', '2026-12-01', '2027-01-01']);
      // Months without usage bill nothing (no subscription fee, no empty charge fee).
      expect(all.slice(2, 9).map((i) => [i.fees.length, i.totalAmountCents])).toEqual(Array.from({ length: 7 }, () => [0, '0']));
      // January 2027: the fee for Mar 15–Dec 31 2026 = 292 days of 365: 292 × 120000.fdiv(365) = 95999.99… → 96000; December: 6 × 50.
      const january = all.at(-1)!;
      expect(feeLines(january)).toEqual([
        ['SUBSCRIPTION', '96000', '1'],
        ['CHARGE', '300', '6'],
      ]);
      expect(window(january)).toEqual(['2026-03-15T00:00:00.000Z', '2026-12-31T23:59:59.999Z', '2026-12-01T00:00:00.000Z', '2026-12-31T23:59:59.999Z']);
      expect(january.fees[0]!.details).toMatchObject({ days: 292, periodDays: 365 });
    });

    it('in advance: the year’s fee when it starts, then charges only every month, the next year’s full fee in January', async () => {
      // Lago: should_create_yearly_subscription_fee? in advance, not started in the past → `first_month_in_yearly_period? ||
      // !already_billed?` (calculate_fees_service.rb:329-331); spec/scenarios/subscriptions/billing_boundaries_spec.rb:468-538
      // (in advance + charges monthly: the fee at creation, charges-only invoices monthly, the next year's fee in its first month).
      await setup({ start: '2026-03-15T00:00:00Z', plan: { interval: 'YEARLY', amountCents: '120000', billChargesMonthly: true, payInAdvance: true } });
      await server.advanceClock('2026-03-15T00:00:01Z');
      let all = await invoices();
      // Starting invoice: Mar 15–Dec 31 = 292 of 365 days: 96000 (first_subscription_amount, reference §3.4 rule 4).
      expect(all).toHaveLength(1);
      expect(all[0]).toMatchObject({ reason: 'SUBSCRIPTION_STARTING', billingDate: '2026-03-15', totalAmountCents: '96000' });
      expect(feeLines(all[0])).toEqual([['SUBSCRIPTION', '96000', '1']]);
      expect(all[0]!.subscriptionFeeFromDatetime).toBe('2026-03-15T00:00:00.000Z');
      expect(all[0]!.subscriptionFeeToDatetime).toBe('2026-12-31T23:59:59.999Z');

      await send(2, '2026-03-20T00:00:00Z');
      await send(4, '2026-04-10T00:00:00Z');
      await server.advanceClock('2026-05-01T00:00:00Z');
      all = await invoices();
      expect(all.slice(1).map((i) => [i.billingDate, i.chargesFromDatetime, i.chargesToDatetime])).toEqual([
        ['2026-04-01', '2026-03-15T00:00:00.000Z', '2026-03-31T23:59:59.999Z'],
        ['2026-05-01', '2026-04-01T00:00:00.000Z', '2026-04-30T23:59:59.999Z'],
      ]);
      expect(all.slice(1).map(feeLines)).toEqual([[['CHARGE', '100', '2']], [['CHARGE', '200', '4']]]);

      await send(6, '2026-12-31T12:00:00Z');
      await server.advanceClock('2027-01-01T00:00:00Z');
      all = await invoices();
      expect(all).toHaveLength(11); // the start, then Apr 1 … Jan 1
      // January 2027: the 2027 fee in advance, in full (a fee was billed before: should_use_full_amount?), and December's charges.
      const january = all.at(-1)!;
      expect(january).toMatchObject({ reason: 'PERIOD_END', billingDate: '2027-01-01', totalAmountCents: '120300' });
      expect(feeLines(january)).toEqual([
        ['SUBSCRIPTION', '120000', '1'],
        ['CHARGE', '300', '6'],
      ]);
      expect(window(january)).toEqual(['2027-01-01T00:00:00.000Z', '2027-12-31T23:59:59.999Z', '2026-12-01T00:00:00.000Z', '2026-12-31T23:59:59.999Z']);
    });
    it('anniversary, in arrears (Lago billing_boundaries scenario): monthly charges invoices, the year’s fee on its anniversary', async () => {
      // Lago: spec/scenarios/subscriptions/billing_boundaries_spec.rb:211-299 — created 2024-01-31T01:00, yearly anniversary,
      // charges billed monthly: Feb 29 (charges Jan 31 01:00–Feb 28), Mar 31 (Feb 29–Mar 30), Apr 30 (Mar 31–Apr 29), …,
      // 2025-01-31 (charges Dec 31–Jan 30, fee Jan 31 2024–Jan 30 2025). Fee: 366 days of the 366-day period = 100000.
      await setup({ start: '2024-01-31T01:00:00Z', plan: { interval: 'YEARLY', amountCents: '100000', billChargesMonthly: true, charges: [{ ...CALLS_CHARGE, properties: { amount: '1' } }] }, subscription: { billingTime: 'ANNIVERSARY' } });
      await send(1, '2024-02-01T00:00:00Z');
      await server.advanceClock('2025-01-31T02:00:00Z');
      const all = await invoices();
      expect(all).toHaveLength(12);
      expect(all.slice(0, 3).map((i) => [i.billingDate, i.chargesFromDatetime, i.chargesToDatetime, i.fees.map((f) => [f.feeType, f.amountCents])])).toEqual([
        ['2024-02-29', '2024-01-31T01:00:00.000Z', '2024-02-28T23:59:59.999Z', [['CHARGE', '100']]],
        ['2024-03-31', '2024-02-29T00:00:00.000Z', '2024-03-30T23:59:59.999Z', []],
        ['2024-04-30', '2024-03-31T00:00:00.000Z', '2024-04-29T23:59:59.999Z', []],
      ]);
      expect(all.slice(0, 11).flatMap((i) => i.fees.filter((f) => f.feeType === 'SUBSCRIPTION'))).toEqual([]);
      const last = all.at(-1)!;
      expect(last.billingDate).toBe('2025-01-31');
      expect(window(last)).toEqual(['2024-01-31T00:00:00.000Z', '2025-01-30T23:59:59.999Z', '2024-12-31T00:00:00.000Z', '2025-01-30T23:59:59.999Z']);
      expect(feeLines(last)).toEqual([['SUBSCRIPTION', '100000', '1']]);
      expect(last.fees[0]!.details).toMatchObject({ days: 366, periodDays: 366 });
    });

    it('anniversary, in advance (Lago billing_boundaries scenario): the fee at creation, charges monthly, the next year’s fee on the anniversary', async () => {
      // Lago: spec/scenarios/subscriptions/billing_boundaries_spec.rb:468-538 — the creation invoice covers Jan 31 2024–Jan 30
      // 2025 (full: in advance + anniversary), Feb 29 bills the charges from 01:00 on Jan 31, 2025-01-31 bills the fee for
      // Jan 31 2025–Jan 30 2026 with the charges of Dec 31–Jan 30.
      await setup({
        start: '2024-01-31T01:00:00Z',
        plan: { interval: 'YEARLY', amountCents: '100000', payInAdvance: true, billChargesMonthly: true, charges: [{ ...CALLS_CHARGE, properties: { amount: '1' } }] },
        subscription: { billingTime: 'ANNIVERSARY' },
      });
      await send(1, '2024-02-01T00:00:00Z');
      await send(3, '2025-01-30T12:00:00Z');
      await server.advanceClock('2025-01-31T02:00:00Z');
      const all = await invoices();
      expect(all).toHaveLength(13);
      expect(all[0]).toMatchObject({ reason: 'SUBSCRIPTION_STARTING', subscriptionFeeFromDatetime: '2024-01-31T00:00:00.000Z', subscriptionFeeToDatetime: '2025-01-30T23:59:59.999Z', totalAmountCents: '100000' });
      expect(all[1]).toMatchObject({ billingDate: '2024-02-29', chargesFromDatetime: '2024-01-31T01:00:00.000Z', chargesToDatetime: '2024-02-28T23:59:59.999Z' });
      expect(feeLines(all[1])).toEqual([['CHARGE', '100', '1']]);
      expect(all.slice(1, 12).flatMap((i) => i.fees.filter((f) => f.feeType === 'SUBSCRIPTION'))).toEqual([]);
      const last = all.at(-1)!;
      expect(window(last)).toEqual(['2025-01-31T00:00:00.000Z', '2026-01-30T23:59:59.999Z', '2024-12-31T00:00:00.000Z', '2025-01-30T23:59:59.999Z']);
      expect(feeLines(last)).toEqual([
        ['SUBSCRIPTION', '100000', '1'],
        ['CHARGE', '300', '3'],
      ]);
    });
  });

  describe('trials on a monthly plan in arrears', () => {
    it('a 10-day trial ending mid-period bills the fee from the trial end', async () => {
      // Lago: spec/services/fees/subscription_service_spec.rb:567-580 (started on the 1st, 3-day trial: 28 of 31 days,
      // 100 → 90); first_subscription_amount moves `from` to initial_started_at + trial_period.days when the trial ends
      // inside the window (app/services/fees/subscription_service.rb:158-179).
      // Started Jan 5 12:00, trial ends Jan 15 12:00: Jan 15–31 = 17 days (the trial-end day counts), 17 × 3100 / 31 = 1700.
      await setup({ start: '2026-01-05T12:00:00Z', plan: { trialPeriod: 10 } });
      await send(4, '2026-01-08T00:00:00Z'); // usage during the trial is billed (charges are not trial-free)
      await server.advanceClock('2026-02-01T00:00:00Z');
      let all = await invoices();
      expect(all).toHaveLength(1);
      expect(feeLines(all[0])).toEqual([
        ['SUBSCRIPTION', '1700', '1'],
        ['CHARGE', '200', '4'],
      ]);
      expect(all[0]!.fees[0]).toMatchObject({ fromDatetime: '2026-01-15T12:00:00.000Z', toDatetime: '2026-01-31T23:59:59.999Z', details: { days: 17, periodDays: 31 } });
      expect(all[0]!.chargesFromDatetime).toBe('2026-01-05T12:00:00.000Z');
      await server.advanceClock('2026-03-01T00:00:00Z');
      all = await invoices();
      expect(feeLines(all[1])).toEqual([['SUBSCRIPTION', '3100', '1']]);
    });

    it('a trial covering the whole first period bills nothing for it; the next period from the trial end', async () => {
      // Started Jan 20, 30-day trial → ends Feb 19 00:00. Feb 1 run: in the trial, nothing billed for the subscription
      // (Lago: CalculateFeesService#in_trial_period_not_ending_today?, calculate_fees_service.rb:284 and :402-408), the
      // usage is. Mar 1 run: Feb 19–28 = 10 days of 28: 10 × 3100.fdiv(28) = 1107.14… → 1107 (first_subscription_amount,
      // trial end inside the window, subscription_service.rb:162-170; reference §3.4 "Trial"). Apr 1: the full 3100.
      await setup({ start: '2026-01-20T00:00:00Z', plan: { trialPeriod: 30 } });
      const { subscriptions } = await ok<{ subscriptions: { edges: { node: { trialEndsAt: string } }[] } }>('{ subscriptions(first: 5) { edges { node { trialEndsAt } } } }');
      expect(subscriptions.edges[0]!.node.trialEndsAt).toBe('2026-02-19T00:00:00.000Z');
      await send(3, '2026-01-25T00:00:00Z');
      await server.advanceClock('2026-02-01T00:00:00Z');
      let all = await invoices();
      expect(all).toHaveLength(1);
      expect(all[0]).toMatchObject({ feesAmountCents: '150', totalAmountCents: '150' });
      expect(all[0]!.fees.filter((f) => f.feeType === 'CHARGE').map((f) => [f.amountCents, f.units])).toEqual([['150', '3']]);
      expect(all[0]!.fees.filter((f) => f.feeType === 'SUBSCRIPTION' && f.amountCents !== '0')).toEqual([]);
      await server.advanceClock('2026-04-01T00:00:00Z');
      all = await invoices();
      expect(all).toHaveLength(3);
      expect(feeLines(all[1])).toEqual([['SUBSCRIPTION', '1107', '1']]);
      expect(all[1]!.fees[0]).toMatchObject({ fromDatetime: '2026-02-19T00:00:00.000Z', toDatetime: '2026-02-28T23:59:59.999Z', details: { days: 10, periodDays: 28 } });
      expect(feeLines(all[2])).toEqual([['SUBSCRIPTION', '3100', '1']]);
    });

    it('a trial ending one day into the second period, at noon: 27 of 28 days', async () => {
      // Started Jan 20 12:00, 13-day trial → ends Feb 2 12:00 (Lago Subscription#trial_end_datetime = initial_started_at +
      // trial_period.days). Mar 1 run: Feb 2 12:00 → Feb 28 23:59:59 counts 27 days (a partial day counts,
      // Utils::Datetime.date_diff_with_timezone): 27 × 3100.fdiv(28) = 2989.28… → 2989.
      await setup({ start: '2026-01-20T12:00:00Z', plan: { trialPeriod: 13 } });
      await server.advanceClock('2026-03-01T00:00:00Z');
      const all = await invoices();
      expect(all.map((i) => i.totalAmountCents)).toEqual(['0', '2989']);
      expect(all[1]!.fees[0]).toMatchObject({ feeType: 'SUBSCRIPTION', amountCents: '2989', fromDatetime: '2026-02-02T12:00:00.000Z', details: { days: 27, periodDays: 28 } });
    });
  });

  describe('timezones', () => {
    it('America/New_York: a start late in the local evening, billed at local midnight, across the DST change', async () => {
      // Lago: spec/services/subscriptions/dates/monthly_service_spec.rb:51-56 (America/New_York: the period starts at 05:00 UTC);
      // reference §3.3 (dates in the customer timezone; fee from 00:00 local of the start day, charges from started_at).
      // Started 2026-01-10T03:00Z = Jan 9 22:00 EST: the fee window starts Jan 9 00:00 EST = 05:00Z; Jan 9–31 = 23 days:
      // 23 × 3100 / 31 = 2300. DST starts Mar 8 2026: March ends at Apr 1 00:00 EDT = 04:00Z.
      await setup({ start: '2026-01-10T03:00:00Z', customer: { timezone: 'America/New_York' } });
      await send(1, '2026-02-01T04:30:00Z'); // Jan 31 23:30 EST: January
      await server.advanceClock('2026-02-01T04:59:59Z');
      expect(await invoices()).toEqual([]);
      await server.advanceClock('2026-02-01T05:00:00Z');
      await send(2, '2026-02-01T05:00:00Z'); // Feb 1 00:00 EST: February
      await send(5, '2026-04-01T03:59:59Z'); // Mar 31 23:59:59 EDT: March
      await server.advanceClock('2026-04-01T04:00:00Z');
      const [january, february, march, ...rest] = await invoices();
      expect(rest).toEqual([]);
      expect(january).toMatchObject({ billingDate: '2026-02-01', issuingDate: '2026-02-01' });
      expect(window(january)).toEqual(['2026-01-09T05:00:00.000Z', '2026-02-01T04:59:59.999Z', '2026-01-10T03:00:00.000Z', '2026-02-01T04:59:59.999Z']);
      expect(feeLines(january)).toEqual([
        ['SUBSCRIPTION', '2300', '1'],
        ['CHARGE', '50', '1'],
      ]);
      expect(january!.fees[0]!.details).toMatchObject({ days: 23, periodDays: 31 });
      expect(window(february)).toEqual(['2026-02-01T05:00:00.000Z', '2026-03-01T04:59:59.999Z', '2026-02-01T05:00:00.000Z', '2026-03-01T04:59:59.999Z']);
      expect(feeLines(february)).toEqual([
        ['SUBSCRIPTION', '3100', '1'],
        ['CHARGE', '100', '2'],
      ]);
      expect(march).toMatchObject({ billingDate: '2026-04-01' });
      expect(window(march)).toEqual(['2026-03-01T05:00:00.000Z', '2026-04-01T03:59:59.999Z', '2026-03-01T05:00:00.000Z', '2026-04-01T03:59:59.999Z']);
      expect(feeLines(march)).toEqual([
        ['SUBSCRIPTION', '3100', '1'],
        ['CHARGE', '250', '5'],
      ]);
    });

    it('Asia/Kolkata (UTC+05:30): periods from 18:30 UTC the day before, billed at 18:30 UTC', async () => {
      // Started 2026-01-01T00:00Z = Jan 1 05:30 IST: the fee window starts Jan 1 00:00 IST = Dec 31 18:30Z (Lago's
      // from_datetime clamp to the start day's local midnight), the charges at started_at; Jan 1–31 IST = 31 days: 3100.
      await setup({ start: '2026-01-01T00:00:00Z', customer: { timezone: 'Asia/Kolkata' } });
      await send(2, '2026-01-31T18:00:00Z'); // Jan 31 23:30 IST: January
      await server.advanceClock('2026-01-31T18:29:59Z');
      expect(await invoices()).toEqual([]);
      await server.advanceClock('2026-01-31T18:30:00Z');
      await send(3, '2026-01-31T19:00:00Z'); // Feb 1 00:30 IST: February
      await server.advanceClock('2026-02-28T18:30:00Z');
      const [january, february, ...rest] = await invoices();
      expect(rest).toEqual([]);
      expect(january).toMatchObject({ billingDate: '2026-02-01', issuingDate: '2026-02-01', paymentDueDate: '2026-02-01' });
      expect(window(january)).toEqual(['2025-12-31T18:30:00.000Z', '2026-01-31T18:29:59.999Z', '2026-01-01T00:00:00.000Z', '2026-01-31T18:29:59.999Z']);
      expect(feeLines(january)).toEqual([
        ['SUBSCRIPTION', '3100', '1'],
        ['CHARGE', '100', '2'],
      ]);
      expect(february).toMatchObject({ billingDate: '2026-03-01' });
      expect(window(february)).toEqual(['2026-01-31T18:30:00.000Z', '2026-02-28T18:29:59.999Z', '2026-01-31T18:30:00.000Z', '2026-02-28T18:29:59.999Z']);
      expect(feeLines(february)).toEqual([
        ['SUBSCRIPTION', '3100', '1'],
        ['CHARGE', '150', '3'],
      ]);
    });
  });

  describe('taxes', () => {
    it('plan taxes on the subscription fee, charge taxes on their fees and true-ups (Lago taxes_on_invoice scenario, no coupon)', async () => {
      // Lago: spec/scenarios/taxes_on_invoice_spec.rb:13-159, without the 10 EUR coupon (coupons are issue 14): plan
      // tax_codes [banking_rates 10 %], fx_transfers (SUM of `total`, 1 EUR) taxed sales_tax_fr 0 %, cards (COUNT, 30 EUR,
      // min 5000) taxed sales_tax 20 %. Fee taxes: 10000 × 10 % = 1000; 5000 × 0 % = 0; 3000 × 20 % = 600; the
      // 2000 true-up takes its charge's taxes: 400. Invoice: 2000 of taxes on 20000 → 22000.
      server = await startTestServer({ CLOCK: 'manual', CLOCK_START: '2023-01-01T00:00:00Z' });
      await createTax({ name: 'Banking rates', code: 'banking_rates', rate: '10.0' });
      await createTax({ name: 'Sales tax - FR', code: 'sales_tax_fr', rate: '0.0' });
      await createTax({ name: 'Sales tax', code: 'sales_tax', rate: '20.0' });
      await createCustomer({ externalId: 'customer-1' });
      await createMetric({ name: 'FX Transfers', code: 'fx_transfers', aggregationType: 'SUM', fieldName: 'total' });
      await createMetric({ name: 'Cards', code: 'cards', aggregationType: 'COUNT' });
      await createPlan({
        code: 'plan_code',
        name: 'P1',
        amountCents: '10000',
        taxCodes: ['banking_rates'],
        charges: [
          { billableMetricCode: 'fx_transfers', chargeModel: 'STANDARD', properties: { amount: '1' }, taxCodes: ['sales_tax_fr'] },
          { billableMetricCode: 'cards', chargeModel: 'STANDARD', minAmountCents: '5000', properties: { amount: '30' }, taxCodes: ['sales_tax'] },
        ],
      });
      await createSubscription({ externalCustomerId: 'customer-1', externalId: 'sub_external_id', planCode: 'plan_code' });
      await send(1, '2023-01-01T00:00:00Z', 'sub_external_id', 'fx_transfers', { total: 50 });
      await send(1, '2023-01-01T00:00:00Z', 'sub_external_id', 'cards');
      await server.advanceClock('2023-02-01T00:00:00Z');
      const [invoice] = await invoices();
      expect(invoice!.fees.map((f) => [f.feeType, f.billableMetricCode, f.amountCents, f.taxesAmountCents, f.trueUp, f.appliedTaxes.map((t) => t.taxCode)])).toEqual([
        ['SUBSCRIPTION', null, '10000', '1000', false, ['banking_rates']],
        ['CHARGE', 'fx_transfers', '5000', '0', false, ['sales_tax_fr']],
        ['CHARGE', 'cards', '3000', '600', false, ['sales_tax']],
        ['CHARGE', 'cards', '2000', '400', true, ['sales_tax']],
      ]);
      expect(invoice).toMatchObject({ feesAmountCents: '20000', taxesAmountCents: '2000', subTotalExcludingTaxesAmountCents: '20000', subTotalIncludingTaxesAmountCents: '22000', totalAmountCents: '22000' });
      const applied = Object.fromEntries(invoice!.appliedTaxes.map((t) => [t.taxCode, [t.amountCents, t.feesAmountCents]]));
      expect(applied).toEqual({ banking_rates: ['1000', '10000'], sales_tax_fr: ['0', '5000'], sales_tax: ['1000', '5000'] });
    });

    it('organization default taxes, customer taxes replacing them, several taxes on one fee, and the commitment’s own taxes', async () => {
      // Reference §4.4 step 5 / §5.3 (app/services/fees/apply_taxes_service.rb#applicable_taxes): the first non-empty
      // level wins — charge → commitment → plan → customer → organization default; taxes of one level stack additively.
      server = await startTestServer({ CLOCK: 'manual', CLOCK_START: '2026-01-01T00:00:00Z' });
      await createTax({ code: 'vat', name: 'VAT', rate: '20', appliedToOrganization: true });
      await createTax({ code: 'gst', name: 'GST', rate: '5' });
      await createTax({ code: 'pst', name: 'PST', rate: '7' });
      await createTax({ code: 'commit', name: 'Commitment tax', rate: '8.5' });
      await createMetric({ code: 'calls', name: 'Calls' });
      await createPlan({ code: 'plain', amountCents: '1005', charges: [CALLS_CHARGE] });
      await createPlan({ code: 'plan_taxed', amountCents: '1005', taxCodes: ['gst'], charges: [CALLS_CHARGE] });
      await createPlan({ code: 'committed', amountCents: '3100', minimumCommitment: { amountCents: '5000', taxCodes: ['commit'] }, charges: [CALLS_CHARGE] });
      await createCustomer({ externalId: 'org_default' });
      await createCustomer({ externalId: 'own_taxes', taxCodes: ['gst', 'pst'] });
      await createSubscription({ externalId: 's_org', externalCustomerId: 'org_default', planCode: 'plain' });
      await createSubscription({ externalId: 's_own', externalCustomerId: 'own_taxes', planCode: 'plain' });
      await createSubscription({ externalId: 's_commit', externalCustomerId: 'org_default', planCode: 'committed' });
      await createSubscription({ externalId: 's_plan', externalCustomerId: 'own_taxes', planCode: 'plan_taxed' });
      await server.advanceClock('2026-02-01T00:00:00Z');
      const all = await invoices();
      const bySub = Object.fromEntries(all.map((i) => [i.externalSubscriptionId, i]));

      // Organization default: 1005 × 20 % = 201.
      expect(bySub.s_org!.fees.map((f) => [f.feeType, f.amountCents, f.taxesAmountCents, f.appliedTaxes.map((t) => [t.taxCode, t.amountCents])])).toEqual([['SUBSCRIPTION', '1005', '201', [['vat', '201']]]]);
      expect(bySub.s_org).toMatchObject({ taxesAmountCents: '201', totalAmountCents: '1206' });

      // The customer's taxes replace the default: GST 1005 × 5 % = 50.25 → 50, PST 1005 × 7 % = 70.35 → 70 each on its own,
      // the fee's taxes round(50.25 + 70.35) = round(120.6) = 121 (not 50 + 70), the invoice's round(120.6) = 121.
      expect(bySub.s_own!.fees.map((f) => [f.amountCents, f.taxesAmountCents, f.appliedTaxes.map((t) => [t.taxCode, t.amountCents])])).toEqual([
        ['1005', '121', [['gst', '50'], ['pst', '70']]],
      ]);
      expect(bySub.s_own).toMatchObject({ taxesAmountCents: '121', totalAmountCents: '1126' });
      expect(Object.fromEntries(bySub.s_own!.appliedTaxes.map((t) => [t.taxCode, t.amountCents]))).toEqual({ gst: '50', pst: '70' });

      // The plan's taxes come before the customer's: only GST, 50.25 → 50.
      expect(bySub.s_plan!.fees.map((f) => [f.amountCents, f.taxesAmountCents, f.appliedTaxes.map((t) => t.taxCode)])).toEqual([['1005', '50', ['gst']]]);
      expect(bySub.s_plan).toMatchObject({ taxesAmountCents: '50', totalAmountCents: '1055' });

      // Commitment: 5000 − 3100 = 1900 true-up taxed with its own code 8.5 % = 161.5 → 162; the fee keeps the default VAT
      // 3100 × 20 % = 620. Invoice: round(620 + 161.5) = round(781.5) = 782 → 5000 + 782 = 5782.
      expect(bySub.s_commit!.fees.map((f) => [f.feeType, f.amountCents, f.taxesAmountCents, f.appliedTaxes.map((t) => t.taxCode)])).toEqual([
        ['SUBSCRIPTION', '3100', '620', ['vat']],
        ['COMMITMENT', '1900', '162', ['commit']],
      ]);
      expect(bySub.s_commit).toMatchObject({ feesAmountCents: '5000', taxesAmountCents: '782', totalAmountCents: '5782' });
    });

    it('rounds each fee’s tax on its own and the invoice’s once: 100 + 100 on the fees, 201 on the invoice', async () => {
      // Reference §4.4 step 5 / §4.5 (app/services/fees/apply_taxes_service.rb, app/services/invoices/apply_taxes_service.rb):
      // fee 1004 × 10 % = 100.4 → 100 and charge 4 × 2.51 EUR = 1004 → 100.4 → 100; the invoice rounds the sum of the
      // unrounded taxes once: round(200.8) = 201. Total 2008 + 201 = 2209.
      await setup({ start: '2026-01-01T00:00:00Z', plan: { amountCents: '1004', charges: [{ ...CALLS_CHARGE, properties: { amount: '2.51' } }] } });
      await createTax({ code: 'ten', name: 'Ten', rate: '10', appliedToOrganization: true });
      await send(4, '2026-01-10T00:00:00Z');
      await server.advanceClock('2026-02-01T00:00:00Z');
      const [invoice] = await invoices();
      expect(invoice!.fees.map((f) => [f.feeType, f.amountCents, f.taxesAmountCents])).toEqual([
        ['SUBSCRIPTION', '1004', '100'],
        ['CHARGE', '1004', '100'],
      ]);
      expect(invoice).toMatchObject({ feesAmountCents: '2008', taxesAmountCents: '201', subTotalIncludingTaxesAmountCents: '2209', totalAmountCents: '2209' });
      expect(invoice!.appliedTaxes).toMatchObject([{ taxCode: 'ten', taxRate: '10', amountCents: '201', feesAmountCents: '2008' }]);
    });
  });

  describe('numbering', () => {
    it('per customer, per organization (never reset), then per customer again: Lago’s invoice numbering scenario', async () => {
      // Lago: spec/scenarios/invoices/invoice_numbering_spec.rb:49-159 — three customers on a monthly in-advance anniversary
      // plan from 2023-07-19T12:12, billing entity in Europe/Paris, prefix BENT-1; per customer for three runs; on Oct 19
      // per organization with prefix BENT-11: 010, 011, 012 (9 invoices before, not reset); on Nov 19 per customer again: 005.
      server = await startTestServer({ CLOCK: 'manual', CLOCK_START: '2023-07-19T12:12:00Z' });
      await updateOrganization({ timezone: 'Europe/Paris', documentNumbering: 'PER_CUSTOMER', documentNumberPrefix: 'BENT-1' });
      await createPlan({ code: 'monthly', amountCents: '12900', payInAdvance: true });
      const customers = ['first', 'second', 'third'];
      for (const [i, externalId] of customers.entries()) {
        const { createCustomer: created } = await createCustomer({ externalId });
        expect(created.customer.sequentialId).toBe(i + 1);
        await createSubscription({ externalId, externalCustomerId: externalId, planCode: 'monthly', billingTime: 'ANNIVERSARY', subscriptionAt: '2023-07-19T12:12:00Z' });
      }
      const numbersAt = async (billingDate: string) => (await invoices()).filter((i) => i.billingDate === billingDate).map((i) => i.number).sort();
      await server.advanceClock('2023-07-19T12:13:00Z');
      expect(await numbersAt('2023-07-19')).toEqual(['BENT-1-001-001', 'BENT-1-002-001', 'BENT-1-003-001']);
      await server.advanceClock('2023-08-19T12:12:00Z');
      expect(await numbersAt('2023-08-19')).toEqual(['BENT-1-001-002', 'BENT-1-002-002', 'BENT-1-003-002']);
      await server.advanceClock('2023-09-19T12:12:00Z');
      expect(await numbersAt('2023-09-19')).toEqual(['BENT-1-001-003', 'BENT-1-002-003', 'BENT-1-003-003']);
      // The Oct 19 run is at Oct 19 00:00 Paris = Oct 18 22:00Z: switch before it.
      await server.advanceClock('2023-10-18T12:00:00Z');
      await updateOrganization({ documentNumbering: 'PER_ORGANIZATION', documentNumberPrefix: 'BENT-11' });
      await server.advanceClock('2023-10-19T12:12:00Z');
      expect(await numbersAt('2023-10-19')).toEqual(['BENT-11-202310-010', 'BENT-11-202310-011', 'BENT-11-202310-012']);
      await server.advanceClock('2023-11-18T12:00:00Z');
      await updateOrganization({ documentNumbering: 'PER_CUSTOMER' });
      await server.advanceClock('2023-11-19T12:12:00Z');
      expect(await numbersAt('2023-11-19')).toEqual(['BENT-11-001-005', 'BENT-11-002-005', 'BENT-11-003-005']);
      const all = await invoices();
      expect(all).toHaveLength(15);
      // Each customer's own sequence 1…5, the organization's over all 15.
      for (const externalId of customers) expect(all.filter((i) => i.externalCustomerId === externalId).map((i) => i.sequentialId)).toEqual([1, 2, 3, 4, 5]);
    });

    it('two customers, per customer then per organization across months', async () => {
      // Reference §4.6 (app/models/invoice.rb#ensure_number): per customer `<prefix>-<customer %03d>-<n %03d>`; per
      // organization `<prefix>-<YYYYMM>-<n %03d>` with YYYYMM of the finalization in the organization's timezone.
      await setup({ start: '2026-01-01T00:00:00Z' });
      await updateOrganization({ documentNumberPrefix: 'ACME' });
      await createCustomer({ externalId: 'c2' });
      await createSubscription({ externalId: 's2', externalCustomerId: 'c2', planCode: 'basic' });
      await server.advanceClock('2026-03-01T00:00:00Z');
      let all = await invoices();
      expect(all.map((i) => [i.externalCustomerId, i.number])).toEqual([
        ['c1', 'ACME-001-001'],
        ['c2', 'ACME-002-001'],
        ['c1', 'ACME-001-002'],
        ['c2', 'ACME-002-002'],
      ]);
      // Per organization: the YYYYMM of the finalization instant (Time.now in the billing entity's timezone, app/models/invoice.rb:665),
      // the sequence going on from the 4 invoices numbered per customer.
      await updateOrganization({ documentNumbering: 'PER_ORGANIZATION' });
      await server.advanceClock('2026-04-01T00:00:00Z');
      await server.advanceClock('2026-05-01T00:00:00Z');
      all = await invoices();
      expect(all.slice(4).map((i) => [i.externalCustomerId, i.number, i.organizationSequentialId])).toEqual([
        ['c1', 'ACME-202604-005', 5],
        ['c2', 'ACME-202604-006', 6],
        ['c1', 'ACME-202605-007', 7],
        ['c2', 'ACME-202605-008', 8],
      ]);
      // The per-customer sequence keeps counting underneath: 3 and 4 for each.
      expect(all.slice(4).map((i) => i.sequentialId)).toEqual([3, 3, 4, 4]);
    });
  });

  it('net payment term and grace period: the organization’s when the customer has none, the customer’s otherwise', async () => {
    // Lago: Customer#applicable_invoice_grace_period / #applicable_net_payment_term (app/models/customer.rb:226-244: the
    // customer's when present, 0 included, else the billing entity's); issuing_date = billing date + grace days
    // (app/services/invoices/issuing_date_service.rb), payment_due_date = issuing_date + net_payment_term
    // (app/services/invoices/create_generating_service.rb); reference §4.2.
    await setup({ start: '2026-01-01T00:00:00Z', customer: { externalId: 'inherits' }, subscription: { externalCustomerId: 'inherits' } });
    await updateOrganization({ invoiceGracePeriod: 2, netPaymentTerm: 15 });
    await createCustomer({ externalId: 'no_grace', invoiceGracePeriod: 0, netPaymentTerm: 30 });
    await createCustomer({ externalId: 'own_grace', invoiceGracePeriod: 5, netPaymentTerm: 0 });
    await createSubscription({ externalId: 's2', externalCustomerId: 'no_grace', planCode: 'basic' });
    await createSubscription({ externalId: 's3', externalCustomerId: 'own_grace', planCode: 'basic' });
    await server.advanceClock('2026-02-01T00:00:00Z');
    let byCustomer = Object.fromEntries((await invoices()).map((i) => [i.externalCustomerId, i]));
    expect(byCustomer.inherits).toMatchObject({ status: 'DRAFT', gracePeriodDays: 2, netPaymentTerm: 15, issuingDate: '2026-02-03', paymentDueDate: '2026-02-18', finalizesAt: '2026-02-03T00:00:00.000Z' });
    expect(byCustomer.inherits!.number).toMatch(/-DRAFT$/);
    expect(byCustomer.no_grace).toMatchObject({ status: 'FINALIZED', gracePeriodDays: 0, netPaymentTerm: 30, issuingDate: '2026-02-01', paymentDueDate: '2026-03-03' });
    expect(byCustomer.own_grace).toMatchObject({ status: 'DRAFT', gracePeriodDays: 5, netPaymentTerm: 0, issuingDate: '2026-02-06', paymentDueDate: '2026-02-06' });
    await server.advanceClock('2026-02-03T00:00:00Z');
    byCustomer = Object.fromEntries((await invoices()).map((i) => [i.externalCustomerId, i]));
    expect(byCustomer.inherits).toMatchObject({ status: 'FINALIZED', issuingDate: '2026-02-03', paymentDueDate: '2026-02-18' });
    expect(byCustomer.own_grace!.status).toBe('DRAFT');
    await server.advanceClock('2026-02-06T00:00:00Z');
    byCustomer = Object.fromEntries((await invoices()).map((i) => [i.externalCustomerId, i]));
    expect(byCustomer.own_grace).toMatchObject({ status: 'FINALIZED', issuingDate: '2026-02-06', paymentDueDate: '2026-02-06', totalAmountCents: '3100' });
  });

  it('a downgrade takes effect at the period end: the old plan billed for its whole period, the new one from the next', async () => {
    // Lago: spec/scenarios/subscriptions/downgrade_spec.rb:301-380 (in arrears: at the period end the old plan's invoice
    // carries its subscription fee, the new plan has nothing to bill until its own first period ends); reference §3.2
    // (downgrade = yearly_amount_cents lower → pending until the end of the current period), §3.4.
    await setup({ start: '2026-01-01T00:00:00Z', plan: { code: 'pro', amountCents: '3100' }, subscription: { planCode: 'pro' } });
    await createPlan({ code: 'lite', amountCents: '1000', charges: [{ ...CALLS_CHARGE, properties: { amount: '0.2' } }] });
    await send(4, '2026-01-10T00:00:00Z');
    await server.advanceClock('2026-01-15T00:00:00Z');
    const { createSubscription: downgrade } = await createSubscription({ externalId: 's1', externalCustomerId: 'c1', planCode: 'lite' });
    expect(downgrade.subscription).toMatchObject({ status: 'PENDING', planCode: 'lite' });
    await send(2, '2026-01-20T00:00:00Z'); // still on the old plan
    await server.advanceClock('2026-02-01T00:00:00Z');
    await send(5, '2026-02-10T00:00:00Z'); // on the new plan
    await server.advanceClock('2026-03-01T00:00:00Z');
    const [old, first, ...rest] = await invoices();
    expect(rest).toEqual([]);
    // Old plan, Jan 1–31: 31 × 3100 / 31 = 3100, 6 calls × 0.50 = 300.
    expect(old).toMatchObject({ planCode: 'pro', billingDate: '2026-02-01', totalAmountCents: '3400' });
    expect(feeLines(old)).toEqual([
      ['SUBSCRIPTION', '3100', '1'],
      ['CHARGE', '300', '6'],
    ]);
    expect(window(old)).toEqual(['2026-01-01T00:00:00.000Z', '2026-01-31T23:59:59.999Z', '2026-01-01T00:00:00.000Z', '2026-01-31T23:59:59.999Z']);
    // New plan, Feb 1–28: 28 × 1000 / 28 = 1000, 5 calls × 0.20 = 100.
    expect(first).toMatchObject({ planCode: 'lite', reason: 'PERIOD_END', billingDate: '2026-03-01', totalAmountCents: '1100' });
    expect(feeLines(first)).toEqual([
      ['SUBSCRIPTION', '1000', '1'],
      ['CHARGE', '100', '5'],
    ]);
    expect(window(first)).toEqual(['2026-02-01T00:00:00.000Z', '2026-02-28T23:59:59.999Z', '2026-02-01T00:00:00.000Z', '2026-02-28T23:59:59.999Z']);
  });

  describe('endingAt', () => {
    it('terminates at endingAt and bills the partial period (Lago’s terminate_ended scenario, Europe/Paris)', async () => {
      // Lago: spec/scenarios/subscriptions/terminate_ended_spec.rb:25-57 — 1000 a month in arrears, anniversary, subscription_at
      // 2023-09-05T00:00Z, ending_at 2023-09-06T00:00Z, customer in Europe/Paris: one invoice of 67, issued 2023-09-06.
      // Sep 5 00:00 Paris → Sep 6 02:00 Paris touches 2 local days of the 30-day period Sep 5–Oct 4: 2 × 1000 / 30 = 66.67 → 67.
      await setup({
        start: '2023-09-05T00:00:00Z',
        plan: { amountCents: '1000' },
        customer: { timezone: 'Europe/Paris' },
        subscription: { billingTime: 'ANNIVERSARY', subscriptionAt: '2023-09-05T00:00:00Z', endingAt: '2023-09-06T00:00:00Z' },
      });
      await server.advanceClock('2023-09-06T00:15:00Z');
      const [invoice, ...rest] = await invoices();
      expect(rest).toEqual([]);
      expect(invoice).toMatchObject({ reason: 'SUBSCRIPTION_TERMINATING', totalAmountCents: '67', issuingDate: '2023-09-06' });
      expect(invoice!.fees[0]!.details).toMatchObject({ days: 2, periodDays: 30 });
      await server.advanceClock('2023-11-01T00:00:00Z');
      expect(await invoices()).toHaveLength(1);
    });

    for (const [timezone, issuingDate, feeFrom] of [
      ['Asia/Bangkok', '2023-09-06', '2023-09-04T17:00:00.000Z'],
      ['America/Bogota', '2023-09-05', '2023-09-04T05:00:00.000Z'],
    ] as const) {
      it(`the same in ${timezone}: 67, issued ${issuingDate}`, async () => {
        // Lago: spec/scenarios/subscriptions/terminate_ended_spec.rb:60-135. Bangkok (UTC+7): Sep 5 00:00 local = Sep 4 17:00Z →
        // Sep 6 07:00 local: 2 days of 30. Bogota (UTC−5): subscription_at is Sep 4 19:00 local, so the anniversary is the 4th
        // (period Sep 4–Oct 3, 30 days), the window Sep 4 00:00 local = 05:00Z → Sep 5 19:00 local: 2 days; issued on the
        // termination's local day, Sep 5.
        await setup({
          start: '2023-09-05T00:00:00Z',
          plan: { amountCents: '1000' },
          customer: { timezone },
          subscription: { billingTime: 'ANNIVERSARY', subscriptionAt: '2023-09-05T00:00:00Z', endingAt: '2023-09-06T00:00:00Z' },
        });
        await server.advanceClock('2023-09-06T00:15:00Z');
        const [invoice, ...rest] = await invoices();
        expect(rest).toEqual([]);
        expect(invoice).toMatchObject({ reason: 'SUBSCRIPTION_TERMINATING', totalAmountCents: '67', issuingDate, subscriptionFeeFromDatetime: feeFrom, subscriptionFeeToDatetime: '2023-09-06T00:00:00.000Z' });
        expect(invoice!.fees[0]!.details).toMatchObject({ days: 2, periodDays: 30 });
      });
    }

    it('a calendar subscription ending mid-month: the fee and the charges up to endingAt, nothing after', async () => {
      // Reference §3.4 rule 1 (terminated_amount) and §3.5: Jan 1 → Jan 20 12:00 = 20 days of 31: 20 × 3100.fdiv(31) = 2000;
      // charges up to the termination instant only: 3 calls before it, the one after is not billed.
      await setup({ start: '2026-01-01T00:00:00Z', subscription: { endingAt: '2026-01-20T12:00:00Z' } });
      await send(3, '2026-01-20T11:59:59Z');
      await server.advanceClock('2026-01-20T12:00:00Z');
      // An event after the termination is never billed (whatever ingestion answers for it).
      await server.advanceClock('2026-01-20T12:30:00Z');
      await server.gql('mutation($input: CreateEventsInput!) { createEvents(input: $input) { acceptedCount } }', {
        input: { events: [{ transactionId: 'after-end', externalSubscriptionId: 's1', code: 'calls', timestamp: '2026-01-20T12:00:01Z' }] },
      });
      await server.advanceClock('2026-03-01T00:00:00Z');
      const [invoice, ...rest] = await invoices();
      expect(rest).toEqual([]);
      expect(invoice).toMatchObject({ reason: 'SUBSCRIPTION_TERMINATING', billingDate: '2026-01-20', issuingDate: '2026-01-20', totalAmountCents: '2150' });
      expect(feeLines(invoice)).toEqual([
        ['SUBSCRIPTION', '2000', '1'],
        ['CHARGE', '150', '3'],
      ]);
      expect(invoice!.fees[0]).toMatchObject({ fromDatetime: '2026-01-01T00:00:00.000Z', toDatetime: '2026-01-20T12:00:00.000Z', details: { days: 20, periodDays: 31 } });
      expect(invoice!.chargesToDatetime).toBe('2026-01-20T12:00:00.000Z');
    });
  });

  it('a zero-amount plan without usage: a finalized invoice of "0", paid at once', async () => {
    // Lago: Fees::SubscriptionService always creates the subscription fee (0 here); payment_status = total > 0 ? pending :
    // succeeded (app/services/invoices/calculate_fees_service.rb:64); reference §4.4 step 8.
    await setup({ start: '2026-01-01T00:00:00Z', plan: { amountCents: '0' } });
    await server.advanceClock('2026-02-01T00:00:00Z');
    const [invoice, ...rest] = await invoices();
    expect(rest).toEqual([]);
    expect(invoice).toMatchObject({ status: 'FINALIZED', paymentStatus: 'SUCCEEDED', feesAmountCents: '0', taxesAmountCents: '0', totalAmountCents: '0' });
    expect(feeLines(invoice)).toEqual([['SUBSCRIPTION', '0', '1']]);
    expect(invoice!.number).toMatch(/-001-001$/);
  });

  it('a restart on the same files: no invoice twice, none missing, numbers continuing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'billing-invoice-restart-'));
    const env = { CLOCK: 'manual', CLOCK_START: '2026-01-01T00:00:00Z', DATA_DIR: dir, DATABASE_PATH: join(dir, 'billing.db') };
    try {
      server = await startTestServer(env);
      await createMetric({ code: 'calls', name: 'Calls' });
      await createPlan({ code: 'basic', amountCents: '3100', charges: [CALLS_CHARGE] });
      await createCustomer({ externalId: 'c1' });
      await createSubscription({ externalId: 's1', externalCustomerId: 'c1', planCode: 'basic' });
      await send(1, '2026-01-15T00:00:00Z');
      await send(2, '2026-02-15T00:00:00Z');
      await send(3, '2026-03-15T00:00:00Z');
      await server.advanceClock('2026-04-01T00:00:00Z');
      expect(await invoices()).toHaveLength(3);
      await send(4, '2026-04-15T00:00:00Z');
      await server.close();

      server = await startTestServer(env);
      expect(server.system.app.deps.clock.now().toISOString()).toBe('2026-04-15T00:00:00.000Z'); // resumed, not CLOCK_START
      await server.settle();
      expect(await invoices()).toHaveLength(3);
      await send(5, '2026-05-15T00:00:00Z');
      await server.advanceClock('2026-07-01T00:00:00Z');
      const all = await invoices();
      expect(all.map((i) => [i.billingDate, i.number.slice(-7), i.totalAmountCents])).toEqual([
        ['2026-02-01', '001-001', '3150'],
        ['2026-03-01', '001-002', '3200'],
        ['2026-04-01', '001-003', '3250'],
        ['2026-05-01', '001-004', '3300'],
        ['2026-06-01', '001-005', '3350'],
        ['2026-07-01', '001-006', '3100'],
      ]);
      expect(new Set(all.map((i) => i.chargesFromDatetime)).size).toBe(6);
      const again = await server.system.app.invoices.runDue(new Date('2026-07-01T00:00:00Z'));
      expect(again.created).toBe(0);
    } finally {
      await server.close();
      server = undefined as unknown as TestServer;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

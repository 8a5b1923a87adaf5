import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';

/** Invoicing through GraphQL and the manual clock (README "Invoicing"; reference §3.3–3.5, §4.1–4.6). */

type Fee = { feeType: string; billableMetricCode: string | null; units: string; eventsCount: number; amountCents: string; taxesAmountCents: string; trueUp: boolean; fromDatetime: string; toDatetime: string };
type Invoice = {
  id: string;
  number: string;
  status: string;
  paymentStatus: string;
  reason: string;
  issuingDate: string;
  paymentDueDate: string;
  feesAmountCents: string;
  taxesAmountCents: string;
  subTotalExcludingTaxesAmountCents: string;
  subTotalIncludingTaxesAmountCents: string;
  totalAmountCents: string;
  chargesFromDatetime: string | null;
  chargesToDatetime: string | null;
  fees: Fee[];
};

const INVOICE_FIELDS = `id number status paymentStatus reason issuingDate paymentDueDate feesAmountCents taxesAmountCents subTotalExcludingTaxesAmountCents
  subTotalIncludingTaxesAmountCents totalAmountCents chargesFromDatetime chargesToDatetime
  fees { feeType billableMetricCode units eventsCount amountCents taxesAmountCents trueUp fromDatetime toDatetime }`;

let server: TestServer;
afterEach(async () => server?.close());

async function ok<T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const result = await server.gql<T>(query, variables);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data as T;
}

async function setup(options: { start: string; plan?: Record<string, unknown>; customer?: Record<string, unknown>; subscription?: Record<string, unknown>; metric?: Record<string, unknown> }) {
  server = await startTestServer({ CLOCK: 'manual', CLOCK_START: options.start });
  await ok('mutation($input: CreateBillableMetricInput!) { createBillableMetric(input: $input) { billableMetric { code } } }', {
    input: { code: 'calls', name: 'Calls', aggregationType: 'COUNT', ...options.metric },
  });
  await ok('mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { code } } }', {
    input: {
      code: 'basic',
      name: 'Basic',
      interval: 'MONTHLY',
      amountCents: '3100',
      amountCurrency: 'EUR',
      charges: [{ billableMetricCode: 'calls', chargeModel: 'STANDARD', properties: { amount: '0.5' } }],
      ...options.plan,
    },
  });
  await ok('mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { externalId } } }', {
    input: { externalId: 'c1', currency: 'EUR', ...options.customer },
  });
  await ok('mutation($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { status } } }', {
    input: { externalId: 's1', externalCustomerId: 'c1', planCode: 'basic', ...options.subscription },
  });
}

/** Sends `count` events at `timestamp`, first moving the clock there when it is behind (events may not be ahead of it). */
async function send(count: number, timestamp: string, prefix = 'e'): Promise<void> {
  if (server.system.app.deps.clock.now().getTime() < Date.parse(timestamp)) await server.advanceClock(timestamp);
  const events = Array.from({ length: count }, (_, i) => ({ transactionId: `${prefix}-${timestamp}-${i}`, externalSubscriptionId: 's1', code: 'calls', timestamp }));
  const data = await ok<{ createEvents: { acceptedCount: number } }>('mutation($input: CreateEventsInput!) { createEvents(input: $input) { acceptedCount } }', { input: { events } });
  expect(data.createEvents.acceptedCount).toBe(count);
}

async function invoices(): Promise<Invoice[]> {
  const data = await ok<{ invoices: { edges: { node: Invoice }[] } }>(`{ invoices(first: 100) { edges { node { ${INVOICE_FIELDS} } } } }`);
  return data.invoices.edges.map((e) => e.node).reverse(); // oldest first
}

describe('invoicing', () => {
  it('monthly in arrears: a prorated first period, then full periods, numbered per customer', async () => {
    await setup({ start: '2026-01-10T00:00:00Z' });
    await send(10, '2026-01-15T12:00:00Z');
    await server.advanceClock('2026-01-31T23:59:59Z');
    expect(await invoices()).toEqual([]);
    await server.advanceClock('2026-02-01T00:00:00Z');
    const [first, ...rest] = await invoices();
    expect(rest).toEqual([]);
    // 22 days (Jan 10–31) of 31: 3100 × 22 / 31 = 2200; 10 calls × 0.50 EUR = 500.
    expect(first).toMatchObject({ status: 'FINALIZED', paymentStatus: 'PENDING', reason: 'PERIOD_END', issuingDate: '2026-02-01', paymentDueDate: '2026-02-01' });
    expect(first!.fees.map((f) => [f.feeType, f.amountCents, f.units])).toEqual([
      ['SUBSCRIPTION', '2200', '1'],
      ['CHARGE', '500', '10'],
    ]);
    expect(first).toMatchObject({ feesAmountCents: '2700', taxesAmountCents: '0', totalAmountCents: '2700' });
    expect(first!.chargesFromDatetime).toBe('2026-01-10T00:00:00.000Z');
    expect(first!.chargesToDatetime).toBe('2026-01-31T23:59:59.999Z');
    expect(first!.number).toMatch(/^[A-Z0-9]{3}-[A-Z0-9]{4}-001-001$/);

    // A month without usage: the full fee, and no empty charge fee (Lago does not keep it).
    await server.advanceClock('2026-03-01T00:00:00Z');
    const all = await invoices();
    expect(all).toHaveLength(2);
    expect(all[1]!.fees.map((f) => [f.feeType, f.amountCents])).toEqual([['SUBSCRIPTION', '3100']]);
    expect(all[1]!.number).toMatch(/-001-002$/);
  });

  it('catches up every missed period, oldest first, and never bills one twice', async () => {
    await setup({ start: '2026-01-01T00:00:00Z' });
    await server.advanceClock('2026-04-15T00:00:00Z');
    const all = (await invoices()).sort((a, b) => a.chargesFromDatetime!.localeCompare(b.chargesFromDatetime!));
    expect(all.map((i) => [i.chargesFromDatetime, i.number.slice(-3)])).toEqual([
      ['2026-01-01T00:00:00.000Z', '001'],
      ['2026-02-01T00:00:00.000Z', '002'],
      ['2026-03-01T00:00:00.000Z', '003'],
    ]);
    // Another run (a second clock, a retry) finds nothing to do.
    const again = await server.system.app.invoices.runDue(new Date('2026-04-15T00:00:00Z'));
    expect(again.created).toBe(0);
    expect(await invoices()).toHaveLength(3);
  });

  it('monthly in advance: the first period at the start, then each period ahead with the elapsed charges', async () => {
    await setup({ start: '2026-01-10T00:00:00Z', plan: { payInAdvance: true } });
    await server.advanceClock('2026-01-10T00:00:01Z');
    const [start] = await invoices();
    expect(start).toMatchObject({ reason: 'SUBSCRIPTION_STARTING', totalAmountCents: '2200' });
    expect(start!.fees.map((f) => f.feeType)).toEqual(['SUBSCRIPTION']);
    await send(4, '2026-01-20T00:00:00Z');
    await server.advanceClock('2026-02-01T00:00:00Z');
    const [, next] = await invoices();
    expect(next!.fees.map((f) => [f.feeType, f.amountCents, f.fromDatetime])).toEqual([
      ['SUBSCRIPTION', '3100', '2026-02-01T00:00:00.000Z'],
      ['CHARGE', '200', '2026-01-10T00:00:00.000Z'],
    ]);
  });

  it('bills in the customer’s timezone: America/New_York is billed at 05:00 UTC', async () => {
    await setup({ start: '2026-01-01T05:00:00Z', customer: { timezone: 'America/New_York' } });
    await server.advanceClock('2026-02-01T04:59:59Z');
    expect(await invoices()).toEqual([]);
    await server.advanceClock('2026-02-01T05:00:00Z');
    const [invoice] = await invoices();
    expect(invoice).toMatchObject({ issuingDate: '2026-02-01', chargesFromDatetime: '2026-01-01T05:00:00.000Z', chargesToDatetime: '2026-02-01T04:59:59.999Z' });
    expect(invoice!.fees[0]).toMatchObject({ feeType: 'SUBSCRIPTION', amountCents: '3100' });
  });

  it('taxes each fee at its level (charge → plan → customer → organization) and the invoice once', async () => {
    server = await startTestServer({ CLOCK: 'manual', CLOCK_START: '2026-01-01T00:00:00Z' });
    await ok('mutation { createTax(input: {code: "vat", name: "VAT", rate: "20", appliedToOrganization: true}) { tax { code } } }');
    await ok('mutation { createTax(input: {code: "low", name: "Low", rate: "5.5"}) { tax { code } } }');
    await ok('mutation { createBillableMetric(input: {code: "calls", name: "Calls", aggregationType: COUNT}) { billableMetric { code } } }');
    await ok('mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { code } } }', {
      input: { code: 'basic', name: 'Basic', interval: 'MONTHLY', amountCents: '999', amountCurrency: 'EUR', charges: [{ billableMetricCode: 'calls', chargeModel: 'STANDARD', properties: { amount: '0.33' }, taxCodes: ['low'] }] },
    });
    await ok('mutation { createCustomer(input: {externalId: "c1", currency: "EUR"}) { customer { externalId } } }');
    await ok('mutation { createSubscription(input: {externalId: "s1", externalCustomerId: "c1", planCode: "basic"}) { subscription { status } } }');
    await send(7, '2026-01-05T00:00:00Z');
    await server.advanceClock('2026-02-01T00:00:00Z');
    const [invoice] = await invoices();
    // Subscription fee 999 × 20 % = 199.8 → 200; charge 7 × 0.33 = 231 cents × 5.5 % = 12.705 → 13.
    expect(invoice!.fees.map((f) => [f.feeType, f.amountCents, f.taxesAmountCents])).toEqual([
      ['SUBSCRIPTION', '999', '200'],
      ['CHARGE', '231', '13'],
    ]);
    // Invoice: round(199.8 + 12.705) = 213.
    expect(invoice).toMatchObject({ feesAmountCents: '1230', taxesAmountCents: '213', subTotalIncludingTaxesAmountCents: '1443', totalAmountCents: '1443' });
  });

  it('a grace period keeps the invoice a draft that a late event refreshes, then finalizes it', async () => {
    await setup({ start: '2026-01-01T00:00:00Z', customer: { invoiceGracePeriod: 3, netPaymentTerm: 30 } });
    await send(2, '2026-01-10T00:00:00Z');
    await server.advanceClock('2026-02-01T00:00:00Z');
    let [draft] = await invoices();
    expect(draft).toMatchObject({ status: 'DRAFT', issuingDate: '2026-02-04', paymentDueDate: '2026-03-06' });
    expect(draft!.number).toMatch(/-DRAFT$/);
    expect(draft!.fees.find((f) => f.feeType === 'CHARGE')).toMatchObject({ units: '2', amountCents: '100' });
    await send(3, '2026-01-31T12:00:00Z', 'late');
    await server.advanceClock('2026-02-02T00:00:00Z');
    [draft] = await invoices();
    expect(draft!.status).toBe('DRAFT');
    expect(draft!.fees.find((f) => f.feeType === 'CHARGE')).toMatchObject({ units: '5', amountCents: '250' });
    await server.advanceClock('2026-02-04T00:00:00Z');
    const [final] = await invoices();
    expect(final).toMatchObject({ status: 'FINALIZED', totalAmountCents: '3350', issuingDate: '2026-02-04' });
    expect(final!.number).toMatch(/-001-001$/);
  });

  it('finalizeInvoice ends a draft early; voidInvoice and updateInvoice follow the lifecycle', async () => {
    await setup({ start: '2026-01-01T00:00:00Z', customer: { invoiceGracePeriod: 5 } });
    await server.advanceClock('2026-02-01T00:00:00Z');
    const [draft] = await invoices();
    const voidDraft = await server.gql(`mutation { voidInvoice(input: {id: "${draft!.id}"}) { invoice { id } } }`);
    expect(voidDraft.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    const finalized = await ok<{ finalizeInvoice: { invoice: Invoice } }>(`mutation { finalizeInvoice(input: {id: "${draft!.id}"}) { invoice { ${INVOICE_FIELDS} } } }`);
    expect(finalized.finalizeInvoice.invoice).toMatchObject({ status: 'FINALIZED', paymentStatus: 'PENDING' });
    const refresh = await server.gql(`mutation { refreshInvoice(input: {id: "${draft!.id}"}) { invoice { id } } }`);
    expect(refresh.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    const paid = await ok<{ updateInvoice: { invoice: Invoice } }>(`mutation { updateInvoice(input: {id: "${draft!.id}", paymentStatus: SUCCEEDED}) { invoice { paymentStatus } } }`);
    expect(paid.updateInvoice.invoice.paymentStatus).toBe('SUCCEEDED');
    const voidPaid = await server.gql(`mutation { voidInvoice(input: {id: "${draft!.id}"}) { invoice { id } } }`);
    expect(voidPaid.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    await ok(`mutation { updateInvoice(input: {id: "${draft!.id}", paymentStatus: FAILED}) { invoice { paymentStatus } } }`);
    const voided = await ok<{ voidInvoice: { invoice: Invoice } }>(`mutation { voidInvoice(input: {id: "${draft!.id}"}) { invoice { status } } }`);
    expect(voided.voidInvoice.invoice.status).toBe('VOIDED');
    // The grace period's end finds nothing left to finalize.
    await server.advanceClock('2026-02-07T00:00:00Z');
    expect((await invoices()).map((i) => i.status)).toEqual(['VOIDED']);
  });

  it('termination bills the partial period in arrears; SKIP bills nothing', async () => {
    await setup({ start: '2026-01-01T00:00:00Z' });
    await send(6, '2026-01-03T00:00:00Z');
    await server.advanceClock('2026-01-10T12:00:00Z');
    await ok('mutation { terminateSubscription(input: {externalId: "s1"}) { subscription { status } } }');
    await server.advanceClock('2026-01-10T12:00:01Z');
    const [invoice] = await invoices();
    // Jan 1–10 (10 days) of 31: 3100 × 10 / 31 = 1000; 6 calls = 300.
    expect(invoice).toMatchObject({ reason: 'SUBSCRIPTION_TERMINATING', totalAmountCents: '1300' });
    expect(invoice!.fees.map((f) => [f.feeType, f.amountCents])).toEqual([
      ['SUBSCRIPTION', '1000'],
      ['CHARGE', '300'],
    ]);
    await server.advanceClock('2026-03-01T00:00:00Z');
    expect(await invoices()).toHaveLength(1);
  });

  it('an upgrade mid-period bills the old plan up to the day before, the new one from the upgrade day', async () => {
    await setup({ start: '2026-01-01T00:00:00Z' });
    await ok('mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { code } } }', {
      input: { code: 'pro', name: 'Pro', interval: 'MONTHLY', amountCents: '6200', amountCurrency: 'EUR', charges: [{ billableMetricCode: 'calls', chargeModel: 'STANDARD', properties: { amount: '0.2' } }] },
    });
    await send(4, '2026-01-05T00:00:00Z');
    await server.advanceClock('2026-01-16T12:00:00Z');
    const upgraded = await ok<{ createSubscription: { subscription: { status: string; planCode: string } } }>(
      'mutation { createSubscription(input: {externalId: "s1", externalCustomerId: "c1", planCode: "pro"}) { subscription { status planCode } } }',
    );
    expect(upgraded.createSubscription.subscription).toMatchObject({ status: 'ACTIVE', planCode: 'pro' });
    await send(5, '2026-01-20T00:00:00Z', 'after');
    await server.advanceClock('2026-02-01T00:00:00Z');
    const [old, next] = await invoices();
    // Old plan: Jan 1 → Jan 16 12:00 is 16 days, less the upgrade day: 3100 × 15 / 31 = 1500; 4 calls × 0.50 = 200.
    expect(old).toMatchObject({ reason: 'SUBSCRIPTION_TERMINATING', totalAmountCents: '1700' });
    expect(old!.fees.map((f) => [f.feeType, f.amountCents])).toEqual([
      ['SUBSCRIPTION', '1500'],
      ['CHARGE', '200'],
    ]);
    // New plan, first invoice: Jan 16 → Jan 31 is 16 days: 6200 × 16 / 31 = 3200; 5 calls × 0.20 = 100.
    expect(next).toMatchObject({ reason: 'PERIOD_END' });
    expect(next!.fees.map((f) => [f.feeType, f.amountCents])).toEqual([
      ['SUBSCRIPTION', '3200'],
      ['CHARGE', '100'],
    ]);
  });

  it('a late event for an invoiced period is stored with PERIOD_ALREADY_INVOICED and never changes the invoice', async () => {
    await setup({ start: '2026-01-01T00:00:00Z' });
    await send(2, '2026-01-10T00:00:00Z');
    await server.advanceClock('2026-02-03T00:00:00Z');
    const [before] = await invoices();
    const outcome = async (transactionId: string, timestamp: string) => {
      const data = await ok<{ createEvents: { outcomes: { status: string; warnings: { code: string }[] }[] } }>(
        'mutation($input: CreateEventsInput!) { createEvents(input: $input) { outcomes { status warnings { code } } } }',
        { input: { events: [{ transactionId, externalSubscriptionId: 's1', code: 'calls', timestamp }] } },
      );
      return data.createEvents.outcomes[0]!;
    };
    expect(await outcome('late-1', '2026-01-20T00:00:00Z')).toEqual({ status: 'ACCEPTED', warnings: [{ code: 'PERIOD_ALREADY_INVOICED' }] });
    expect(await outcome('now-1', '2026-02-02T00:00:00Z')).toEqual({ status: 'ACCEPTED', warnings: [] });
    await server.advanceClock('2026-02-10T00:00:00Z');
    const [after] = await invoices();
    expect(after).toEqual(before);
    // The event is counted where it belongs: the January usage (past usage) holds it.
    const past = await ok<{ pastUsage: { chargesUsage: { units: string }[] }[] }>(
      '{ pastUsage(externalCustomerId: "c1", externalSubscriptionId: "s1", periodsCount: 1, waitForEvents: true) { chargesUsage { units } } }',
    );
    expect(past.pastUsage[0]!.chargesUsage[0]!.units).toBe('3');
    // The event debugger shows which invoice holds each period, and that this event came after it.
    const debug = async (transactionId: string) =>
      (await ok<{ event: { periodAlreadyInvoiced: boolean; invoice: { id: string } | null } }>(`{ event(externalSubscriptionId: "s1", transactionId: "${transactionId}") { periodAlreadyInvoiced invoice { id } } }`)).event;
    expect(await debug('late-1')).toEqual({ periodAlreadyInvoiced: true, invoice: { id: before!.id } });
    expect(await debug('e-2026-01-10T00:00:00Z-0')).toEqual({ periodAlreadyInvoiced: false, invoice: { id: before!.id } });
    expect(await debug('now-1')).toEqual({ periodAlreadyInvoiced: false, invoice: null });
  });

  it('invoicePreview shows the invoice the current period would get now, and stores nothing', async () => {
    await setup({ start: '2026-01-10T00:00:00Z' });
    await send(4, '2026-01-15T00:00:00Z');
    const data = await ok<{ invoicePreview: Invoice }>(`{ invoicePreview(externalSubscriptionId: "s1") { ${INVOICE_FIELDS} } }`);
    expect(data.invoicePreview).toMatchObject({ status: 'DRAFT', totalAmountCents: '2400', issuingDate: '2026-02-01' });
    expect(data.invoicePreview.fees.map((f) => [f.feeType, f.amountCents])).toEqual([
      ['SUBSCRIPTION', '2200'],
      ['CHARGE', '200'],
    ]);
    expect(await invoices()).toEqual([]);
    const missing = await server.gql('{ invoicePreview(externalSubscriptionId: "nope") { id } }');
    expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('invoiceCreated and invoiceUpdated push over websockets, for the organization or one customer', async () => {
    await setup({ start: '2026-01-01T00:00:00Z', customer: { invoiceGracePeriod: 2 } });
    const pushes: { field: string; status: string; customer: string }[] = [];
    const watch = (query: string, field: string) =>
      new Promise<void>((resolve) => {
        server.ws(server.apiKey).subscribe(
          { query },
          { next: (r) => { const i = (r.data as Record<string, { status: string; externalCustomerId: string }>)[field]!; pushes.push({ field, status: i.status, customer: i.externalCustomerId }); }, error: () => {}, complete: () => {} },
        );
        setTimeout(resolve, 200);
      });
    await watch('subscription { invoiceCreated { status externalCustomerId } }', 'invoiceCreated');
    await watch('subscription { invoiceUpdated(externalCustomerId: "c1") { status externalCustomerId } }', 'invoiceUpdated');
    await watch('subscription { invoiceUpdated(externalCustomerId: "other") { status externalCustomerId } }', 'invoiceUpdated');
    await server.advanceClock('2026-02-01T00:00:00Z');
    const [draft] = await invoices();
    await ok(`mutation { finalizeInvoice(input: {id: "${draft!.id}"}) { invoice { id } } }`);
    await ok(`mutation { updateInvoice(input: {id: "${draft!.id}", paymentStatus: SUCCEEDED}) { invoice { id } } }`);
    const deadline = Date.now() + 3_000;
    while (pushes.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200));
    expect(pushes).toEqual([
      { field: 'invoiceCreated', status: 'DRAFT', customer: 'c1' },
      { field: 'invoiceUpdated', status: 'FINALIZED', customer: 'c1' },
      { field: 'invoiceUpdated', status: 'FINALIZED', customer: 'c1' },
    ]);
  });

  it('a trial still running at the billing run bills no subscription fee at all (Lago skips it)', async () => {
    await setup({ start: '2026-01-20T00:00:00Z', plan: { trialPeriod: 30 } });
    await send(3, '2026-01-25T00:00:00Z');
    await server.advanceClock('2026-02-01T00:00:00Z');
    const [invoice] = await invoices();
    expect(invoice!.fees.map((f) => [f.feeType, f.amountCents])).toEqual([['CHARGE', '150']]);
    // The trial ends Feb 19: February's fee starts there (10 of 28 days: 3100 × 10 / 28 = 1107.14 → 1107).
    await server.advanceClock('2026-03-01T00:00:00Z');
    const [, march] = await invoices();
    expect(march!.fees.map((f) => [f.feeType, f.amountCents])).toEqual([['SUBSCRIPTION', '1107']]);
  });

  it('a downgrade onto an in-advance yearly plan prorates its first fee (Lago downgrade_spec.rb:32-134)', async () => {
    server = await startTestServer({ CLOCK: 'manual', CLOCK_START: '2023-07-19T12:12:00Z' });
    await ok('mutation { createBillableMetric(input: {code: "calls", name: "Calls", aggregationType: COUNT}) { billableMetric { code } } }');
    await ok('mutation { createPlan(input: {code: "monthly", name: "M", interval: MONTHLY, amountCents: "12900", amountCurrency: "EUR", payInAdvance: true}) { plan { code } } }');
    await ok('mutation { createPlan(input: {code: "yearly", name: "Y", interval: YEARLY, amountCents: "118800", amountCurrency: "EUR", payInAdvance: true}) { plan { code } } }');
    await ok('mutation { createCustomer(input: {externalId: "c1", currency: "EUR"}) { customer { externalId } } }');
    await ok('mutation { createSubscription(input: {externalId: "s1", externalCustomerId: "c1", planCode: "monthly", billingTime: ANNIVERSARY}) { subscription { status } } }');
    await server.advanceClock('2023-11-09T00:00:00Z');
    await ok('mutation { createSubscription(input: {externalId: "s1", externalCustomerId: "c1", planCode: "yearly"}) { subscription { status } } }');
    await server.advanceClock('2023-11-19T12:12:00Z');
    const yearly = (await invoices()).filter((i) => i.fees.some((f) => f.feeType === 'SUBSCRIPTION' && f.amountCents !== '12900'));
    // 243 days (2023-11-19 → 2024-07-18) of 366: 118800 × 243 / 366 = 78875.41 → 78875.
    expect(yearly.map((i) => i.fees.find((f) => f.feeType === 'SUBSCRIPTION')!.amountCents)).toEqual(['78875']);
  });

  it('reducing the grace period to 0 finalizes the pending drafts, with the dates moved (Lago update_invoice_grace_period_spec.rb)', async () => {
    await setup({ start: '2022-12-15T00:00:00Z', plan: { payInAdvance: true }, customer: { invoiceGracePeriod: 3 } });
    await server.advanceClock('2022-12-15T00:00:01Z');
    const [draft] = await invoices();
    expect(draft).toMatchObject({ status: 'DRAFT', issuingDate: '2022-12-18' });
    await server.advanceClock('2022-12-16T00:00:00Z');
    await ok('mutation { createCustomer(input: {externalId: "c1", invoiceGracePeriod: 0}) { customer { externalId } } }');
    await server.advanceClock('2022-12-16T00:00:01Z');
    const [final] = await invoices();
    expect(final).toMatchObject({ status: 'FINALIZED', issuingDate: '2022-12-15', paymentDueDate: '2022-12-15' });
  });

  it('pay-in-advance charges: an invoice per event when invoiceable, never billed again at the period end', async () => {
    await setup({ start: '2026-01-01T00:00:00Z', plan: { charges: [{ billableMetricCode: 'calls', chargeModel: 'STANDARD', properties: { amount: '2' }, payInAdvance: true, invoiceable: true }] } });
    await send(3, '2026-01-05T00:00:00Z');
    await server.advanceClock('2026-01-05T00:00:01Z');
    const each = await invoices();
    expect(each.map((i) => [i.reason, i.status, i.totalAmountCents, i.fees.map((f) => [f.feeType, f.units, f.amountCents])])).toEqual(
      Array.from({ length: 3 }, () => ['IN_ADVANCE_CHARGE', 'FINALIZED', '200', [['CHARGE', '1', '200']]]),
    );
    expect(new Set(each.map((i) => i.number)).size).toBe(3);
    // Another run finds nothing to bill again.
    await server.system.app.invoices.runDue(new Date('2026-01-05T00:00:01Z'));
    expect(await invoices()).toHaveLength(3);
    await server.advanceClock('2026-02-01T00:00:00Z');
    const all = await invoices();
    expect(all).toHaveLength(4);
    expect(all[3]!.fees.map((f) => [f.feeType, f.amountCents])).toEqual([['SUBSCRIPTION', '3100']]);
  });

  it('pay-in-advance SUM, not invoiceable: each event bills what climbs above the period’s maximum, gathered on the period’s invoice', async () => {
    await setup({
      start: '2026-01-01T00:00:00Z',
      metric: { aggregationType: 'SUM', fieldName: 'gb' },
      plan: { charges: [{ billableMetricCode: 'calls', chargeModel: 'STANDARD', properties: { amount: '1' }, payInAdvance: true, invoiceable: false }] },
    });
    await server.advanceClock('2026-01-05T00:00:00Z');
    for (const [i, gb] of ['5', '3', '-4', '6'].entries()) {
      await ok('mutation($input: CreateEventsInput!) { createEvents(input: $input) { acceptedCount } }', {
        input: { events: [{ transactionId: `gb-${i}`, externalSubscriptionId: 's1', code: 'calls', properties: { gb } }] },
      });
    }
    await server.advanceClock('2026-01-05T00:00:01Z');
    expect(await invoices()).toEqual([]);
    await server.advanceClock('2026-02-01T00:00:00Z');
    const [invoice] = await invoices();
    // 5, then 3 (8), then −4 (current 4, max 8: nothing), then +6 (current 10: 2 above the max) → 5 + 3 + 0 + 2.
    expect(invoice!.fees.map((f) => [f.feeType, f.units, f.amountCents])).toEqual([
      ['SUBSCRIPTION', '1', '3100'],
      ['CHARGE', '5', '500'],
      ['CHARGE', '3', '300'],
      ['CHARGE', '0', '0'],
      ['CHARGE', '2', '200'],
    ]);
    expect(invoice!.totalAmountCents).toBe('4100');
  });

  it('in advance with a trial: the rest of the period is billed when the trial ends', async () => {
    await setup({ start: '2026-01-01T00:00:00Z', plan: { payInAdvance: true, trialPeriod: 10 } });
    await server.advanceClock('2026-01-10T23:59:59Z');
    expect(await invoices()).toEqual([]);
    await server.advanceClock('2026-01-11T00:00:00Z');
    const [start] = await invoices();
    // Jan 11 → Jan 31: 21 days of 31: 3100 × 21 / 31 = 2100.
    expect(start).toMatchObject({ reason: 'SUBSCRIPTION_STARTING', totalAmountCents: '2100', issuingDate: '2026-01-11' });
    await server.advanceClock('2026-02-01T00:00:00Z');
    const [, february] = await invoices();
    expect(february!.fees.map((f) => [f.feeType, f.amountCents])).toEqual([['SUBSCRIPTION', '3100']]);
  });

  it('termination with onTerminationInvoice SKIP issues no invoice', async () => {
    await setup({ start: '2026-01-01T00:00:00Z' });
    await server.advanceClock('2026-01-10T12:00:00Z');
    await ok('mutation { terminateSubscription(input: {externalId: "s1", onTerminationInvoice: SKIP}) { subscription { status } } }');
    await server.advanceClock('2026-03-01T00:00:00Z');
    expect(await invoices()).toEqual([]);
  });

  it('true-ups: a charge under its minimum spend, then a plan under its minimum commitment', async () => {
    await setup({
      start: '2026-01-01T00:00:00Z',
      plan: {
        minimumCommitment: { amountCents: '5000', invoiceDisplayName: 'Minimum' },
        charges: [{ billableMetricCode: 'calls', chargeModel: 'STANDARD', properties: { amount: '0.5' }, minAmountCents: '1000' }],
      },
    });
    await send(2, '2026-01-05T00:00:00Z');
    await server.advanceClock('2026-02-01T00:00:00Z');
    const [invoice] = await invoices();
    // 3100 fee + 100 usage + 900 minimum spend = 4100, under the 5000 commitment: a 900 commitment true-up.
    expect(invoice!.fees.map((f) => [f.feeType, f.amountCents, f.trueUp])).toEqual([
      ['SUBSCRIPTION', '3100', false],
      ['CHARGE', '100', false],
      ['CHARGE', '900', true],
      ['COMMITMENT', '900', true],
    ]);
    expect(invoice!.totalAmountCents).toBe('5000');
  });

  it('a grace period keeps the period invoice in draft, never a pay-in-advance charge invoice (Lago finalizes those at once)', async () => {
    await setup({
      start: '2026-01-01T00:00:00Z',
      customer: { invoiceGracePeriod: 3 },
      plan: { charges: [{ billableMetricCode: 'calls', chargeModel: 'STANDARD', properties: { amount: '2' }, payInAdvance: true, invoiceable: true }] },
    });
    await send(1, '2026-01-05T00:00:00Z');
    await server.advanceClock('2026-02-01T00:00:00Z');
    const all = await invoices();
    expect(all.map((i) => [i.reason, i.status]).sort()).toEqual([
      ['IN_ADVANCE_CHARGE', 'FINALIZED'],
      ['PERIOD_END', 'DRAFT'],
    ]);
    expect(all.find((i) => i.reason === 'IN_ADVANCE_CHARGE')!.number).not.toMatch(/DRAFT/);
  });

  it('the minimum commitment counts the period’s pay-in-advance fees, billed on their own invoices', async () => {
    await setup({
      start: '2026-01-01T00:00:00Z',
      plan: {
        minimumCommitment: { amountCents: '5000' },
        charges: [{ billableMetricCode: 'calls', chargeModel: 'STANDARD', properties: { amount: '2' }, payInAdvance: true, invoiceable: true }],
      },
    });
    await send(5, '2026-01-05T00:00:00Z');
    await server.advanceClock('2026-01-06T00:00:00Z');
    expect((await invoices()).map((i) => [i.reason, i.totalAmountCents])).toEqual(Array.from({ length: 5 }, () => ['IN_ADVANCE_CHARGE', '200']));
    await server.advanceClock('2026-02-01T00:00:00Z');
    const periodEnd = (await invoices()).find((i) => i.reason === 'PERIOD_END');
    // 3100 fee + 5 × 200 paid in advance = 4100, under the 5000 commitment: a 900 true-up (not 1900).
    expect(periodEnd!.fees.map((f) => [f.feeType, f.amountCents])).toEqual([
      ['SUBSCRIPTION', '3100'],
      ['COMMITMENT', '900'],
    ]);
  });

  it('a yearly plan billing charges monthly: its commitment counts every month’s charges of the year', async () => {
    await setup({
      start: '2026-01-01T00:00:00Z',
      plan: { interval: 'YEARLY', amountCents: '10000', billChargesMonthly: true, minimumCommitment: { amountCents: '20000' }, charges: [{ billableMetricCode: 'calls', chargeModel: 'STANDARD', properties: { amount: '1' } }] },
    });
    // 10 events in each of January and July: 1,000 cents of charges each of those months.
    await send(10, '2026-01-10T00:00:00Z', 'jan');
    await server.advanceClock('2026-07-01T00:00:00Z');
    await send(10, '2026-07-10T00:00:00Z', 'jul');
    await server.advanceClock('2027-01-01T00:00:00Z');
    const all = await invoices();
    expect(all).toHaveLength(12);
    // Only the year's last invoice bills the fee and the commitment.
    const yearEnd = all.filter((i) => i.fees.some((f) => f.feeType !== 'CHARGE'));
    expect(yearEnd).toHaveLength(1);
    // 10000 fee + 1000 (January) + 1000 (July) = 12000, under 20000: an 8000 true-up.
    expect(yearEnd[0]!.fees.map((f) => [f.feeType, f.amountCents])).toEqual([
      ['SUBSCRIPTION', '10000'],
      ['COMMITMENT', '8000'],
    ]);
  });

  it('a partial first period prorates the minimum commitment', async () => {
    await setup({ start: '2026-01-17T00:00:00Z', plan: { minimumCommitment: { amountCents: '6200' } } });
    await server.advanceClock('2026-02-01T00:00:00Z');
    const [invoice] = await invoices();
    // 15 days of 31: fee 3100 × 15 / 31 = 1500; commitment 6200 × 15 / 31 = 3000 → true-up 1500.
    expect(invoice!.fees.map((f) => [f.feeType, f.amountCents])).toEqual([
      ['SUBSCRIPTION', '1500'],
      ['COMMITMENT', '1500'],
    ]);
  });

  it('numbers per organization: <prefix>-<YYYYMM>-<n> across customers', async () => {
    await setup({ start: '2026-01-01T00:00:00Z' });
    await ok('mutation { updateOrganization(input: {documentNumbering: PER_ORGANIZATION, documentNumberPrefix: "ACME"}) { organization { id } } }');
    await ok('mutation { createCustomer(input: {externalId: "c2", currency: "EUR"}) { customer { externalId } } }');
    await ok('mutation { createSubscription(input: {externalId: "s2", externalCustomerId: "c2", planCode: "basic"}) { subscription { status } } }');
    await server.advanceClock('2026-02-01T00:00:00Z');
    await server.advanceClock('2026-03-01T00:00:00Z');
    const numbers = (await invoices()).map((i) => i.number).sort();
    expect(numbers).toEqual(['ACME-202602-001', 'ACME-202602-002', 'ACME-202603-003', 'ACME-202603-004']);
  });

  it('customers created concurrently never share a sequentialId (the counter the invoice numbers come from)', async () => {
    await setup({ start: '2026-01-01T00:00:00Z' });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => ok(`mutation { createCustomer(input: {externalId: "k${i}", currency: "EUR"}) { customer { sequentialId } } }`)),
    );
    const data = await ok<{ customers: { edges: { node: { sequentialId: number } }[] } }>('{ customers(first: 100) { edges { node { sequentialId } } } }');
    const ids = data.customers.edges.map((e) => e.node.sequentialId).sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
  });

  it('concurrent finalizations never share a number', async () => {
    await setup({ start: '2026-01-01T00:00:00Z', customer: { invoiceGracePeriod: 10 } });
    for (let i = 2; i <= 8; i += 1) {
      await ok(`mutation { createCustomer(input: {externalId: "c${i}", currency: "EUR", invoiceGracePeriod: 10}) { customer { externalId } } }`);
      await ok(`mutation { createSubscription(input: {externalId: "s${i}", externalCustomerId: "c${i}", planCode: "basic"}) { subscription { status } } }`);
    }
    await ok('mutation { updateOrganization(input: {documentNumbering: PER_ORGANIZATION}) { organization { id } } }');
    await server.advanceClock('2026-02-01T00:00:00Z');
    const drafts = await invoices();
    expect(drafts).toHaveLength(8);
    const finalized = await Promise.all(
      drafts.map((d) => ok<{ finalizeInvoice: { invoice: { number: string } } }>(`mutation { finalizeInvoice(input: {id: "${d.id}"}) { invoice { number } } }`)),
    );
    const numbers = finalized.map((f) => f.finalizeInvoice.invoice.number.slice(-3)).sort();
    expect(numbers).toEqual(['001', '002', '003', '004', '005', '006', '007', '008']);
  });

  it('invoices appended together (one group commit) get consecutive numbers, per customer and per organization', async () => {
    await setup({ start: '2026-01-01T00:00:00Z' });
    // c1 has 12 subscriptions, c2 has 12: one run issues their 24 invoices concurrently, in groups sharing a counter.
    await ok(`mutation { createCustomer(input: {externalId: "c2", currency: "EUR"}) { customer { externalId } } }`);
    for (let i = 2; i <= 24; i += 1) {
      await ok(`mutation { createSubscription(input: {externalId: "s${i}", externalCustomerId: "c${i % 2 === 0 ? 2 : 1}", planCode: "basic"}) { subscription { status } } }`);
    }
    await server.advanceClock('2026-02-01T00:00:00Z');
    type Numbered = { number: string; externalCustomerId: string; sequentialId: number; organizationSequentialId: number };
    const data = await ok<{ invoices: { edges: { node: Numbered }[] } }>('{ invoices(first: 100) { edges { node { number externalCustomerId sequentialId organizationSequentialId } } } }');
    const all = data.invoices.edges.map((e) => e.node);
    expect(all).toHaveLength(24);
    expect(all.map((i) => i.organizationSequentialId).sort((a, b) => a - b)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    for (const customer of ['c1', 'c2']) {
      const own = all.filter((i) => i.externalCustomerId === customer);
      expect(own.map((i) => i.sequentialId).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
      expect(new Set(own.map((i) => i.number)).size).toBe(12);
    }
    // The counter stream holds exactly one number per invoice, appended in fewer transactions than invoices.
    const log = await server.system.app.deps.eventStore.readAll();
    const assigned = log.filter((e) => e.type === 'InvoiceNumberAssigned');
    expect(assigned).toHaveLength(24);
    expect(new Set(assigned.map((e) => (e.data as { invoiceId: string }).invoiceId)).size).toBe(24);
    const together = assigned.filter((e, i) => i > 0 && e.position === assigned[i - 1]!.position + 1n);
    expect(together.length).toBeGreaterThan(0);
  });

  it('two billing runs racing over the same subscriptions make each invoice once, with distinct numbers', async () => {
    await setup({ start: '2026-01-01T00:00:00Z' });
    for (let i = 2; i <= 6; i += 1) {
      await ok(`mutation { createCustomer(input: {externalId: "c${i}", currency: "EUR"}) { customer { externalId } } }`);
      await ok(`mutation { createSubscription(input: {externalId: "s${i}", externalCustomerId: "c${i}", planCode: "basic"}) { subscription { status } } }`);
    }
    const { clock } = server.system.app.deps;
    await (clock as unknown as { advance(to: Date): Promise<void> }).advance(new Date('2026-04-01T00:00:00Z'));
    // Two independent services (two clocks: no shared in-memory state) against the same log.
    const { createInvoiceService } = await import('../../src/application/invoices.ts');
    const { createUsageService } = await import('../../src/application/usage.ts');
    const deps = server.system.app.deps;
    const a = createInvoiceService(deps, createUsageService(deps));
    const b = createInvoiceService(deps, createUsageService(deps));
    const now = clock.now();
    const [ra, rb] = await Promise.all([a.runDue(now), b.runDue(now), server.system.app.invoices.runDue(now)]);
    const all = await invoices();
    expect(all).toHaveLength(6 * 3);
    expect(ra.created + rb.created).toBeLessThanOrEqual(18);
    const numbers = all.map((i) => i.number);
    expect(new Set(numbers).size).toBe(numbers.length);
    const streams = (await deps.eventStore.readAll()).filter((e) => e.type === 'InvoiceFinalized');
    expect(streams).toHaveLength(18);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, take, until, type TestServer } from '../support/server.ts';

/** Lifetime usage and progressive billing through GraphQL, websockets and the manual clock (reference §6.2, §4.4 step 3). */

type Invoice = {
  id: string;
  invoiceType: string;
  status: string;
  feesAmountCents: string;
  progressiveBillingCreditAmountCents: string;
  taxesAmountCents: string;
  totalAmountCents: string;
  createdAt: string;
  credits: { type: string; progressiveBillingInvoiceId: string | null; amountCents: string }[];
  appliedUsageThresholds: { amountCents: string; recurring: boolean; lifetimeUsageAmountCents: string }[];
  fees: { feeType: string; amountCents: string; preciseCouponsAmountCents: string; taxesAmountCents: string }[];
};
const INVOICE = `id invoiceType status feesAmountCents progressiveBillingCreditAmountCents taxesAmountCents totalAmountCents createdAt
  credits { type progressiveBillingInvoiceId amountCents } appliedUsageThresholds { amountCents recurring lifetimeUsageAmountCents }
  fees { feeType amountCents preciseCouponsAmountCents taxesAmountCents }`;

let server: TestServer;
afterEach(async () => server?.close());

async function ok<T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const result = await server.gql<T>(query, variables);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data as T;
}

async function setup(thresholds: Record<string, unknown>[], options: { tax?: boolean } = {}) {
  server = await startTestServer({ CLOCK: 'manual', CLOCK_START: '2026-01-01T00:00:00Z' });
  if (options.tax) await ok('mutation { createTax(input: {code: "vat", name: "VAT", rate: "20", appliedToOrganization: true}) { tax { code } } }');
  await ok('mutation { createBillableMetric(input: {code: "calls", name: "Calls", aggregationType: COUNT}) { billableMetric { code } } }');
  await ok('mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { code } } }', {
    input: { code: 'basic', name: 'Basic', interval: 'MONTHLY', amountCents: '1000', amountCurrency: 'EUR', usageThresholds: thresholds, charges: [{ billableMetricCode: 'calls', chargeModel: 'STANDARD', properties: { amount: '1' } }] },
  });
  await ok('mutation { createCustomer(input: {externalId: "c1", currency: "EUR"}) { customer { externalId } } }');
  await ok('mutation { createSubscription(input: {externalId: "s1", externalCustomerId: "c1", planCode: "basic"}) { subscription { status } } }');
}

let sent = 0;
async function send(count: number): Promise<void> {
  const timestamp = server.system.app.deps.clock.now().toISOString();
  const events = Array.from({ length: count }, () => ({ transactionId: `t${(sent += 1)}`, externalSubscriptionId: 's1', code: 'calls', timestamp }));
  await ok('mutation($input: CreateEventsInput!) { createEvents(input: $input) { acceptedCount } }', { input: { events } });
}

async function invoices(type?: string): Promise<Invoice[]> {
  const data = await ok<{ invoices: { edges: { node: Invoice }[] } }>(`{ invoices(first: 100) { edges { node { ${INVOICE} } } } }`);
  return data.invoices.edges.map((e) => e.node).filter((i) => type === undefined || i.invoiceType === type);
}

/** The progressive invoices, as the `invoiceType` filter lists them. */
async function progressive(): Promise<Invoice[]> {
  const data = await ok<{ invoices: { edges: { node: Invoice }[] } }>(`{ invoices(first: 100, invoiceType: PROGRESSIVE_BILLING) { edges { node { ${INVOICE} } } } }`);
  return data.invoices.edges.map((e) => e.node);
}

describe('progressive billing', () => {
  it('crossing a threshold bills a finalized progressive invoice at once; the period-end invoice deducts it', async () => {
    await setup([{ amountCents: '5000', thresholdDisplayName: 'Fifty' }], { tax: true });
    await send(40);
    await server.settle();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await progressive()).toEqual([]);
    await send(20);
    const [first] = await until(progressive, (list) => list.length === 1);
    // 60 calls × 1 EUR; VAT 20 %.
    expect(first).toMatchObject({ status: 'FINALIZED', feesAmountCents: '6000', taxesAmountCents: '1200', totalAmountCents: '7200', appliedUsageThresholds: [{ amountCents: '5000', recurring: false, lifetimeUsageAmountCents: '6000' }] });
    expect(first!.fees.map((f) => f.feeType)).toEqual(['CHARGE']);
    await send(5);
    await server.settle();
    await server.advanceClock('2026-02-01T00:00:00Z');
    const [period] = await invoices('SUBSCRIPTION');
    // Subscription 1000 + calls 6500, less the 6000 billed progressively (before taxes): 1500 + 20 % VAT.
    expect(period).toMatchObject({ feesAmountCents: '7500', progressiveBillingCreditAmountCents: '6000', taxesAmountCents: '300', totalAmountCents: '1800' });
    expect(period!.credits).toEqual([{ type: 'PROGRESSIVE_BILLING', progressiveBillingInvoiceId: first!.id, amountCents: '6000' }]);
    expect(await progressive()).toHaveLength(1);
  });

  it('a recurring threshold crossed twice in one period bills twice, each invoice net of the one before', async () => {
    await setup([{ amountCents: '1000', recurring: true }]);
    await send(12);
    await until(progressive, (list) => list.length === 1);
    await send(10);
    const list = await until(progressive, (all) => all.length === 2);
    const [first, second] = [...list].sort((a, b) => a.feesAmountCents.length - b.feesAmountCents.length || a.feesAmountCents.localeCompare(b.feesAmountCents));
    expect(first).toMatchObject({ feesAmountCents: '1200', totalAmountCents: '1200' });
    // 22 calls so far, less the 1200 billed by the first: 1000 to pay.
    expect(second).toMatchObject({ feesAmountCents: '2200', progressiveBillingCreditAmountCents: '1200', totalAmountCents: '1000' });
    await server.advanceClock('2026-02-01T00:00:00Z');
    const [period] = await invoices('SUBSCRIPTION');
    // Only the latest progressive invoice counts (its fees hold the earlier ones): the period pays its subscription fee.
    expect(period).toMatchObject({ feesAmountCents: '3200', progressiveBillingCreditAmountCents: '2200', totalAmountCents: '1000' });
  });

  it('what a progressive invoice billed beyond the period’s charges (usage that shrank) becomes a credit note', async () => {
    server = await startTestServer({ CLOCK: 'manual', CLOCK_START: '2026-01-01T00:00:00Z' });
    await ok('mutation { createBillableMetric(input: {code: "seats", name: "Seats", aggregationType: LATEST, fieldName: "v"}) { billableMetric { code } } }');
    await ok('mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { code } } }', {
      input: { code: 'seats', name: 'Seats', interval: 'MONTHLY', amountCents: '1000', amountCurrency: 'EUR', usageThresholds: [{ amountCents: '5000' }], charges: [{ billableMetricCode: 'seats', chargeModel: 'STANDARD', properties: { amount: '1' } }] },
    });
    await ok('mutation { createCustomer(input: {externalId: "c1", currency: "EUR"}) { customer { externalId } } }');
    await ok('mutation { createSubscription(input: {externalId: "s1", externalCustomerId: "c1", planCode: "seats"}) { subscription { status } } }');
    const seats = async (id: string, v: number, at: string) => {
      await server.advanceClock(at);
      await ok('mutation($input: CreateEventsInput!) { createEvents(input: $input) { acceptedCount } }', { input: { events: [{ transactionId: id, externalSubscriptionId: 's1', code: 'seats', timestamp: at, properties: { v: String(v) } }] } });
    };
    await seats('a', 60, '2026-01-05T00:00:00Z');
    const [billed] = await until(progressive, (list) => list.length === 1);
    expect(billed).toMatchObject({ feesAmountCents: '6000', totalAmountCents: '6000' });
    await seats('b', 20, '2026-01-20T00:00:00Z');
    await server.settle();
    await server.advanceClock('2026-02-01T00:00:00Z');
    const [period] = await invoices('SUBSCRIPTION');
    // The period's seats come to 2000: the deduction stops there, and the other 4000 billed come back as a credit
    // note on the progressive invoice, issued before this invoice is finalized, which consumes it (as Lago does).
    expect(period).toMatchObject({ feesAmountCents: '3000', progressiveBillingCreditAmountCents: '2000', totalAmountCents: '0' });
    const notes = await ok<{ creditNotes: { edges: { node: { invoiceId: string; automatic: boolean; reason: string; creditAmountCents: string; balanceAmountCents: string } }[] } }>(
      '{ creditNotes(externalCustomerId: "c1") { edges { node { invoiceId automatic reason creditAmountCents balanceAmountCents } } } }',
    );
    expect(notes.creditNotes.edges.map((e) => e.node)).toEqual([{ invoiceId: billed!.id, automatic: true, reason: 'OTHER', creditAmountCents: '4000', balanceAmountCents: '3000' }]);
  });

  it('a wallet pays the progressive invoice, and its ongoing balance does not deduct that usage twice', async () => {
    await setup([{ amountCents: '500' }]);
    const created = await ok<{ createWallet: { wallet: { id: string } } }>('mutation { createWallet(input: {externalCustomerId: "c1", currency: "EUR", rateAmount: "1", grantedCredits: "100"}) { wallet { id } } }');
    await send(6);
    const [billed] = await until(progressive, (list) => list.length === 1);
    expect(billed).toMatchObject({ feesAmountCents: '600', totalAmountCents: '0' });
    await server.settle();
    const WALLET = 'query($id: ID!) { wallet(id: $id) { balanceCents ongoingUsageBalanceCents ongoingBalanceCents } }';
    const wallet = await until(
      () => ok<{ wallet: Record<string, string> }>(WALLET, { id: created.createWallet.wallet.id }),
      (w) => w.wallet.balanceCents === '9400',
    );
    // 600 current usage, all of it billed (and paid from the wallet) progressively: nothing more is owed.
    expect(wallet.wallet).toEqual({ balanceCents: '9400', ongoingUsageBalanceCents: '0', ongoingBalanceCents: '9400' });
    await send(2);
    await server.settle();
    expect((await ok<{ wallet: Record<string, string> }>(WALLET, { id: created.createWallet.wallet.id })).wallet).toEqual({ balanceCents: '9400', ongoingUsageBalanceCents: '200', ongoingBalanceCents: '9200' });
  });

  it('with a recurring threshold billed twice, the ongoing balance nets out both progressive invoices', async () => {
    await setup([{ amountCents: '300', recurring: true }]);
    const created = await ok<{ createWallet: { wallet: { id: string } } }>('mutation { createWallet(input: {externalCustomerId: "c1", currency: "EUR", rateAmount: "1", grantedCredits: "100"}) { wallet { id } } }');
    await send(4);
    await until(progressive, (list) => list.length === 1);
    await send(3);
    await until(progressive, (list) => list.length === 2);
    await server.settle();
    const WALLET = 'query($id: ID!) { wallet(id: $id) { balanceCents ongoingUsageBalanceCents ongoingBalanceCents } }';
    // 400 then 700 − 400: the wallet paid 700 in all, and all 700 of usage is billed.
    const wallet = await until(() => ok<{ wallet: Record<string, string> }>(WALLET, { id: created.createWallet.wallet.id }), (w) => w.wallet.balanceCents === '9300');
    expect(wallet.wallet).toEqual({ balanceCents: '9300', ongoingUsageBalanceCents: '0', ongoingBalanceCents: '9300' });
  });

  it('two checks of one crossing bill one invoice', async () => {
    await setup([{ amountCents: '500' }]);
    await send(6);
    await server.settle();
    const sub = (await server.system.app.deps.readModels.collection<{ _id: string; organizationId: string }>('subscriptions').findOne({ externalId: 's1' }))!;
    const results = await Promise.all(Array.from({ length: 8 }, () => server.system.app.lifetimeUsage.check(sub.organizationId, 's1')));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await progressive()).toHaveLength(1);
    expect(results.filter((r) => r !== null).length).toBeLessThanOrEqual(1);
  });

  it('lifetime usage counts historical, invoiced and current usage, and historical usage counts toward thresholds', async () => {
    await setup([{ amountCents: '10000' }]);
    await send(3);
    await server.settle();
    const before = await ok<{ lifetimeUsage: Record<string, string> }>('{ lifetimeUsage(externalSubscriptionId: "s1") { externalHistoricalUsageAmountCents invoicedUsageAmountCents currentUsageAmountCents totalUsageAmountCents nextThresholdAmountCents nextThresholdRatio } }');
    expect(before.lifetimeUsage).toEqual({ externalHistoricalUsageAmountCents: '0', invoicedUsageAmountCents: '0', currentUsageAmountCents: '300', totalUsageAmountCents: '300', nextThresholdAmountCents: '10000', nextThresholdRatio: '0.03' });
    const updated = await ok<{ updateLifetimeUsage: { lifetimeUsage: Record<string, string> } }>(
      'mutation { updateLifetimeUsage(input: {externalSubscriptionId: "s1", externalHistoricalUsageAmountCents: "9800"}) { lifetimeUsage { externalHistoricalUsageAmountCents totalUsageAmountCents } } }',
    );
    expect(updated.updateLifetimeUsage.lifetimeUsage).toEqual({ externalHistoricalUsageAmountCents: '9800', totalUsageAmountCents: '10100' });
    // 9800 historical + 300 current passes 10,000: the current usage is billed progressively.
    const [billed] = await until(progressive, (list) => list.length === 1);
    expect(billed).toMatchObject({ feesAmountCents: '300' });
    const refused = await server.gql('mutation { updateLifetimeUsage(input: {externalSubscriptionId: "s1", externalHistoricalUsageAmountCents: "-5"}) { lifetimeUsage { totalUsageAmountCents } } }');
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'VALIDATION', field: 'input.externalHistoricalUsageAmountCents' });
  });

  it('a progressive invoice closes no period: later events of the period get no PERIOD_ALREADY_INVOICED, and the period-end invoice holds them', async () => {
    await setup([{ amountCents: '200' }]);
    await send(3);
    await until(progressive, (list) => list.length === 1);
    await server.settle();
    const timestamp = server.system.app.deps.clock.now().toISOString();
    const late = await ok<{ createEvents: { outcomes: { status: string; warnings: { code: string }[] }[] } }>(
      'mutation($input: CreateEventsInput!) { createEvents(input: $input) { outcomes { status warnings { code } } } }',
      { input: { events: [{ transactionId: 'after-progressive', externalSubscriptionId: 's1', code: 'calls', timestamp }] } },
    );
    expect(late.createEvents.outcomes).toEqual([{ status: 'ACCEPTED', warnings: [] }]);
    const debug = await ok<{ event: { periodAlreadyInvoiced: boolean; invoice: { id: string } | null } }>('{ event(externalSubscriptionId: "s1", transactionId: "after-progressive") { periodAlreadyInvoiced invoice { id } } }');
    expect(debug.event).toEqual({ periodAlreadyInvoiced: false, invoice: null });
    await server.advanceClock('2026-02-01T00:00:00Z');
    const [periodEnd] = await until(() => invoices('SUBSCRIPTION'), (list) => list.length === 1);
    // 4 calls × 1 EUR, less the 3 billed progressively: the event after the progressive invoice is billed here.
    expect(periodEnd).toMatchObject({ progressiveBillingCreditAmountCents: '300' });
    expect(periodEnd!.fees.find((f) => f.feeType === 'CHARGE')).toMatchObject({ amountCents: '400' });
    // Now the period is closed: an event for it is late.
    const afterEnd = await ok<{ createEvents: { outcomes: { warnings: { code: string }[] }[] } }>(
      'mutation($input: CreateEventsInput!) { createEvents(input: $input) { outcomes { warnings { code } } } }',
      { input: { events: [{ transactionId: 'after-end', externalSubscriptionId: 's1', code: 'calls', timestamp }] } },
    );
    expect(afterEnd.createEvents.outcomes[0]!.warnings).toEqual([{ code: 'PERIOD_ALREADY_INVOICED' }]);
  });

  it('thresholds added after usage began are billed: a subscription override, then a plan update, each seen at the next commit', async () => {
    await setup([]);
    await send(3);
    await server.settle();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await progressive()).toEqual([]);
    // A customer (a catalog change that touches no threshold) between: nothing changes.
    await ok('mutation { createCustomer(input: {externalId: "c2", currency: "EUR"}) { customer { externalId } } }');
    await send(1);
    await server.settle();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await progressive()).toEqual([]);
    // The subscription gets its own thresholds: the next usage crosses them.
    await ok('mutation { updateSubscription(input: {externalId: "s1", planOverrides: {usageThresholds: [{amountCents: "500"}]}}) { subscription { externalId } } }');
    await server.settle();
    await send(1);
    const [first] = await until(progressive, (list) => list.length === 1);
    expect(first).toMatchObject({ feesAmountCents: '500' });
    // A second subscription on the plan, then the plan gets thresholds: its next usage crosses them too.
    await ok('mutation { createSubscription(input: {externalId: "s2", externalCustomerId: "c1", planCode: "basic"}) { subscription { status } } }');
    const timestamp = server.system.app.deps.clock.now().toISOString();
    const sendTo = (id: string, n: number) =>
      ok('mutation($input: CreateEventsInput!) { createEvents(input: $input) { acceptedCount } }', {
        input: { events: Array.from({ length: n }, () => ({ transactionId: `s2-${(sent += 1)}`, externalSubscriptionId: id, code: 'calls', timestamp })) },
      });
    await sendTo('s2', 2);
    await server.settle();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await progressive()).toHaveLength(1);
    await ok('mutation { updatePlan(input: {code: "basic", name: "Basic", interval: MONTHLY, amountCents: "1000", amountCurrency: "EUR", usageThresholds: [{amountCents: "300"}], charges: [{billableMetricCode: "calls", chargeModel: STANDARD, properties: {amount: "1"}}]}) { plan { code } } }');
    await server.settle();
    await sendTo('s2', 1);
    const list = await until(progressive, (invoices) => invoices.length === 2);
    expect(list.map((i) => i.feesAmountCents).sort()).toEqual(['300', '500']);
  });

  it('usageThresholdReached pushes the progressive invoice over a websocket', async () => {
    await setup([{ amountCents: '200' }]);
    const client = server.ws(server.apiKey);
    const { started, done } = take<{ usageThresholdReached: { invoiceType: string; feesAmountCents: string } }>(client, 'subscription { usageThresholdReached(externalSubscriptionId: "s1") { invoiceType feesAmountCents } }', 1);
    await started;
    await send(3);
    const [pushed] = await done;
    expect(pushed!.usageThresholdReached).toEqual({ invoiceType: 'PROGRESSIVE_BILLING', feesAmountCents: '300' });
  });
});

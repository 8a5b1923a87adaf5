import { afterEach, describe, expect, it } from 'vitest';
import { allProjections, collectionNames } from '../../projections/index.ts';
import { ProjectionRunner } from '../../projections/runner.ts';
import { webhookStream } from '../../src/application/webhooks.ts';
import { BUCKETS, METERS, VALUES, usageSnapshot } from '../../projections/usageStore.ts';
import { createPlanWith } from '../support/catalog.ts';
import { ADMIN_KEY, startTestServer, type TestServer } from '../support/server.ts';

describe('rebuilding every read model from the log', () => {
  let server: TestServer;
  afterEach(async () => server.close());

  it('gives identical documents, after a replay over documents that already hold them too', async () => {
    server = await startTestServer({ CLOCK: 'manual' });
    const ok = async (query: string, key?: string) => expect((await server.gql(query, {}, key)).errors).toBeUndefined();
    await server.advanceClock('2030-01-10T00:00:00Z');
    await ok('mutation { createTax(input: {code: "vat", name: "VAT", rate: "20"}) { tax { code } } }');
    await ok('mutation { createBillableMetric(input: {code: "calls", name: "Calls", aggregationType: COUNT}) { billableMetric { code } } }');
    await ok('mutation { updateBillableMetric(input: {code: "calls", name: "API calls"}) { billableMetric { code } } }');
    await createPlanWith(server, 'basic', [{ billableMetricCode: 'calls', taxCodes: ['vat'] }]);
    await createPlanWith(server, 'pro', [{ billableMetricCode: 'calls' }]);
    // A plan with a non-invoiceable pay-in-advance charge: its fees are a read model of their own.
    const advance = await server.gql('mutation { createPlan(input: {code: "advance", name: "Advance", interval: MONTHLY, amountCents: "0", amountCurrency: "EUR", charges: [{billableMetricCode: "calls", chargeModel: STANDARD, properties: {amount: "1"}, payInAdvance: true, invoiceable: false}]}) { plan { code } } }');
    expect(advance.errors).toBeUndefined();
    await ok('mutation { createCustomer(input: {externalId: "c1", currency: "EUR", timezone: "Asia/Kolkata"}) { customer { externalId } } }');
    await ok('mutation { createSubscription(input: {externalId: "s1", externalCustomerId: "c1", planCode: "basic"}) { subscription { status } } }');
    await ok('mutation { createSubscription(input: {externalId: "s1", externalCustomerId: "c1", planCode: "pro"}) { subscription { status } } }');
    await ok('mutation { createOrganization(input: {name: "Other"}) { organization { id } } }', ADMIN_KEY);
    await ok('mutation { createCustomer(input: {externalId: "c2", currency: "EUR"}) { customer { externalId } } }');
    await ok('mutation { createSubscription(input: {externalId: "s2", externalCustomerId: "c2", planCode: "advance"}) { subscription { status } } }');
    // An alert on s2's usage (alerts and triggered alerts are read models of their own), triggered by its event.
    await ok('mutation { createAlert(input: {alertType: CURRENT_USAGE_AMOUNT, code: "spend", externalSubscriptionId: "s2", thresholds: [{value: "1"}]}) { alert { id } } }');
    await ok('mutation { createEvents(input: {events: [{transactionId: "a1", externalSubscriptionId: "s2", code: "calls"}]}) { acceptedCount } }');
    await ok('mutation { createEvents(input: {events: [{transactionId: "t1", externalSubscriptionId: "s1", code: "calls"}, {transactionId: "t2", externalSubscriptionId: "s1", code: "calls"}]}) { acceptedCount } }');
    for (let deadline = Date.now() + 5_000; (await server.system.app.alerts.triggered().count({})) === 0 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 20));
    // A coupon applied, and an add-on (read models of their own).
    await ok('mutation { createCoupon(input: {code: "ten", name: "Ten", couponType: PERCENTAGE, percentageRate: "10", frequency: FOREVER}) { coupon { code } } }');
    await ok('mutation { applyCoupon(input: {externalCustomerId: "c2", couponCode: "ten"}) { appliedCoupon { id } } }');
    await ok('mutation { createAddOn(input: {code: "setup", name: "Setup", amountCents: "1000", amountCurrency: "EUR"}) { addOn { code } } }');
    // A wallet with granted and paid credits (its transactions and credit invoice), paying the period's invoice.
    await ok('mutation { createWallet(input: {externalCustomerId: "c1", currency: "EUR", rateAmount: "1", grantedCredits: "5", paidCredits: "3"}) { wallet { id } } }');
    // Historical usage of a subscription (its lifetime usage's read model).
    await ok('mutation { updateLifetimeUsage(input: {externalSubscriptionId: "s1", externalHistoricalUsageAmountCents: "1200"}) { lifetimeUsage { totalUsageAmountCents } } }');
    // The period ends: an invoice (Asia/Kolkata is 5:30 ahead of UTC).
    await server.advanceClock('2030-02-01T00:00:00Z');
    await server.settle();
    // A credit note on one of them.
    const billed = await server.gql<{ invoices: { edges: { node: { id: string; totalAmountCents: string; fees: { id: string; amountCents: string }[] } }[] } }>('{ invoices(first: 10) { edges { node { id totalAmountCents fees { id amountCents } } } } }');
    const invoice = billed.data!.invoices.edges.map((e) => e.node).find((i) => i.fees.some((f) => f.amountCents !== '0'))!;
    const fee = invoice.fees.find((f) => f.amountCents !== '0')!;
    await ok(`mutation { createCreditNote(input: {invoiceId: "${invoice.id}", reason: OTHER, items: [{feeId: "${fee.id}", amountCents: "1"}]}) { creditNote { id } } }`);
    // Webhook endpoints (one updated and its secret rotated, one deleted) and a failed webhook, appended as the
    // dispatcher would: the endpoints take only a type nothing here makes, so nothing is delivered meanwhile.
    const endpoint = async (url: string) => {
      const result = await server.gql<{ createWebhookEndpoint: { webhookEndpoint: { id: string } } }>(`mutation { createWebhookEndpoint(input: {url: "${url}", eventTypes: ["plan.deleted"]}) { webhookEndpoint { id } } }`);
      expect(result.errors).toBeUndefined();
      return result.data!.createWebhookEndpoint.webhookEndpoint.id;
    };
    const kept = await endpoint('http://127.0.0.1:9/kept');
    await ok(`mutation { updateWebhookEndpoint(input: {id: "${kept}", signatureAlgorithm: HMAC}) { webhookEndpoint { id } } }`);
    await ok(`mutation { rotateWebhookEndpointSecret(input: {id: "${kept}"}) { webhookEndpoint { id } } }`);
    await ok(`mutation { deleteWebhookEndpoint(input: {id: "${await endpoint('http://127.0.0.1:9/deleted')}"}) { webhookEndpoint { id } } }`);
    const organizationId = (await server.gql<{ organization: { id: string } }>('{ organization { id } }')).data!.organization.id;
    const at = '2030-02-01T00:00:00.000Z';
    const metadata = { organizationId, recordedAt: at };
    await server.system.app.deps.eventStore.append(webhookStream(organizationId, 'wh1'), [
      { type: 'WebhookCreated', data: { organizationId, webhookId: 'wh1', webhookEndpointId: kept, webhookType: 'plan.deleted', objectType: 'plan', objectId: 'p', sourceEventId: 'e', sourcePosition: '0'.padStart(20, '0'), payload: '{}', createdAt: at }, metadata },
      { type: 'WebhookAttempted', data: { organizationId, webhookId: 'wh1', attempt: 1, outcome: 'FAILED', httpStatus: 500, error: 'HTTP 500', response: null, durationMs: 3, attemptedAt: at, nextAttemptAt: null }, metadata },
    ], { expectedRevision: 'no_stream' });
    await server.settle();

    const { eventStore, readModels } = server.system.app.deps;
    // Usage compares as queries read it: how many re-folds a replay meets depends on its paging, and each moves the
    // subscription to a new generation of documents.
    const usage = new Set([METERS, BUCKETS, VALUES]);
    const snapshot = async () => [
      ...(await Promise.all(allProjections.flatMap(collectionNames).filter((name) => !usage.has(name)).map((name) => readModels.collection(name).find({}, { sort: { _id: 1 } })))),
      await usageSnapshot(readModels),
    ];
    const before = await snapshot();
    expect(before.every((docs) => docs.length > 0)).toBe(true);
    await server.system.runner!.stop();
    const head = (await eventStore.headPosition())!;
    const replay = async () => {
      const runner = new ProjectionRunner(eventStore, readModels, allProjections, { batchSize: 3 });
      await runner.start();
      await runner.waitFor(head);
      await runner.stop();
    };

    // Folding the whole log again over documents that already hold it must not apply anything twice.
    const log = await eventStore.readAll();
    await new ProjectionRunner(eventStore, readModels, allProjections).apply(log);
    expect(await snapshot()).toEqual(before);

    for (const p of allProjections) await readModels.reset(p.name, collectionNames(p));
    await replay();
    expect(await snapshot()).toEqual(before);
  });
});

import { randomUUID } from 'node:crypto';
import { MongoClient, type Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANY_CURSOR, listQueries } from '../support/listQueries.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { recordingStore } from '../support/sortedReads.ts';

/**
 * Ingest → usage → invoice through GraphQL on the real servers: KurrentDB for the log, a MongoDB replica set for
 * the read models. Run by `npm run test:server`, which starts both with Testcontainers and sets the URLs; never
 * by `npm test` (vitest.config.ts excludes test/server). Without the URLs it fails: it must not pass unrun.
 */
const eventStoreUrl = process.env.EVENTSTORE_URL;
const mongodbUrl = process.env.MONGODB_URL;
if (!eventStoreUrl || !mongodbUrl) throw new Error('endToEnd.server.test.ts needs EVENTSTORE_URL and MONGODB_URL: run it with `npm run test:server`');

const dbName = `e2e_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
let server: TestServer;
let recorded: ReturnType<typeof recordingStore>;
const mongo = new MongoClient(mongodbUrl);

beforeAll(async () => {
  await mongo.connect();
  server = await startTestServer(
    { EVENTSTORE_URL: eventStoreUrl, MONGODB_URL: mongodbUrl, MONGODB_DB: dbName, CLOCK: 'manual', CLOCK_START: '2026-01-01T00:00:00Z' },
    { wrapReadModels: (store) => (recorded = recordingStore(store)).store },
  );
}, 120_000);

afterAll(async () => {
  await server?.close();
  await mongo.db(dbName).dropDatabase().catch(() => {});
  await mongo.close();
});

async function ok<T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const result = await server.gql<T>(query, variables);
  expect(result.errors, `${query}: ${JSON.stringify(result.errors)}`).toBeUndefined();
  return result.data as T;
}

/** Every stage of a plan (classic `inputStage(s)`, or the SBE explain's `queryPlan`). */
function stages(plan: Document | undefined): string[] {
  if (plan === undefined || plan === null || typeof plan !== 'object') return [];
  const own = typeof plan['stage'] === 'string' ? [plan['stage'] as string] : [];
  const children = [plan['queryPlan'], plan['inputStage'], ...((plan['inputStages'] as Document[] | undefined) ?? [])];
  return [...own, ...children.flatMap((child) => stages(child as Document | undefined))];
}

describe('KurrentDB + MongoDB, end to end', () => {
  it('meters events, answers their usage and invoices the month, through GraphQL', async () => {
    await ok('mutation { createBillableMetric(input: {code: "api_calls", name: "API calls", aggregationType: COUNT}) { billableMetric { code } } }');
    await ok(`mutation { createPlan(input: {code: "starter", name: "Starter", interval: MONTHLY, amountCents: "1900", amountCurrency: "EUR",
      charges: [{billableMetricCode: "api_calls", chargeModel: STANDARD, properties: {amount: "0.05"}}]}) { plan { code } } }`);
    await ok('mutation { createCustomer(input: {externalId: "acme", currency: "EUR", timezone: "Europe/Paris"}) { customer { externalId } } }');
    await ok('mutation { createSubscription(input: {externalId: "acme-main", externalCustomerId: "acme", planCode: "starter"}) { subscription { status } } }');
    const ingest = (ids: string[]) =>
      ok<{ createEvents: { acceptedCount: number; duplicateCount: number } }>('mutation($input: CreateEventsInput!) { createEvents(input: $input) { acceptedCount duplicateCount } }', {
        input: { events: ids.map((transactionId) => ({ transactionId, externalSubscriptionId: 'acme-main', code: 'api_calls' })) },
      });
    expect((await ingest(['t1', 't2', 't3'])).createEvents).toEqual({ acceptedCount: 3, duplicateCount: 0 });
    // A transaction id is unique per subscription, permanently: a second batch repeating one stores nothing.
    expect((await ingest(['t1'])).createEvents).toEqual({ acceptedCount: 0, duplicateCount: 1 });

    const usage = await ok<{ customerUsage: { amountCents: string; chargesUsage: { units: string; amountCents: string }[] } }>(
      '{ customerUsage(externalCustomerId: "acme", externalSubscriptionId: "acme-main", waitForEvents: true) { amountCents chargesUsage { units amountCents } } }',
    );
    expect(usage.customerUsage).toMatchObject({ amountCents: '15', chargesUsage: [{ units: '3', amountCents: '15' }] });

    // The month ends in Paris at 2026-01-31T23:00Z: advanceClock returns once January is invoiced.
    await server.advanceClock('2026-02-01T00:00:00Z');
    const { invoices } = await ok<{ invoices: { edges: { node: { status: string; issuingDate: string; totalAmountCents: string; fees: { feeType: string; units: string; amountCents: string }[] } }[] } }>(
      '{ invoices { edges { node { status issuingDate totalAmountCents fees { feeType units amountCents } } } } }',
    );
    expect(invoices.edges.map((edge) => edge.node)).toEqual([
      {
        status: 'FINALIZED',
        issuingDate: '2026-02-01',
        totalAmountCents: '1915',
        fees: [
          { feeType: 'SUBSCRIPTION', units: '1', amountCents: '1900' },
          { feeType: 'CHARGE', units: '3', amountCents: '15' },
        ],
      },
    ]);
  }, 120_000);

  it('serves every paginated list from an index in its order: MongoDB plans no in-memory SORT', async () => {
    const created = await ok<{ createWallet: { wallet: { id: string } } }>('mutation { createWallet(input: {externalCustomerId: "acme", currency: "EUR", rateAmount: "1"}) { wallet { id } } }');
    // An endpoint nothing is sent to (no event of its one type happens here), for the lists of its webhooks.
    const endpoint = await ok<{ createWebhookEndpoint: { webhookEndpoint: { id: string } } }>('mutation { createWebhookEndpoint(input: {url: "http://127.0.0.1:9/hooks", eventTypes: ["plan.deleted"]}) { webhookEndpoint { id } } }');
    await server.settle();
    recorded.reads.length = 0;
    for (const query of listQueries({ externalCustomerId: 'acme', externalSubscriptionId: 'acme-main', walletId: created.createWallet.wallet.id, webhookEndpointId: endpoint.createWebhookEndpoint.webhookEndpoint.id })) {
      await ok(query);
      await ok(query, { after: ANY_CURSOR });
    }
    expect(recorded.reads.length).toBeGreaterThan(0);
    const sorting: string[] = [];
    for (const read of recorded.reads) {
      // The query exactly as the adapter sends it (live documents only).
      const explained = await mongo.db(dbName).collection(read.collection).find({ $and: [read.filter, { _deleted: false }] }).sort(read.sort).limit(2).explain('queryPlanner');
      const plan = stages((explained['queryPlanner'] as Document)['winningPlan'] as Document);
      if (plan.includes('SORT') || !plan.includes('IXSCAN')) sorting.push(`${read.collection} ${JSON.stringify(read.sort)}: ${plan.join(' < ')}`);
    }
    expect([...new Set(sorting)]).toEqual([]);
  }, 120_000);
});

import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';
import { ANY_CURSOR, listQueries } from '../support/listQueries.ts';
import { equalityFields, recordingStore, servesSort, unservedReads } from '../support/sortedReads.ts';

let server: TestServer | undefined;
afterEach(async () => server?.close());

describe('paginated lists and their indexes', () => {
  it('recognises an index that returns a filter in sort order (equality prefix, then the sort keys)', () => {
    const keys = { organizationId: 1, createdAt: 1, _id: 1 } as const;
    expect(servesSort(keys, { organizationId: 'o', deletedAt: null }, { createdAt: 1, _id: 1 })).toBe(true);
    expect(servesSort(keys, { organizationId: 'o' }, { createdAt: -1, _id: -1 })).toBe(true);
    expect(servesSort(keys, { $and: [{ organizationId: 'o' }, { createdAt: { $gte: 'x' } }] }, { createdAt: 1, _id: 1 })).toBe(true);
    // Mixed directions, a sort without its tie-breaker in the index, a scan of every tenant.
    expect(servesSort(keys, { organizationId: 'o' }, { createdAt: 1, _id: -1 })).toBe(false);
    expect(servesSort({ organizationId: 1, createdAt: 1 }, { organizationId: 'o' }, { createdAt: 1, _id: 1 })).toBe(false);
    expect(servesSort({ createdAt: 1, _id: 1 }, { organizationId: 'o' }, { createdAt: 1, _id: 1 })).toBe(false);
    expect(servesSort({ _id: 1 }, { _id: { $gte: 'a', $lt: 'b' } }, { _id: 1 })).toBe(true);
  });

  it('every list, first page and after a cursor, reads through a declared index in its sort order', async () => {
    let recorded!: ReturnType<typeof recordingStore>;
    server = await startTestServer({}, { wrapReadModels: (store) => (recorded = recordingStore(store)).store });
    const ok = async (query: string, variables: Record<string, unknown> = {}) => {
      const result = await server!.gql(query, variables);
      expect(result.errors, `${query}: ${JSON.stringify(result.errors)}`).toBeUndefined();
      return result.data as unknown;
    };
    await ok('mutation { createBillableMetric(input: {code: "calls", name: "Calls", aggregationType: COUNT}) { billableMetric { code } } }');
    await ok('mutation { createPlan(input: {code: "p", name: "P", interval: MONTHLY, amountCents: "100", amountCurrency: "EUR"}) { plan { code } } }');
    await ok('mutation { createCustomer(input: {externalId: "c1", currency: "EUR"}) { customer { externalId } } }');
    await ok('mutation { createSubscription(input: {externalId: "s1", externalCustomerId: "c1", planCode: "p"}) { subscription { status } } }');
    const created = await ok('mutation { createWallet(input: {externalCustomerId: "c1", currency: "EUR", rateAmount: "1"}) { wallet { id } } }');
    const walletId = (created as { createWallet: { wallet: { id: string } } }).createWallet.wallet.id;
    // An endpoint nothing is sent to (no event of its one type happens here), for the lists of its webhooks.
    const endpoint = await ok('mutation { createWebhookEndpoint(input: {url: "http://127.0.0.1:9/hooks", eventTypes: ["plan.deleted"]}) { webhookEndpoint { id } } }');
    const webhookEndpointId = (endpoint as { createWebhookEndpoint: { webhookEndpoint: { id: string } } }).createWebhookEndpoint.webhookEndpoint.id;
    await server.settle();

    recorded.reads.length = 0;
    const queries = listQueries({ externalCustomerId: 'c1', externalSubscriptionId: 's1', walletId, webhookEndpointId });
    for (const query of queries) {
      await ok(query);
      await ok(query, { after: ANY_CURSOR });
    }
    // Each list issued its sorted page reads (a nested list once per parent): none went unrecorded.
    expect(recorded.reads.length).toBeGreaterThanOrEqual(queries.length * 2);
    const unserved = unservedReads(recorded.indexes, recorded.reads).map((read) => `${read.collection}: {${[...equalityFields(read.filter)]}} by ${JSON.stringify(read.sort)}`);
    expect([...new Set(unserved)]).toEqual([]);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import type { DocumentWrite, ReadModelStore } from '../../src/application/ports/readModelStore.ts';
import { BUCKETS, subjectKey } from '../../projections/usageStore.ts';
import { createOtherOrganization, createPlanWith, organizationIdOf } from '../support/catalog.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const CREATE_EVENTS = 'mutation($events: [UsageEventInput!]!) { createEvents(input: {events: $events}) { acceptedCount rejectedCount outcomes { status errorCode } } }';
const USAGE = 'query($c: String!, $s: String!) { customerUsage(externalCustomerId: $c, externalSubscriptionId: $s, waitForEvents: true) { chargesUsage { units } } }';
const QUARANTINED = '{ quarantinedEvents(first: 10) { totalCount edges { node { projection position eventType documentId error } } } }';

/** A read-model store that refuses every write of a document whose id starts with `prefix` (a disk that hates it). */
function refusing(prefix: { value: string }) {
  return (store: ReadModelStore): ReadModelStore => ({
    ...store,
    collection: store.collection.bind(store),
    async commit(writes: DocumentWrite[], checkpoints) {
      if (prefix.value !== '' && writes.some((w) => w.collection === BUCKETS && w.id.startsWith(prefix.value))) throw new Error('refused: disk says no to this document');
      return store.commit(writes, checkpoints);
    },
  });
}

async function meteredCustomer(server: TestServer, key: string, subscriptions: string[]) {
  const ok = async (query: string) => expect((await server.gql(query, {}, key)).errors).toBeUndefined();
  await ok('mutation { createBillableMetric(input: {code: "calls", name: "Calls", aggregationType: COUNT}) { billableMetric { code } } }');
  await createPlanWith(server, 'basic', [{ billableMetricCode: 'calls' }], key);
  await ok('mutation { createCustomer(input: {externalId: "cus", currency: "EUR"}) { customer { externalId } } }');
  for (const sub of subscriptions) await ok(`mutation { createSubscription(input: {externalId: "${sub}", externalCustomerId: "cus", planCode: "basic"}) { subscription { status } } }`);
}

const calls = (sub: string, prefix: string, count: number) => Array.from({ length: count }, (_, i) => ({ transactionId: `${prefix}${i}`, externalSubscriptionId: sub, code: 'calls' }));

describe('nothing stops the projections', () => {
  let server: TestServer;
  afterEach(async () => server.close());

  it('quarantines a usage document the store refuses, and every other subscription, of every tenant, keeps advancing', async () => {
    const prefix = { value: '' };
    server = await startTestServer({}, { wrapReadModels: refusing(prefix) });
    const other = await createOtherOrganization(server);
    await meteredCustomer(server, server.apiKey, ['sub_bad', 'sub_ok']);
    await meteredCustomer(server, other.key, ['sub_theirs']);
    prefix.value = subjectKey(await organizationIdOf(server), 'sub_bad');

    const send = async (events: unknown[], key: string) => expect((await server.gql(CREATE_EVENTS, { events }, key)).data).toMatchObject({ createEvents: { acceptedCount: events.length } });
    await send([...calls('sub_bad', 'b', 5), ...calls('sub_ok', 'o', 3)], server.apiKey);
    await send(calls('sub_theirs', 't', 4), other.key);
    const units = async (sub: string, key: string) => ((await server.gql<{ customerUsage: { chargesUsage: { units: string }[] } }>(USAGE, { c: 'cus', s: sub }, key)).data!.customerUsage.chargesUsage[0]!.units);
    expect(await units('sub_ok', server.apiKey)).toBe('3');
    expect(await units('sub_theirs', other.key)).toBe('4');
    expect(await units('sub_bad', server.apiKey)).toBe('0');

    // Later events still fold for everyone else; the refused document stays out and is listed, for its tenant only.
    await send(calls('sub_ok', 'o2-', 2), server.apiKey);
    await send(calls('sub_theirs', 't2-', 2), other.key);
    expect(await units('sub_ok', server.apiKey)).toBe('5');
    expect(await units('sub_theirs', other.key)).toBe('6');
    const ours = await server.gql<{ quarantinedEvents: { totalCount: number; edges: { node: { projection: string; documentId: string; error: string } }[] } }>(QUARANTINED);
    expect(ours.data!.quarantinedEvents.totalCount).toBeGreaterThan(0);
    expect(ours.data!.quarantinedEvents.edges[0]!.node).toMatchObject({ projection: BUCKETS, error: 'the store refused this document' });
    expect(ours.data!.quarantinedEvents.edges[0]!.node.documentId.startsWith(`${BUCKETS}/${prefix.value}`)).toBe(true);
    const theirs = await server.gql<{ quarantinedEvents: { totalCount: number } }>(QUARANTINED, {}, other.key);
    expect(theirs.data!.quarantinedEvents.totalCount).toBe(0);
    const health = await (await fetch(`${server.url}/health`)).json();
    expect(health).toMatchObject({ live: true, quarantined: ours.data!.quarantinedEvents.totalCount });
  });

  it('refuses an event whose properties nest too deep or hold too many keys, accepting the rest of its batch', async () => {
    server = await startTestServer();
    await meteredCustomer(server, server.apiKey, ['sub']);
    let deep: Record<string, unknown> = { leaf: '1' };
    for (let level = 0; level < 1_000; level += 1) deep = { nested: deep };
    const wide = Object.fromEntries(Array.from({ length: 1_001 }, (_, i) => [`k${i}`, i]));
    const result = await server.gql<{ createEvents: { acceptedCount: number; outcomes: { status: string; errorCode: string | null }[] } }>(CREATE_EVENTS, {
      events: [
        { transactionId: 'deep', externalSubscriptionId: 'sub', code: 'calls', properties: deep },
        { transactionId: 'wide', externalSubscriptionId: 'sub', code: 'calls', properties: wide },
        { transactionId: 'fine', externalSubscriptionId: 'sub', code: 'calls', properties: { a: { b: { c: 1 } } } },
      ],
    });
    expect(result.data!.createEvents.outcomes).toEqual([
      { status: 'REJECTED', errorCode: 'INVALID_PROPERTIES' },
      { status: 'REJECTED', errorCode: 'INVALID_PROPERTIES' },
      { status: 'ACCEPTED', errorCode: null },
    ]);
    expect((await server.gql<{ customerUsage: { chargesUsage: { units: string }[] } }>(USAGE, { c: 'cus', s: 'sub' })).data!.customerUsage.chargesUsage[0]!.units).toBe('1');
  });
});

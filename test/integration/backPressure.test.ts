import { afterEach, describe, expect, it } from 'vitest';
import type { DocumentWrite, ReadModelStore } from '../../src/application/ports/readModelStore.ts';
import { createPlanWith } from '../support/catalog.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const CREATE_EVENTS = 'mutation($events: [UsageEventInput!]!) { createEvents(input: {events: $events}) { acceptedCount } }';
const calls = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => ({ transactionId: `${prefix}${i}`, externalSubscriptionId: 'sub', code: 'calls' }));

/** A read-model store whose usage commits wait while `held` is set (a projection that has fallen behind). */
function holdingUsage(gate: { held: Promise<void> | null }) {
  return (store: ReadModelStore): ReadModelStore => ({
    ...store,
    collection: store.collection.bind(store),
    async commit(writes: DocumentWrite[], checkpoints) {
      if (gate.held !== null && checkpoints.some((c) => c.name === 'usage')) await gate.held;
      return store.commit(writes, checkpoints);
    },
  });
}

describe('back-pressure on the projection lag', () => {
  let server: TestServer;
  afterEach(async () => server.close());

  /** A server whose usage read models can be held (`gate.held`), with one metered subscription, all folded. */
  async function laggingServer() {
    const gate: { held: Promise<void> | null } = { held: null };
    server = await startTestServer({ INGEST_MAX_LAG_EVENTS: '1000' }, { wrapReadModels: holdingUsage(gate) });
    const ok = async (query: string) => expect((await server.gql(query)).errors).toBeUndefined();
    await ok('mutation { createBillableMetric(input: {code: "calls", name: "Calls", aggregationType: COUNT}) { billableMetric { code } } }');
    await createPlanWith(server, 'basic', [{ billableMetricCode: 'calls' }]);
    await ok('mutation { createCustomer(input: {externalId: "cus", currency: "EUR"}) { customer { externalId } } }');
    await ok('mutation { createSubscription(input: {externalId: "sub", externalCustomerId: "cus", planCode: "basic"}) { subscription { status } } }');
    await server.settle();
    return gate;
  }

  it('answers RATE_LIMITED (429, Retry-After) past INGEST_MAX_LAG_EVENTS, appends nothing, and admits again once usage catches up', async () => {
    const gate = await laggingServer();

    let release!: () => void;
    gate.held = new Promise<void>((resolve) => (release = resolve));
    expect((await server.gql(CREATE_EVENTS, { events: calls('a', 1_500) })).data).toEqual({ createEvents: { acceptedCount: 1_500 } });
    const head = await server.system.app.deps.eventStore.headPosition();

    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.apiKey}` },
      body: JSON.stringify({ query: CREATE_EVENTS, variables: { events: calls('b', 10) } }),
    });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('2');
    const body = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe('RATE_LIMITED');
    expect(body.errors[0]!.message).toMatch(/behind the log/);
    expect(await server.system.app.deps.eventStore.headPosition()).toBe(head);
    // Queries are still answered meanwhile.
    expect((await server.gql('{ __typename }')).data).toEqual({ __typename: 'Query' });

    gate.held = null;
    release();
    await server.settle();
    expect((await server.gql(CREATE_EVENTS, { events: calls('b', 10) })).data).toEqual({ createEvents: { acceptedCount: 10 } });
  });

  it('paces ingestion on the fold: a batch sent while usage is behind waits for it and is then accepted', async () => {
    const gate = await laggingServer();

    let release!: () => void;
    gate.held = new Promise<void>((resolve) => (release = resolve));
    expect((await server.gql(CREATE_EVENTS, { events: calls('a', 1_500) })).data).toEqual({ createEvents: { acceptedCount: 1_500 } });
    const head = await server.system.app.deps.eventStore.headPosition();
    let answered = false;
    const paced = server.gql(CREATE_EVENTS, { events: calls('b', 10) }).then((result) => ((answered = true), result));
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Waiting, not refused, and nothing appended yet.
    expect(answered).toBe(false);
    expect(await server.system.app.deps.eventStore.headPosition()).toBe(head);
    gate.held = null;
    release();
    expect((await paced).data).toEqual({ createEvents: { acceptedCount: 10 } });
  });
});

describe('/health and a projection that no longer advances', () => {
  let server: TestServer;
  afterEach(async () => server.close());

  it('fails once the projections are behind without progress for HEALTH_STALL_MS, and recovers when they move', async () => {
    const gate: { held: Promise<void> | null } = { held: null };
    let release: () => void = () => {};
    server = await startTestServer({ HEALTH_STALL_MS: '300' }, { wrapReadModels: holdingUsage(gate) });
    const health = async () => {
      const response = await fetch(`${server.url}/health`);
      return { status: response.status, body: (await response.json()) as { live: boolean; failure: string | null; stalledSince: string | null } };
    };
    expect((await health()).status).toBe(200);
    // The usage projection's commits hang (no error: a silent freeze) while events keep being appended.
    gate.held = new Promise<void>((resolve) => (release = resolve));
    await server.gql(CREATE_EVENTS, { events: calls('stall-', 5) });
    const first = await health();
    expect(first.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const stalled = await health();
    expect(stalled.status).toBe(503);
    expect(stalled.body.live).toBe(false);
    expect(stalled.body.failure).toMatch(/without progress/);
    expect(stalled.body.stalledSince).not.toBeNull();
    gate.held = null;
    release();
    const deadline = Date.now() + 5_000;
    let recovered = stalled;
    while (recovered.status !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      recovered = await health();
    }
    expect(recovered.status).toBe(200);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { allProjections, collectionNames } from '../../projections/index.ts';
import { QUARANTINE } from '../../projections/quarantine.ts';
import { ProjectionRunner } from '../../projections/runner.ts';
import { BUCKETS, METERS, VALUES, usageSnapshot } from '../../projections/usageStore.ts';
import { followLog, resilientSubscription } from '../../src/application/logFollower.ts';
import type { EventStore, NewEvent, RecordedEvent, UsageBatch } from '../../src/application/ports/eventStore.ts';
import type { Document, ReadModelStore } from '../../src/application/ports/readModelStore.ts';
import { createSqliteEventStore } from '../../src/infrastructure/eventStore/sqlite.ts';
import { createSqliteReadModelStore } from '../../src/infrastructure/readModels/sqlite.ts';
import { openDatabase } from '../../src/infrastructure/sqlite/database.ts';
import { createPlanWith } from '../support/catalog.ts';
import { seededRandom } from '../../scripts/bench/random.ts';
import { flakyEventStore, type FlakyEventStore } from '../support/flakyEventStore.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const FAST = { initialMs: 1, maxMs: 8 };
const metadata = { organizationId: 'org', recordedAt: '2030-03-01T00:00:00.000Z' };
const domainEvent = (n: number): NewEvent => ({ type: 'Noted', data: { n }, metadata });
const usageBatch = (from: number, count: number): UsageBatch => ({
  organizationId: 'org',
  metadata,
  events: Array.from({ length: count }, (_, i) => ({ transactionId: `tx${from + i}`, externalSubscriptionId: `sub${(from + i) % 3}`, code: 'calls', timestamp: metadata.recordedAt, properties: {}, preciseTotalAmountCents: null })),
});

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await condition()); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A log of domain and usage events, interleaved, in the embedded store. */
async function mixedLog(store: EventStore, rounds: number, start = 0): Promise<void> {
  for (let round = start; round < start + rounds; round += 1) {
    await store.append(`note-${round % 4}`, [domainEvent(round), domainEvent(round + 0.5)]);
    await store.appendUsage(usageBatch(round * 20, 20));
  }
}

const servers: TestServer[] = [];
const start = async (...args: Parameters<typeof startTestServer>) => {
  const server = await startTestServer(...args);
  servers.push(server);
  return server;
};
const closeServers = async () => void (await Promise.all(servers.splice(0).map((server) => server.close())));

describe('following the log through a store that drops subscriptions and fails calls', () => {
  it('hands out every event exactly once, in order, across drops, while appends go on', async () => {
    const store = createSqliteEventStore(openDatabase(':memory:'));
    await mixedLog(store, 20);
    const flaky = flakyEventStore(store, { seed: 11, failRate: 0.3, maxEventsPerSubscription: 30 });
    const subscription = resilientSubscription(flaky, { after: null, name: 'test', backoff: FAST });
    const seen: bigint[] = [];
    const reading = (async () => {
      for await (const event of subscription) {
        seen.push(event.position);
        if (seen.length === 20 * 22 + 20 * 22) return;
      }
    })();
    // Live appends while it is being dropped and resubscribed.
    await mixedLog(store, 20, 20);
    await reading;
    await subscription.close();
    expect(seen).toEqual((await store.readAll()).map((event) => event.position));
    expect(subscription.position()).toBe(await store.headPosition());
    expect(flaky.faults.drops).toBeGreaterThan(10);
  });

  it('retries an event whose handling fails until it is handled, never skipping one nor handling one twice', async () => {
    const store = createSqliteEventStore(openDatabase(':memory:'));
    await mixedLog(store, 5);
    const head = (await store.headPosition())!;
    const flaky = flakyEventStore(store, { seed: 5, failRate: 0.5, maxEventsPerSubscription: 10 });
    const failing = seededRandom(99);
    const handled: bigint[] = [];
    let failures = 0;
    const follower = followLog(flaky, {
      after: head,
      name: 'test',
      backoff: FAST,
      handle: (event: RecordedEvent) => {
        if (failing() < 0.3) {
          failures += 1;
          throw new Error('the handler failed');
        }
        handled.push(event.position);
      },
    });
    await mixedLog(store, 10, 5);
    const expected = (await store.readAll({ after: head })).map((event) => event.position);
    await until(() => handled.length >= expected.length, 'every event handled');
    await follower.close();
    expect(handled).toEqual(expected);
    expect(failures).toBeGreaterThan(10);
    expect(flaky.faults.drops).toBeGreaterThan(5);
  });
});

describe('the projection runner under a flaky store', () => {
  let server: TestServer;
  afterEach(closeServers);

  it('folds the same read models as over the plain store: nothing lost, nothing applied twice', async () => {
    server = await start({ CLOCK: 'manual' });
    const ok = async (query: string, variables: Record<string, unknown> = {}) => expect((await server.gql(query, variables)).errors).toBeUndefined();
    await server.advanceClock('2030-03-10T00:00:00Z');
    await ok('mutation { createBillableMetric(input: {code: "calls", name: "Calls", aggregationType: COUNT}) { billableMetric { code } } }');
    await ok('mutation { createBillableMetric(input: {code: "bytes", name: "Bytes", aggregationType: SUM, fieldName: "bytes"}) { billableMetric { code } } }');
    await ok('mutation { createBillableMetric(input: {code: "seats", name: "Seats", aggregationType: UNIQUE_COUNT, fieldName: "seat"}) { billableMetric { code } } }');
    await createPlanWith(server, 'metered', [{ billableMetricCode: 'calls' }, { billableMetricCode: 'bytes' }, { billableMetricCode: 'seats' }]);
    for (const n of [0, 1, 2]) {
      await ok(`mutation { createCustomer(input: {externalId: "c${n}", currency: "EUR"}) { customer { externalId } } }`);
      await ok(`mutation { createSubscription(input: {externalId: "s${n}", externalCustomerId: "c${n}", planCode: "metered"}) { subscription { status } } }`);
    }
    await server.advanceClock('2030-03-20T00:00:00Z');
    const codes = ['calls', 'bytes', 'seats'];
    const send = async (from: number, count: number) => {
      const events = Array.from({ length: count }, (_, i) => {
        const n = from + i;
        // Every tenth transaction id repeats an earlier one: a duplicate, not appended.
        return { transactionId: `t${n % 10 === 9 ? n - 6 : n}`, externalSubscriptionId: `s${n % 3}`, code: codes[n % 3]!, timestamp: new Date(Date.parse('2030-03-19T00:00:00Z') - (n % 500) * 60_000).toISOString(), properties: { bytes: String(n % 13), seat: `u${n % 7}` } };
      });
      await ok('mutation($events: [UsageEventInput!]!) { createEvents(input: {events: $events}) { acceptedCount } }', { events });
    };
    for (let from = 0; from < 1_200; from += 100) await send(from, 100);
    // A timezone change re-folds c0's subscription in the background (reads of the store, failing too).
    await ok('mutation { createCustomer(input: {externalId: "c0", currency: "EUR", timezone: "Asia/Tokyo"}) { customer { externalId } } }');
    for (let from = 1_200; from < 1_500; from += 100) await send(from, 100);
    await server.settle();

    const store = server.system.app.deps.eventStore;
    const head = (await store.headPosition())!;
    const fold = async (eventStore: EventStore) => {
      const readModels = createSqliteReadModelStore(openDatabase(':memory:'));
      const runner = new ProjectionRunner(eventStore, readModels, allProjections, { batchSize: 64, refoldPage: 50, commitIntervalMs: 5, resubscribe: FAST });
      await runner.start();
      await runner.waitFor(head, 60_000);
      await until(async () => runner.stale().length === 0 && (await readModels.collection(METERS).count({ pending: true })) === 0, 're-folds and clean-ups');
      await runner.stop();
      return { readModels, failure: runner.lastFailure() };
    };
    const plain = await fold(store);
    const flaky: FlakyEventStore = flakyEventStore(store, { seed: 42, failRate: 0.25, maxEventsPerSubscription: 120 });
    const shaken = await fold(flaky);

    expect(flaky.faults.drops).toBeGreaterThan(10);
    expect(flaky.faults.calls).toBeGreaterThan(0);
    expect(shaken.failure).toBeNull();
    const usage = new Set([METERS, BUCKETS, VALUES]);
    const collections = allProjections.flatMap(collectionNames).filter((name) => !usage.has(name));
    const snapshot = async (readModels: ReadModelStore) => ({
      documents: Object.fromEntries(await Promise.all(collections.map(async (name) => [name, await readModels.collection<Document>(name).find({}, { sort: { _id: 1 } })] as const))),
      usage: await usageSnapshot(readModels),
      quarantined: await readModels.collection(QUARANTINE).count({}),
    });
    const expected = await snapshot(plain.readModels);
    // The reference itself saw every accepted event once: 1,500 sent, every tenth a duplicate.
    const counted = expected.usage.reduce((sum, subject) => sum + subject.periods.reduce((n, period) => n + period.eventsCount, 0), 0);
    expect(counted).toBe(1_500 - 150);
    expect(expected.quarantined).toBe(0);
    expect(await snapshot(shaken.readModels)).toEqual(expected);
  });
});

describe('/health when the projections stop', () => {
  let server: TestServer;
  afterEach(closeServers);

  const health = async () => {
    const response = await fetch(`${server.url}/health`);
    return { status: response.status, body: (await response.json()) as { live: boolean; failure: string | null } };
  };
  const waitForHealth = async (status: number) => {
    let last = await health();
    await until(async () => (last = await health()).status === status, `/health ${status}`);
    return last;
  };

  it('fails at once when the runner stops on an error no retry mends', async () => {
    const broken = { on: false };
    server = await start({ HEALTH_STALL_MS: '0' }, {
      wrapReadModels: (store) => ({
        ...store,
        collection: store.collection.bind(store),
        async loadForUpdate(collection, ids) {
          if (broken.on) throw new Error('read models unreadable');
          return store.loadForUpdate(collection, ids);
        },
      }),
    });
    expect((await health()).status).toBe(200);
    broken.on = true;
    // Appended directly: a command would wait for the projections that are about to stop.
    await server.system.app.deps.eventStore.append('customer-x', [{ type: 'CustomerCreated', data: { organizationId: 'o', externalId: 'x' }, metadata }]);
    const failing = await waitForHealth(503);
    expect(failing.body.live).toBe(false);
    expect(failing.body.failure).toMatch(/projections stopped: .*read models unreadable/);
  });

  it('fails once subscriptions keep failing past HEALTH_STALL_MS with the log moving on, and recovers by resubscribing from the checkpoint', async () => {
    let flaky!: FlakyEventStore;
    server = await start({ HEALTH_STALL_MS: '200' }, {
      wrapEventStore: (store) => (flaky = Object.assign(flakyEventStore(store, { seed: 1 }), { flaky: false })),
    });
    const before = (await server.system.app.deps.eventStore.headPosition())!;
    await server.settle();
    expect((await health()).status).toBe(200);
    flaky.subscriptionsDown = true;
    const appended = await server.system.app.deps.eventStore.append('note-1', [domainEvent(1)]);
    const failing = await waitForHealth(503);
    expect(failing.body.failure).toMatch(/without progress/);
    expect(flaky.faults.drops).toBeGreaterThan(0);
    expect(server.system.projections.status().checkpoints.get('customers')).toBe(before);

    flaky.subscriptionsDown = false;
    await server.system.projections.waitFor(appended.position, { timeoutMs: 20_000 });
    expect((await waitForHealth(200)).body.live).toBe(true);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/application/logger.ts';
import { createRevocations } from '../../src/application/revocations.ts';
import { REVOKED_CLOSE_CODE, REVOKED_CLOSE_REASON, untilRevoked } from '../../src/graphql/revocation.ts';
import { createPlanWith } from '../support/catalog.ts';
import { ADMIN_KEY, startTestServer, type TestServer } from '../support/server.ts';

type Organization = { id: string; key: string; keyId: string };

async function organizationWithUsage(server: TestServer, name: string): Promise<Organization> {
  const created = await server.gql<{ createOrganization: { organization: { id: string }; apiKey: { key: string; apiKey: { id: string } } } }>(
    'mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } apiKey { key apiKey { id } } } }',
    { input: { name } },
    ADMIN_KEY,
  );
  expect(created.errors).toBeUndefined();
  const { organization, apiKey } = created.data!.createOrganization;
  const org = { id: organization.id, key: apiKey.key, keyId: apiKey.apiKey.id };
  const ok = async (query: string) => expect((await server.gql(query, {}, org.key)).errors).toBeUndefined();
  await ok('mutation { createBillableMetric(input: {code: "calls", name: "Calls", aggregationType: COUNT}) { billableMetric { code } } }');
  await createPlanWith(server, 'basic', [{ billableMetricCode: 'calls' }], org.key);
  await ok('mutation { createCustomer(input: {externalId: "cus_1", currency: "EUR"}) { customer { externalId } } }');
  await ok('mutation { createSubscription(input: {externalId: "sub_1", externalCustomerId: "cus_1", planCode: "basic"}) { subscription { status } } }');
  return org;
}

const revoke = (server: TestServer, org: Organization) =>
  server.gql(`mutation { revokeApiKey(input: {organizationId: "${org.id}", id: "${org.keyId}"}) { revokedAt } }`, {}, ADMIN_KEY);

type Watched = { pushes: number; closed: Promise<{ code: number; reason: string; at: number }>; started: Promise<void> };

/** Opens `query` on `client` and records its pushes and how (and when) its socket closes. */
function watch(client: Client, query: string): Watched {
  let pushes = 0;
  let onStarted!: () => void;
  const started = new Promise<void>((resolve) => (onStarted = resolve));
  const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) => {
    client.on('closed', (event) => {
      const { code, reason } = event as { code: number; reason: string };
      resolve({ code, reason, at: performance.now() });
    });
  });
  const watched: Watched = { pushes: 0, closed, started };
  client.subscribe(
    { query },
    {
      next: () => {
        pushes += 1;
        watched.pushes = pushes;
        onStarted();
      },
      error: () => {},
      complete: () => {},
    },
  );
  return watched;
}

const USAGE = 'subscription { customerUsageUpdated(externalCustomerId: "cus_1", externalSubscriptionId: "sub_1") { chargesUsage { eventsCount } } }';
const AUDIT = 'subscription { auditEvents { type } }';
const events = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => ({ transactionId: `${prefix}${i}`, externalSubscriptionId: 'sub_1', code: 'calls' }));
const CREATE_EVENTS = 'mutation($events: [UsageEventInput!]!) { createEvents(input: {events: $events}) { acceptedCount } }';

describe('revocation is immediate: open subscriptions of a revoked key are closed within a second', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server.close());

  it(`closes the key's customerUsageUpdated and auditEvents websockets with ${REVOKED_CLOSE_CODE} "${REVOKED_CLOSE_REASON}", and pushes nothing more`, async () => {
    const org = await organizationWithUsage(server, 'Revoked Inc');
    // A second key of the same organization keeps working (and sends the events below).
    const other = await server.gql<{ createApiKey: { key: string } }>(`mutation { createApiKey(input: {organizationId: "${org.id}", name: "other"}) { key } }`, {}, ADMIN_KEY);
    const otherKey = other.data!.createApiKey.key;
    const usage = watch(server.ws(org.key), USAGE);
    await usage.started;
    const audit = watch(server.ws(org.key), AUDIT);
    // The audit tail is live once it has pushed something of the organization's.
    let taxes = 0;
    await expect.poll(async () => {
      taxes += 1;
      await server.gql(`mutation { createTax(input: {code: "t${taxes}", name: "T", rate: "1"}) { tax { code } } }`, {}, otherKey);
      return audit.pushes;
    }, { timeout: 5_000 }).toBeGreaterThan(0);
    const survivor = watch(server.ws(otherKey), USAGE);
    await survivor.started;

    const revokedAt = performance.now();
    expect((await revoke(server, org)).errors).toBeUndefined();
    const [usageClosed, auditClosed] = await Promise.all([usage.closed, audit.closed]);
    for (const closed of [usageClosed, auditClosed]) {
      expect(closed).toMatchObject({ code: REVOKED_CLOSE_CODE, reason: REVOKED_CLOSE_REASON });
      expect(closed.at - revokedAt).toBeLessThan(1_000);
    }
    const [usagePushes, auditPushes] = [usage.pushes, audit.pushes];
    expect((await server.gql(CREATE_EVENTS, { events: events('after', 3) }, otherKey)).errors).toBeUndefined();
    await expect.poll(() => survivor.pushes, { timeout: 5_000 }).toBeGreaterThan(1);
    expect([usage.pushes, audit.pushes]).toEqual([usagePushes, auditPushes]);
    // And the revoked key cannot open a new socket.
    const again = watch(server.ws(org.key), USAGE);
    expect((await again.closed).code).toBe(4403);
  });

  it('ends a server-sent-events subscription of a revoked key within a second', async () => {
    const org = await organizationWithUsage(server, 'SSE Inc');
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${org.key}` },
      body: JSON.stringify({ query: USAGE }),
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes('customerUsageUpdated')) text += new TextDecoder().decode((await reader.read()).value);
    const revokedAt = performance.now();
    expect((await revoke(server, org)).errors).toBeUndefined();
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
      if (text.includes('event: complete')) break;
    }
    expect(performance.now() - revokedAt).toBeLessThan(1_000);
  });
});

describe('revocation reaches the other API instances (server mode: they learn it from the read models)', () => {
  let dir: string;
  let first: TestServer;
  let second: TestServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'billing-revocation-'));
    const databasePath = join(dir, 'billing.db');
    first = await startTestServer({ DATA_DIR: dir, DATABASE_PATH: databasePath });
    second = await startTestServer({ DATA_DIR: dir, DATABASE_PATH: databasePath, ROLE: 'api' });
  });
  afterAll(async () => {
    await second.close();
    await first.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('closes a socket on another instance within a second of the revocation', async () => {
    const org = await organizationWithUsage(first, 'Elsewhere Inc');
    const elsewhere = watch(second.ws(org.key), USAGE);
    await elsewhere.started;
    const revokedAt = performance.now();
    expect((await revoke(first, org)).errors).toBeUndefined();
    const closed = await elsewhere.closed;
    expect(closed).toMatchObject({ code: REVOKED_CLOSE_CODE, reason: REVOKED_CLOSE_REASON });
    expect(closed.at - revokedAt).toBeLessThan(1_000);
  });
});

describe('untilRevoked (each push re-checks the key)', () => {
  const logger = createLogger('silent');
  let revocations: ReturnType<typeof createRevocations>;
  afterEach(() => revocations.close());

  /** A source that yields when told to, and records whether it was closed. */
  function source() {
    const state = { returned: false, pending: null as ((value: IteratorResult<number>) => void) | null };
    const iterator: AsyncIterableIterator<number> = {
      [Symbol.asyncIterator]: () => iterator,
      next: () => new Promise((resolve) => (state.pending = resolve)),
      return: async () => {
        state.returned = true;
        return { value: undefined, done: true };
      },
    };
    return { iterator, state, push: (value: number) => state.pending?.({ value, done: false }) };
  }

  it('passes pushes through until the key is revoked, then ends at once and closes the source, without a read per push', async () => {
    let reads = 0;
    revocations = createRevocations({ logger, intervalMs: 10_000, findRevoked: async () => (reads += 1, []) });
    const { iterator, state, push } = source();
    const stream = untilRevoked(iterator, 'k1', revocations);
    const first = stream.next();
    push(1);
    expect(await first).toEqual({ value: 1, done: false });
    const waiting = stream.next();
    revocations.revoked('k1');
    expect(await waiting).toEqual({ value: undefined, done: true });
    expect(state.returned).toBe(true);
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    expect(reads).toBe(0);
  });

  it('gives nothing computed after the revocation, and return() reaches the source while a push is awaited', async () => {
    revocations = createRevocations({ logger, intervalMs: 10_000, findRevoked: async () => [] });
    const a = source();
    const stream = untilRevoked(a.iterator, 'k2', revocations);
    const waiting = stream.next();
    expect(await stream.return!()).toEqual({ value: undefined, done: true });
    expect(a.state.returned).toBe(true);
    expect(await waiting).toEqual({ value: undefined, done: true });
  });

  it('learns a revocation made elsewhere from the read models, checking only keys in use', async () => {
    const asked: string[][] = [];
    let revokedElsewhere = false;
    revocations = createRevocations({ logger, intervalMs: 20, findRevoked: async (ids) => (asked.push([...ids]), revokedElsewhere ? ids.filter((id) => id === 'k3') : []) });
    const { iterator, state } = source();
    const stream = untilRevoked(iterator, 'k3', revocations);
    const waiting = stream.next();
    await expect.poll(() => asked.length).toBeGreaterThan(0);
    expect(asked[0]).toEqual(['k3']);
    revokedElsewhere = true;
    expect(await waiting).toEqual({ value: undefined, done: true });
    expect(state.returned).toBe(true);
    expect(revocations.isRevoked('k3')).toBe(true);
    const checks = asked.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Nothing is watched any more: no more checks.
    expect(asked.length).toBe(checks);
  });
});

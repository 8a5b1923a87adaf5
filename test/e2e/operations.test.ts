import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { allProjections, collectionNames } from '../../projections/index.ts';
import { createSqliteReadModelStore } from '../../src/infrastructure/readModels/sqlite.ts';
import { openDatabase } from '../../src/infrastructure/sqlite/database.ts';
import { CREATE_EVENTS, callEvents, gql, health, kill9, meteredSubscriptions, startServer, until, type ServerProcess } from '../support/process.ts';

/**
 * 24 clients sending batches of 2,000 events back to back until SIGTERM, then a report of what came back. The
 * bodies are built once (re-sent ones are duplicates): the flood costs this process little, the server a lot.
 */
const FLOOD = `
const [port, key] = process.argv.slice(1);
const query = 'mutation($events: [UsageEventInput!]!) { createEvents(input: {events: $events}) { acceptedCount } }';
let flooding = true, accepted = 0;
const refusals = [];
process.on('SIGTERM', () => (flooding = false));
const bodies = Array.from({ length: 24 * 4 }, (_, b) => JSON.stringify({ query, variables: { events: Array.from({ length: 2000 }, (_, i) => ({ transactionId: 'b' + b + '-' + i, externalSubscriptionId: 'sub_0', code: 'calls' })) } }));
console.log('started');
await Promise.all(Array.from({ length: 24 }, async (_, c) => {
  for (let round = 0; flooding; round += 1) {
    const response = await fetch('http://127.0.0.1:' + port + '/graphql', { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer ' + key }, body: bodies[c * 4 + (round % 4)] });
    const body = await response.json();
    if (body.data?.createEvents) accepted += body.data.createEvents.acceptedCount;
    else refusals.push({ status: response.status, code: body.errors?.[0]?.extensions?.code, retryAfter: response.headers.get('retry-after') });
  }
}));
console.log(JSON.stringify({ accepted, refusals }));
`;

const USAGE = (sub: string) => `{ customerUsage(externalCustomerId: "cus_${sub.slice(4)}", externalSubscriptionId: "${sub}", waitForEvents: true) { fromDatetime chargesUsage { units eventsCount } } }`;

describe('operations (the real server in its own process, projections in a worker thread)', () => {
  let dataDir = '';
  let server: ServerProcess | undefined;
  afterEach(async () => {
    if (server) await kill9(server);
    server = undefined;
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function ingest(port: number, key: string, sub: string, total: number, batch = 5_000, extra: (i: number) => Record<string, unknown> = () => ({})) {
    for (let start = 0; start < total; start += batch) {
      const events = callEvents(sub, `e${start}`, Math.min(batch, total - start)).map((e, i) => ({ ...e, ...extra(start + i) }));
      const result = await gql(port, key, CREATE_EVENTS, { events });
      expect(result.data?.createEvents.acceptedCount).toBe(events.length);
    }
  }

  it('starts and answers at once with a backlog to fold (readiness says so), then catches up', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'billing-backlog-'));
    server = await startServer(dataDir);
    const { port, key } = server;
    await meteredSubscriptions(port, key, 1);
    await ingest(port, key, 'sub_0', 150_000);
    await kill9(server);
    // Every read model dropped: the next start must fold the whole log again.
    const db = openDatabase(join(dataDir, 'billing.read-models.db'));
    const readModels = createSqliteReadModelStore(db);
    for (const projection of allProjections) await readModels.reset(projection.name, collectionNames(projection));
    db.close();

    const started = Date.now();
    server = await startServer(dataDir);
    const first = await health(server.port);
    const answeredAfter = Date.now() - started;
    expect(first.status).toBe(200);
    expect(first.body.live).toBe(true);
    expect((await fetch(`http://127.0.0.1:${server.port}/ready`)).status).toBe(503);
    expect(BigInt(first.body.lag)).toBeGreaterThan(0n);
    await until('the backlog to be folded', async () => (await fetch(`http://127.0.0.1:${server!.port}/ready`)).status === 200);
    const caughtUpAfter = Date.now() - started;
    expect(caughtUpAfter).toBeGreaterThan(answeredAfter);
    const usage = await gql(server.port, server.key, USAGE('sub_0'));
    expect(usage.data?.customerUsage.chargesUsage[0]).toEqual({ units: '150000', eventsCount: 150_000 });
  });

  it('resumes a re-fold after SIGKILL from its committed cursor, to the usage of one fold', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'billing-refold-'));
    // Small re-fold pages: the re-fold takes many committed steps, so the kill lands in the middle of it.
    const env = { USAGE_REFOLD_PAGE: '50' };
    server = await startServer(dataDir, env);
    const { port, key } = server;
    const now = Date.now();
    await gql(port, key, 'mutation { createBillableMetric(input: {code: "calls", name: "Calls", aggregationType: COUNT}) { billableMetric { code } } }');
    await gql(port, key, 'mutation { createPlan(input: {code: "p", name: "P", interval: MONTHLY, amountCents: "0", amountCurrency: "EUR", charges: [{billableMetricCode: "calls", chargeModel: STANDARD, properties: {amount: "1"}}]}) { plan { code } } }');
    await gql(port, key, 'mutation { createCustomer(input: {externalId: "cus_0", currency: "EUR", timezone: "UTC"}) { customer { externalId } } }');
    const since = new Date(now - 60 * 86_400_000).toISOString();
    expect((await gql(port, key, `mutation { createSubscription(input: {externalId: "sub_0", externalCustomerId: "cus_0", planCode: "p", subscriptionAt: "${since}"}) { subscription { status } } }`)).errors).toBeUndefined();
    // Spread over the last 30 days: a zone change moves events across the month's boundary.
    const total = 40_000;
    const at = (i: number) => new Date(now - ((i * 7_919) % (30 * 86_400)) * 1_000 - 1_000).toISOString();
    await ingest(port, key, 'sub_0', total, 5_000, (i) => ({ timestamp: at(i) }));
    expect((await gql(port, key, USAGE('sub_0'))).data?.customerUsage.chargesUsage[0].eventsCount).toBeGreaterThan(0);

    await gql(port, key, 'mutation { createCustomer(input: {externalId: "cus_0", currency: "EUR", timezone: "Pacific/Kiritimati"}) { customer { externalId } } }');
    await until('the re-fold to start', async () => (await health(port)).body.refolding === 1, 10_000, 5);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await kill9(server);
    server = undefined;

    // What the killed process committed: a re-fold under way, with its cursor past the start.
    const db = new DatabaseSync(join(dataDir, 'billing.read-models.db'));
    const meter = JSON.parse((db.prepare("SELECT doc FROM rm_usageMeters WHERE id LIKE '%|sub%5F0' OR id LIKE '%|sub_0'").get() as { doc: string }).doc) as { refold: { cursor: string } | null };
    db.close();
    expect(meter.refold).not.toBeNull();
    expect(BigInt(meter.refold!.cursor)).toBeGreaterThan(0n);

    server = await startServer(dataDir, env);
    await until('the resumed re-fold to finish', async () => (await health(server!.port)).body.refolding === 0);
    const usage = await gql(server.port, server.key, USAGE('sub_0'));
    const from = Date.parse(usage.data?.customerUsage.fromDatetime);
    // Kiritimati is UTC+14: the period starts at 10:00Z the day before the month's first.
    expect(new Date(from).getUTCHours()).toBe(10);
    const inPeriod = Array.from({ length: total }, (_, i) => Date.parse(at(i))).filter((t) => t >= from).length;
    expect(usage.data?.customerUsage.chargesUsage[0]).toEqual({ units: String(inPeriod), eventsCount: inPeriod });
  });

  it('answers RATE_LIMITED (HTTP 429, Retry-After) to a flood, appends nothing it refused, and /health keeps answering within 100 ms', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'billing-flood-'));
    server = await startServer(dataDir, { INGEST_MAX_IN_FLIGHT: '1' });
    const { port, key } = server;
    await meteredSubscriptions(port, key, 1);
    // Warm (JIT-compiled ingestion path): what is measured is the server under a flood, not its first requests.
    for (let i = 0; i < 5; i += 1) await gql(port, key, CREATE_EVENTS, { events: callEvents('sub_0', `warm${i}`, 2_000) });
    // The flood comes from another process: the probe below measures the server, not this process's own load.
    const flooder = spawn(process.execPath, ['--input-type=module', '-e', FLOOD, String(port), key], { stdio: ['ignore', 'pipe', 'inherit'] });
    let report = '';
    flooder.stdout!.on('data', (chunk: Buffer) => (report += chunk.toString()));
    const finished = new Promise<void>((resolve) => flooder.once('exit', () => resolve()));
    await until('the flood to start', async () => report.includes('started'), 10_000, 10);
    const latencies: number[] = [];
    for (let i = 0; i < 80; i += 1) {
      const sent = performance.now();
      const answer = await health(port);
      latencies.push(performance.now() - sent);
      expect(answer.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    flooder.kill('SIGTERM');
    await finished;
    const { accepted, refusals } = JSON.parse(report.slice(report.indexOf('{'))) as { accepted: number; refusals: { status: number; code: unknown; retryAfter: string | null }[] };

    expect(refusals.length).toBeGreaterThan(0);
    expect(new Set(refusals.map((r) => JSON.stringify([r.status, r.code, r.retryAfter])))).toEqual(new Set([JSON.stringify([429, 'RATE_LIMITED', '1'])]));
    expect(Math.max(...latencies), `health latencies (ms): ${latencies.map((l) => l.toFixed(0)).join(' ')}`).toBeLessThan(100);
    // Refused requests appended nothing: the log holds exactly what was acknowledged.
    const usage = await gql(port, key, USAGE('sub_0'));
    expect(usage.data?.customerUsage.chargesUsage[0].eventsCount).toBe(accepted + 10_000);
  });
});

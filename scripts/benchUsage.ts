/**
 * Metering benchmarks (`npm run bench:usage`): numbers go to BENCHMARKS.md, never into tests. One embedded server,
 * one organization, a plan with 5 charges (COUNT with a filter, SUM graduated, MAX volume, UNIQUE_COUNT package,
 * WEIGHTED_SUM standard). Measures, over GraphQL/HTTP and websockets:
 *   1. ingestion: `createEvents` batches of 1,000 from 4 clients (a worker thread), every projection (usage
 *      included) folding in the server's process
 *   2. current usage (`customerUsage`) latency with 100k, then 1M events in the period (flat as events grow?), then
 *      while ingesting at full rate
 *   3. acknowledged → pushed on `customerUsageUpdated` at 10,000 events/s
 *   4. the re-fold after terminating the subscription that holds the 1M events (a catalog change)
 * `BENCH_USAGE_EVENTS` (default 1,000,000) sizes step 2's large run; `BENCH_LIVE_SECONDS` (default 10) step 3.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'graphql-ws';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import WebSocket from 'ws';
import { benchEvents } from './benchClient.ts';
import { ensureDefaultOrganization } from '../src/bootstrap.ts';
import { composeSystem } from '../src/compose.ts';
import { loadConfig } from '../src/config.ts';
import { createHttpServer } from '../src/graphql/server.ts';

const dir = mkdtempSync(join(tmpdir(), 'billing-bench-usage-'));
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent' });
const system = await composeSystem(config);
const key = (await ensureDefaultOrganization(system, config))!;
const http = createHttpServer(system.app, () => system.health());
const port = await http.listen(0, '127.0.0.1');

async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data: T; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

async function catalog() {
  const metric = (input: Record<string, unknown>) => gql('mutation($input: CreateBillableMetricInput!) { createBillableMetric(input: $input) { billableMetric { code } } }', { input });
  await metric({ code: 'calls', name: 'Calls', aggregationType: 'COUNT', filters: [{ key: 'region', values: ['eu', 'us'] }] });
  await metric({ code: 'bytes', name: 'Bytes', aggregationType: 'SUM', fieldName: 'bytes' });
  await metric({ code: 'peak', name: 'Peak', aggregationType: 'MAX', fieldName: 'bytes' });
  await metric({ code: 'seats', name: 'Seats', aggregationType: 'UNIQUE_COUNT', fieldName: 'seat' });
  await metric({ code: 'storage', name: 'Storage', aggregationType: 'WEIGHTED_SUM', fieldName: 'gb', weightedInterval: 'SECONDS' });
  const ranges = (key: string) => [{ fromValue: 0, toValue: 1000, [key]: '0.01', flatAmount: '0' }, { fromValue: 1001, toValue: null, [key]: '0.001', flatAmount: '5' }];
  await gql('mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { code } } }', {
    input: {
      code: 'bench', name: 'Bench', interval: 'MONTHLY', amountCents: '0', amountCurrency: 'EUR',
      charges: [
        { billableMetricCode: 'calls', chargeModel: 'STANDARD', properties: { amount: '0.001' }, filters: [{ values: { region: ['eu'] }, properties: { amount: '0.002' } }] },
        { billableMetricCode: 'bytes', chargeModel: 'GRADUATED', properties: { graduatedRanges: ranges('perUnitAmount') } },
        { billableMetricCode: 'peak', chargeModel: 'VOLUME', properties: { volumeRanges: ranges('perUnitAmount') } },
        { billableMetricCode: 'seats', chargeModel: 'PACKAGE', properties: { amount: '10', packageSize: 5, freeUnits: 0 } },
        { billableMetricCode: 'storage', chargeModel: 'STANDARD', properties: { amount: '0.5' } },
      ],
    },
  });
  for (const id of ['big', 'live']) {
    await gql('mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { externalId } } }', { input: { externalId: `cus_${id}`, currency: 'EUR' } });
    await gql('mutation($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { status } } }', { input: { externalId: `sub_${id}`, externalCustomerId: `cus_${id}`, planCode: 'bench' } });
  }
}

const CODES = ['calls', 'bytes', 'peak', 'seats', 'storage'];
const CREATE = 'mutation($events: [UsageEventInput!]!) { createEvents(input: {events: $events}) { acceptedCount } }';

/** Sends batches `from`..`to` (exclusive) of 1,000 events for `sub_big` from 4 clients in a worker thread; answers events/s. */
async function ingest(from: number, to: number): Promise<number> {
  const result = await inWorker<{ accepted: number; seconds: number }>({ kind: 'ingest', url: `http://127.0.0.1:${port}/graphql`, key, from, to, size: 1000, clients: 4, subscription: 'sub_big', codes: CODES });
  return Math.round(result.accepted / result.seconds);
}

async function inWorker<T>(workerData: Record<string, unknown>): Promise<T> {
  const worker = new Worker(new URL('./benchClient.ts', import.meta.url), { workerData });
  const result = await new Promise<T>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await worker.terminate();
  return result;
}

const USAGE = '{ customerUsage(externalCustomerId: "cus_big", externalSubscriptionId: "sub_big") { amountCents totalAmountCents chargesUsage { units eventsCount amountCents } } }';

/**
 * Sequential `customerUsage` requests from a worker thread, after 200 unmeasured warm-up requests: latency
 * percentiles as the client sees them, the same measured inside the server (request received → response
 * finished), and the last answer.
 */
async function currentUsage(requests: number) {
  const inServer: number[] = [];
  const warmup = 200;
  let seen = 0;
  const timeRequest = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    // The queries only (small bodies), not the ingestion batches sent meanwhile.
    if (Number(req.headers['content-length'] ?? 0) > 4096 || seen++ < warmup) return;
    const started = performance.now();
    res.once('finish', () => inServer.push(performance.now() - started));
  };
  http.server.prependListener('request', timeRequest);
  const { latencies, last } = await inWorker<{ latencies: number[]; last: unknown }>({ kind: 'query', url: `http://127.0.0.1:${port}/graphql`, key, query: USAGE, requests, warmup });
  http.server.off('request', timeRequest);
  latencies.sort((a, b) => a - b);
  inServer.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50).toFixed(2), p99: percentile(latencies, 99).toFixed(2), serverP99: percentile(inServer, 99).toFixed(2), last };
}

async function settle() {
  const head = await system.app.deps.eventStore.headPosition();
  if (head !== null) await system.app.deps.waitForProjections(head);
}

/** 10,000 events/s (a batch of 100 `calls` every 10 ms) while a websocket client watches the usage. */
async function live(seconds: number) {
  const client = createClient({ url: `ws://127.0.0.1:${port}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${key}` } });
  const acks: { count: number; at: number }[] = [];
  const seenAt: { seen: number; at: number }[] = [];
  let pushes = 0;
  await new Promise<void>((ready) => {
    client.subscribe<{ customerUsageUpdated: { chargesUsage: { billableMetric: { code: string }; eventsCount: number }[] } }>(
      { query: 'subscription { customerUsageUpdated(externalCustomerId: "cus_live", externalSubscriptionId: "sub_live") { chargesUsage { billableMetric { code } eventsCount } } }' },
      {
        next: ({ data }) => {
          const now = performance.now();
          pushes += 1;
          if (pushes === 1) ready();
          const seen = data!.customerUsageUpdated.chargesUsage.find((c) => c.billableMetric.code === 'calls')!.eventsCount;
          seenAt.push({ seen, at: now });
        },
        error: (error) => console.error(error),
        complete: () => {},
      },
    );
  });
  let sent = 0;
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let tick = 0; tick < seconds * 100; tick += 1) {
    const batch = benchEvents('sub_live', ['calls'], tick, 100);
    inFlight.push(gql(CREATE, { events: batch }).then(() => void acks.push({ count: (sent += 100), at: performance.now() })));
    const wait = started + (tick + 1) * 10 - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  await Promise.all(inFlight);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const rate = Math.round(sent / ((performance.now() - started - 1000) / 1000));
  // A push can beat the HTTP answer to the client: that batch was visible before it was acknowledged (0 ms).
  const latencies = acks.flatMap((ack) => {
    const push = seenAt.find((p) => p.seen >= ack.count);
    return push ? [Math.max(0, push.at - ack.at)] : [];
  }).sort((a, b) => a - b);
  await client.dispose();
  return { rate, batches: acks.length, pushed: latencies.length, pushes, p50: percentile(latencies, 50).toFixed(1), p99: percentile(latencies, 99).toFixed(1), max: latencies.at(-1)!.toFixed(1) };
}

await catalog();
const small = 100;
const large = Math.round(Number(process.env.BENCH_USAGE_EVENTS ?? 1_000_000) / 1000);
const rateSmall = await ingest(0, small);
await settle();
const at100k = await currentUsage(2000);
console.log(`ingestion over GraphQL/HTTP (usage projection folding in-process): ${small * 1000} events: ${rateSmall} events/s`);
console.log(`current usage with ${small * 1000} events in the period, 5 charges: p50 ${at100k.p50} ms, p99 ${at100k.p99} ms (in the server: p99 ${at100k.serverP99} ms)`);
const rateLarge = await ingest(small, large);
await settle();
const atLarge = await currentUsage(2000);
console.log(`ingestion over GraphQL/HTTP, next ${(large - small) * 1000} events: ${rateLarge} events/s`);
console.log(`current usage with ${large * 1000} events in the period, 5 charges: p50 ${atLarge.p50} ms, p99 ${atLarge.p99} ms (in the server: p99 ${atLarge.serverP99} ms)`);
console.log(`  ${JSON.stringify(atLarge.last)}`);
// Current usage while 4 clients ingest as fast as they can (100k more events on the same subscription).
const [busyRate, busy] = await Promise.all([ingest(large, large + 100), currentUsage(1000)]);
console.log(`current usage while ingesting at ${busyRate} events/s (same subscription): p50 ${busy.p50} ms, p99 ${busy.p99} ms (in the server: p99 ${busy.serverP99} ms)`);
await settle();
const push = await live(Number(process.env.BENCH_LIVE_SECONDS ?? 10));
console.log(`live usage at ${push.rate} events/s: acknowledged → pushed p50 ${push.p50} ms, p99 ${push.p99} ms, max ${push.max} ms (${push.pushed}/${push.batches} batches seen, ${push.pushes} pushes)`);
// Terminating the 1M-event subscription changes its meter context: its usage is re-folded from the stored events,
// while the API keeps answering (the mutation itself, and a small query every 10 ms).
const refoldStarted = performance.now();
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();
await gql('mutation { terminateSubscription(input: {externalId: "sub_big", onTerminationInvoice: SKIP}) { subscription { status } } }');
const answered = performance.now() - refoldStarted;
let probing = true;
const probes: number[] = [];
const probe = (async () => {
  while (probing) {
    const started = performance.now();
    await gql('{ organization { id } }');
    probes.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
})();
// The re-fold runs in the background (the subscription is stale meanwhile): wait for the head, then for it.
await system.projections.waitFor((await system.app.deps.eventStore.headPosition())!, { timeoutMs: 600_000 });
while (system.projections.status().stale.size > 0) await new Promise((resolve) => setTimeout(resolve, 20));
probing = false;
await probe;
loopDelay.disable();
probes.sort((a, b) => a - b);
console.log(`re-fold after terminating the subscription with ${large * 1000} events: mutation answered in ${answered.toFixed(0)} ms, usage re-folded in ${((performance.now() - refoldStarted) / 1000).toFixed(1)} s; meanwhile ${probes.length} queries p50 ${percentile(probes, 50).toFixed(1)} ms, max ${probes.at(-1)!.toFixed(1)} ms; event-loop delay max ${(loopDelay.max / 1e6).toFixed(0)} ms`);
await http.close();
await system.close();
rmSync(dir, { recursive: true, force: true });

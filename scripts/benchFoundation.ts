/**
 * Foundation micro-benchmarks (`npm run bench:foundation`): numbers go to BENCHMARKS.md, never into tests.
 *   1. durable appends to the embedded event store, batches of 1,000 events (one transaction each)
 *   2. projection catch-up: fold + atomic commit of documents and checkpoint
 *   3. GraphQL over HTTP: an authenticated query, sequential requests, latency percentiles
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineProjection } from '../projections/projection.ts';
import { ProjectionRunner } from '../projections/runner.ts';
import { ensureDefaultOrganization } from '../src/bootstrap.ts';
import { composeSystem } from '../src/compose.ts';
import { loadConfig } from '../src/config.ts';
import { createHttpServer } from '../src/graphql/server.ts';
import { createSqliteEventStore } from '../src/infrastructure/eventStore/sqlite.ts';
import { createSqliteReadModelStore } from '../src/infrastructure/readModels/sqlite.ts';
import { openDatabase } from '../src/infrastructure/sqlite/database.ts';

const dir = mkdtempSync(join(tmpdir(), 'billing-bench-'));
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const meta = { organizationId: 'bench', recordedAt: new Date().toISOString() };

async function appends(total: number, batch: number) {
  const db = openDatabase(join(dir, 'append.db'));
  const store = createSqliteEventStore(db);
  const started = performance.now();
  for (let i = 0; i < total / batch; i += 1) {
    await store.append(`usage-bench_${i % 10}`, Array.from({ length: batch }, (_, j) => ({
      type: 'Metered',
      data: { key: `k${j % 50}`, value: String(j) },
      metadata: meta,
    })));
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`appends: ${total} events in batches of ${batch}: ${Math.round(total / seconds)} events/s (durable, synchronous=FULL)`);
  return { db, store };
}

async function dedupedAppends(total: number, batch: number) {
  const store = createSqliteEventStore(openDatabase(join(dir, 'dedup.db')));
  const item = (i: number) => ({ transactionId: `tx${i}`, externalSubscriptionId: `sub${i % 100}`, code: 'calls', timestamp: meta.recordedAt, properties: { value: String(i) }, preciseTotalAmountCents: null });
  const batchOf = (b: number) => ({ organizationId: 'bench', metadata: meta, events: Array.from({ length: batch }, (_, j) => item(b * batch + j)) });
  const started = performance.now();
  for (let b = 0; b < total / batch; b += 1) await store.appendUsage(batchOf(b));
  const seconds = (performance.now() - started) / 1000;
  const resend = performance.now();
  const outcomes = await store.appendUsage(batchOf(0));
  const resendMs = performance.now() - resend;
  if (outcomes.some((o) => o.status !== 'duplicate')) throw new Error('re-sent batch was not deduplicated');
  console.log(`deduplicated appends: ${total} events in batches of ${batch} over 100 streams: ${Math.round(total / seconds)} events/s; re-sending a batch of ${batch}: ${resendMs.toFixed(1)} ms, all duplicates`);
}

async function projection(db: ReturnType<typeof openDatabase>, store: ReturnType<typeof createSqliteEventStore>, total: number) {
  const readModels = createSqliteReadModelStore(db);
  const sums = defineProjection<{ _id: string; total: number }>({
    name: 'benchSums', collection: 'benchSums', indexes: [], handles: ['Metered'],
    documentIds: (event) => [(event.data as { key: string }).key],
    fold: (doc, event, id) => ({ _id: id, total: (doc?.total ?? 0) + Number((event.data as { value: string }).value) }),
  });
  const runner = new ProjectionRunner(store, readModels, [sums], { batchSize: 1000 });
  const started = performance.now();
  await runner.start();
  await runner.waitFor((await store.headPosition())!, 600_000);
  const seconds = (performance.now() - started) / 1000;
  await runner.stop();
  console.log(`projection catch-up: ${total} events folded into 50 documents: ${Math.round(total / seconds)} events/s`);
}

async function graphql(requests: number) {
  const config = loadConfig({ DATA_DIR: join(dir, 'api'), LOG_LEVEL: 'silent' });
  const system = await composeSystem(config);
  const key = (await ensureDefaultOrganization(system, config))!;
  const http = createHttpServer(system.app, () => system.health());
  const port = await http.listen(0, '127.0.0.1');
  const latencies: number[] = [];
  for (let i = 0; i < requests; i += 1) {
    const started = performance.now();
    const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: '{ organization { id name } }' }),
    });
    await response.json();
    latencies.push(performance.now() - started);
  }
  latencies.sort((a, b) => a - b);
  console.log(`graphql query over HTTP: ${requests} sequential requests: p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms`);
  await http.close();
  await system.close();
}

/** Ingestion through GraphQL over HTTP: batches of 1,000 from `clients` concurrent clients, durable and idempotent. */
async function ingestion(batches: number, clients: number) {
  const config = loadConfig({ DATA_DIR: join(dir, 'ingest'), LOG_LEVEL: 'silent' });
  const system = await composeSystem(config);
  const key = (await ensureDefaultOrganization(system, config))!;
  const http = createHttpServer(system.app, () => system.health());
  const port = await http.listen(0, '127.0.0.1');
  const query = 'mutation($events: [UsageEventInput!]!) { createEvents(input: {events: $events}) { acceptedCount } }';
  const body = (b: number) => JSON.stringify({ query, variables: { events: Array.from({ length: 1000 }, (_, i) => ({
    transactionId: `tx-${b}-${i}`, externalSubscriptionId: `sub_${i % 20}`, code: 'api_calls', properties: { region: i % 2 ? 'eu' : 'us' },
  })) } });
  let accepted = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: clients }, async () => {
    for (let b = next++; b < batches; b = next++) {
      const response = await fetch(`http://127.0.0.1:${port}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: body(b) });
      // NOTE: not `accepted += await …`: that reads `accepted` before the await and loses the other clients' counts.
      const count = ((await response.json()) as { data: { createEvents: { acceptedCount: number } } }).data.createEvents.acceptedCount;
      accepted += count;
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  console.log(`ingestion over GraphQL/HTTP: ${accepted} events in ${batches} batches of 1,000, ${clients} clients: ${Math.round(accepted / seconds)} events/s (durable, deduplicated; all projections folding in the same process)`);
  await http.close();
  await system.close();
}

const total = Number(process.env.BENCH_EVENTS ?? 200_000);
const { db, store } = await appends(total, 1000);
await projection(db, store, total);
await dedupedAppends(total, 1000);
await graphql(Number(process.env.BENCH_REQUESTS ?? 2000));
await ingestion(Number(process.env.BENCH_BATCHES ?? 100), 4);
rmSync(dir, { recursive: true, force: true });

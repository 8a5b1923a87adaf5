/**
 * Load generator for the benchmarks, run in a worker thread so that building and sending requests does not share
 * the server's event loop (real clients are other processes). `ingest`: batches `from`..`to` (exclusive) of `size`
 * usage events from `clients` concurrent connections, posts back `{ accepted, seconds }`. `query`: sequential
 * requests, posts back `{ latencies, last }`.
 */
import { randomUUID } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';

type Job =
  | { kind: 'ingest'; url: string; key: string; from: number; to: number; size: number; clients: number; subscription: string; codes: string[] }
  | { kind: 'query'; url: string; key: string; query: string; requests: number; warmup: number };

const job = workerData as Job;
const query = 'mutation($events: [UsageEventInput!]!) { createEvents(input: {events: $events}) { acceptedCount } }';

/** `BENCH_RANDOM_IDS=1`: random UUID transaction ids (what many clients send) instead of ordered ones. */
const randomIds = process.env.BENCH_RANDOM_IDS === '1';

/** The events of batch `b`: codes in turn, with the properties every benchmark metric reads. */
export function benchEvents(subscription: string, codes: readonly string[], b: number, size: number) {
  return Array.from({ length: size }, (_, i) => ({
    transactionId: randomIds ? randomUUID() : `tx-${b}-${i}`,
    externalSubscriptionId: subscription,
    code: codes[i % codes.length],
    properties: { region: i % 3 ? 'eu' : 'us', bytes: String(i % 97), gb: String((i % 7) - 3), seat: `seat_${(b * size + i) % 500}` },
  }));
}

async function post(url: string, key: string, body: unknown): Promise<{ data?: Record<string, unknown>; errors?: unknown }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(body) });
  return (await response.json()) as { data?: Record<string, unknown>; errors?: unknown };
}

if (parentPort && job?.kind === 'query') {
  // `warmup` unmeasured requests first (JIT, statement caches), then sequential measured ones; posts back each
  // measured latency in milliseconds and the last answer.
  const latencies: number[] = [];
  let last: unknown;
  for (let i = 0; i < job.warmup + job.requests; i += 1) {
    const started = performance.now();
    last = await post(job.url, job.key, { query: job.query });
    if (i >= job.warmup) latencies.push(performance.now() - started);
  }
  parentPort.postMessage({ latencies, last });
}

if (parentPort && job?.kind === 'ingest') {
  let next = job.from;
  let accepted = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: job.clients }, async () => {
      for (let b = next++; b < job.to; b = next++) {
        const body = await post(job.url, job.key, { query, variables: { events: benchEvents(job.subscription, job.codes, b, job.size) } });
        if (!body.data) throw new Error(JSON.stringify(body.errors));
        accepted += (body.data.createEvents as { acceptedCount: number }).acceptedCount;
      }
    }),
  );
  parentPort.postMessage({ accepted, seconds: (performance.now() - started) / 1000 });
}

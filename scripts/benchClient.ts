/**
 * Load generator for the benchmarks, run in a worker thread so that building and sending requests does not share
 * the server's event loop (real clients are other processes). Sends batches `from`..`to` (exclusive) of `size`
 * usage events from `clients` concurrent connections; posts back `{ accepted, seconds }`.
 */
import { parentPort, workerData } from 'node:worker_threads';

type Job = { url: string; key: string; from: number; to: number; size: number; clients: number; subscription: string; codes: string[] };

const job = workerData as Job;
const query = 'mutation($events: [UsageEventInput!]!) { createEvents(input: {events: $events}) { acceptedCount } }';

/** The events of batch `b`: codes in turn, with the properties every benchmark metric reads. */
export function benchEvents(subscription: string, codes: readonly string[], b: number, size: number) {
  return Array.from({ length: size }, (_, i) => ({
    transactionId: `tx-${b}-${i}`,
    externalSubscriptionId: subscription,
    code: codes[i % codes.length],
    properties: { region: i % 3 ? 'eu' : 'us', bytes: String(i % 97), gb: String((i % 7) - 3), seat: `seat_${(b * size + i) % 500}` },
  }));
}

if (parentPort && job) {
  let next = job.from;
  let accepted = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: job.clients }, async () => {
      for (let b = next++; b < job.to; b = next++) {
        const response = await fetch(job.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${job.key}` },
          body: JSON.stringify({ query, variables: { events: benchEvents(job.subscription, job.codes, b, job.size) } }),
        });
        const body = (await response.json()) as { data?: { createEvents: { acceptedCount: number } }; errors?: unknown };
        if (!body.data) throw new Error(JSON.stringify(body.errors));
        accepted += body.data.createEvents.acceptedCount;
      }
    }),
  );
  parentPort.postMessage({ accepted, seconds: (performance.now() - started) / 1000 });
}

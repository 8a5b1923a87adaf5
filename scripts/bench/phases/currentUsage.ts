/**
 * Phase `currentUsage`: sequential `customerUsage` requests from a query process (Zipf over subscriptions), first
 * with the server idle, then while 4 load clients ingest at full rate; client-side latency both ways.
 */
import { IpcChild } from '../children.ts';
import type { BenchContext } from '../context.ts';
import { clientSpecs, LoadRun } from '../ingest.ts';
import { settle } from '../lag.ts';
import type { FromQuery, ToQuery } from '../messages.ts';
import { distribution, int, latencies, rate, type Distribution } from '../stats.ts';
import { withTimeout } from '../wait.ts';

export type CurrentUsageResult = {
  requests: number;
  idle: Distribution;
  /** The same requests as the server timed them (Server-Timing). */
  idleInServer: Distribution;
  busyInServer: Distribution;
  pacedInServer: Distribution;
  idleCapped: boolean;
  busy: Distribution;
  /** The busy run hit its time cap before `requests` (the server answered slowly). */
  busyCapped: boolean;
  busyCapSeconds: number;
  busyIngestRate: number | null;
  busyEvents: number;
  /** The same while ingestion is paced at PACED_RATE events/s (the live target's rate) instead of full speed. */
  paced: Distribution;
  pacedCapped: boolean;
  pacedIngestRate: number | null;
  /** `{ __typename }` from the same client at the same moments: the floor of each case (HTTP, client, scheduling). */
  floor: { idle: Distribution; busy: Distribution; paced: Distribution };
  sample: unknown;
};

/** The paced case: batches of 100 every 10 ms from one client. */
const PACED_BATCH = 100;
const PACED_INTERVAL_MS = 10;

/** Time caps of the query runs: warm-up, then the measured requests (the busy one also bounds the ingestion). */
// A server answering within 5 ms does 500 requests in 2.5 s; the caps only cut a slow one short (and bound the
// events the busy run adds to the log).
const caps = (quick: boolean) => ({ idleWarmupMs: 30_000, idleMs: 60_000, busyWarmupMs: quick ? 1_000 : 10_000, busyMs: quick ? 5_000 : 60_000 });

async function queries(ctx: BenchContext, seed: number, warmupCapMs: number, measureCapMs: number, floor = false): Promise<FromQuery & { type: 'done' }> {
  const { queryWarmup, queryRequests } = ctx.options.sizes;
  const child = new IpcChild<ToQuery, FromQuery>('query client', new URL('../queryClient.ts', import.meta.url));
  try {
    child.send({ type: 'start', job: { endpoint: ctx.server.endpoint, shape: ctx.shape, seed, warmup: queryWarmup, requests: queryRequests, warmupCapMs, measureCapMs, floor } });
    // A request may take up to its 30 s timeout past a cap.
    return await child.waitFor('done', warmupCapMs + measureCapMs + 90_000);
  } finally {
    child.kill();
  }
}

export async function runCurrentUsage(ctx: BenchContext): Promise<CurrentUsageResult> {
  const { queryWarmup, queryRequests } = ctx.options.sizes;
  console.log(`\n== currentUsage: ${queryWarmup} warm-up then ${queryRequests} sequential customerUsage requests (Zipf over subscriptions), idle then while 4 clients ingest`);
  await settle(ctx.server.healthUrl);
  const cap = caps(ctx.options.quick);
  const idle = await queries(ctx, 777, cap.idleWarmupMs, cap.idleMs);
  const idleLatency = distribution(idle.latencies);
  const idleInServer = inServer(idle);
  const cut = (q: FromQuery) => (q.capped ? ` — cut at the time cap after ${int(q.latencies.length)} of ${int(queryRequests)} requests` : '');
  console.log(`  idle:      ${latencies(idleLatency, 2)}${cut(idle)}`);
  console.log(`             in the server (Server-Timing): ${latencies(idleInServer, 2)}`);
  const idleFloor = distribution((await queries(ctx, 777, cap.idleWarmupMs, cap.idleMs, true)).latencies);
  console.log(`  floor, idle ({ __typename }): ${latencies(idleFloor, 2)}`);

  const load = await LoadRun.start({ endpoint: ctx.server.endpoint, shape: ctx.shape, specs: clientSpecs(3000, 4), batchSize: 1000, events: [null, null, null, null] });
  try {
    await withTimeout(
      (async () => {
        while (load.acks.length < 4) await new Promise((resolve) => setTimeout(resolve, 20));
      })(),
      60_000,
      'the first acknowledgements of the 4 load clients',
    );
    const busy = await queries(ctx, 778, cap.busyWarmupMs, cap.busyMs);
    const busyFloor = distribution((await queries(ctx, 778, cap.busyWarmupMs, cap.busyMs, true)).latencies);
    load.stop();
    const result = await load.finished(120_000);
    const busyLatency = distribution(busy.latencies);
    const busyEvents = load.eventsBetween(busy.startedAt, busy.endedAt);
    const busyIngestRate = rate(busyEvents, (busy.endedAt - busy.startedAt) / 1000);
    console.log(`  ingesting: ${latencies(busyLatency, 2)}${cut(busy)}; ${busy.warmedUp} warm-up requests`);
    const busyInServer = inServer(busy);
    console.log(`             in the server (Server-Timing): ${latencies(busyInServer, 2)}`);
    console.log(`             while ingesting ${int(busyIngestRate)} events/s (${int(result.events)} events in all, ${int(result.retries)} rate-limited retries)`);
    console.log(`  floor, ingesting ({ __typename }, right after): ${latencies(busyFloor, 2)}`);
    const paced = await pacedQueries(ctx, cap);
    return {
      requests: queryRequests,
      idle: idleLatency,
      idleInServer,
      busyInServer,
      idleCapped: idle.capped,
      busy: busyLatency,
      busyCapped: busy.capped,
      busyCapSeconds: cap.busyMs / 1000,
      busyIngestRate,
      busyEvents,
      ...paced,
      floor: { idle: idleFloor, busy: busyFloor, paced: paced.floor },
      sample: busy.last,
    };
  } finally {
    load.kill();
  }
}

/** Queries while one client ingests at a steady 10,000 events/s (batches of 100 every 10 ms). */
/** The server's own times of a query run (requests without the header are left out). */
const inServer = (run: FromQuery): Distribution => distribution(Float64Array.from([...run.inServer].filter((v) => !Number.isNaN(v))));

async function pacedQueries(ctx: BenchContext, cap: ReturnType<typeof caps>): Promise<Pick<CurrentUsageResult, 'paced' | 'pacedCapped' | 'pacedIngestRate' | 'pacedInServer'> & { floor: Distribution }> {
  await settle(ctx.server.healthUrl);
  const durationMs = cap.busyWarmupMs + cap.busyMs + 5_000;
  const load = await LoadRun.start({
    endpoint: ctx.server.endpoint,
    shape: ctx.shape,
    specs: clientSpecs(4000, 1),
    batchSize: PACED_BATCH,
    events: [null],
    pace: { intervalMs: PACED_INTERVAL_MS, durationMs, maxInFlight: 64 },
  });
  try {
    const paced = await queries(ctx, 779, cap.busyWarmupMs, cap.busyMs);
    const floor = distribution((await queries(ctx, 779, cap.busyWarmupMs, cap.busyMs, true)).latencies);
    load.stop();
    await load.finished(120_000);
    const latency = distribution(paced.latencies);
    const pacedIngestRate = rate(load.eventsBetween(paced.startedAt, paced.endedAt), (paced.endedAt - paced.startedAt) / 1000);
    console.log(`  paced:     ${latencies(latency, 2)}; while ingesting ${int(pacedIngestRate)} events/s (batches of ${PACED_BATCH} every ${PACED_INTERVAL_MS} ms)`);
    const pacedInServer = inServer(paced);
    console.log(`             in the server (Server-Timing): ${latencies(pacedInServer, 2)}`);
    console.log(`  floor, paced ({ __typename }, right after): ${latencies(floor, 2)}`);
    return { paced: latency, pacedCapped: paced.capped, pacedIngestRate, pacedInServer, floor };
  } finally {
    load.kill();
  }
}

/**
 * Phase `live`: watchers on `customerUsageUpdated` (many on the hottest subscription, one each on distinct
 * others) while another process ingests api_calls at a paced 10,000 events/s. Ack → push latency per (acked
 * batch, watcher of a subscription the batch carried): the first push whose api_calls eventsCount reaches the
 * watcher's baseline plus the subscription's cumulative acked count at that ack, minus the ack time (≥ 0).
 */
import { IpcChild } from '../children.ts';
import type { BenchContext } from '../context.ts';
import { clientSpecs, LoadRun } from '../ingest.ts';
import { settle } from '../lag.ts';
import type { Ack, FromLive, Pushes, ToLive } from '../messages.ts';
import { distribution, int, latencies, rate, type Distribution } from '../stats.ts';
import { sleep } from '../wait.ts';
import { subscriptionByRank } from '../workload.ts';

export const LIVE_BATCH = 100;
export const LIVE_INTERVAL_MS = 10;

export type LiveResult = {
  watchers: number;
  hotWatchers: number;
  connections: number;
  seconds: number;
  targetRate: number;
  events: number;
  rejected: number;
  achievedRate: number | null;
  skippedTicks: number;
  ackLatency: Distribution;
  pushes: number;
  pairs: number;
  missing: number;
  latency: Distribution;
  subscribeSeconds: number;
  errors: string[];
};

/** Per watcher: push times and the running maximum of its counts (for a binary search of the first push ≥ n). */
function indexPushes(pushes: Pushes, watchers: number) {
  const times: number[][] = Array.from({ length: watchers }, () => []);
  const maxima: number[][] = Array.from({ length: watchers }, () => []);
  for (let i = 0; i < pushes.t.length; i += 1) {
    const w = pushes.watcher[i]!;
    const m = maxima[w]!;
    times[w]!.push(pushes.t[i]!);
    m.push(Math.max(m.at(-1) ?? -Infinity, pushes.count[i]!));
  }
  return (watcher: number, atLeast: number): number | null => {
    const m = maxima[watcher]!;
    let lo = 0;
    let hi = m.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (m[mid]! >= atLeast) hi = mid;
      else lo = mid + 1;
    }
    return lo < m.length ? times[watcher]![lo]! : null;
  };
}

export function pushLatencies(acks: readonly Ack[], watchersOf: Map<number, number[]>, baselines: readonly number[], pushes: Pushes) {
  const firstPush = indexPushes(pushes, baselines.length);
  const values: number[] = [];
  let missing = 0;
  for (const ack of acks) {
    for (const [subscription, cumulative] of ack.watched) {
      for (const watcher of watchersOf.get(subscription) ?? []) {
        const at = firstPush(watcher, baselines[watcher]! + cumulative);
        if (at === null) missing += 1;
        else values.push(Math.max(0, at - ack.t));
      }
    }
  }
  return { values, missing };
}

export async function runLive(ctx: BenchContext): Promise<LiveResult> {
  const { liveHot, liveOthers, liveConnections, liveSeconds } = ctx.options.sizes;
  const targetRate = (LIVE_BATCH * 1000) / LIVE_INTERVAL_MS;
  console.log(`\n== live: ${liveHot + liveOthers} watchers (${liveHot} on the hottest subscription, ${liveOthers} on distinct others) over ${liveConnections} websockets; api_calls at ${int(targetRate)} events/s for ${liveSeconds} s`);
  await settle(ctx.server.healthUrl);
  const byRank = subscriptionByRank(ctx.shape.subscriptions);
  // The hottest subscription, then the next hottest ones (so that each of them gets events while paced).
  const watchers = [...Array.from({ length: liveHot }, () => byRank[0]!), ...Array.from({ length: liveOthers }, (_, i) => byRank[1 + i]!)];
  const watchersOf = new Map<number, number[]>();
  watchers.forEach((subscription, w) => watchersOf.set(subscription, [...(watchersOf.get(subscription) ?? []), w]));

  const live = new IpcChild<ToLive, FromLive>('live client', new URL('../liveClient.ts', import.meta.url));
  let load: LoadRun | null = null;
  try {
    live.send({ type: 'start', job: { wsUrl: ctx.server.wsUrl, key: ctx.server.endpoint.key, watchers, connections: liveConnections, subscribeTimeoutMs: 60_000 } });
    const ready = await live.waitFor('ready', 70_000);
    console.log(`  ${watchers.length} watchers subscribed, first pushes in ${(ready.openMs / 1000).toFixed(2)} s`);
    const [spec] = clientSpecs(4000, 1, 'api_calls', 0);
    load = await LoadRun.start({
      endpoint: ctx.server.endpoint,
      shape: ctx.shape,
      specs: [{ ...spec!, idMode: 'ordered' }],
      batchSize: LIVE_BATCH,
      events: [null],
      pace: { intervalMs: LIVE_INTERVAL_MS, durationMs: liveSeconds * 1000, maxInFlight: 64 },
      watch: [...watchersOf.keys()],
    });
    const result = await load.finished(liveSeconds * 1000 + 120_000);
    // Let the last pushes arrive: the projection folds the tail, then one coalescing window and a read.
    await settle(ctx.server.healthUrl);
    await sleep(1000);
    live.send({ type: 'stop' });
    const done = await live.waitFor('done', 30_000);
    const { values, missing } = pushLatencies(load.acks, watchersOf, ready.baselines, done.pushes);
    const out: LiveResult = {
      watchers: watchers.length,
      hotWatchers: liveHot,
      connections: liveConnections,
      seconds: liveSeconds,
      targetRate,
      events: result.events,
      rejected: result.rejected,
      achievedRate: rate(result.events, (result.lastAckAt - result.startedAt) / 1000),
      skippedTicks: result.skippedTicks,
      ackLatency: result.latency,
      pushes: done.pushes.t.length - watchers.length,
      pairs: values.length + missing,
      missing,
      latency: distribution(values),
      subscribeSeconds: ready.openMs / 1000,
      errors: done.errors,
    };
    console.log(`  ingestion: ${int(out.achievedRate)} events/s achieved of ${int(targetRate)} (${int(out.events)} events, ${int(out.rejected)} rejected, ${int(out.skippedTicks)} ticks skipped with 64 batches in flight); ack ${latencies(out.ackLatency)}`);
    console.log(`  pushes received after the first: ${int(out.pushes)}; ack → push ${latencies(out.latency)}`);
    console.log(`  (batch, watcher) pairs: ${int(out.pairs)}, never pushed: ${int(out.missing)}${out.errors.length ? `; errors: ${out.errors.slice(0, 3).join(' | ')}` : ''}`);
    return out;
  } finally {
    load?.kill();
    live.kill();
  }
}

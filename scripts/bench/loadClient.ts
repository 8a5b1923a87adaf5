/**
 * A load client process (forked by realistic.ts): one client, one HTTP connection at a time in closed loop (batches
 * back to back), or open loop when paced. Reports each acknowledged batch over IPC, then a summary.
 */
import { parentChannel } from './children.ts';
import { gql, GqlFailure, type GqlAnswer } from './gql.ts';
import type { Ack, FromLoad, LoadJob, LoadSummary, ToLoad } from './messages.ts';
import { CREATE_EVENTS, type CreatedEvents } from './queries.ts';
import { now } from './stats.ts';
import { sleep } from './wait.ts';
import { EventGenerator, subscriptionId, type BenchEvent } from './workload.ts';


let job: LoadJob | null = null;
let generator: EventGenerator | null = null;
let stopRequested = false;

const channel = parentChannel<ToLoad, FromLoad>(async (message) => {
  if (message.type === 'start') {
    job = message.job;
    generator = new EventGenerator(job.spec, job.shape);
    channel.send({ type: 'ready' });
  } else if (message.type === 'stop') {
    stopRequested = true;
  } else if (message.type === 'go') {
    if (!job || !generator) throw new Error('"go" before "start"');
    channel.send({ type: 'done', summary: await run(job, generator) });
  }
});

async function run(job: LoadJob, generator: EventGenerator): Promise<LoadSummary> {
  const watched = new Map(job.watch.map((index) => [subscriptionId(index), index]));
  const cumulative = new Map<number, number>();
  const summary: LoadSummary = { events: 0, accepted: 0, duplicates: 0, rejected: 0, retries: 0, resets: 0, batches: 0, generatedDuplicates: 0, startedAt: now(), endedAt: 0, skippedTicks: 0 };

  async function send(batch: BenchEvent[], watchedCounts: Map<number, number>): Promise<void> {
    const started = now();
    const { data, retries } = await post(batch);
    const t = now();
    const ack: Ack = {
      t,
      events: batch.length,
      accepted: data.createEvents.acceptedCount,
      duplicates: data.createEvents.duplicateCount,
      rejected: data.createEvents.rejectedCount,
      retries,
      latencyMs: t - started,
      watched: [],
    };
    for (const [index, count] of watchedCounts) {
      const total = (cumulative.get(index) ?? 0) + count;
      cumulative.set(index, total);
      ack.watched.push([index, total]);
    }
    summary.events += ack.events;
    summary.accepted += ack.accepted;
    summary.duplicates += ack.duplicates;
    summary.rejected += ack.rejected;
    summary.retries += retries;
    summary.batches += 1;
    channel.send({ type: 'ack', ack });
  }

  const RESET = /ECONNRESET|EPIPE|socket hang up|other side closed|UND_ERR_SOCKET/;
  async function post(batch: BenchEvent[]): Promise<GqlAnswer<CreatedEvents>> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await gql<CreatedEvents>(job.endpoint, CREATE_EVENTS, { events: batch });
      } catch (error) {
        if (!job.retryResets || attempt >= 5 || !(error instanceof GqlFailure) || error.status !== 0 || !RESET.test(error.message)) throw error;
        summary.resets += 1;
      }
    }
  }

  /** The next batch and, for the watched subscriptions it carries, how many new events each gets. */
  function next(size: number): { batch: BenchEvent[]; counts: Map<number, number> } {
    const duplicatesBefore = generator.duplicates;
    const batch = generator.batch(size);
    summary.generatedDuplicates += generator.duplicates - duplicatesBefore;
    const counts = new Map<number, number>();
    if (watched.size > 0) {
      for (const event of batch) {
        const index = watched.get(event.externalSubscriptionId);
        if (index !== undefined) counts.set(index, (counts.get(index) ?? 0) + 1);
      }
    }
    return { batch, counts };
  }

  if (job.pace) {
    const { intervalMs, durationMs, maxInFlight } = job.pace;
    const inFlight = new Set<Promise<void>>();
    let failure: unknown = null;
    const start = performance.now();
    for (let tick = 0; !stopRequested && tick * intervalMs < durationMs; tick += 1) {
      if (failure) throw failure;
      if (inFlight.size >= maxInFlight) summary.skippedTicks += 1;
      else {
        const { batch, counts } = next(job.batchSize);
        const request: Promise<void> = send(batch, counts).catch((error: unknown) => void (failure ??= error)).finally(() => inFlight.delete(request));
        inFlight.add(request);
      }
      const wait = start + (tick + 1) * intervalMs - performance.now();
      if (wait > 0) await sleep(wait);
    }
    await Promise.all(inFlight);
    if (failure) throw failure;
  } else {
    while (!stopRequested && (job.events === null || summary.events < job.events)) {
      const size = job.events === null ? job.batchSize : Math.min(job.batchSize, job.events - summary.events);
      const { batch, counts } = next(size);
      await send(batch, counts);
    }
  }
  summary.endedAt = now();
  return summary;
}

/**
 * Orchestrator side of the load clients: forks one process per client, starts them together once all are ready,
 * collects every acknowledged batch, and sums up.
 */
import { IpcChild } from './children.ts';
import type { Endpoint } from './gql.ts';
import type { Ack, FromLoad, LoadJob, LoadSummary, ToLoad } from './messages.ts';
import { distribution, now, type Distribution } from './stats.ts';
import type { ClientSpec, Shape } from './workload.ts';

const LOAD_CLIENT = new URL('./loadClient.ts', import.meta.url);

/** `count` client specs numbered from `base`: even ones random UUIDs, odd ones ordered ids. */
export function clientSpecs(base: number, count: number, codes: ClientSpec['codes'] = 'all', duplicateRate = 0.02): ClientSpec[] {
  return Array.from({ length: count }, (_, i) => ({ client: base + i, idMode: i % 2 === 0 ? 'random' : 'ordered', codes, duplicateRate }));
}

/** `total` events in batches of `batchSize`, shared out over `clients` (whole batches, as even as possible). */
export function split(total: number, batchSize: number, clients: number): number[] {
  const batches = Math.ceil(total / batchSize);
  const counts = Array.from({ length: clients }, (_, i) => (Math.floor(batches / clients) + (i < batches % clients ? 1 : 0)) * batchSize);
  const excess = batches * batchSize - total;
  const last = counts.findLastIndex((c) => c > 0);
  if (excess > 0 && last >= 0) counts[last] = counts[last]! - excess;
  return counts;
}

export type LoadPlan = {
  endpoint: Endpoint;
  shape: Shape;
  specs: ClientSpec[];
  batchSize: number;
  /** Per client; null: until `stop()`. */
  events: (number | null)[];
  pace?: LoadJob['pace'];
  watch?: number[];
  retryResets?: boolean;
  onAck?: (ack: Ack) => void;
};

export type LoadResult = {
  clients: number;
  startedAt: number;
  lastAckAt: number;
  events: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  retries: number;
  resets: number;
  batches: number;
  generatedDuplicates: number;
  skippedTicks: number;
  latency: Distribution;
  summaries: LoadSummary[];
};

export class LoadRun {
  readonly acks: Ack[] = [];
  startedAt = 0;
  private readonly children: IpcChild<ToLoad, FromLoad>[];

  readonly plan: LoadPlan;

  private constructor(plan: LoadPlan) {
    this.plan = plan;
    this.children = plan.specs.map(
      (spec) =>
        new IpcChild<ToLoad, FromLoad>(`load client c${spec.client}`, LOAD_CLIENT, (message) => {
          if (message.type !== 'ack') return;
          this.acks.push(message.ack);
          plan.onAck?.(message.ack);
        }),
    );
  }

  /** Forks the clients, waits until each is ready, then starts them at once. */
  static async start(plan: LoadPlan): Promise<LoadRun> {
    const run = new LoadRun(plan);
    try {
      run.children.forEach((child, i) =>
        child.send({
          type: 'start',
          job: { endpoint: plan.endpoint, shape: plan.shape, spec: plan.specs[i]!, batchSize: plan.batchSize, events: plan.events[i] ?? null, pace: plan.pace ?? null, watch: plan.watch ?? [], ...(plan.retryResets ? { retryResets: true } : {}) },
        }),
      );
      await Promise.all(run.children.map((child) => child.waitFor('ready', 30_000)));
    } catch (error) {
      run.kill();
      throw error;
    }
    run.startedAt = now();
    for (const child of run.children) child.send({ type: 'go' });
    return run;
  }

  /** Asks open-ended clients to stop after their batch in flight. */
  stop(): void {
    for (const child of this.children) child.send({ type: 'stop' });
  }

  kill(): void {
    for (const child of this.children) child.kill();
  }

  /** Events acknowledged with `from <= t <= to`. */
  eventsBetween(from: number, to: number): number {
    return this.acks.reduce((sum, a) => (a.t >= from && a.t <= to ? sum + a.events : sum), 0);
  }

  /** Waits for every client's summary (each client exits after it). */
  async finished(timeoutMs: number): Promise<LoadResult> {
    let summaries: LoadSummary[];
    try {
      summaries = (await Promise.all(this.children.map((child) => child.waitFor('done', timeoutMs)))).map((m) => m.summary);
    } finally {
      this.kill();
    }
    const sum = (key: keyof LoadSummary) => summaries.reduce((total, s) => total + s[key], 0);
    return {
      clients: summaries.length,
      startedAt: this.startedAt,
      lastAckAt: this.acks.reduce((max, a) => Math.max(max, a.t), this.startedAt),
      events: sum('events'),
      accepted: sum('accepted'),
      duplicates: sum('duplicates'),
      rejected: sum('rejected'),
      retries: sum('retries'),
      resets: sum('resets'),
      batches: sum('batches'),
      generatedDuplicates: sum('generatedDuplicates'),
      skippedTicks: sum('skippedTicks'),
      latency: distribution(this.acks.map((a) => a.latencyMs)),
      summaries,
    };
  }
}

/** A generous bound for a client run: fails only below ~1,000 events/s. */
export const loadTimeoutMs = (eventsPerClient: number) => 120_000 + eventsPerClient;

/**
 * How far the usage projection trails the log: `/health` sampled on a schedule, each sample `(t, head, checkpoint)`.
 * A sample's lag is the time until a later sample shows the usage checkpoint at or past that sample's head.
 */
import { health, type Health } from './server.ts';
import { now } from './stats.ts';
import { pollUntil, sleep } from './wait.ts';

export type HealthSample = { t: number; head: number | null; checkpoint: number | null };

export class HealthSampler {
  readonly samples: HealthSample[] = [];
  private running = true;
  private readonly loop: Promise<void>;
  private errors = 0;
  private readonly url: string;
  private readonly intervalMs: number;
  private readonly inFlight = new Set<Promise<void>>();

  /** A request every `intervalMs` (up to `maxInFlight` unanswered, so a slow server does not thin the samples out). */
  constructor(url: string, intervalMs = 100, maxInFlight = 4) {
    this.url = url;
    this.intervalMs = intervalMs;
    this.loop = this.run(maxInFlight);
  }

  private async run(maxInFlight: number): Promise<void> {
    let next = performance.now();
    while (this.running) {
      if (this.inFlight.size < maxInFlight) {
        const request: Promise<void> = health(this.url, 10_000)
          .then((h) => void this.insert({ t: now(), head: h.head, checkpoint: h.checkpoint }))
          .catch(() => void (this.errors += 1))
          .finally(() => this.inFlight.delete(request));
        this.inFlight.add(request);
      }
      next += this.intervalMs;
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
      else next = performance.now();
    }
    await Promise.all(this.inFlight);
  }

  /** Samples stay in time order (answers may overtake one another). */
  private insert(sample: HealthSample): void {
    let i = this.samples.length;
    while (i > 0 && this.samples[i - 1]!.t > sample.t) i -= 1;
    this.samples.splice(i, 0, sample);
  }

  /**
   * The mean time between samples (ms) up to `until`: the resolution the lag figures really had (a busy server
   * answers the queued requests in bursts, so this can be well above the 100 ms asked for).
   */
  meanIntervalMs(until = Infinity): number | null {
    const taken = this.samples.filter((s) => s.t <= until);
    return taken.length > 1 ? (taken.at(-1)!.t - taken[0]!.t) / (taken.length - 1) : null;
  }

  get failedSamples(): number {
    return this.errors;
  }

  /** The time of the first sample whose checkpoint is at or past `target` (waiting for it); null if /health gives no checkpoint. */
  async until(target: number, timeoutMs: number, what: string): Promise<number | null> {
    let from = 0;
    return pollUntil<number | null>(
      async () => {
        for (; from < this.samples.length; from += 1) {
          const s = this.samples[from]!;
          if (s.checkpoint === null) return null;
          if (s.checkpoint >= target) return s.t;
        }
        return undefined;
      },
      Math.min(this.intervalMs, 50),
      timeoutMs,
      () => `${what} (usage checkpoint ${this.samples.at(-1)?.checkpoint ?? 'n/a'} of ${target})`,
    );
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

/** Lag (ms) of each sample taken at or before `until`: the first sample at or after it whose checkpoint ≥ its head. */
export function lagsOf(samples: readonly HealthSample[], until: number): { lags: number[]; unresolved: number } {
  const lags: number[] = [];
  let unresolved = 0;
  let j = 0;
  for (let i = 0; i < samples.length; i += 1) {
    const s = samples[i]!;
    if (s.t > until) break;
    if (s.head === null) continue;
    if (j < i) j = i;
    while (j < samples.length && !(samples[j]!.checkpoint !== null && samples[j]!.checkpoint! >= s.head)) j += 1;
    if (j === samples.length) {
      unresolved += 1;
      j = i;
      continue;
    }
    lags.push(samples[j]!.t - s.t);
  }
  return { lags, unresolved };
}

/** The first sample time at which the checkpoint reached `target`, or null. */
export function foldedAt(samples: readonly HealthSample[], target: number): number | null {
  for (const s of samples) if (s.checkpoint !== null && s.checkpoint >= target) return s.t;
  return null;
}

/** Polls `/health` every `intervalMs` until the usage checkpoint reaches `target`; answers that time (null: no checkpoint in /health). */
export async function waitFolded(url: string, target: number, timeoutMs: number, intervalMs = 20): Promise<number | null> {
  let last: Health | null = null;
  return pollUntil<number | null>(
    async () => {
      last = await health(url);
      if (last.checkpoint === null) return null;
      return last.checkpoint >= target ? now() : undefined;
    },
    intervalMs,
    timeoutMs,
    () => `the usage projection to reach position ${target} (checkpoint ${last?.checkpoint ?? 'n/a'}, head ${last?.head ?? 'n/a'})`,
  );
}

let warned = false;
function warnOnce(text: string): void {
  if (!warned) console.error(`warning: ${text}`);
  warned = true;
}

/** A generous bound for folding `events` events: fails only below ~1,000 events/s. */
export const foldTimeoutMs = (events: number) => 60_000 + events;

/** Waits until the usage projection has folded the whole log as it is now; answers the head (null if unknown). */
export async function settle(url: string): Promise<number | null> {
  const h = await health(url);
  if (h.head === null || h.checkpoint === null) {
    warnOnce('/health shows no usage projection head/checkpoint: phases start without waiting for it, lag figures are n/a');
    return null;
  }
  await waitFolded(url, h.head, foldTimeoutMs(h.head - h.checkpoint), 50);
  return h.head;
}

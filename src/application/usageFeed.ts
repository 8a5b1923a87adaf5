import type { ProjectionHost } from './ports/projectionHost.ts';
import type { CustomerUsageView } from './usage.ts';
import { subjectKey } from '../../projections/usageStore.ts';

/** What a live-usage subscriber watches. */
export type UsageWatch = { organizationId: string; externalCustomerId: string; externalSubscriptionId: string; applyTaxes: boolean };

export interface UsageFeedOptions {
  /** At most one computation (and push) per watched usage per this many milliseconds. */
  coalesceMs?: number;
  /**
   * Runs a computation and its pushes at its turn (application/turns.ts: one piece per event-loop iteration, in
   * order with ingestion's), so that however many subscriptions change at once, pushes never starve ingestion and
   * queries; default: at once.
   */
  schedule?: (work: () => void) => void;
}

type Subscriber = { deliver(value: CustomerUsageView): void; fail(error: unknown): void };

type Channel = {
  watch: UsageWatch;
  read: () => Promise<CustomerUsageView>;
  subject: string;
  subscribers: Set<Subscriber>;
  last: CustomerUsageView | null;
  lastStart: number;
  /** Waiting for its turn, or computing. */
  computing: boolean;
  dirty: boolean;
  timer: NodeJS.Timeout | null;
};

/**
 * Live usage that fans out: one channel per watched usage (organization, customer, subscription, taxes), whatever
 * the number of subscribers. A commit that changed the subscription's usage marks its channels dirty; each channel
 * computes the usage at most once per `coalesceMs` (default 50), at its turn, and hands the same result to every subscriber. A
 * subscriber that reads slowly only ever holds the latest value (nothing queues up), and a new subscriber gets the
 * last value at once. Each push reflects every event committed before it was computed (pushes follow commits).
 */
export function createUsageFeed(host: ProjectionHost, reader: (watch: UsageWatch) => () => Promise<CustomerUsageView>, options: UsageFeedOptions = {}) {
  // 50 ms between pushes leaves room under the 100 ms acknowledged → pushed target for the fold, its commit and the
  // read (an event acknowledged just after a push waits one window).
  const coalesceMs = options.coalesceMs ?? 50;
  const run = options.schedule ?? ((work: () => void) => work());
  const channels = new Map<string, Channel>();
  const bySubject = new Map<string, Set<Channel>>();
  let computations = 0;

  host.onCommit((changed) => {
    for (const subject of changed) for (const channel of bySubject.get(subject) ?? []) markDirty(channel);
  });

  function markDirty(channel: Channel): void {
    channel.dirty = true;
    schedule(channel);
  }

  function schedule(channel: Channel): void {
    if (channel.computing || channel.timer !== null || !channels.has(keyOf(channel.watch))) return;
    channel.timer = setTimeout(() => {
      channel.timer = null;
      // Queued once at most: a channel changed again while it waits is computed once, with everything so far.
      channel.computing = true;
      run(() => void compute(channel));
    }, Math.max(0, channel.lastStart + coalesceMs - Date.now()));
  }

  async function compute(channel: Channel): Promise<void> {
    channel.dirty = false;
    channel.lastStart = Date.now();
    if (!channels.has(keyOf(channel.watch))) {
      channel.computing = false;
      return;
    }
    computations += 1;
    try {
      const value = await channel.read();
      channel.last = value;
      for (const subscriber of channel.subscribers) subscriber.deliver(value);
    } catch (error) {
      for (const subscriber of channel.subscribers) subscriber.fail(error);
      close(channel);
    } finally {
      channel.computing = false;
    }
    if (channel.dirty) schedule(channel);
  }

  function close(channel: Channel): void {
    const key = keyOf(channel.watch);
    if (channels.get(key) !== channel) return;
    channels.delete(key);
    if (channel.timer !== null) clearTimeout(channel.timer);
    const set = bySubject.get(channel.subject);
    set?.delete(channel);
    if (set?.size === 0) bySubject.delete(channel.subject);
    host.watch(channel.subject, -1);
  }

  function open(watch: UsageWatch): { channel: Channel; fresh: boolean } {
    const key = keyOf(watch);
    const known = channels.get(key);
    if (known !== undefined) return { channel: known, fresh: false };
    const subject = subjectKey(watch.organizationId, watch.externalSubscriptionId);
    const channel: Channel = { watch, read: reader(watch), subject, subscribers: new Set(), last: null, lastStart: 0, computing: false, dirty: false, timer: null };
    channels.set(key, channel);
    let set = bySubject.get(subject);
    if (set === undefined) bySubject.set(subject, (set = new Set()));
    set.add(channel);
    host.watch(subject, 1);
    return { channel, fresh: true };
  }

  /** The usage now, then after every change, until `return()` (a closed websocket). */
  function watch(target: UsageWatch): AsyncIterableIterator<CustomerUsageView> {
    const { channel, fresh } = open(target);
    let pending: CustomerUsageView | null = channel.last;
    let failure: { error: unknown } | null = null;
    let wake: (() => void) | null = null;
    let closed = false;
    const subscriber: Subscriber = {
      deliver(value) {
        pending = value;
        wake?.();
      },
      fail(error) {
        failure = { error };
        wake?.();
      },
    };
    channel.subscribers.add(subscriber);
    if (fresh) markDirty(channel);
    const iterator: AsyncIterableIterator<CustomerUsageView> = {
      [Symbol.asyncIterator]: () => iterator,
      async next() {
        while (!closed && pending === null && failure === null) await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
        if (failure !== null) {
          closed = true;
          throw failure.error;
        }
        if (closed || pending === null) return { done: true, value: undefined };
        const value: CustomerUsageView = pending;
        pending = null;
        return { done: false, value };
      },
      async return() {
        closed = true;
        channel.subscribers.delete(subscriber);
        if (channel.subscribers.size === 0) close(channel);
        wake?.();
        return { done: true, value: undefined };
      },
    };
    return iterator;
  }

  return {
    watch,
    /** Usage computations made so far (each shared by every subscriber of its channel). */
    computations: () => computations,
    /** Channels open now. */
    channels: () => channels.size,
  };
}

const keyOf = (watch: UsageWatch) => JSON.stringify([watch.organizationId, watch.externalCustomerId, watch.externalSubscriptionId, watch.applyTaxes]);

export type UsageFeed = ReturnType<typeof createUsageFeed>;

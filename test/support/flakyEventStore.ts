import type { EventStore, RecordedEvent, Subscription } from '../../src/application/ports/eventStore.ts';
import { seededRandom } from '../../scripts/bench/random.ts';

export interface FlakyOptions {
  seed: number;
  /** Chance that a read or append fails, before doing anything. */
  failRate?: number;
  /** A subscription delivers at most this many events (a random number from 0 to it) before it is dropped. */
  maxEventsPerSubscription?: number;
  /** Chance that a drop throws (else the subscription just ends). */
  throwRate?: number;
}

export interface FlakyEventStore extends EventStore {
  /** Faults injected so far. */
  readonly faults: { calls: number; drops: number };
  /** false: every call and subscription behaves (setting up); true: faults as configured. */
  flaky: boolean;
  /** Every subscription fails at its next read, and every new one too (a store nobody can follow). */
  subscriptionsDown: boolean;
}

const CALLS = ['append', 'appendMany', 'streamHead', 'appendUsage', 'readUsage', 'scanUsage', 'findUsage', 'readStream', 'readAll', 'headPosition'] as const;

/**
 * Wraps an event store in one that drops subscriptions and fails calls at random, reproducibly by seed: each
 * subscription draws how many events it delivers from its own generator (seed + its number), so the faults it meets
 * do not depend on how calls interleave. A failed call fails before reaching the store: a failed append appended
 * nothing.
 */
export function flakyEventStore(store: EventStore, options: FlakyOptions): FlakyEventStore {
  const calls = seededRandom(options.seed);
  const failRate = options.failRate ?? 0.2;
  const maxEvents = options.maxEventsPerSubscription ?? 50;
  const throwRate = options.throwRate ?? 0.5;
  let subscriptions = 0;

  const flaky = Object.create(store) as FlakyEventStore;
  Object.assign(flaky, { faults: { calls: 0, drops: 0 }, flaky: true, subscriptionsDown: false, atomicMultiStreamAppend: store.atomicMultiStreamAppend });
  for (const name of CALLS) {
    const call = (store[name] as (...args: unknown[]) => Promise<unknown>).bind(store);
    Object.defineProperty(flaky, name, {
      writable: true,
      enumerable: true,
      value: async (...args: unknown[]) => {
        if (flaky.flaky && calls() < failRate) {
          flaky.faults.calls += 1;
          throw new Error(`flaky store: ${name} failed`);
        }
        return call(...args);
      },
    });
  }
  flaky.subscribeToAll = (subscribeOptions) => {
    const random = seededRandom(options.seed + 1_000_003 * ++subscriptions);
    const inner = store.subscribeToAll(subscribeOptions);
    const iterator = inner[Symbol.asyncIterator]();
    let left = flaky.flaky ? Math.floor(random() * (maxEvents + 1)) : Number.POSITIVE_INFINITY;
    const throws = flaky.subscriptionsDown || random() < throwRate;
    let dropped = false;
    const drop = async (): Promise<IteratorResult<RecordedEvent>> => {
      dropped = true;
      flaky.faults.drops += 1;
      await inner.close();
      if (throws || flaky.subscriptionsDown) throw new Error('flaky store: subscription dropped');
      return { done: true, value: undefined };
    };
    const self: Subscription & AsyncIterator<RecordedEvent> = {
      [Symbol.asyncIterator]: () => self,
      async next() {
        if (dropped) return { done: true, value: undefined };
        if (left === 0 || flaky.subscriptionsDown) return drop();
        left -= 1;
        // Taken down while waiting for an event: it is lost with the subscription, never delivered.
        const result = await iterator.next();
        return flaky.subscriptionsDown && !result.done ? drop() : result;
      },
      close: () => inner.close(),
    };
    return self;
  };
  return flaky;
}

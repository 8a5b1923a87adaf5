import type { Logger } from './logger.ts';
import type { EventStore, LogPart, RecordedEvent, Subscription } from './ports/eventStore.ts';

/** Waits between attempts: `initialMs`, doubling up to `maxMs`, each drawn at random in its upper half (jitter). */
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  /** Uniform in [0, 1): tests pass a seeded one. */
  random?: () => number;
}

/** Exponential back-off with jitter; `reset` after a success starts again from `initialMs`. */
export function backoff(options: BackoffOptions = {}) {
  const initialMs = options.initialMs ?? 100;
  const maxMs = options.maxMs ?? 5_000;
  const random = options.random ?? Math.random;
  let attempt = 0;
  return {
    next(): number {
      const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
      attempt += 1;
      // Half fixed, half random: followers dropped together (a leader change) do not all come back at once.
      return Math.round(ceiling / 2 + random() * (ceiling / 2));
    },
    reset(): void {
      attempt = 0;
    },
  };
}

/**
 * What a follower does when the store fails it: log a warning, wait (back-off with jitter), go again. `reset` after
 * a success; `interrupt` ends a wait at once (the follower is closing).
 */
export function retrier(options: { name: string; logger?: Logger; backoff?: BackoffOptions }) {
  const delays = backoff(options.backoff);
  let wake: (() => void) | null = null;
  return {
    async wait(message: string, error: unknown, fields: Record<string, unknown> = {}): Promise<void> {
      const retryInMs = delays.next();
      options.logger?.warn(message, { follower: options.name, ...fields, retryInMs, error: String(error) });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, retryInMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    },
    reset: () => delays.reset(),
    interrupt: () => wake?.(),
  };
}

/** The warning a follower logs when its subscription is dropped. */
export const RESUBSCRIBING = 'log subscription failed; resubscribing';

export interface ResilientSubscriptionOptions {
  /** Exclusive start: a position, null (the start of the log), or `'head'` (the head when first subscribed). */
  after: bigint | null | 'head';
  usage?: LogPart;
  /** Names the follower in warnings. */
  name: string;
  logger?: Logger;
  backoff?: BackoffOptions;
}

/** A subscription that survives the store: `position()` is the last event handed out (null: none yet, from the start). */
export interface ResilientSubscription extends Subscription, AsyncIterator<RecordedEvent> {
  position(): bigint | null;
}

const DONE: IteratorResult<RecordedEvent> = { done: true, value: undefined };

/**
 * `subscribeToAll` that resubscribes when the store drops it (leader change, "consumer too slow", a network blip,
 * or a subscription that simply ends): it logs a warning, waits with exponential back-off and jitter (reset by the
 * next event), and subscribes again strictly after the last event it handed out — never from the start, never
 * skipping, never handing out an event twice (an event at or before that position is dropped). It ends only when
 * closed. Consume it sequentially: one `next()` at a time.
 *
 * The healthy path adds one promise reaction per event: the inner subscription's `next()` is passed through.
 */
export function resilientSubscription(store: EventStore, options: ResilientSubscriptionOptions): ResilientSubscription {
  let from = options.after;
  let current: { subscription: Subscription; iterator: AsyncIterator<RecordedEvent> } | null = null;
  let closed = false;
  const retry = retrier(options);
  const lastPosition = () => (from === 'head' ? null : from);

  const accept = (result: IteratorResult<RecordedEvent>): IteratorResult<RecordedEvent> | Promise<IteratorResult<RecordedEvent>> => {
    if (result.done) return closed ? DONE : recover(new Error('the log subscription ended'));
    const last = lastPosition();
    if (last !== null && result.value.position <= last) return self.next();
    from = result.value.position;
    retry.reset();
    return result;
  };
  const reject = (error: unknown) => (closed ? DONE : recover(error));

  async function open(): Promise<void> {
    if (from === 'head') from = await store.headPosition();
    const subscription = store.subscribeToAll({ ...(from === null ? {} : { after: from }), ...(options.usage === undefined ? {} : { usage: options.usage }) });
    current = { subscription, iterator: subscription[Symbol.asyncIterator]() };
    // Closed while the head was being read: nobody will close this one.
    if (closed) {
      current = null;
      await subscription.close();
    }
  }

  async function recover(error: unknown): Promise<IteratorResult<RecordedEvent>> {
    const dropped = current;
    current = null;
    void dropped?.subscription.close().catch(() => {});
    await retry.wait(RESUBSCRIBING, error, { after: lastPosition()?.toString() ?? null });
    if (closed) return DONE;
    try {
      await open();
    } catch (failure) {
      return closed ? DONE : recover(failure);
    }
    return self.next();
  }

  const self: ResilientSubscription = {
    [Symbol.asyncIterator]: () => self,
    next(): Promise<IteratorResult<RecordedEvent>> {
      if (closed) return Promise.resolve(DONE);
      if (current === null) return open().then(() => self.next(), reject);
      return current.iterator.next().then(accept, reject);
    },
    async return(): Promise<IteratorResult<RecordedEvent>> {
      await self.close();
      return DONE;
    },
    async close(): Promise<void> {
      closed = true;
      retry.interrupt();
      await current?.subscription.close();
    },
    position: lastPosition,
  };
  return self;
}

export interface LogFollowerOptions extends ResilientSubscriptionOptions {
  /** Handles one event; when it throws, it is called again with the same event after a back-off (never skipped). */
  handle(event: RecordedEvent): Promise<void> | void;
}

/**
 * Follows the log with `handle`, one event at a time, until closed: the subscription resubscribes by itself (see
 * `resilientSubscription`), and an event whose handling fails (a read it makes, a wait that times out) is handled
 * again after a back-off — the follower never stops silently and never moves past an event it has not handled.
 */
export function followLog(store: EventStore, options: LogFollowerOptions): { close(): Promise<void>; done: Promise<void> } {
  const subscription = resilientSubscription(store, options);
  const retry = retrier(options);
  let closed = false;
  const done = (async () => {
    for (;;) {
      const next = await subscription.next();
      if (next.done || closed) return;
      for (;;) {
        try {
          await options.handle(next.value);
          retry.reset();
          break;
        } catch (error) {
          if (closed) return;
          await retry.wait('log follower failed on an event; retrying it', error, { position: next.value.position.toString() });
          if (closed) return;
        }
      }
    }
  })();
  return {
    done,
    /** Stops following; an event being handled finishes in the background (`done` resolves after it). */
    async close() {
      closed = true;
      retry.interrupt();
      await subscription.close();
    },
  };
}

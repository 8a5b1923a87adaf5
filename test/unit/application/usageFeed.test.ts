import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppDeps } from '../../../src/application/context.ts';
import { createUsageFeed, type UsageChangeSource } from '../../../src/application/usageFeed.ts';

type Listener = (organizationId: string, externalSubscriptionId: string) => void;

function setup(options: { head?: bigint; lag?: Promise<void> } = {}) {
  const listeners = new Set<Listener>();
  const source: UsageChangeSource = (listener) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };
  const waited: bigint[] = [];
  const deps = {
    eventStore: { headPosition: async () => options.head ?? 42n },
    waitForProjections: async (position: bigint) => {
      waited.push(position);
      await options.lag;
    },
  } as unknown as AppDeps;
  const feed = createUsageFeed(deps, source, { coalesceMs: 100 });
  const change = (sub = 'sub_1') => listeners.forEach((l) => l('org', sub));
  return { feed, change, listeners, waited };
}

/** Counts the ticks an iterator gives, in the background. */
function count(iterator: AsyncIterableIterator<void>) {
  const state = { ticks: 0 };
  void (async () => {
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      state.ticks += 1;
    }
  })();
  return state;
}

describe('usage feed', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('gives one tick per coalescing window however many changes arrive in it', async () => {
    const { feed, change } = setup();
    const ticks = count(feed.watch('org', 'sub_1'));
    change();
    await vi.advanceTimersByTimeAsync(0);
    expect(ticks.ticks).toBe(1);
    for (let i = 0; i < 20; i++) {
      change();
      await vi.advanceTimersByTimeAsync(4);
    }
    expect(ticks.ticks).toBe(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(ticks.ticks).toBe(2);
    await vi.advanceTimersByTimeAsync(1000);
    expect(ticks.ticks).toBe(2);
  });

  it('ignores changes of other subscriptions', async () => {
    const { feed, change } = setup();
    const ticks = count(feed.watch('org', 'sub_1'));
    change('sub_2');
    await vi.advanceTimersByTimeAsync(500);
    expect(ticks.ticks).toBe(0);
  });

  it('ticks only once the read models hold the log head as it was when the tick was prepared', async () => {
    let caughtUp!: () => void;
    const { feed, change, waited } = setup({ head: 7n, lag: new Promise<void>((resolve) => (caughtUp = resolve)) });
    const ticks = count(feed.watch('org', 'sub_1'));
    change();
    await vi.advanceTimersByTimeAsync(50);
    expect(waited).toEqual([7n]);
    expect(ticks.ticks).toBe(0);
    caughtUp();
    await vi.advanceTimersByTimeAsync(0);
    expect(ticks.ticks).toBe(1);
  });

  it('ends a waiting watcher on return and stops listening once no one watches', async () => {
    const { feed, listeners } = setup();
    const iterator = feed.watch('org', 'sub_1');
    const pending = iterator.next();
    expect(listeners.size).toBe(1);
    await iterator.return!();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(listeners.size).toBe(0);
  });
});

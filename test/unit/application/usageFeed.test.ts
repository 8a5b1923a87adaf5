import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ProjectionHost } from '../../../src/application/ports/projectionHost.ts';
import type { CustomerUsageView } from '../../../src/application/usage.ts';
import { createUsageFeed, type UsageWatch } from '../../../src/application/usageFeed.ts';
import { subjectKey } from '../../../projections/usageStore.ts';

const target = (externalSubscriptionId = 'sub_1'): UsageWatch => ({ organizationId: 'org', externalCustomerId: 'cus', externalSubscriptionId, applyTaxes: true });

function setup(read?: (watch: UsageWatch) => Promise<CustomerUsageView>, schedule?: (work: () => void) => void) {
  const reader = (watch: UsageWatch) => () => (read ?? defaultRead)(watch);
  const listeners = new Set<(changed: readonly string[]) => void>();
  const watched = new Map<string, number>();
  const host = {
    onCommit: (listener: (changed: readonly string[]) => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    watch: (subject: string, delta: 1 | -1) => watched.set(subject, (watched.get(subject) ?? 0) + delta),
  } as unknown as ProjectionHost;
  let version = 0;
  const reads: string[] = [];
  async function defaultRead(watch: UsageWatch) {
    reads.push(watch.externalSubscriptionId);
    version += 1;
    return { amountCents: version } as unknown as CustomerUsageView;
  }
  const feed = createUsageFeed(host, reader, { coalesceMs: 100, ...(schedule ? { schedule } : {}) });
  const commit = (sub = 'sub_1') => listeners.forEach((l) => l([subjectKey('org', sub)]));
  return { feed, commit, reads, watched };
}

/** Collects what an iterator gives, in the background. */
function collect(iterator: AsyncIterableIterator<CustomerUsageView>) {
  const state = { values: [] as unknown[], error: null as unknown };
  void (async () => {
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        state.values.push((next.value as unknown as { amountCents: number }).amountCents);
      }
    } catch (error) {
      state.error = error;
    }
  })();
  return state;
}

describe('usage feed', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('computes once per window for every subscriber of a subscription, however many commits arrive in it', async () => {
    const { feed, commit, reads } = setup();
    const subscribers = Array.from({ length: 100 }, () => collect(feed.watch(target())));
    await vi.advanceTimersByTimeAsync(0);
    expect(reads).toEqual(['sub_1']);
    expect(subscribers.every((s) => s.values.length === 1 && s.values[0] === 1)).toBe(true);
    for (let i = 0; i < 20; i++) {
      commit();
      await vi.advanceTimersByTimeAsync(4);
    }
    expect(reads).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(reads).toHaveLength(2);
    expect(subscribers.every((s) => s.values.at(-1) === 2)).toBe(true);
    expect(feed.computations()).toBe(2);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(reads).toHaveLength(2);
  });

  it('ignores commits of other subscriptions', async () => {
    const { feed, commit, reads } = setup();
    collect(feed.watch(target()));
    await vi.advanceTimersByTimeAsync(0);
    commit('sub_2');
    await vi.advanceTimersByTimeAsync(500);
    expect(reads).toEqual(['sub_1']);
  });

  it('gives a late subscriber the last value at once, without computing again', async () => {
    const { feed, reads } = setup();
    collect(feed.watch(target()));
    await vi.advanceTimersByTimeAsync(0);
    const late = collect(feed.watch(target()));
    await vi.advanceTimersByTimeAsync(0);
    expect(late.values).toEqual([1]);
    expect(reads).toHaveLength(1);
  });

  it('keeps only the latest value for a subscriber that does not read (nothing queues up)', async () => {
    const { feed, commit } = setup();
    const slow = feed.watch(target());
    const fast = collect(feed.watch(target()));
    for (let i = 0; i < 5; i++) {
      commit();
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(fast.values.length).toBeGreaterThan(3);
    expect((await slow.next()).value).toEqual({ amountCents: fast.values.at(-1) });
  });

  it('tells the host which subscriptions are watched, until the last subscriber leaves', async () => {
    const { feed, watched } = setup();
    const a = feed.watch(target());
    const b = feed.watch(target());
    expect(watched.get(subjectKey('org', 'sub_1'))).toBe(1);
    await a.return!();
    expect(watched.get(subjectKey('org', 'sub_1'))).toBe(1);
    await b.return!();
    expect(watched.get(subjectKey('org', 'sub_1'))).toBe(0);
    expect(feed.channels()).toBe(0);
  });

  it('ends every subscriber with the error when the usage cannot be read (a terminated subscription)', async () => {
    const { feed } = setup(async () => {
      throw new Error('NOT_FOUND');
    });
    const subscribers = [collect(feed.watch(target())), collect(feed.watch(target()))];
    await vi.advanceTimersByTimeAsync(0);
    expect(subscribers.map((s) => String(s.error))).toEqual(['Error: NOT_FOUND', 'Error: NOT_FOUND']);
    expect(feed.channels()).toBe(0);
  });
  it('computes at its turn (never from the commit or the timer directly), once however often it changed while it waited', async () => {
    const queue: (() => void)[] = [];
    const { feed, commit, reads } = setup(undefined, (work) => queue.push(work));
    const a = collect(feed.watch(target('sub_1')));
    const b = collect(feed.watch(target('sub_2')));
    await vi.advanceTimersByTimeAsync(0);
    // Both first computations wait for their turns.
    expect(reads).toEqual([]);
    expect(queue).toHaveLength(2);
    queue.shift()!();
    await vi.advanceTimersByTimeAsync(0);
    expect(reads).toEqual(['sub_1']);
    expect(a.values).toEqual([1]);
    expect(b.values).toEqual([]);
    // sub_2 changes three times while its first computation still waits: no second one is queued.
    commit('sub_2');
    commit('sub_2');
    commit('sub_2');
    await vi.advanceTimersByTimeAsync(200);
    expect(queue).toHaveLength(1);
    queue.shift()!();
    await vi.advanceTimersByTimeAsync(0);
    expect(b.values).toEqual([2]);
    // The changes made while it waited were read by it: nothing more to compute.
    await vi.advanceTimersByTimeAsync(300);
    expect(queue).toHaveLength(0);
    expect(reads).toEqual(['sub_1', 'sub_2']);
    // A change after it started is computed again, a window later, at its turn.
    commit('sub_2');
    await vi.advanceTimersByTimeAsync(100);
    expect(queue).toHaveLength(1);
    queue.shift()!();
    await vi.advanceTimersByTimeAsync(0);
    expect(b.values).toEqual([2, 3]);
  });
});

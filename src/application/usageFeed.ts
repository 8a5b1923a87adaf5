import { EventEmitter } from 'node:events';
import type { ProjectionRunner } from '../../projections/runner.ts';
import { parseUsageDocumentId } from '../billing/usage/meter.ts';
import type { AppDeps } from './context.ts';

/** Tells which external subscription ids' usage may have changed: `listener(organizationId, externalSubscriptionId)`. */
export type UsageChangeSource = (listener: (organizationId: string, externalSubscriptionId: string) => void) => () => void;

/** Changes from the in-process projection runner: the usage documents it has just committed. */
export function runnerUsageChanges(runner: ProjectionRunner): UsageChangeSource {
  return (listener) => {
    const onChange = (change: { collection: string; ids: string[] }) => {
      if (change.collection !== 'usage') return;
      const seen = new Set<string>();
      for (const id of change.ids) {
        const parsed = parseUsageDocumentId(id);
        const key = JSON.stringify([parsed.organizationId, parsed.externalSubscriptionId]);
        if (seen.has(key)) continue;
        seen.add(key);
        listener(parsed.organizationId, parsed.externalSubscriptionId);
      }
    };
    runner.changes.on('change', onChange);
    return () => runner.changes.off('change', onChange);
  };
}

/**
 * Changes seen on the log itself, for an API process whose projections run elsewhere: one shared tail, started
 * with the first watcher. A push then waits for the worker's checkpoints before reading.
 */
export function logUsageChanges(deps: AppDeps): UsageChangeSource {
  const emitter = new EventEmitter<{ usage: [string, string] }>();
  emitter.setMaxListeners(0);
  let started = false;
  const start = async () => {
    started = true;
    const head = await deps.eventStore.headPosition();
    for await (const event of deps.eventStore.subscribeToAll(head === null ? {} : { after: head })) {
      const data = event.data as { organizationId?: string; externalSubscriptionId?: string; externalId?: string };
      if (event.type === 'UsageEventIngested') emitter.emit('usage', data.organizationId!, data.externalSubscriptionId!);
      else if (event.type.startsWith('Subscription') && data.organizationId && data.externalId) emitter.emit('usage', data.organizationId, data.externalId);
    }
  };
  return (listener) => {
    if (!started) start().catch((error: unknown) => deps.logger.error('usage change tail stopped', { error: String(error) }));
    emitter.on('usage', listener);
    return () => emitter.off('usage', listener);
  };
}

export interface UsageFeedOptions {
  /** At most one push per subscription per this many milliseconds. */
  coalesceMs?: number;
}

/**
 * Live usage: per (organization, external subscription id), a stream of "recompute now" ticks. Changes are
 * coalesced (at most one tick per `coalesceMs`, default 80), and a tick is only given once the read models have folded the
 * whole log as it was when the tick was prepared, so what is read after it reflects every acknowledged event.
 */
export function createUsageFeed(deps: AppDeps, source: UsageChangeSource, options: UsageFeedOptions = {}) {
  // 80 ms: "about 100 ms" between pushes, leaving room under the 100 ms acknowledged → pushed target for the
  // fold, the freshness wait and the read (an event acknowledged just after a push waits one window).
  const coalesceMs = options.coalesceMs ?? 80;
  const listeners = new Map<string, Set<() => void>>();
  let unsubscribe: (() => void) | null = null;
  const keyOf = (organizationId: string, externalSubscriptionId: string) => JSON.stringify([organizationId, externalSubscriptionId]);

  /** Resolves once the read models hold every event appended so far (false if they did not catch up in time). */
  async function fresh(): Promise<boolean> {
    const head = await deps.eventStore.headPosition();
    if (head === null) return true;
    try {
      await deps.waitForProjections(head);
      return true;
    } catch {
      return false;
    }
  }

  function listen(key: string, onChange: () => void): () => void {
    if (unsubscribe === null) unsubscribe = source((org, ext) => listeners.get(keyOf(org, ext))?.forEach((notify) => notify()));
    const set = listeners.get(key) ?? new Set();
    set.add(onChange);
    listeners.set(key, set);
    return () => {
      set.delete(onChange);
      if (set.size === 0) listeners.delete(key);
      if (listeners.size === 0) {
        unsubscribe?.();
        unsubscribe = null;
      }
    };
  }

  /** Ticks for one subscription's usage until `return()` is called (a closed websocket). */
  function watch(organizationId: string, externalSubscriptionId: string): AsyncIterableIterator<void> {
    let dirty = false;
    let closed = false;
    let changed: (() => void) | null = null;
    let cancelSleep: (() => void) | null = null;
    let lastTick = 0;
    const stop = listen(keyOf(organizationId, externalSubscriptionId), () => {
      dirty = true;
      changed?.();
    });
    const nextChange = () => new Promise<void>((resolve) => (changed = resolve)).finally(() => (changed = null));
    // Changes during the coalescing sleep only mark the tick dirty; closing cuts the sleep short.
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        cancelSleep = () => (clearTimeout(timer), resolve());
      }).finally(() => (cancelSleep = null));
    const iterator: AsyncIterableIterator<void> = {
      [Symbol.asyncIterator]: () => iterator,
      async next() {
        while (!closed) {
          if (!dirty) await nextChange();
          const wait = lastTick + coalesceMs - Date.now();
          if (!closed && wait > 0) await sleep(wait);
          if (closed) break;
          dirty = false;
          lastTick = Date.now();
          // Stale reads are never pushed: if the read models lag too far, try again on the next change.
          if (!(await fresh())) {
            dirty = true;
            continue;
          }
          return { done: false, value: undefined };
        }
        return { done: true, value: undefined };
      },
      async return() {
        closed = true;
        stop();
        changed?.();
        cancelSleep?.();
        return { done: true, value: undefined };
      },
    };
    return iterator;
  }

  return { watch, fresh };
}

export type UsageFeed = ReturnType<typeof createUsageFeed>;

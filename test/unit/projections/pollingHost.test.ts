import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/application/logger.ts';
import type { ReadModelStore } from '../../../src/application/ports/readModelStore.ts';
import { createSqliteEventStore } from '../../../src/infrastructure/eventStore/sqlite.ts';
import { createSqliteReadModelStore } from '../../../src/infrastructure/readModels/sqlite.ts';
import { PollingHost } from '../../../projections/hosts.ts';

/** A read-model store that counts the reads of the quarantine (a whole-collection count on MongoDB). */
function counting(store: ReadModelStore) {
  const counts = { quarantine: 0, polls: 0 };
  const wrapped: ReadModelStore = Object.assign(Object.create(store) as ReadModelStore, {
    getCheckpoint: (name: string) => {
      counts.polls += 1;
      return store.getCheckpoint(name);
    },
    collection: (name: string) => {
      const collection = store.collection(name);
      if (name !== 'quarantine') return collection;
      return Object.assign(Object.create(collection) as typeof collection, {
        count: (...args: Parameters<typeof collection.count>) => {
          counts.quarantine += 1;
          return collection.count(...args);
        },
      });
    },
  });
  return { wrapped, counts };
}

describe('PollingHost (ROLE=api): checkpoints polled, the rest read only when something was committed', () => {
  it('counts the quarantine once while nothing moves, and again after a checkpoint moved', async () => {
    const db = new DatabaseSync(':memory:');
    const readModels = createSqliteReadModelStore(db);
    const { wrapped, counts } = counting(readModels);
    const host = new PollingHost(wrapped, createSqliteEventStore(db), ['invoices'], createLogger('silent'), 5);
    await host.start();
    await expect.poll(() => counts.polls).toBeGreaterThanOrEqual(10);
    expect(counts.quarantine).toBe(1);
    await readModels.commit([], [{ name: 'invoices', position: 7n }]);
    await expect.poll(() => host.status().checkpoints.get('invoices')).toBe(7n);
    const after = counts.polls;
    await expect.poll(() => counts.polls).toBeGreaterThanOrEqual(after + 10);
    expect(counts.quarantine).toBe(2);
    await host.stop();
  });
});

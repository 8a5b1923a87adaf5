import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { migrateReadModels } from '../../../projections/index.ts';
import { METERS } from '../../../projections/usageStore.ts';
import { createSqliteReadModelStore } from '../../../src/infrastructure/readModels/sqlite.ts';

describe('read-model migrations', () => {
  it('resets the read models an earlier layout kept, once, so they are rebuilt from the log', async () => {
    const store = createSqliteReadModelStore(new DatabaseSync(':memory:'));
    // What the previous version left: one usage document per period, a copy of every event, their checkpoints.
    await store.commit(
      [
        { collection: 'usage', id: 'old-period', doc: { _id: 'old-period', units: '12' }, position: 40n },
        { collection: 'usageEvents', id: 'e1', doc: { _id: 'e1', transactionId: 't1' }, position: 41n },
        { collection: 'customers', id: 'c1', doc: { _id: 'c1', externalId: 'c1' }, position: 5n },
      ],
      [
        { name: 'usage', position: 41n },
        { name: 'usageEvents', position: 41n },
        { name: 'customers', position: 41n },
      ],
    );
    await migrateReadModels(store);
    expect(await store.collection('usage').find({})).toEqual([]);
    expect(await store.collection('usageEvents').find({})).toEqual([]);
    expect(await store.getCheckpoint('usage')).toBeNull();
    expect(await store.getCheckpoint('usageEvents')).toBeNull();
    // Read models whose layout did not change are left as they are.
    expect(await store.collection('customers').find({})).toHaveLength(1);
    expect(await store.getCheckpoint('customers')).toBe(41n);

    // Folded again in the new layout: a second start must not reset it again.
    await store.commit([{ collection: METERS, id: 'm1', doc: { _id: 'm1' }, position: 42n }], [{ name: 'usage', position: 42n }]);
    await migrateReadModels(store);
    expect(await store.collection(METERS).find({})).toHaveLength(1);
    expect(await store.getCheckpoint('usage')).toBe(42n);
  });
});

import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/infrastructure/sqlite/database.ts';
import { createSqliteReadModelStore } from '../../src/infrastructure/readModels/sqlite.ts';
import { readModelStoreContract } from './readModelStore.contract.ts';

readModelStoreContract('embedded sqlite (mingo)', async () => createSqliteReadModelStore(openDatabase(':memory:')));

describe('embedded read-model store', () => {
  it('refuses $expr loudly (it evaluates query operators only) rather than matching nothing', async () => {
    const store = createSqliteReadModelStore(openDatabase(':memory:'));
    await store.commit([{ collection: 'items', id: 'a', doc: { _id: 'a', x: 1, y: 2 }, position: 1n }], []);
    await expect(store.collection('items').find({ $expr: { $gt: ['$y', '$x'] } })).rejects.toThrow(/\$gt/);
  });
});

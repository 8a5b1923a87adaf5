import { randomUUID } from 'node:crypto';
import { describe, it } from 'vitest';
import type { ReadModelStore } from '../../src/application/ports/readModelStore.ts';
import { createMongoReadModelStore } from '../../src/infrastructure/readModels/mongo.ts';
import { projectionRunnerContract } from './projectionRunner.contract.ts';
import { readModelStoreContract } from './readModelStore.contract.ts';

const url = process.env.MONGODB_URL;

/** A store on a fresh database; closing it drops that database. */
async function freshStore(url: string): Promise<ReadModelStore> {
  const dbName = `contract_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const store = await createMongoReadModelStore(url, { dbName });
  return {
    ...store,
    async close() {
      try {
        await store.db.dropDatabase();
      } finally {
        await store.close();
      }
    },
  };
}

if (url) {
  readModelStoreContract('MongoDB', () => freshStore(url));
  projectionRunnerContract('MongoDB', () => freshStore(url));
} else {
  // No MongoDB server can run where this suite usually runs (no Docker), so the contract is skipped unless
  // MONGODB_URL points at a real replica set, e.g. MONGODB_URL='mongodb://localhost:27017/?replicaSet=rs0'
  // (`npm run test:server` starts one). The skipped block is registered so the run reports the skip and its
  // reason instead of silently running nothing.
  const reason = 'set MONGODB_URL to run';
  console.info(`MongoDB adapter contract skipped: ${reason}`);
  describe.skipIf(!url)(`MongoDB adapter (skipped: ${reason})`, () => {
    it('passes the read-model store contract', () => {});
  });
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/application/logger.ts';
import { openStores } from '../../../src/compose.ts';
import { loadConfig } from '../../../src/config.ts';
import { createSqliteReadModelStore } from '../../../src/infrastructure/readModels/sqlite.ts';

describe('the embedded log and read models in two files', () => {
  let dir = '';
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = '';
  });

  it('puts the read models beside the log unless told otherwise; an in-memory log keeps one connection', () => {
    expect(loadConfig({ DATA_DIR: '/srv/billing' }).readModelsPath).toBe('/srv/billing/billing.read-models.db');
    expect(loadConfig({ DATABASE_PATH: '/x/log.sqlite' }).readModelsPath).toBe('/x/log.sqlite.read-models.db');
    expect(loadConfig({ DATABASE_PATH: '/x/log.db', READ_MODELS_PATH: '/fast/views.db' }).readModelsPath).toBe('/fast/views.db');
    expect(loadConfig({ DATABASE_PATH: ':memory:' }).readModelsPath).toBe(':memory:');
  });

  it('drops read-model tables an earlier version kept in the log file, and keeps the log', async () => {
    dir = mkdtempSync(join(tmpdir(), 'billing-files-'));
    const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent' });
    const first = await openStores(config, createLogger('silent'));
    await first.eventStore.append('customer-o_c1', [{ type: 'CustomerCreated', data: { id: 'c1' }, metadata: { organizationId: 'o', recordedAt: '2026-12-01T00:00:00Z' } }]);
    first.closeDb();
    // What an earlier version left in the log's file: read models and their checkpoints.
    const legacy = new DatabaseSync(config.databasePath);
    const old = createSqliteReadModelStore(legacy);
    await old.commit([{ collection: 'customers', id: 'c1', doc: { _id: 'c1' }, position: 1n }], [{ name: 'customers', position: 1n }]);
    legacy.close();

    const stores = await openStores(config, createLogger('silent'));
    const tables = (stores.db!.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);
    expect(tables.filter((t) => t.startsWith('rm_') || t === 'checkpoints')).toEqual([]);
    expect((await stores.eventStore.readStream('customer-o_c1')).map((e) => e.type)).toEqual(['CustomerCreated']);
    // The read models start empty in their own file: they are folded again from the log.
    expect(await stores.readModels.getCheckpoint('customers')).toBeNull();
    stores.closeDb();
  });

  it('commits read models only after the log is durable (beforeCommit)', async () => {
    let release!: () => void;
    const durable = new Promise<void>((resolve) => (release = resolve));
    const store = createSqliteReadModelStore(new DatabaseSync(':memory:'), { beforeCommit: () => durable });
    let committed = false;
    const commit = store.commit([{ collection: 'items', id: 'a', doc: { _id: 'a' }, position: 7n }], [{ name: 'p', position: 7n }]).then(() => (committed = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(committed).toBe(false);
    expect(await store.getCheckpoint('p')).toBeNull();
    release();
    await commit;
    expect(await store.getCheckpoint('p')).toBe(7n);
  });
});

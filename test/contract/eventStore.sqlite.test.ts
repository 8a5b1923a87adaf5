import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/infrastructure/sqlite/database.ts';
import { createSqliteEventStore } from '../../src/infrastructure/eventStore/sqlite.ts';
import { eventStoreContract } from './eventStore.contract.ts';

eventStoreContract('embedded sqlite', async () => createSqliteEventStore(openDatabase(':memory:')));

describe('embedded event store durability', () => {
  it('remembers deduplication keys after the file is closed and reopened', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'billing-dedup-'));
    try {
      const path = join(dir, 'billing.db');
      const item = { streamId: 'usage-o_s', dedupKey: 'o/s/tx1', event: { type: 'Metered', data: {}, metadata: { organizationId: 'o', recordedAt: '2026-01-01T00:00:00.000Z' } } };
      const db = openDatabase(path);
      expect((await createSqliteEventStore(db).appendDeduplicated([item]))[0]?.status).toBe('appended');
      db.close();
      const reopened = openDatabase(path);
      expect((await createSqliteEventStore(reopened).appendDeduplicated([item]))[0]?.status).toBe('duplicate');
      reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('embedded event store ids', () => {
  it('gives appended events time-ordered UUIDs (v7), so the id index grows at its end', async () => {
    const store = createSqliteEventStore(openDatabase(':memory:'));
    const metadata = { organizationId: 'o', recordedAt: '2026-01-01T00:00:00.000Z' };
    await store.append('a', [{ type: 'T', data: {}, metadata }, { type: 'T', data: {}, metadata }]);
    await store.appendDeduplicated(Array.from({ length: 50 }, (_, i) => ({ streamId: 'usage-o_s', dedupKey: `k${i}`, event: { type: 'T', data: {}, metadata } })));
    const ids = (await store.readAll()).map((event) => event.id);
    expect(ids).toHaveLength(52);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
  });
});

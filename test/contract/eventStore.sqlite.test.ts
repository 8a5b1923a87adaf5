import { DatabaseSync } from 'node:sqlite';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { UsageBatch } from '../../src/application/ports/eventStore.ts';
import { openDatabase } from '../../src/infrastructure/sqlite/database.ts';
import { createSqliteEventStore } from '../../src/infrastructure/eventStore/sqlite.ts';
import { BLOCK_SIZE } from '../../src/infrastructure/eventStore/usageLog.ts';
import { eventStoreContract } from './eventStore.contract.ts';

eventStoreContract('embedded sqlite', async () => createSqliteEventStore(openDatabase(':memory:')));

const metadata = { organizationId: 'o', actor: 'test', recordedAt: '2026-01-01T00:00:00.000Z' };
const usageEvent = (transactionId: string, externalSubscriptionId = 's') => ({
  transactionId,
  externalSubscriptionId,
  code: 'calls',
  timestamp: '2026-01-01T00:00:00.000Z',
  properties: {},
  preciseTotalAmountCents: null,
});
const batchOf = (events: ReturnType<typeof usageEvent>[]): UsageBatch => ({ organizationId: 'o', metadata, events });

describe('embedded event store on a file', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'billing-store-'));
    path = join(dir, 'billing.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('remembers dedup keys after the file is closed and reopened, across many blocks of positions', async () => {
    const db = openDatabase(path);
    const store = createSqliteEventStore(db);
    // More than two blocks, so sealed filters are persisted and the open one is rebuilt from its keys at reopen.
    const total = 2 * BLOCK_SIZE + 500;
    for (let start = 0; start < total; start += 5_000) {
      await store.appendUsage(batchOf(Array.from({ length: Math.min(5_000, total - start) }, (_, i) => usageEvent(`tx${start + i}`))));
    }
    db.close();
    const reopened = createSqliteEventStore(openDatabase(path));
    const probes = [0, 1, BLOCK_SIZE - 1, BLOCK_SIZE, BLOCK_SIZE + 1, 2 * BLOCK_SIZE + 10, total - 1].map((n) => usageEvent(`tx${n}`));
    const outcomes = await reopened.appendUsage(batchOf([...probes, usageEvent('new'), usageEvent('tx0', 'other')]));
    expect(outcomes.map((o) => o.status)).toEqual([...probes.map(() => 'duplicate'), 'appended', 'appended']);
    expect(await reopened.headPosition()).toBe(BigInt(total + 2));
  });

  it('sees the keys another connection appended before deciding a duplicate (two processes on one file)', async () => {
    const first = createSqliteEventStore(openDatabase(path));
    const second = createSqliteEventStore(openDatabase(path));
    expect((await first.appendUsage(batchOf([usageEvent('a')])))[0]?.status).toBe('appended');
    expect((await second.appendUsage(batchOf([usageEvent('a'), usageEvent('b')]))).map((o) => o.status)).toEqual(['duplicate', 'appended']);
    expect((await first.appendUsage(batchOf([usageEvent('b')])))[0]?.status).toBe('duplicate');
    await first.append('x', [{ type: 'T', data: {}, metadata }]);
    expect((await second.appendUsage(batchOf([usageEvent('a'), usageEvent('c')]))).map((o) => o.status)).toEqual(['duplicate', 'appended']);
    expect((await first.readAll()).map((e) => e.position)).toEqual([1n, 2n, 3n, 4n]);
  });

  it('checks a multi-stream append against what another connection appended (two processes on one file)', async () => {
    const first = createSqliteEventStore(openDatabase(path));
    const second = createSqliteEventStore(openDatabase(path));
    const guard = await first.append('guard-o_k', [{ type: 'GuardMarked', data: {}, metadata }]);
    const entries = (own: string) => [
      { streamId: own, events: [{ type: 'T', data: {}, metadata }], expectedRevision: 'no_stream' as const },
      { streamId: 'guard-o_k', events: [{ type: 'GuardMarked', data: {}, metadata }], expectedRevision: guard.nextExpectedRevision },
    ];
    const outcomes = await Promise.allSettled([first.appendMany(entries('a')), second.appendMany(entries('b'))]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    const written = [...(await first.readStream('a')), ...(await first.readStream('b'))];
    expect(written).toHaveLength(1);
    expect(await second.streamHead('guard-o_k')).toEqual({ revision: 1n, position: 3n });
  });

  it('moves the usage events of a file written by the earlier layout, keeping their positions and dedup keys', async () => {
    const old = new DatabaseSync(path);
    old.exec(`
      CREATE TABLE events (position INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, stream_id TEXT NOT NULL, revision INTEGER NOT NULL,
        type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, UNIQUE (stream_id, revision));
      CREATE TABLE streams (stream_id TEXT PRIMARY KEY, revision INTEGER NOT NULL);
      CREATE TABLE dedup_keys (dedup_key TEXT PRIMARY KEY, position INTEGER NOT NULL) WITHOUT ROWID;`);
    const insert = old.prepare('INSERT INTO events (id, stream_id, revision, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)');
    insert.run('e1', 'organization-o', 0, 'OrganizationCreated', JSON.stringify({ organizationId: 'o' }), JSON.stringify(metadata));
    for (let i = 0; i < 3; i += 1) {
      const data = { organizationId: 'o', ingestedAt: metadata.recordedAt, ...usageEvent(`old${i}`), properties: { n: i } };
      insert.run(`u${i}`, `usage-o_s~${i}`, 0, 'UsageEventIngested', JSON.stringify(data), JSON.stringify(metadata));
    }
    insert.run('e2', 'organization-o', 1, 'OrganizationUpdated', JSON.stringify({ organizationId: 'o' }), JSON.stringify(metadata));
    old.exec("INSERT INTO streams VALUES ('organization-o', 1), ('usage-o_s~0', 0), ('usage-o_s~1', 0), ('usage-o_s~2', 0)");
    old.close();

    const store = createSqliteEventStore(openDatabase(path));
    const log = await store.readAll();
    expect(log.map((e) => [e.position, e.type])).toEqual([
      [1n, 'OrganizationCreated'],
      [2n, 'UsageEventIngested'],
      [3n, 'UsageEventIngested'],
      [4n, 'UsageEventIngested'],
      [5n, 'OrganizationUpdated'],
    ]);
    expect(log[2]!.data).toMatchObject({ transactionId: 'old1', externalSubscriptionId: 's', properties: { n: 1 } });
    expect((await store.appendUsage(batchOf([usageEvent('old2'), usageEvent('fresh')]))).map((o) => o.status)).toEqual(['duplicate', 'appended']);
    expect((await store.append('organization-o', [{ type: 'T', data: {}, metadata }])).position).toBe(7n);
    expect((await store.readUsage('o', 's')).map((e) => e.position)).toEqual([2n, 3n, 4n, 6n]);
  });
});

describe('embedded event store ids', () => {
  it('gives domain events time-ordered UUIDs (v7) and usage events ids derived from their position', async () => {
    const store = createSqliteEventStore(openDatabase(':memory:'));
    await store.append('a', [{ type: 'T', data: {}, metadata }, { type: 'T', data: {}, metadata }]);
    await store.appendUsage(batchOf(Array.from({ length: 5 }, (_, i) => usageEvent(`k${i}`))));
    const log = await store.readAll();
    const domainIds = log.filter((e) => e.type === 'T').map((e) => e.id);
    expect(domainIds).toHaveLength(2);
    for (const id of domainIds) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...domainIds].sort()).toEqual(domainIds);
    const usageIds = log.filter((e) => e.type === 'UsageEventIngested').map((e) => e.id);
    expect(new Set(usageIds).size).toBe(5);
    expect([...usageIds].sort()).toEqual(usageIds);
  });
});

describe('embedded event store: live subscriptions share the pages they read', () => {
  const domain = (n: number) => ({ type: 'Noted', data: { n }, metadata });
  const take = async (iterator: AsyncIterator<{ data: unknown; position: bigint }>, count: number) => {
    const out: { data: unknown; position: bigint }[] = [];
    while (out.length < count) out.push((await iterator.next()).value);
    return out;
  };

  it('followers at one cursor get the same events (decoded once), and new appends reach every one of them', async () => {
    const store = createSqliteEventStore(openDatabase(':memory:'), { pageSize: 3 });
    for (let i = 0; i < 5; i++) await store.append(`note-${i}`, [domain(i)]);
    const [a, b] = [store.subscribeToAll({ usage: 'none' }), store.subscribeToAll({ usage: 'none' })];
    const [ia, ib] = [a[Symbol.asyncIterator](), b[Symbol.asyncIterator]()];
    const firstA = await take(ia, 5);
    const firstB = await take(ib, 5);
    expect(firstA.map((e) => e.data)).toEqual([0, 1, 2, 3, 4].map((n) => ({ n })));
    // The same objects: the second follower's pages came from the first one's reads.
    firstA.forEach((event, i) => expect(firstB[i]).toBe(event));
    // Waiting at the end, both see what is appended next; a page read at an older head is never served for a newer one.
    const nextA = take(ia, 2);
    const nextB = take(ib, 2);
    await store.append('note-5', [domain(5)]);
    await store.append('note-6', [domain(6)]);
    expect((await nextA).map((e) => e.data)).toEqual([{ n: 5 }, { n: 6 }]);
    expect((await nextB).map((e) => e.data)).toEqual([{ n: 5 }, { n: 6 }]);
    const late = store.subscribeToAll({ usage: 'none', after: firstA[4]!.position })[Symbol.asyncIterator]();
    await store.append('note-7', [domain(7)]);
    expect((await take(late, 3)).map((e) => e.data)).toEqual([{ n: 5 }, { n: 6 }, { n: 7 }]);
    await Promise.all([a.close(), b.close()]);
    await store.close();
  });
});

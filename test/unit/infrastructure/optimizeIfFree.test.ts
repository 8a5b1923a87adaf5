import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, optimizeIfFree, refreshStatistics } from '../../../src/infrastructure/sqlite/database.ts';

describe('optimizeIfFree', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  function twoConnections() {
    const dir = mkdtempSync(join(tmpdir(), 'optimize-'));
    dirs.push(dir);
    const path = join(dir, 'x.db');
    const writer = openDatabase(path);
    writer.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER); CREATE INDEX t_v ON t (v)');
    const insert = writer.prepare('INSERT INTO t VALUES (?, ?)');
    writer.exec('BEGIN');
    for (let i = 0; i < 2_000; i += 1) insert.run(`k${i}`, i % 7);
    writer.exec('COMMIT');
    return { writer, other: openDatabase(path) };
  }

  it('skips at once, without waiting for the busy timeout, while another connection holds the write lock', () => {
    const { writer, other } = twoConnections();
    writer.exec('BEGIN IMMEDIATE');
    const started = performance.now();
    expect(optimizeIfFree(other)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1_000);
    writer.exec('ROLLBACK');
    // The busy timeout is back for everything else the connection does.
    expect(other.prepare('PRAGMA busy_timeout').get()).toEqual({ timeout: 5000 });
    writer.close();
    other.close();
  });

  it('takes statistics when the lock is free', () => {
    const { writer, other } = twoConnections();
    expect(optimizeIfFree(other)).toBe(true);
    expect((other.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'sqlite_stat1'").get() as { n: number }).n).toBe(1);
    writer.close();
    other.close();
  });
});

describe('refreshStatistics', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const byField = (field: string) => `json_extract(doc, '$.${field}')`;
  const plan = (db: ReturnType<typeof openDatabase>) =>
    (
      db
        .prepare(`EXPLAIN QUERY PLAN SELECT id FROM subs WHERE ${byField('org')} = ? AND ${byField('externalId')} = ? AND ${byField('status')} = ?`)
        .all('o', 'sub-5', 'ACTIVE') as { detail: string }[]
    )
      .map((row) => row.detail)
      .join(' ');

  function filledAfterReaderOpened() {
    const dir = mkdtempSync(join(tmpdir(), 'statistics-'));
    dirs.push(dir);
    const path = join(dir, 'x.db');
    const writer = openDatabase(path);
    writer.exec(`CREATE TABLE subs (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
      CREATE INDEX subs_byExternalId ON subs (${byField('org')}, ${byField('externalId')});
      CREATE INDEX subs_byStatus ON subs (${byField('org')}, ${byField('status')})`);
    // As at a first start: statistics taken while the table is empty (none for it), and the reader's schema (with
    // those statistics) loaded before the table fills, as the API thread's is.
    writer.exec('CREATE TABLE other (k TEXT PRIMARY KEY, v INTEGER); CREATE INDEX other_v ON other (v); INSERT INTO other VALUES (1, 1), (2, 2)');
    expect(optimizeIfFree(writer)).toBe(true);
    const reader = openDatabase(path);
    reader.prepare('SELECT count(*) AS n FROM subs').get();
    expect(plan(reader)).toContain('subs_byStatus');
    const insert = writer.prepare('INSERT INTO subs VALUES (?, ?)');
    writer.exec('BEGIN');
    for (let i = 0; i < 5_000; i += 1) insert.run(`s${i}`, JSON.stringify({ org: 'o', externalId: `sub-${i}`, status: 'ACTIVE' }));
    writer.exec('COMMIT');
    return { writer, reader };
  }

  it('is needed: statistics taken by one connection leave another on the plan it had', () => {
    const { writer, reader } = filledAfterReaderOpened();
    expect(optimizeIfFree(writer)).toBe(true);
    expect(plan(writer)).toContain('subs_byExternalId');
    reader.prepare('SELECT count(*) AS n FROM subs').get();
    expect(plan(reader)).toContain('subs_byStatus');
    writer.close();
    reader.close();
  });

  it('gives every other connection of the file the new statistics: a lookup by external id stops using the (organization, status) index', () => {
    const { writer, reader } = filledAfterReaderOpened();
    expect(refreshStatistics(writer)).toBe(true);
    // The reader notices the schema's new version at its next read (the API thread reads all the time).
    reader.prepare('SELECT count(*) AS n FROM subs').get();
    expect(plan(reader)).toContain('subs_byExternalId');
    // Current statistics: nothing to publish.
    expect(refreshStatistics(writer)).toBe(false);
    writer.close();
    reader.close();
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, optimizeIfFree } from '../../../src/infrastructure/sqlite/database.ts';

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

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/**
 * Opens the one SQLite file that holds the embedded event store and read models. WAL lets readers run beside the
 * writer; `synchronous = FULL` fsyncs the WAL on every commit, so an acknowledged append survives kill -9 and
 * power loss alike.
 */
export function openDatabase(path: string, options: { synchronous?: 'FULL' | 'NORMAL' } = {}): DatabaseSync {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL');
  // NORMAL (WAL): a commit does not wait for the disk, and a power loss can only lose the latest commits whole.
  db.exec(`PRAGMA synchronous = ${options.synchronous ?? 'FULL'}`);
  db.exec('PRAGMA busy_timeout = 5000');
  db.exec('PRAGMA foreign_keys = ON');
  return db;
}

/** Runs `work` inside one IMMEDIATE transaction (the write lock is taken up front, so no upgrade deadlock). */
export function transaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}

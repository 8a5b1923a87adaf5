import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/**
 * Opens the one SQLite file that holds the embedded event store and read models. WAL lets readers run beside the
 * writer; `synchronous = FULL` fsyncs the WAL on every commit, so an acknowledged append survives kill -9 and
 * power loss alike.
 */
export function openDatabase(path: string, options: { synchronous?: 'FULL' | 'NORMAL' } = {}): DatabaseSync {
  if (path !== ':memory:') createOwnerOnly(path);
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL');
  // NORMAL (WAL): a commit does not wait for the disk, and a power loss can only lose the latest commits whole.
  db.exec(`PRAGMA synchronous = ${options.synchronous ?? 'FULL'}`);
  db.exec('PRAGMA busy_timeout = 5000');
  // The WAL is reused from its start after each complete checkpoint; past this size it is also cut back.
  db.exec('PRAGMA journal_size_limit = 67108864');
  db.exec('PRAGMA foreign_keys = ON');
  return db;
}

/**
 * Secrets hygiene: a database file this process creates is the owner's only (0600), in a directory created the
 * owner's only (0700). SQLite creates the file's `-wal` and `-shm` with the file's own permissions, so they are
 * 0600 too. Existing files and directories keep the permissions their operator gave them.
 */
function createOwnerOnly(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (existsSync(path)) return;
  // An empty file is an empty database to SQLite; 'a' never truncates one created meanwhile by another process.
  closeSync(openSync(path, 'a', 0o600));
  chmodSync(path, 0o600);
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

/** The write lock is held by another connection (another thread or process on the same file). */
export class DatabaseBusyError extends Error {}

/**
 * Like `transaction`, but never waits for the write lock: when another connection holds it, throws
 * `DatabaseBusyError` at once, so an event loop can retry later instead of blocking (SQLite's busy handler sleeps
 * in the calling thread).
 */
export function transactionNow<T>(db: DatabaseSync, work: () => T): T {
  db.exec('PRAGMA busy_timeout = 0');
  try {
    db.exec('BEGIN IMMEDIATE');
  } catch (error) {
    if (error instanceof Error && /locked|busy/i.test(error.message)) throw new DatabaseBusyError(error.message);
    throw error;
  } finally {
    db.exec('PRAGMA busy_timeout = 5000');
  }
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}

/**
 * `transactionNow`, retried every millisecond while another connection holds the write lock: the wait yields to
 * the event loop, and the lock is taken as soon as it is free (SQLite's own busy handler sleeps up to 100 ms at a
 * time, which starves a thread that shares the file with a busy writer).
 */
export async function transactionSoon<T>(db: DatabaseSync, work: () => T): Promise<T> {
  for (;;) {
    try {
      return transactionNow(db, work);
    } catch (error) {
      if (!(error instanceof DatabaseBusyError)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }
}

/**
 * Table statistics for the query planner (`PRAGMA optimize`, sampling at most 1,000 rows per index): without them
 * SQLite may pick a weak index — the (organization, status) one for a lookup by external id, scanning every active
 * subscription of the organization. Cheap when statistics are current; run at start and now and then.
 */
export function optimize(db: DatabaseSync): void {
  db.exec('PRAGMA analysis_limit = 1000');
  db.exec('PRAGMA optimize = 0x10002');
}

/**
 * `optimize` now or not at all: ANALYZE writes its statistics, so it needs the file's write lock, and waiting for
 * it (the busy timeout, 5 s per table) stalled the projection thread for tens of seconds while the API appended to
 * a shared file. Returns whether it ran.
 */
export function optimizeIfFree(db: DatabaseSync): boolean {
  db.exec('PRAGMA busy_timeout = 0');
  try {
    optimize(db);
    return true;
  } catch (error) {
    if (error instanceof Error && /locked|busy/i.test(error.message)) return false;
    throw error;
  } finally {
    db.exec('PRAGMA busy_timeout = 5000');
  }
}

/** How often a folding thread checks its read models' planner statistics (taken only when a table grew ~10×). */
export const STATISTICS_INTERVAL_MS = 15_000;

const statisticsOf = (db: DatabaseSync): string => {
  const present = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'sqlite_stat1'").get() as { n: number };
  if (present.n === 0) return '';
  return (db.prepare('SELECT tbl, idx, stat FROM sqlite_stat1 ORDER BY tbl, idx').all() as { tbl: string; idx: string | null; stat: string }[])
    .map((row) => `${row.tbl}/${row.idx ?? ''}=${row.stat}`)
    .join(';');
};

/**
 * `optimizeIfFree`, then, when the statistics changed, make every other connection of the file use them. SQLite
 * loads statistics with the schema, and ANALYZE does not change the schema's version: the API thread's connection
 * kept the plans of an empty file (the (organization, status) index for a lookup by external id, scanning every
 * active subscription) until restart. Creating and dropping a table changes the version, so each connection reloads
 * the schema, statistics included, at its next statement (prepared statements are re-prepared by SQLite). Returns
 * whether new statistics were published.
 */
export function refreshStatistics(db: DatabaseSync): boolean {
  const before = statisticsOf(db);
  if (!optimizeIfFree(db)) return false;
  if (statisticsOf(db) === before) return false;
  db.exec('PRAGMA busy_timeout = 0');
  try {
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec('CREATE TABLE IF NOT EXISTS statistics_epoch (x); DROP TABLE statistics_epoch');
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
    return true;
  } catch (error) {
    if (error instanceof Error && /locked|busy/i.test(error.message)) return false;
    throw error;
  } finally {
    db.exec('PRAGMA busy_timeout = 5000');
  }
}

/** What walSyncer needs of the file system (node:fs/promises; tests count and hold the syncs). */
export interface SyncHandle {
  datasync(): Promise<void>;
  sync(): Promise<void>;
  stat(): Promise<{ ino: number }>;
  close(): Promise<void>;
}
export interface SyncFiles {
  open(path: string, flags: 'r'): Promise<SyncHandle>;
  stat(path: string): Promise<{ ino: number }>;
}

/**
 * Durability without blocking the event loop: the connection commits with `synchronous = NORMAL` (the commit is
 * in the OS, which survives a killed process but not a power loss), and this makes everything committed so far
 * durable with an `fdatasync` of the WAL on libuv's thread pool. Each call is covered by an fsync that starts after
 * it; calls made while one runs share the next (group commit). SQLite's own `synchronous = FULL` does the same
 * fsync, but inside the commit, on the calling thread: 100 small ingestion requests a second then held the API
 * thread in fsync most of the time.
 */
export function walSyncer(databasePath: string, files: SyncFiles = { open, stat }): () => Promise<void> {
  const walPath = `${databasePath}-wal`;
  let handle: SyncHandle | null = null;
  let directorySynced = false;
  let running: Promise<void> | null = null;
  let next: Promise<void> | null = null;

  // SQLite keeps one WAL file while connections are open; should it ever be replaced, the next sync opens it again
  // (checked now and then, not on every sync: each await costs a turn of a busy event loop).
  let checkedAt = 0;
  async function syncOnce(): Promise<void> {
    if (handle !== null && Date.now() - checkedAt > 1_000) {
      checkedAt = Date.now();
      if ((await handle.stat()).ino !== (await files.stat(walPath)).ino) {
        await handle.close();
        handle = null;
      }
    }
    handle ??= await files.open(walPath, 'r');
    await handle.datasync();
    if (!directorySynced) {
      // The WAL's own directory entry, once: a file created since the last directory sync could vanish with it.
      const directory = await files.open(dirname(walPath), 'r');
      await directory.sync().finally(() => directory.close());
      directorySynced = true;
    }
  }

  return function sync(): Promise<void> {
    if (running === null) {
      running = syncOnce().finally(() => (running = null));
      return running;
    }
    next ??= running.then(
      () => {
        next = null;
        return sync();
      },
      () => {
        next = null;
        return sync();
      },
    );
    return next;
  };
}

import type { DatabaseSync } from 'node:sqlite';

/**
 * The embedded log's tables. Domain events keep one row each with their stream and revision (`events`); usage
 * events, which are most of the log, are stored compactly (`usage_events`): no per-event id, stream revision or
 * metadata, the organization and external subscription id interned once (`usage_subjects`), the batch's metadata
 * once per request (`usage_batches`). Both tables share one sequence of positions (`log_head`), so the log is
 * their merge by position.
 *
 * Two indexes serve usage events, both ordered by block of positions first so that inserts stay inside the newest
 * block's few pages whatever the keys: `usage_dedup` (the permanent transaction-id key, hashed, with block filters
 * in memory saying which blocks a key may be in) and `usage_by_subject` (an external subscription's events, for
 * re-folds and the event debugger).
 */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  position INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  stream_id TEXT NOT NULL,
  revision INTEGER NOT NULL,
  type TEXT NOT NULL,
  data TEXT NOT NULL,
  metadata TEXT NOT NULL,
  UNIQUE (stream_id, revision)
);
CREATE TABLE IF NOT EXISTS streams (stream_id TEXT PRIMARY KEY, revision INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS log_head (id INTEGER PRIMARY KEY CHECK (id = 0), position INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS usage_subjects (
  subject INTEGER PRIMARY KEY,
  organization_id TEXT NOT NULL,
  external_subscription_id TEXT NOT NULL,
  UNIQUE (organization_id, external_subscription_id)
);
CREATE TABLE IF NOT EXISTS usage_batches (batch INTEGER PRIMARY KEY, metadata TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS usage_events (
  position INTEGER PRIMARY KEY,
  batch INTEGER NOT NULL,
  subject INTEGER NOT NULL,
  transaction_id TEXT NOT NULL,
  code TEXT NOT NULL,
  timestamp INTEGER NOT NULL,
  properties TEXT,
  precise TEXT
);
CREATE TABLE IF NOT EXISTS usage_dedup (
  block INTEGER NOT NULL,
  tx BLOB NOT NULL,
  sub BLOB NOT NULL,
  position INTEGER NOT NULL,
  PRIMARY KEY (block, tx, sub)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS usage_by_subject (
  block INTEGER NOT NULL,
  subject INTEGER NOT NULL,
  position INTEGER NOT NULL,
  PRIMARY KEY (block, subject, position)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS usage_filters (level INTEGER NOT NULL, idx INTEGER NOT NULL, bits BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID;
`;

/** `PRAGMA user_version` of this layout. 0: every event in `events`, dedup keys as text in `dedup_keys`. */
export const SCHEMA_VERSION = 2;

export function schemaVersion(db: DatabaseSync): number {
  return Number((db.prepare('PRAGMA user_version').get() as { user_version: number | bigint }).user_version);
}

export function tableExists(db: DatabaseSync, name: string): boolean {
  return db.prepare("SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

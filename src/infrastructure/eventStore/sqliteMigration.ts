import type { DatabaseSync } from 'node:sqlite';
import type { EventMetadata } from '../../application/ports/eventStore.ts';
import type { IngestedUsageEvent } from '../../billing/usage/types.ts';
import { transaction } from '../sqlite/database.ts';
import { SCHEMA_VERSION, schemaVersion, tableExists } from './sqliteSchema.ts';
import type { UsageLog } from './usageLog.ts';

const PAGE = 10_000;

/**
 * Brings a file written by an earlier version to the current layout, in place and resumable: usage events move
 * from `events` to `usage_events` a page per transaction, keeping their positions (so every checkpoint stays
 * valid), and their dedup keys are re-derived from their data. A crash mid-way resumes where it stopped.
 */
export function migrate(db: DatabaseSync, usage: UsageLog): void {
  if (schemaVersion(db) >= SCHEMA_VERSION) return;
  if (db.prepare('SELECT position FROM log_head WHERE id = 0').get() === undefined) {
    const max = db.prepare('SELECT MAX(position) AS position FROM events').get() as { position: number | bigint | null };
    db.prepare('INSERT INTO log_head (id, position) VALUES (0, ?)').run(max.position ?? 0);
  }
  if (tableExists(db, 'dedup_keys')) moveUsageEvents(db, usage);
  db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
}

function moveUsageEvents(db: DatabaseSync, usage: UsageLog): void {
  const page = db.prepare('SELECT position, type, data, metadata FROM events WHERE position > ? ORDER BY position LIMIT ?');
  const remove = db.prepare("DELETE FROM events WHERE position > ? AND position <= ? AND type = 'UsageEventIngested'");
  for (let after = 0n; ; ) {
    const rows = page.all(after, PAGE) as { position: number | bigint; type: string; data: string; metadata: string }[];
    if (rows.length === 0) break;
    const last = BigInt(rows.at(-1)!.position);
    let committed = false;
    try {
      transaction(db, () => {
        const batch = { json: '', ref: 0 };
        for (const row of rows) {
          if (row.type !== 'UsageEventIngested') continue;
          // Events of one request share their metadata: one batch row each run of it.
          if (batch.json !== row.metadata) Object.assign(batch, { json: row.metadata, ref: usage.importBatch(JSON.parse(row.metadata) as EventMetadata) });
          usage.importEvent(BigInt(row.position), batch.ref, JSON.parse(row.data) as IngestedUsageEvent);
        }
        remove.run(after, last);
      });
      committed = true;
    } finally {
      usage.settle(committed);
    }
    after = last;
  }
  transaction(db, () => {
    db.exec("DELETE FROM streams WHERE stream_id LIKE 'usage-%'");
    db.exec('DROP TABLE dedup_keys');
  });
}

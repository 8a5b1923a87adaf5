/**
 * The storage floor (forked by realistic.ts): the rows a phase sent, regenerated from the same client specs
 * (duplicates included), inserted straight into a fresh node:sqlite file as a minimal durable, deduplicating log
 * would: WAL, synchronous=FULL, `INSERT OR IGNORE` on a unique dedup key, one transaction per 1,000 rows.
 */
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { parentChannel } from './children.ts';
import type { FloorJob, FloorResult, FromFloor, ToFloor } from './messages.ts';
import { diskUsage, ioDelta, ioOf } from './proc.ts';
import { EventGenerator, type BenchEvent } from './workload.ts';

const channel = parentChannel<ToFloor, FromFloor>((message) => {
  channel.send({ type: 'done', result: floor(message.job) });
});

function floor(job: FloorJob): FloorResult {
  const db = new DatabaseSync(job.dbPath);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = FULL');
  db.exec('CREATE TABLE events (position INTEGER PRIMARY KEY, dedup_key TEXT NOT NULL UNIQUE, data TEXT NOT NULL)');
  const insert = db.prepare('INSERT OR IGNORE INTO events (dedup_key, data) VALUES (?, ?)');
  const clients = job.clients.map(({ spec, events }) => ({ generator: new EventGenerator(spec, job.shape), remaining: events }));
  let events = 0;
  let inserted = 0;
  let insertMs = 0;
  let pending: BenchEvent[] = [];

  const flush = () => {
    const started = performance.now();
    const at = new Date().toISOString();
    db.exec('BEGIN IMMEDIATE');
    for (const e of pending) {
      const dedupKey = JSON.stringify([job.organizationId, e.externalSubscriptionId, e.transactionId]);
      const data = JSON.stringify({
        organizationId: job.organizationId,
        transactionId: e.transactionId,
        externalSubscriptionId: e.externalSubscriptionId,
        code: e.code,
        timestamp: at,
        properties: e.properties,
        preciseTotalAmountCents: null,
        ingestedAt: at,
      });
      inserted += Number(insert.run(dedupKey, data).changes);
    }
    db.exec('COMMIT');
    insertMs += performance.now() - started;
    events += pending.length;
    pending = [];
  };

  const io = ioOf('self');
  const wallStarted = performance.now();
  for (let active = clients.length; active > 0; ) {
    active = 0;
    for (const client of clients) {
      if (client.remaining <= 0) continue;
      const size = Math.min(job.batchSize, client.remaining);
      client.remaining -= size;
      if (client.remaining > 0) active += 1;
      pending.push(...client.generator.batch(size));
      if (pending.length >= job.rowsPerTransaction) flush();
    }
  }
  if (pending.length > 0) flush();
  const result: FloorResult = {
    events,
    inserted,
    seconds: insertMs / 1000,
    wallSeconds: (performance.now() - wallStarted) / 1000,
    io: ioDelta(io, ioOf('self')),
    disk: diskUsage(dirname(job.dbPath)),
  };
  db.close();
  return result;
}

import { EventEmitter } from 'node:events';
import type { DatabaseSync } from 'node:sqlite';
import { v7 as timeOrderedId } from 'uuid';
import type {
  AppendManyResult,
  AppendResult,
  DedupedOutcome,
  EventStore,
  ExpectedRevision,
  NewEvent,
  LogPart,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamAppend,
  Subscription,
  UsageBatch,
} from '../../application/ports/eventStore.ts';
import { ConcurrencyError } from '../../domain/shared/errors.ts';
import { DatabaseBusyError, transactionNow } from '../sqlite/database.ts';
import { migrate } from './sqliteMigration.ts';
import { SCHEMA } from './sqliteSchema.ts';
import { UsageLog } from './usageLog.ts';

/** How soon a write retries when another connection holds the write lock. */
const BUSY_RETRY_MS = 1;
/**
 * Usage events one group commit takes: a transaction of 1,000 holds the thread ~4 ms (a larger batch is appended in
 * several, in order, and answered once all are durable).
 */
const GROUP_EVENTS = 1_000;

interface Row {
  position: number | bigint;
  id: string;
  stream_id: string;
  revision: number | bigint;
  type: string;
  data: string;
  metadata: string;
}

export interface SqliteEventStoreOptions {
  /** How often a live subscription looks for appends made by other processes (or threads) on the same file. */
  pollIntervalMs?: number;
  /** Events read per page by `subscribeToAll` (the back-pressure window). */
  pageSize?: number;
  /** A reader beside the process that appends (the projection thread): no schema work, no dedup filters, no appends. */
  readOnly?: boolean;
  /**
   * Makes every commit so far durable (`walSyncer`), for a connection committing with `synchronous = NORMAL`:
   * appends resolve only once it has. Omitted: the connection's own commits are durable (or the file is `:memory:`).
   */
  durable?: () => Promise<void>;
  /**
   * Runs a group commit at its turn (see application/turns.ts); default: the next `setImmediate`. Batches that
   * arrive before it runs share its transaction.
   */
  schedule?: (run: () => void) => void;
}

/** An embedded event store, plus what only the embedded one has: a wake-up for appends made elsewhere. */
export interface SqliteEventStore extends EventStore {
  /** Another thread appended up to `position`: live subscriptions read it now rather than at their next poll. */
  notifyAppended(position: bigint): void;
  /** Called after each append of this store with the new head (the projection thread's wake-up). */
  onAppended(listener: (position: bigint) => void): () => void;
  /** Bytes of dedup filters held in memory. */
  filterBytes(): number;
}

/**
 * Embedded event store on node:sqlite. One append (or one group of concurrent usage batches) = one transaction.
 * Domain events are rows of `events`; usage events are compact rows of `usage_events` (see sqliteSchema.ts);
 * `readAll` merges both by position.
 *
 * Domain event ids are UUIDv7 (time-ordered): the `id` index then grows at its end.
 */
export function createSqliteEventStore(db: DatabaseSync, options: SqliteEventStoreOptions = {}): SqliteEventStore {
  const readOnly = options.readOnly ?? false;
  const durable = options.durable ?? (() => Promise.resolve());
  const schedule = options.schedule ?? ((run: () => void) => void setImmediate(run));
  if (!readOnly) db.exec(SCHEMA);
  const usage = new UsageLog(db);
  if (!readOnly) migrate(db, usage);
  const pollIntervalMs = options.pollIntervalMs ?? 25;
  const pageSize = options.pageSize ?? 500;
  const appended = new EventEmitter<{ append: [bigint] }>();
  appended.setMaxListeners(0);
  const q = prepareStatements(db);
  if (!readOnly) usage.open(readHead());
  let closed = false;

  function readHead(): bigint {
    const row = q.head.get() as { position: number | bigint } | undefined;
    return row === undefined ? 0n : BigInt(row.position);
  }

  type Waiting = { batch: UsageBatch; resolve: (outcomes: DedupedOutcome[]) => void; reject: (error: unknown) => void };
  let waiting: Waiting[] = [];
  let flushScheduled = false;

  function scheduleFlush(delayMs: number): void {
    if (flushScheduled) return;
    flushScheduled = true;
    const run = () => {
      flushScheduled = false;
      flushUsage();
    };
    if (delayMs === 0) schedule(run);
    else setTimeout(() => schedule(run), delayMs);
  }

  /** Retries a write while the lock is busy, yielding to the event loop in between (requests keep being served). */
  async function writeWhenFree<T>(work: (head: bigint) => { result: T; head: bigint }): Promise<T> {
    for (;;) {
      try {
        return write(work);
      } catch (error) {
        if (!(error instanceof DatabaseBusyError)) throw error;
        await new Promise((resolve) => setTimeout(resolve, BUSY_RETRY_MS));
      }
    }
  }

  /**
   * One write transaction: the head is read under the write lock, then moved to what `work` returns. Throws
   * `DatabaseBusyError` without waiting when another connection (the projection thread) holds the lock.
   */
  function write<T>(work: (head: bigint) => { result: T; head: bigint }): T {
    if (readOnly) throw new Error('this event store is a read-only view');
    let committed = false;
    try {
      const result = transactionNow(db, () => {
        const start = readHead();
        usage.sync(start);
        const done = work(start);
        if (done.head !== start) q.setHead.run(done.head);
        return done;
      });
      committed = true;
      usage.wrote(result.head);
      appended.emit('append', result.head);
      return result.result;
    } finally {
      usage.settle(committed);
    }
  }

  /**
   * Group commit: the usage batches that arrived in the same turn of the event loop (concurrent ingestion requests)
   * share one transaction, so one fsync. Each caller is answered only after that commit; batches are applied in
   * arrival order, so a key sent twice across them is appended once, then reported duplicate.
   */
  function flushUsage(): void {
    // At most GROUP_EVENTS events per transaction (appendUsage splits larger batches): the event loop is never held
    // for long, and the rest follows at the next turn.
    let count = 0;
    let take = 0;
    while (take < waiting.length && (take === 0 || count + waiting[take]!.batch.events.length <= GROUP_EVENTS)) count += waiting[take++]!.batch.events.length;
    const jobs = waiting.slice(0, take);
    waiting = waiting.slice(take);
    if (waiting.length > 0) scheduleFlush(0);
    if (jobs.length === 0) return;
    try {
      const outcomes = write((head) => {
        const done = usage.append(jobs.map((job) => job.batch), head);
        return { result: done.outcomes, head: done.head };
      });
      // Acknowledged only once durable; meanwhile the thread goes on (the next group may commit already).
      durable().then(
        () => jobs.forEach((job, i) => job.resolve(outcomes[i]!)),
        (error: unknown) => jobs.forEach((job) => job.reject(error)),
      );
    } catch (error) {
      if (error instanceof DatabaseBusyError) {
        // The projection thread is committing: try again shortly, with whatever arrived meanwhile (a bigger group).
        waiting = [...jobs, ...waiting];
        scheduleFlush(BUSY_RETRY_MS);
        return;
      }
      // One bad batch must not fail the others: a transaction each.
      for (const job of jobs) {
        writeWhenFree((head) => {
          const done = usage.append([job.batch], head);
          return { result: done.outcomes[0]!, head: done.head };
        })
          .then(async (outcomes) => (await durable(), outcomes))
          .then(job.resolve, job.reject);
      }
    }
  }

  function checkExpected(streamId: string, expected: ExpectedRevision, current: bigint | null): void {
    const fail = (want: string) =>
      new ConcurrencyError(streamId, want, current === null ? 'no stream' : current.toString());
    if (expected === 'any') return;
    if (expected === 'no_stream' && current !== null) throw fail('no stream');
    if (expected === 'stream_exists' && current === null) throw fail('stream exists');
    if (typeof expected === 'bigint' && current !== expected) throw fail(expected.toString());
  }

  const store: SqliteEventStore = {
    async append(streamId, events: NewEvent[], opts = {}): Promise<AppendResult> {
      if (events.length === 0) throw new Error('append needs at least one event');
      const result = await writeWhenFree((head) => {
        const row = q.streamRevision.get(streamId) as { revision: number | bigint } | undefined;
        const current = row ? BigInt(row.revision) : null;
        checkExpected(streamId, opts.expectedRevision ?? 'any', current);
        let revision = current ?? -1n;
        let position = head;
        for (const event of events) {
          revision += 1n;
          position += 1n;
          q.insert.run(position, event.id ?? timeOrderedId(), streamId, revision, event.type, JSON.stringify(event.data), JSON.stringify(event.metadata));
        }
        q.upsertStream.run(streamId, revision);
        return { result: { nextExpectedRevision: revision, position }, head: position };
      });
      await durable();
      return result;
    },

    atomicMultiStreamAppend: true,

    /** One transaction: every expected revision is checked under the write lock before the first insert. */
    async appendMany(entries: StreamAppend[]): Promise<AppendManyResult> {
      if (!entries.some((entry) => entry.events.length > 0)) throw new Error('appendMany needs at least one event');
      if (new Set(entries.map((entry) => entry.streamId)).size !== entries.length) throw new Error('appendMany: a stream appears twice');
      const result = await writeWhenFree((head) => {
        const currents = entries.map((entry) => {
          const row = q.streamRevision.get(entry.streamId) as { revision: number | bigint } | undefined;
          const current = row ? BigInt(row.revision) : null;
          checkExpected(entry.streamId, entry.expectedRevision, current);
          return current;
        });
        let position = head;
        const streams = entries.map((entry, i) => {
          let revision = currents[i] ?? -1n;
          for (const event of entry.events) {
            revision += 1n;
            position += 1n;
            q.insert.run(position, event.id ?? timeOrderedId(), entry.streamId, revision, event.type, JSON.stringify(event.data), JSON.stringify(event.metadata));
          }
          if (entry.events.length > 0) q.upsertStream.run(entry.streamId, revision);
          return { streamId: entry.streamId, nextExpectedRevision: revision < 0n ? null : revision };
        });
        return { result: { position, streams }, head: position };
      });
      await durable();
      return result;
    },

    async streamHead(streamId) {
      const row = q.streamHead.get(streamId) as { revision: number | bigint; position: number | bigint } | undefined;
      return row ? { revision: BigInt(row.revision), position: BigInt(row.position) } : null;
    },

    async appendUsage(batch: UsageBatch): Promise<DedupedOutcome[]> {
      if (batch.events.length === 0) return [];
      const parts: Promise<DedupedOutcome[]>[] = [];
      for (let start = 0; start < batch.events.length; start += GROUP_EVENTS) {
        const part = start === 0 && batch.events.length <= GROUP_EVENTS ? batch : { ...batch, events: batch.events.slice(start, start + GROUP_EVENTS) };
        parts.push(new Promise((resolve, reject) => waiting.push({ batch: part, resolve, reject })));
      }
      scheduleFlush(0);
      return (await Promise.all(parts)).flat();
    },

    async readUsage(organizationId, externalSubscriptionId, opts = {}) {
      return usage.readSubject(organizationId, externalSubscriptionId, readHead(), opts);
    },

    async scanUsage(organizationId, opts) {
      return usage.scanOrganization(organizationId, opts.before ?? readHead() + 1n, opts.maxCount, opts.scanLimit, opts.code);
    },

    async findUsage(organizationId, transactionId, externalSubscriptionId) {
      return usage.findByTransaction(organizationId, transactionId, externalSubscriptionId);
    },

    async readStream(streamId, opts: ReadStreamOptions = {}) {
      const rows = q.readStream.all(streamId, opts.fromRevision ?? 0n, opts.maxCount ?? -1) as unknown as Row[];
      return rows.map(toRecorded);
    },

    async readAll(opts: ReadAllOptions = {}) {
      return readMerged(opts.after ?? 0n, opts.maxCount ?? -1, opts.usage ?? 'all');
    },

    subscribeToAll(opts = {}) {
      return subscribe(opts.after ?? 0n, opts.usage ?? 'all');
    },

    async headPosition() {
      const head = readHead();
      return head === 0n ? null : head;
    },

    notifyAppended(position) {
      appended.emit('append', position);
    },

    onAppended(listener) {
      appended.on('append', listener);
      return () => appended.off('append', listener);
    },

    filterBytes: () => usage.filterBytes(),

    async close() {
      closed = true;
      appended.emit('append', readHead());
    },
  };

  /** The log: domain and usage events merged by position, at most `maxCount` (-1: all); or the part asked for. */
  function readMerged(after: bigint, maxCount: number, part: LogPart): RecordedEvent[] {
    if (typeof part === 'object') return usage.readRange(after, maxCount, part);
    // The two tables are read by two statements, which another connection (the API thread appending while the
    // projection thread reads) can commit between: a domain event committed after the first read and before a later
    // usage batch is read would be skipped for good. Both reads are cut at the head as it was before either: every
    // event up to it was committed then (the head moves in the same transaction as the events).
    const head = part === 'none' ? null : readHead();
    const domainRows = (q.readAll.all(after, maxCount) as unknown as Row[]).map(toRecorded);
    if (part === 'none') return domainRows;
    const domain = domainRows.filter((event) => event.position <= head!);
    const metered = usage.readRange(after, maxCount).filter((event) => event.position <= head!);
    if (domain.length === 0) return metered;
    if (metered.length === 0) return domain;
    const merged: RecordedEvent[] = [];
    let i = 0;
    let j = 0;
    while ((maxCount < 0 || merged.length < maxCount) && (i < domain.length || j < metered.length)) {
      if (j >= metered.length || (i < domain.length && domain[i]!.position < metered[j]!.position)) merged.push(domain[i++]!);
      else merged.push(metered[j++]!);
    }
    return merged;
  }

  function waitForAppend(signal: { closed: boolean }): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        appended.off('append', done);
        resolve();
      };
      const timer = setTimeout(done, pollIntervalMs);
      appended.on('append', done);
      if (signal.closed) done();
    });
  }

  /**
   * The pages live subscriptions of the domain log read last, by (cursor, head): followers of the log (the wallet and alert
   * monitors, the webhook dispatcher, the lifetime-usage cache, websocket subscriptions) are woken by the same
   * append and read the same page; it is read and decoded once. The head is read in the same synchronous step as
   * the page (only this connection appends), so a page cached for a head is exactly what a read at that head gives.
   * Events are shared between subscribers: they are never mutated.
   */
  const recentPages = new Map<string, RecordedEvent[]>();
  function livePage(cursor: bigint, part: LogPart): RecordedEvent[] {
    // Only the domain log's followers share pages; the projection runner (the whole log or a part) reads alone.
    if (part !== 'none') return readMerged(cursor, pageSize, part);
    const key = `${cursor}/${readHead()}`;
    const cached = recentPages.get(key);
    if (cached !== undefined) return cached;
    const page = readMerged(cursor, pageSize, part);
    recentPages.set(key, page);
    if (recentPages.size > 8) recentPages.delete(recentPages.keys().next().value!);
    return page;
  }

  function subscribe(after: bigint, part: LogPart): Subscription {
    const state = { closed: false };
    async function* iterate(): AsyncGenerator<RecordedEvent> {
      let cursor = after;
      while (!state.closed && !closed) {
        // Pull one page at a time: a slow consumer simply leaves the next page unread.
        const page = livePage(cursor, part);
        for (const event of page) {
          if (state.closed) return;
          cursor = event.position;
          yield event;
        }
        if (page.length < pageSize) await waitForAppend(state);
      }
    }
    const iterator = iterate();
    return {
      [Symbol.asyncIterator]: () => iterator,
      async close() {
        state.closed = true;
        appended.emit('append', 0n);
        await iterator.return(undefined);
      },
    };
  }

  return store;
}

function prepareStatements(db: DatabaseSync) {
  const columns = 'position, id, stream_id, revision, type, data, metadata';
  return {
    head: db.prepare('SELECT position FROM log_head WHERE id = 0'),
    setHead: db.prepare('INSERT INTO log_head (id, position) VALUES (0, ?) ON CONFLICT (id) DO UPDATE SET position = excluded.position'),
    streamRevision: db.prepare('SELECT revision FROM streams WHERE stream_id = ?'),
    streamHead: db.prepare('SELECT e.revision AS revision, e.position AS position FROM streams s JOIN events e ON e.stream_id = s.stream_id AND e.revision = s.revision WHERE s.stream_id = ?'),
    insert: db.prepare('INSERT INTO events (position, id, stream_id, revision, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    upsertStream: db.prepare(
      'INSERT INTO streams (stream_id, revision) VALUES (?, ?) ON CONFLICT (stream_id) DO UPDATE SET revision = excluded.revision',
    ),
    readStream: db.prepare(`SELECT ${columns} FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision LIMIT ?`),
    readAll: db.prepare(`SELECT ${columns} FROM events WHERE position > ? ORDER BY position LIMIT ?`),
  };
}

function toRecorded(row: Row): RecordedEvent {
  return {
    id: row.id,
    streamId: row.stream_id,
    type: row.type,
    data: JSON.parse(row.data),
    metadata: JSON.parse(row.metadata),
    revision: BigInt(row.revision),
    position: BigInt(row.position),
  };
}

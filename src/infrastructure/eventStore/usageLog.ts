import { hash } from 'node:crypto';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { EventMetadata, DedupedOutcome, RecordedEvent, UsageBatch, UsageReadOptions } from '../../application/ports/eventStore.ts';
import type { IngestedUsageEvent } from '../../billing/usage/types.ts';
import { usageStream } from '../../domain/usage/keys.ts';
import { BlockFilters, keyWords, type KeyWords, type SealedFilter } from './blockFilters.ts';

/** Positions per block of the usage indexes (and of their filters); blocks per filter group. */
export const BLOCK_SIZE = 8_192;
export const GROUP_SIZE = 64;

type Subject = { ref: number; organizationId: string; externalSubscriptionId: string; sub: Uint8Array; streamId: string };
type UsageRow = {
  position: number | bigint;
  batch: number | bigint;
  subject: number | bigint;
  transaction_id: string;
  code: string;
  timestamp: number | bigint;
  properties: string | null;
  precise: string | null;
};

const COLUMNS = 'position, batch, subject, transaction_id, code, timestamp, properties, precise';
const CACHE_LIMIT = 200_000;

/** 16 bytes of SHA-256: the transaction-id key (with the organization) that dedup and `findUsage` look up. */
const txHash = (organizationId: string, transactionId: string): Uint8Array => hash('sha256', JSON.stringify([organizationId, transactionId]), 'buffer').subarray(0, 16);
/** 8 bytes of SHA-256 of the external subscription id: with the transaction key, the permanent dedup key. */
const subHash = (organizationId: string, externalSubscriptionId: string): Uint8Array =>
  hash('sha256', JSON.stringify([organizationId, externalSubscriptionId]), 'buffer').subarray(0, 8);

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((byte, i) => byte === b[i]);

/**
 * The usage half of the embedded log: compact rows, permanent deduplication by (organization, external
 * subscription, transaction id), and the reads by subscription and by transaction id. Every method runs inside
 * the caller's transaction where it writes.
 */
export class UsageLog {
  private readonly db: DatabaseSync;
  private readonly filters = new BlockFilters({ blockSize: BLOCK_SIZE, groupSize: GROUP_SIZE });
  private readonly subjectsByKey = new Map<string, Subject>();
  private readonly subjectsByRef = new Map<number, Subject>();
  private readonly batches = new Map<number, EventMetadata>();
  /** Subjects interned by the transaction in progress: forgotten if it rolls back. */
  private pendingSubjects: Subject[] = [];
  /** The log head this process last saw: when another process appended past it, its keys are loaded. */
  private seenHead = 0n;
  private readonly q: ReturnType<typeof prepare>;

  constructor(db: DatabaseSync) {
    this.db = db;
    this.q = prepare(db);
  }

  /** Loads the sealed filters and rebuilds the others from their keys. Call once, after the schema exists. */
  open(head: bigint): void {
    for (const row of this.db.prepare('SELECT level, idx, bits FROM usage_filters').all() as { level: number; idx: number; bits: Uint8Array }[]) {
      this.filters.load({ level: row.level as 0 | 1, index: Number(row.idx), bits: row.bits });
    }
    const blocks = this.blocksWithKeys();
    const openGroup = Math.floor((blocks.at(-1) ?? 0) / GROUP_SIZE);
    for (const block of blocks) {
      const group = Math.floor(block / GROUP_SIZE);
      // The open group's filters are never persisted; a sealed one whose sealing transaction rolled back neither.
      if (group !== openGroup && this.filters.hasBlock(block) && this.filters.hasGroup(group)) continue;
      for (const row of this.q.keysOfBlock.all(block) as { tx: Uint8Array }[]) {
        for (const sealed of this.filters.add(block, keyWords(row.tx))) this.persist(sealed);
      }
    }
    this.seenHead = head;
  }

  /**
   * Appends the batches' events unless their key was appended before (ever, or earlier in these batches), from
   * `head` on; returns the outcomes per batch and the new head. Inside the caller's write transaction.
   */
  append(batches: readonly UsageBatch[], head: bigint): { outcomes: DedupedOutcome[][]; head: bigint } {
    this.sync(head);
    let position = head;
    const outcomes = batches.map((batch) => {
      const batchRef = Number(this.q.insertBatch.run(JSON.stringify(batch.metadata)).lastInsertRowid);
      return batch.events.map((event): DedupedOutcome => {
        const subject = this.intern(batch.organizationId, event.externalSubscriptionId);
        const tx = txHash(batch.organizationId, event.transactionId);
        const words = keyWords(tx);
        if (this.isDuplicate(tx, subject.sub, words)) return { status: 'duplicate' };
        position += 1n;
        const block = this.filters.blockOf(position);
        const properties = Object.keys(event.properties).length === 0 ? null : JSON.stringify(event.properties);
        this.q.insertEvent.run(position, batchRef, subject.ref, event.transactionId, event.code, Date.parse(event.timestamp), properties, event.preciseTotalAmountCents);
        this.q.insertDedup.run(block, tx, subject.sub, position);
        this.q.insertBySubject.run(block, subject.ref, position);
        for (const sealed of this.filters.add(block, words)) this.persist(sealed);
        return { status: 'appended', position };
      });
    });
    return { outcomes, head: position };
  }

  /**
   * Stores an event read from the old layout (every event in `events`) at its own position: the schema migration.
   * Returns false when its key is already stored.
   */
  importEvent(position: bigint, batchRef: number, data: IngestedUsageEvent): boolean {
    const subject = this.intern(data.organizationId, data.externalSubscriptionId);
    const tx = txHash(data.organizationId, data.transactionId);
    const words = keyWords(tx);
    if (this.isDuplicate(tx, subject.sub, words)) return false;
    const block = this.filters.blockOf(position);
    const properties = Object.keys(data.properties ?? {}).length === 0 ? null : JSON.stringify(data.properties);
    this.q.insertEvent.run(position, batchRef, subject.ref, data.transactionId, data.code, Date.parse(data.timestamp), properties, data.preciseTotalAmountCents ?? null);
    this.q.insertDedup.run(block, tx, subject.sub, position);
    this.q.insertBySubject.run(block, subject.ref, position);
    for (const sealed of this.filters.add(block, words)) this.persist(sealed);
    return true;
  }

  /** A batch row for imported events sharing this metadata. */
  importBatch(metadata: EventMetadata): number {
    return Number(this.q.insertBatch.run(JSON.stringify(metadata)).lastInsertRowid);
  }

  /** The transaction that called `append` committed (or rolled back: then its interned subjects are forgotten). */
  settle(committed: boolean): void {
    if (!committed) {
      for (const subject of this.pendingSubjects) {
        this.subjectsByKey.delete(keyOf(subject.organizationId, subject.externalSubscriptionId));
        this.subjectsByRef.delete(subject.ref);
      }
    }
    this.pendingSubjects = [];
  }

  /**
   * At the start of every write transaction: when the head moved past what this process wrote, another process
   * appended, and its keys go into the filters before any duplicate is decided here.
   */
  sync(head: bigint): void {
    if (head <= this.seenHead) return;
    const rows = this.q.keysAfter.all(this.filters.blockOf(this.seenHead + 1n), this.seenHead) as { block: number | bigint; tx: Uint8Array }[];
    for (const row of rows) for (const sealed of this.filters.add(Number(row.block), keyWords(row.tx))) this.persist(sealed);
    this.seenHead = head;
  }

  /** This process appended up to `head` (a domain append): nothing to load. */
  wrote(head: bigint): void {
    if (head > this.seenHead) this.seenHead = head;
  }

  /** Usage events after `after`, in position order (the log's usage half of `readAll`); optionally one partition. */
  readRange(after: bigint, maxCount: number, partition?: { partition: number; of: number }): RecordedEvent[] {
    const rows = partition === undefined ? this.q.readRange.all(after, maxCount) : this.q.readPartition.all(after, partition.of, partition.partition, maxCount);
    return (rows as unknown as UsageRow[]).map((row) => this.decode(row));
  }

  /** One external subscription's usage events, forwards or backwards in log order, bounded. */
  readSubject(organizationId: string, externalSubscriptionId: string, head: bigint, options: UsageReadOptions): RecordedEvent[] {
    const subject = this.findSubject(organizationId, externalSubscriptionId);
    if (subject === null) return [];
    const max = options.maxCount ?? Number.MAX_SAFE_INTEGER;
    const after = options.after ?? 0n;
    const before = options.before ?? head + 1n;
    const found: RecordedEvent[] = [];
    const firstBlock = this.filters.blockOf(after);
    const lastBlock = this.filters.blockOf(before < 1n ? 0n : before - 1n);
    const backwards = options.direction === 'backwards';
    for (let i = 0; i <= lastBlock - firstBlock && found.length < max; i += 1) {
      const block = backwards ? lastBlock - i : firstBlock + i;
      const statement = backwards ? this.q.subjectBackwards : this.q.subjectForwards;
      const rows = statement.all(block, subject.ref, after, before, max - found.length) as unknown as UsageRow[];
      for (const row of rows) found.push(this.decode(row));
    }
    return found;
  }

  /** An organization's usage events, newest first, with a bounded scan (see the port). */
  scanOrganization(organizationId: string, before: bigint, maxCount: number, scanLimit: number, code: string | undefined): { events: RecordedEvent[]; next: bigint | null } {
    const found: RecordedEvent[] = [];
    let cursor = before;
    let scanned = 0;
    while (found.length < maxCount && scanned < scanLimit) {
      const rows = this.q.readBackwards.all(cursor, Math.min(1_000, scanLimit - scanned)) as unknown as UsageRow[];
      for (const row of rows) {
        scanned += 1;
        cursor = BigInt(row.position);
        if (code !== undefined && row.code !== code) continue;
        if (this.subjectOf(Number(row.subject)).organizationId !== organizationId) continue;
        found.push(this.decode(row));
        if (found.length === maxCount) break;
      }
      if (rows.length === 0) return { events: found, next: null };
    }
    return { events: found, next: cursor };
  }

  /** The usage events stored under this transaction id (and external subscription id, when given), newest first. */
  findByTransaction(organizationId: string, transactionId: string, externalSubscriptionId?: string): RecordedEvent[] {
    const tx = txHash(organizationId, transactionId);
    const found: RecordedEvent[] = [];
    for (const block of this.filters.candidates(keyWords(tx))) {
      for (const { position } of this.q.probeTx.all(block, tx) as { position: number | bigint }[]) {
        const row = this.q.readOne.get(position) as UsageRow | undefined;
        if (row === undefined) continue;
        const event = this.decode(row);
        // Hashes only point at candidates: the stored event itself must match.
        const data = event.data as IngestedUsageEvent;
        if (data.organizationId !== organizationId || data.transactionId !== transactionId) continue;
        if (externalSubscriptionId !== undefined && data.externalSubscriptionId !== externalSubscriptionId) continue;
        found.push(event);
      }
    }
    return found.sort((a, b) => (a.position > b.position ? -1 : 1));
  }

  /** Bytes of filters held in memory. */
  filterBytes(): number {
    return this.filters.bytes();
  }

  private isDuplicate(tx: Uint8Array, sub: Uint8Array, words: KeyWords): boolean {
    for (const block of this.filters.candidates(words)) {
      for (const row of this.q.probe.all(block, tx) as { sub: Uint8Array }[]) if (sameBytes(row.sub, sub)) return true;
    }
    return false;
  }

  private persist(sealed: SealedFilter): void {
    this.q.persistFilter.run(sealed.level, sealed.index, sealed.bits);
  }

  private blocksWithKeys(): number[] {
    const blocks: number[] = [];
    // One seek per block (a skip scan), not a scan of every key.
    for (let next = this.q.nextBlock.get(-1) as { block: number | bigint | null }; next.block !== null; next = this.q.nextBlock.get(next.block) as { block: number | bigint | null }) {
      blocks.push(Number(next.block));
    }
    return blocks;
  }

  private intern(organizationId: string, externalSubscriptionId: string): Subject {
    const known = this.findSubject(organizationId, externalSubscriptionId);
    if (known !== null) return known;
    const ref = Number(this.q.insertSubject.run(organizationId, externalSubscriptionId).lastInsertRowid);
    const subject = this.remember(ref, organizationId, externalSubscriptionId);
    this.pendingSubjects.push(subject);
    return subject;
  }

  private findSubject(organizationId: string, externalSubscriptionId: string): Subject | null {
    const cached = this.subjectsByKey.get(keyOf(organizationId, externalSubscriptionId));
    if (cached !== undefined) return cached;
    const row = this.q.subjectByKey.get(organizationId, externalSubscriptionId) as { subject: number | bigint } | undefined;
    return row === undefined ? null : this.remember(Number(row.subject), organizationId, externalSubscriptionId);
  }

  private subjectOf(ref: number): Subject {
    const cached = this.subjectsByRef.get(ref);
    if (cached !== undefined) return cached;
    const row = this.q.subjectByRef.get(ref) as { organization_id: string; external_subscription_id: string } | undefined;
    if (row === undefined) throw new Error(`usage subject ${ref} is missing`);
    return this.remember(ref, row.organization_id, row.external_subscription_id);
  }

  private remember(ref: number, organizationId: string, externalSubscriptionId: string): Subject {
    if (this.subjectsByRef.size >= CACHE_LIMIT) {
      this.subjectsByKey.clear();
      this.subjectsByRef.clear();
    }
    const subject = { ref, organizationId, externalSubscriptionId, sub: subHash(organizationId, externalSubscriptionId), streamId: usageStream(organizationId, externalSubscriptionId) };
    this.subjectsByKey.set(keyOf(organizationId, externalSubscriptionId), subject);
    this.subjectsByRef.set(ref, subject);
    return subject;
  }

  private metadataOf(ref: number): EventMetadata {
    const cached = this.batches.get(ref);
    if (cached !== undefined) return cached;
    const row = this.q.batchByRef.get(ref) as { metadata: string } | undefined;
    if (row === undefined) throw new Error(`usage batch ${ref} is missing`);
    if (this.batches.size >= 1_000) this.batches.clear();
    const metadata = JSON.parse(row.metadata) as EventMetadata;
    this.batches.set(ref, metadata);
    return metadata;
  }

  private decode(row: UsageRow): RecordedEvent {
    const subject = this.subjectOf(Number(row.subject));
    const metadata = this.metadataOf(Number(row.batch));
    const properties = row.properties === null ? {} : (JSON.parse(row.properties) as Record<string, unknown>);
    const data = new DecodedUsage(subject, row.transaction_id, row.code, Number(row.timestamp), properties, row.precise, metadata.recordedAt);
    return new DecodedEvent(subject.streamId, data, metadata, BigInt(row.position));
  }
}

/**
 * A usage event's data as decoded from its row. `timestampMs` (not part of the data, not serialized) saves the
 * fold parsing the timestamp back.
 */
class DecodedUsage implements IngestedUsageEvent {
  readonly organizationId: string;
  readonly transactionId: string;
  readonly externalSubscriptionId: string;
  readonly code: string;
  readonly timestamp: string;
  readonly properties: Record<string, unknown>;
  readonly preciseTotalAmountCents: string | null;
  readonly ingestedAt: string;
  readonly #ms: number;

  constructor(subject: Subject, transactionId: string, code: string, ms: number, properties: Record<string, unknown>, precise: string | null, ingestedAt: string) {
    this.organizationId = subject.organizationId;
    this.transactionId = transactionId;
    this.externalSubscriptionId = subject.externalSubscriptionId;
    this.code = code;
    this.timestamp = new Date(ms).toISOString();
    this.properties = properties;
    this.preciseTotalAmountCents = precise;
    this.ingestedAt = ingestedAt;
    this.#ms = ms;
  }

  get timestampMs(): number {
    return this.#ms;
  }
}

/** A usage event as the log yields it; its id is derived from its position only when asked for. */
class DecodedEvent implements RecordedEvent {
  readonly streamId: string;
  readonly type = 'UsageEventIngested';
  readonly data: DecodedUsage;
  readonly metadata: EventMetadata;
  readonly revision = 0n;
  readonly position: bigint;

  constructor(streamId: string, data: DecodedUsage, metadata: EventMetadata, position: bigint) {
    this.streamId = streamId;
    this.data = data;
    this.metadata = metadata;
    this.position = position;
  }

  get id(): string {
    return usageEventId(this.position);
  }
}

/** Usage events have no stored id: theirs is derived from the log position (unique, stable, time-ordered). */
export function usageEventId(position: bigint): string {
  return `usage-${position.toString().padStart(20, '0')}`;
}

const keyOf = (organizationId: string, externalSubscriptionId: string) => `${organizationId}\u0000${externalSubscriptionId}`;

function prepare(db: DatabaseSync) {
  return {
    insertBatch: db.prepare('INSERT INTO usage_batches (metadata) VALUES (?)'),
    insertSubject: db.prepare('INSERT INTO usage_subjects (organization_id, external_subscription_id) VALUES (?, ?)'),
    subjectByKey: db.prepare('SELECT subject FROM usage_subjects WHERE organization_id = ? AND external_subscription_id = ?'),
    subjectByRef: db.prepare('SELECT organization_id, external_subscription_id FROM usage_subjects WHERE subject = ?'),
    batchByRef: db.prepare('SELECT metadata FROM usage_batches WHERE batch = ?'),
    insertEvent: db.prepare(`INSERT INTO usage_events (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
    insertDedup: db.prepare('INSERT INTO usage_dedup (block, tx, sub, position) VALUES (?, ?, ?, ?)'),
    insertBySubject: db.prepare('INSERT INTO usage_by_subject (block, subject, position) VALUES (?, ?, ?)'),
    probe: db.prepare('SELECT sub FROM usage_dedup WHERE block = ? AND tx = ?'),
    probeTx: db.prepare('SELECT position FROM usage_dedup WHERE block = ? AND tx = ?'),
    keysOfBlock: db.prepare('SELECT tx FROM usage_dedup WHERE block = ?'),
    keysAfter: db.prepare('SELECT block, tx FROM usage_dedup WHERE block >= ? AND position > ?'),
    nextBlock: db.prepare('SELECT MIN(block) AS block FROM usage_dedup WHERE block > ?'),
    persistFilter: db.prepare('INSERT OR REPLACE INTO usage_filters (level, idx, bits) VALUES (?, ?, ?)'),
    readRange: db.prepare(`SELECT ${COLUMNS} FROM usage_events WHERE position > ? ORDER BY position LIMIT ?`),
    readPartition: db.prepare(`SELECT ${COLUMNS} FROM usage_events WHERE position > ? AND subject % ? = ? ORDER BY position LIMIT ?`),
    readOne: db.prepare(`SELECT ${COLUMNS} FROM usage_events WHERE position = ?`),
    readBackwards: db.prepare(`SELECT ${COLUMNS} FROM usage_events WHERE position < ? ORDER BY position DESC LIMIT ?`),
    subjectForwards: db.prepare(
      `SELECT u.position, u.batch, u.subject, u.transaction_id, u.code, u.timestamp, u.properties, u.precise
       FROM usage_by_subject s JOIN usage_events u ON u.position = s.position
       WHERE s.block = ? AND s.subject = ? AND s.position > ? AND s.position < ? ORDER BY s.position LIMIT ?`,
    ),
    subjectBackwards: db.prepare(
      `SELECT u.position, u.batch, u.subject, u.transaction_id, u.code, u.timestamp, u.properties, u.precise
       FROM usage_by_subject s JOIN usage_events u ON u.position = s.position
       WHERE s.block = ? AND s.subject = ? AND s.position > ? AND s.position < ? ORDER BY s.position DESC LIMIT ?`,
    ),
  } satisfies Record<string, StatementSync>;
}

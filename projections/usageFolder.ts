import type { RecordedEvent } from '../src/application/ports/eventStore.ts';
import type { Document, DocumentWrite, ReadModelStore } from '../src/application/ports/readModelStore.ts';
import { aggregationFor, replaceUniqueEntry, runningTotal, uniqueEntryOf } from '../src/billing/aggregations/index.ts';
import type { AggregationEvent, RunningTotalState, UniqueCountState, UniqueEntry } from '../src/billing/aggregations/index.ts';
import { epochSeconds, numericValue } from '../src/billing/aggregations/shared.ts';
import { aggregationEventOf, dimsOf, locate } from '../src/billing/usage/meter.ts';
import type { Dims, IngestedUsageEvent, MeterContext } from '../src/billing/usage/types.ts';
import type { FoldFailure } from './projection.ts';
import { EMPTY_FINGERPRINT, UsageCatalog } from './usageCatalog.ts';
import {
  BUCKETS,
  METERS,
  VALUES,
  bucketId,
  dimsKey,
  periodPrefix,
  perEventValueId,
  subjectKey,
  uniqueValueId,
  type StoredBucket,
  type UsageMeterDocument,
} from './usageStore.ts';

/** An external subscription id as the fold sees it: its catalog, the fingerprint of it, and its meter. */
export type Subject = {
  key: string;
  organizationId: string;
  externalSubscriptionId: string;
  catalog: UsageCatalog;
  fingerprint: string;
  /** Null until the subject is first folded with a catalog (its usage is then empty). */
  meter: UsageMeterDocument | null;
};


type Placement = { id: string; ctx: MeterContext; dims: Dims; event: AggregationEvent; position: bigint; valueId: string | null };
type BucketEntry = { doc: StoredBucket; position: bigint; dirty: boolean };
type ValueEntry = { doc: Document | null; position: bigint; dirty: boolean };

/** The subject key a bucket id starts with (its first two parts). */
const subjectOfBucket = (id: string): string => id.slice(0, id.indexOf('|', id.indexOf('|') + 1));

function readable(read: () => unknown): boolean {
  try {
    read();
    return true;
  } catch {
    return false;
  }
}

/** Cached documents past these counts are dropped once clean (after a commit): memory stays bounded. */
const MAX_BUCKETS = 100_000;
const MAX_VALUES = 300_000;
const MAX_SUBJECTS = 100_000;

/**
 * The usage fold's working set: subjects (catalog in memory, invalidated by catalog events), buckets and values
 * loaded once and updated in place, dirty until the runner commits them. Folding an event is a few map lookups
 * and one aggregation step; its cost does not depend on the size of anything stored.
 */
export class UsageFolder {
  private readonly readModels: ReadModelStore;
  private readonly subjects = new Map<string, Subject>();
  private readonly buckets = new Map<string, BucketEntry>();
  private readonly values = new Map<string, ValueEntry>();
  private readonly meters = new Map<string, UsageMeterDocument>();
  private changed = new Set<string>();
  private failures: FoldFailure[] = [];
  /** Subjects with a bucket whose running total a late value broke: to re-fold in timestamp order. */
  private broken = new Set<string>();
  private folded = 0;

  constructor(readModels: ReadModelStore) {
    this.readModels = readModels;
  }

  /** Loads (or reloads, after `forget`) the subjects of these events; batched per organization. */
  async ensureSubjects(keys: readonly { organizationId: string; externalSubscriptionId: string }[]): Promise<void> {
    const missing = new Map<string, Set<string>>();
    for (const { organizationId, externalSubscriptionId } of keys) {
      if (this.subjects.has(subjectKey(organizationId, externalSubscriptionId))) continue;
      let set = missing.get(organizationId);
      if (set === undefined) missing.set(organizationId, (set = new Set()));
      set.add(externalSubscriptionId);
    }
    if (missing.size === 0) return;
    if (this.subjects.size > MAX_SUBJECTS) this.subjects.clear();
    for (const [organizationId, set] of missing) {
      const externalIds = [...set];
      const catalog = await UsageCatalog.load(this.readModels, organizationId, externalIds);
      const ids = externalIds.map((ext) => subjectKey(organizationId, ext));
      const meters = await this.readModels.loadForUpdate(METERS, ids.filter((id) => !this.meters.has(id)));
      for (const [i, externalSubscriptionId] of externalIds.entries()) {
        const key = ids[i]!;
        const meter = this.meters.get(key) ?? ((meters.get(key)?.doc as UsageMeterDocument | undefined) ?? null);
        this.subjects.set(key, { key, organizationId, externalSubscriptionId, catalog, fingerprint: catalog.fingerprint(externalSubscriptionId), meter });
      }
    }
  }

  subject(key: string): Subject | undefined {
    return this.subjects.get(key);
  }

  /** Drops a subject's cached catalog (a catalog event touched it): reloaded on next use. */
  forget(key: string): void {
    this.subjects.delete(key);
  }

  /** Whether the subject's stored usage matches its catalog; if not, it needs a re-fold. */
  upToDate(subject: Subject): boolean {
    const meter = subject.meter;
    if (meter === null) return subject.fingerprint === EMPTY_FINGERPRINT;
    return meter.refold !== null ? meter.refold.fingerprint === subject.fingerprint : meter.fingerprint === subject.fingerprint;
  }

  /** Stores a subject's meter (with the next commit). */
  setMeter(subject: Subject, meter: UsageMeterDocument): void {
    subject.meter = meter;
    this.meters.set(subject.key, meter);
    this.changed.add(subject.key);
  }

  /**
   * Folds events of subjects already loaded into generation `generation` of each (the live fold passes the
   * current one; a re-fold the one it builds). Buckets and values are loaded in one read per batch.
   */
  async fold(events: readonly RecordedEvent[], generationOf: (subject: Subject) => number | null, inLogOrder = true): Promise<void> {
    const placements: Placement[] = [];
    for (const event of events) {
      const data = event.data as IngestedUsageEvent;
      const subject = this.subjects.get(subjectKey(data.organizationId, data.externalSubscriptionId));
      if (subject === undefined) continue;
      const generation = generationOf(subject);
      if (generation === null) continue;
      try {
        const placement = this.place(subject, generation, data, event.position);
        if (placement !== null) placements.push(placement);
      } catch (error) {
        this.failures.push({ position: event.position, organizationId: data.organizationId, documentId: null, error: String(error) });
      }
    }
    await this.load(placements);
    for (const placement of placements) {
      try {
        this.apply(placement, inLogOrder);
      } catch (error) {
        this.failures.push({ position: placement.position, organizationId: placement.ctx.organizationId, documentId: placement.id, error: String(error) });
      }
    }
  }

  /**
   * Everything dirty since the last call, as writes (meters at `position`, the live fold's); the cache keeps the
   * (now clean) documents.
   */
  takeWrites(position: bigint): DocumentWrite[] {
    const writes: DocumentWrite[] = [];
    for (const [id, entry] of this.buckets) {
      if (!entry.dirty) continue;
      entry.dirty = false;
      writes.push({ collection: BUCKETS, id, doc: entry.doc, position: entry.position });
    }
    for (const [id, entry] of this.values) {
      if (!entry.dirty) continue;
      entry.dirty = false;
      writes.push({ collection: VALUES, id, doc: entry.doc, position: entry.position });
    }
    for (const [id, meter] of this.meters) writes.push({ collection: METERS, id, doc: meter as unknown as Document, position });
    this.meters.clear();
    this.folded = 0;
    if (this.buckets.size > MAX_BUCKETS) this.buckets.clear();
    if (this.values.size > MAX_VALUES) this.values.clear();
    return writes;
  }

  /** Forgets cached documents about to be deleted (a discarded generation). */
  evict(collection: string, ids: readonly string[]): void {
    const cache: Map<string, unknown> = collection === BUCKETS ? this.buckets : this.values;
    for (const id of ids) cache.delete(id);
  }

  /** Subjects whose usage changed since the last call (live pushes). */
  takeChanged(): string[] {
    const changed = [...this.changed];
    this.changed = new Set();
    return changed;
  }

  takeFailures(): FoldFailure[] {
    const failures = this.failures;
    this.failures = [];
    return failures;
  }

  /** Subjects (keys) with a running total a late negative value broke: re-fold them in timestamp order. */
  takeBroken(): string[] {
    const broken = [...this.broken];
    this.broken.clear();
    return broken;
  }

  /** Events folded since the last `takeWrites`. */
  pending(): number {
    return this.folded;
  }

  /** Drops every cached document (after a failed commit: reloaded from what was stored). */
  reset(): void {
    this.buckets.clear();
    this.values.clear();
    this.meters.clear();
    this.subjects.clear();
  }

  private place(subject: Subject, generation: number, data: IngestedUsageEvent, position: bigint): Placement | null {
    const ctx = subject.catalog.contextFor(data.externalSubscriptionId, data.code, data.timestamp);
    const location = ctx && locate(ctx, data.timestamp);
    if (!ctx || !location) return null;
    const dims = dimsOf(ctx, data.properties);
    const id = bucketId(periodPrefix(subject.key, generation, { metricCode: ctx.metric.code, from: location.from, subscriptionId: ctx.subscriptionId }), dimsKey(ctx.dimensionKeys, dims));
    const event = aggregationEventOf(ctx, data);
    let valueId: string | null = null;
    if (ctx.metric.aggregationType === 'UNIQUE_COUNT' && event.value !== null) valueId = uniqueValueId(id, event.value);
    else if (ctx.perEventValues && numericValue(event.value) !== null) valueId = perEventValueId(id, epochSeconds(event.timestamp).toFixed(), event.transactionId);
    return { id, ctx, dims, event, position, valueId };
  }

  private async load(placements: readonly Placement[]): Promise<void> {
    const buckets = [...new Set(placements.map((p) => p.id).filter((id) => !this.buckets.has(id)))];
    const values = [...new Set(placements.flatMap((p) => (p.valueId === null || this.values.has(p.valueId) ? [] : [p.valueId])))];
    const [storedBuckets, storedValues] = await Promise.all([this.readModels.loadForUpdate(BUCKETS, buckets), this.readModels.loadForUpdate(VALUES, values)]);
    for (const [id, { doc, position }] of storedBuckets) this.buckets.set(id, { doc: doc as StoredBucket, position, dirty: false });
    for (const id of values) {
      const found = storedValues.get(id);
      this.values.set(id, { doc: found?.doc ?? null, position: found?.position ?? 0n, dirty: false });
    }
  }

  /**
   * `inLogOrder`: events come in log order, so one at or below the bucket's position is already in it (the replay
   * guard). A re-fold in timestamp order folds each event once into fresh buckets and skips the guard.
   */
  private apply({ id, ctx, dims, event, position, valueId }: Placement, inLogOrder: boolean): void {
    const aggregation = aggregationFor(ctx.metric.aggregationType);
    if (aggregation === undefined) return;
    let entry = this.buckets.get(id);
    if (entry === undefined) {
      entry = { doc: { _id: id, dims, state: aggregation.empty(), eventsCount: 0 }, position: 0n, dirty: false };
      this.buckets.set(id, entry);
    }
    if (inLogOrder && position <= entry.position) return;
    const doc = entry.doc;
    if (ctx.metric.aggregationType === 'UNIQUE_COUNT') doc.state = this.foldUnique(doc.state as UniqueCountState, valueId, event, position);
    else doc.state = aggregation.add(doc.state, event);
    doc.eventsCount += 1;
    if (ctx.perEventValues && valueId !== null) {
      const value = numericValue(event.value)!;
      this.values.set(valueId, { doc: { _id: valueId, ts: epochSeconds(event.timestamp).toFixed(), transactionId: event.transactionId, value: value.toFixed() }, position, dirty: true });
    }
    if (ctx.runningTotals.length > 0) {
      const totals: Record<string, RunningTotalState> = { ...doc.runningTotals };
      for (const { chargeId, options } of ctx.runningTotals) {
        const fold = runningTotal(options);
        const next = fold.add(Object.hasOwn(totals, chargeId) ? totals[chargeId]! : fold.empty(), event);
        totals[chargeId] = next;
        if (!readable(() => fold.result(next))) this.broken.add(subjectOfBucket(id));
      }
      doc.runningTotals = totals;
    }
    if (position > entry.position) entry.position = position;
    entry.dirty = true;
    this.folded += 1;
    this.changed.add(subjectOfBucket(id));
  }

  /** UNIQUE_COUNT: the value's entry lives in its own document; the bucket keeps the active count. */
  private foldUnique(state: UniqueCountState, valueId: string | null, event: AggregationEvent, position: bigint): UniqueCountState {
    const candidate = uniqueEntryOf(event);
    if (valueId === null || candidate === null) return state;
    const stored = this.values.get(valueId);
    const current = (stored?.doc ?? undefined) as UniqueEntry | undefined;
    const { entry, delta } = replaceUniqueEntry(current, candidate);
    if (entry === null) return state;
    this.values.set(valueId, { doc: { _id: valueId, ts: entry.ts, transactionId: entry.transactionId, op: entry.op }, position, dirty: true });
    return delta === 0 ? state : { values: {}, active: String(Number(state.active) + delta) };
  }

}

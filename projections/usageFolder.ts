import type { RecordedEvent } from '../src/application/ports/eventStore.ts';
import type { Document, DocumentWrite, ReadModelStore } from '../src/application/ports/readModelStore.ts';
import { aggregationFor, replaceUniqueEntry, runningTotal, uniqueEntryOf } from '../src/billing/aggregations/index.ts';
import type { AggregationEvent, RunningTotalState, UniqueCountState, UniqueEntry } from '../src/billing/aggregations/index.ts';
import { numericValue, secondsOf } from '../src/billing/aggregations/shared.ts';
import { inAdvanceSlotOf, type InAdvancePeriod } from '../src/billing/usage/inAdvance.ts';
import { addToDays, aggregationEventOf, dimsOf, emptyDays, foldInAdvance, inAdvancePeriodOf, locate, timestampMsOf, type UsageLocation } from '../src/billing/usage/meter.ts';
import type { Dims, IngestedUsageEvent, MeterContext } from '../src/billing/usage/types.ts';
import { GenerationalCache } from './cache.ts';
import type { FoldFailure } from './projection.ts';
import { EMPTY_FINGERPRINT, SharedDocuments, UsageCatalog } from './usageCatalog.ts';
import {
  BUCKETS,
  METERS,
  VALUES,
  bucketId,
  dimsKey,
  inAdvanceId,
  periodPrefix,
  perEventValueId,
  subjectKey,
  uniqueValueId,
  type StoredBucket,
  type StoredInAdvance,
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


/**
 * A cached bucket; `doc` is null while it is being loaded (its first event in this batch). Its value documents
 * (UNIQUE_COUNT) hang off it, by raw value: the per-event lookup never builds a document id.
 */
type BucketEntry = { id: string; subject: string; doc: StoredBucket | null; position: bigint; dirty: boolean; values: Map<string, ValueEntry> | undefined };
/** A cached value document; `doc` null: none stored (or not loaded yet, while `loading`). */
type ValueEntry = { id: string; doc: Document | null; position: bigint; dirty: boolean; loading: boolean };
/** A cached in-advance document (one pay-in-advance charge's slot of a period); `doc` null: none stored yet. */
type SlotEntry = { id: string; subject: string; chargeId: string; slot: string; doc: StoredInAdvance | null; position: bigint; dirty: boolean };
type Placement = {
  bucket: BucketEntry;
  ctx: MeterContext;
  dims: Dims;
  event: AggregationEvent;
  position: bigint;
  value: ValueEntry | null;
  location: UsageLocation;
  /** One per `ctx.inAdvance` charge, in its order; null when none (or in the history document). */
  slots: SlotEntry[] | null;
};

/** The billing period of a location for in-advance entries, once per location. */
const inAdvancePeriods = new WeakMap<UsageLocation, InAdvancePeriod | null>();

function inAdvancePeriod(ctx: MeterContext, location: UsageLocation): InAdvancePeriod | null {
  if (!inAdvancePeriods.has(location)) inAdvancePeriods.set(location, inAdvancePeriodOf(ctx, location));
  return inAdvancePeriods.get(location)!;
}

/** Period prefixes, per location and generation: built once, then the same string (and its hash) every event. */
const prefixes = new WeakMap<UsageLocation, Map<number, string>>();

function prefixOf(subject: string, generation: number, ctx: MeterContext, location: UsageLocation): string {
  let byGeneration = prefixes.get(location);
  if (byGeneration === undefined) prefixes.set(location, (byGeneration = new Map()));
  let prefix = byGeneration.get(generation);
  if (prefix === undefined) byGeneration.set(generation, (prefix = periodPrefix(subject, generation, { metricCode: ctx.metric.code, from: location.from, subscriptionId: ctx.subscriptionId })));
  return prefix;
}

function readable(read: () => unknown): boolean {
  try {
    read();
    return true;
  } catch {
    return false;
  }
}

/** Cached entries per generation (see GenerationalCache): memory stays bounded, the recently used stay. */
const BUCKETS_CACHED = 40_000;
const VALUES_CACHED = 60_000;
const SUBJECTS_CACHED = 20_000;

/**
 * The usage fold's working set: subjects (catalog in memory, invalidated by catalog events), buckets and values
 * loaded once and updated in place, dirty until the runner commits them. Folding an event is a few map lookups
 * and one aggregation step; its cost does not depend on the size of anything stored.
 */
export class UsageFolder {
  private readonly readModels: ReadModelStore;
  private readonly subjects = new GenerationalCache<string, Subject>(SUBJECTS_CACHED);
  /** Plans and metrics the cached subjects' catalogs share. */
  private readonly shared = new SharedDocuments();
  /** Buckets by period prefix, then dimension key: one lookup of a cached prefix string and a short key per event. */
  private readonly buckets = new GenerationalCache<string, Map<string, BucketEntry>>(BUCKETS_CACHED);
  /** In-advance documents by id. */
  private readonly slots = new GenerationalCache<string, SlotEntry>(BUCKETS_CACHED);
  private dirtySlots = new Map<string, SlotEntry>();
  /** UNIQUE_COUNT values cached on their buckets; past VALUES_CACHED they are all dropped once clean. */
  private cachedValues = 0;
  /** What changed since the last commit (the caches may age these out of their own maps meanwhile). */
  private dirtyBuckets = new Map<string, BucketEntry>();
  private dirtyValues = new Map<string, ValueEntry>();
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
    this.subjects.trim();
    for (const [organizationId, set] of missing) {
      const externalIds = [...set];
      const catalog = await UsageCatalog.load(this.readModels, organizationId, externalIds, this.shared);
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
  async fold(events: readonly RecordedEvent[], generationOf: (subject: Subject) => number | null, inLogOrder = true, keys?: readonly string[]): Promise<void> {
    const placements: Placement[] = [];
    const missing = { buckets: [] as BucketEntry[], values: [] as ValueEntry[], slots: [] as SlotEntry[] };
    for (const [i, event] of events.entries()) {
      const data = event.data as IngestedUsageEvent;
      const subject = this.subjects.get(keys?.[i] ?? subjectKey(data.organizationId, data.externalSubscriptionId));
      if (subject === undefined) continue;
      const generation = generationOf(subject);
      if (generation === null) continue;
      try {
        const placement = this.place(subject, generation, data, event.position, missing);
        if (placement !== null) placements.push(placement);
      } catch (error) {
        this.failures.push({ position: event.position, organizationId: data.organizationId, documentId: null, error: String(error) });
      }
    }
    await this.load(missing.buckets, missing.values, missing.slots);
    for (const placement of placements) {
      try {
        this.apply(placement, inLogOrder);
      } catch (error) {
        this.failures.push({ position: placement.position, organizationId: placement.ctx.organizationId, documentId: placement.bucket.id, error: String(error) });
      }
    }
  }

  /**
   * Everything dirty since the last call, as writes (meters at `position`, the live fold's); the cache keeps the
   * (now clean) documents.
   */
  takeWrites(position: bigint): DocumentWrite[] {
    const writes: DocumentWrite[] = [];
    for (const [id, entry] of this.dirtyBuckets) {
      entry.dirty = false;
      writes.push({ collection: BUCKETS, id, doc: entry.doc!, position: entry.position });
    }
    for (const [id, entry] of this.dirtyValues) {
      entry.dirty = false;
      writes.push({ collection: VALUES, id, doc: entry.doc, position: entry.position });
    }
    for (const [id, entry] of this.dirtySlots) {
      entry.dirty = false;
      writes.push({ collection: BUCKETS, id, doc: entry.doc!, position: entry.position });
    }
    for (const [id, meter] of this.meters) writes.push({ collection: METERS, id, doc: meter as unknown as Document, position });
    this.dirtyBuckets = new Map();
    this.dirtyValues = new Map();
    this.dirtySlots = new Map();
    this.meters.clear();
    this.folded = 0;
    this.buckets.trim();
    this.slots.trim();
    if (this.cachedValues > VALUES_CACHED) {
      for (const [, inPeriod] of this.buckets.entries()) for (const bucket of inPeriod.values()) bucket.values = undefined;
      this.cachedValues = 0;
    }
    return writes;
  }

  /** Forgets cached documents about to be deleted (a discarded generation). */
  evict(collection: string, ids: readonly string[]): void {
    for (const id of ids) {
      if (collection === BUCKETS) {
        this.buckets.get(id.slice(0, id.lastIndexOf('|') + 1))?.delete(decodeURIComponent(id.slice(id.lastIndexOf('|') + 1)));
        this.dirtyBuckets.delete(id);
        this.slots.delete(id);
        this.dirtySlots.delete(id);
      } else {
        this.dirtyValues.delete(id);
      }
    }
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
    this.slots.clear();
    this.cachedValues = 0;
    this.dirtyBuckets = new Map();
    this.dirtyValues = new Map();
    this.dirtySlots = new Map();
    this.meters.clear();
    this.subjects.clear();
  }

  private place(subject: Subject, generation: number, data: IngestedUsageEvent, position: bigint, missing: { buckets: BucketEntry[]; values: ValueEntry[]; slots: SlotEntry[] }): Placement | null {
    const ms = timestampMsOf(data);
    const ctx = subject.catalog.contextFor(data.externalSubscriptionId, data.code, data.timestamp, ms);
    const location = ctx && locate(ctx, data.timestamp, ms);
    if (!ctx || !location) return null;
    const dims = dimsOf(ctx, data.properties);
    const prefix = prefixOf(subject.key, generation, ctx, location);
    const key = dimsKey(ctx.dimensionKeys, dims);
    let inPeriod = this.buckets.get(prefix);
    if (inPeriod === undefined) this.buckets.set(prefix, (inPeriod = new Map()));
    let bucket = inPeriod.get(key);
    if (bucket === undefined) {
      bucket = { id: bucketId(prefix, key), subject: subject.key, doc: null, position: 0n, dirty: false, values: undefined };
      inPeriod.set(key, bucket);
      missing.buckets.push(bucket);
    }
    const event = aggregationEventOf(ctx, data, ms);
    let value: ValueEntry | null = null;
    if (ctx.metric.aggregationType === 'UNIQUE_COUNT' && event.value !== null) {
      bucket.values ??= new Map();
      value = bucket.values.get(event.value) ?? null;
      if (value === null) {
        value = { id: uniqueValueId(bucket.id, event.value), doc: null, position: 0n, dirty: false, loading: true };
        bucket.values.set(event.value, value);
        this.cachedValues += 1;
        missing.values.push(value);
      }
    } else if (ctx.perEventValues && numericValue(event.value) !== null) {
      // Per-event values are new by construction: nothing to load, nothing to cache.
      value = { id: perEventValueId(bucket.id, secondsOf(event), event.transactionId), doc: null, position: 0n, dirty: false, loading: false };
    }
    return { bucket, ctx, dims, event, position, value, location, slots: this.slotsOf(subject.key, prefix, ctx, dims, location, missing.slots) };
  }

  /** The in-advance documents an event updates: one per pay-in-advance SUM / UNIQUE_COUNT charge, in its slot. */
  private slotsOf(subject: string, prefix: string, ctx: MeterContext, dims: Dims, location: UsageLocation, missing: SlotEntry[]): SlotEntry[] | null {
    if (ctx.inAdvance === undefined || location.history) return null;
    return ctx.inAdvance.map((charge) => {
      const slot = inAdvanceSlotOf(charge, dims);
      const id = inAdvanceId(prefix, charge.chargeId, slot);
      let entry = this.slots.get(id);
      if (entry === undefined) {
        this.slots.set(id, (entry = { id, subject, chargeId: charge.chargeId, slot, doc: null, position: 0n, dirty: false }));
        missing.push(entry);
      }
      return entry;
    });
  }

  private async load(buckets: readonly BucketEntry[], values: readonly ValueEntry[], slots: readonly SlotEntry[]): Promise<void> {
    if (buckets.length === 0 && values.length === 0 && slots.length === 0) return;
    const [storedBuckets, storedValues] = await Promise.all([
      this.readModels.loadForUpdate(BUCKETS, [...buckets.map((b) => b.id), ...slots.map((e) => e.id)]),
      this.readModels.loadForUpdate(VALUES, values.map((v) => v.id)),
    ]);
    for (const slot of slots) {
      const found = storedBuckets.get(slot.id);
      if (found === undefined) continue;
      slot.doc = found.doc as StoredInAdvance;
      slot.position = found.position;
    }
    for (const bucket of buckets) {
      const found = storedBuckets.get(bucket.id);
      if (found === undefined) continue;
      bucket.doc = found.doc as StoredBucket;
      bucket.position = found.position;
    }
    for (const value of values) {
      const found = storedValues.get(value.id);
      value.loading = false;
      if (found === undefined) continue;
      value.doc = found.doc;
      value.position = found.position;
    }
  }

  /**
   * `inLogOrder`: events come in log order, so one at or below the bucket's position is already in it (the replay
   * guard). A re-fold in timestamp order folds each event once into fresh buckets and skips the guard.
   */
  private apply({ bucket, ctx, dims, event, position, value, location, slots }: Placement, inLogOrder: boolean): void {
    const aggregation = aggregationFor(ctx.metric.aggregationType);
    if (aggregation === undefined) return;
    bucket.doc ??= { _id: bucket.id, dims, state: aggregation.empty(), eventsCount: 0 };
    if (inLogOrder && position <= bucket.position) return;
    const doc = bucket.doc;
    // Before the value document moves on: the value's last operation before this event (UNIQUE_COUNT).
    if (slots !== null) this.foldSlots(slots, ctx, event, (value?.doc ?? undefined) as UniqueEntry | undefined, position, location, inLogOrder);
    if (ctx.metric.aggregationType === 'UNIQUE_COUNT') doc.state = this.foldUnique(doc.state as UniqueCountState, value, event, position);
    else doc.state = aggregation.add(doc.state, event);
    doc.eventsCount += 1;
    if (ctx.perEventValues && value !== null) {
      this.setValue(value, { _id: value.id, ts: secondsOf(event), transactionId: event.transactionId, value: numericValue(event.value)!.toFixed() }, position);
    }
    if (ctx.prorated !== undefined) addToDays((doc.prorated ??= emptyDays(ctx)), event, location.history);
    if (ctx.runningTotals.length > 0) {
      const totals: Record<string, RunningTotalState> = { ...doc.runningTotals };
      for (const { chargeId, options } of ctx.runningTotals) {
        const fold = runningTotal(options);
        const next = fold.add(Object.hasOwn(totals, chargeId) ? totals[chargeId]! : fold.empty(), event);
        totals[chargeId] = next;
        if (!readable(() => fold.result(next))) this.broken.add(bucket.subject);
      }
      doc.runningTotals = totals;
    }
    if (position > bucket.position) bucket.position = position;
    bucket.dirty = true;
    this.dirtyBuckets.set(bucket.id, bucket);
    this.folded += 1;
    this.changed.add(bucket.subject);
  }

  /** Each pay-in-advance charge's slot document, in log order; one already holding this event is left alone. */
  private foldSlots(slots: readonly SlotEntry[], ctx: MeterContext, event: AggregationEvent, before: UniqueEntry | undefined, position: bigint, location: UsageLocation, inLogOrder: boolean): void {
    const period = inAdvancePeriod(ctx, location);
    for (const [i, charge] of ctx.inAdvance!.entries()) {
      const slot = slots[i]!;
      if (inLogOrder && position <= slot.position) continue;
      const next = foldInAdvance(slot.doc?.entry, charge, ctx, event, before, period);
      if (next === null) continue;
      slot.doc = { _id: slot.id, chargeId: slot.chargeId, slot: slot.slot, entry: next };
      slot.position = position;
      slot.dirty = true;
      this.dirtySlots.set(slot.id, slot);
    }
  }

  private setValue(entry: ValueEntry, doc: Document, position: bigint): void {
    entry.doc = doc;
    entry.position = position;
    entry.dirty = true;
    this.dirtyValues.set(entry.id, entry);
  }

  /** UNIQUE_COUNT: the value's entry lives in its own document; the bucket keeps the active count. */
  private foldUnique(state: UniqueCountState, value: ValueEntry | null, event: AggregationEvent, position: bigint): UniqueCountState {
    const candidate = uniqueEntryOf(event);
    if (value === null || candidate === null) return state;
    const current = (value.doc ?? undefined) as UniqueEntry | undefined;
    const { entry, delta } = replaceUniqueEntry(current, candidate);
    if (entry === null) return state;
    this.setValue(value, { _id: value.id, ts: entry.ts, transactionId: entry.transactionId, op: entry.op }, position);
    return delta === 0 ? state : { values: {}, active: String(Number(state.active) + delta) };
  }
}

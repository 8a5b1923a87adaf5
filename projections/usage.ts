import type { RecordedEvent } from '../src/application/ports/eventStore.ts';
import type { Document, DocumentWrite, ReadModelStore } from '../src/application/ports/readModelStore.ts';
import type { Logger } from '../src/application/logger.ts';
import { runningTotal } from '../src/billing/aggregations/index.ts';
import { emptyUsageDocument, foldUsageEvents, locate, parseUsageDocumentId, type UsageLocation } from '../src/billing/usage/meter.ts';
import type { IngestedUsageEvent, MeterContext, UsageDocument } from '../src/billing/usage/types.ts';
import { SUBSCRIPTION_EVENT_TYPES } from '../src/domain/subscription/index.ts';
import { usageDedupKey } from '../src/domain/usage/keys.ts';
import type { BatchProjection } from './projection.ts';
import { UsageCatalog, usageKeyOf, type UsageKey } from './usageCatalog.ts';
import { mergeSortedRuns } from './mergeRuns.ts';
import { keysTouchedBy } from './usageTriggers.ts';
import type { UsageEventDocument } from './usageEvents.ts';

/** Events that change where or how usage is folded: the projection re-checks the external ids they touch. */
export const USAGE_BARRIERS: readonly string[] = [
  ...SUBSCRIPTION_EVENT_TYPES,
  'CustomerUpdated',
  'CustomerDeleted',
  'OrganizationUpdated',
  'PlanUpdated',
  'PlanDeleted',
  'BillableMetricCreated',
  'BillableMetricUpdated',
  'BillableMetricDeleted',
];

/**
 * Per external subscription id: the fingerprint of the catalog its usage documents were folded with. Same
 * collection as the usage documents (id `[organizationId, externalSubscriptionId]`, no `metricCode`).
 */
export type UsageMeterDocument = { _id: string; organizationId: string; externalSubscriptionId: string; meter: true; fingerprint: string };

const meterId = (key: UsageKey) => usageKeyOf(key);

/** The external subscription id a usage (or meter) document belongs to. */
function keyOfDocument(id: string, organizationId: string): UsageKey {
  return { organizationId, externalSubscriptionId: parseUsageDocumentId(id).externalSubscriptionId };
}

/** False when a percentage running total can no longer be read (a late negative value moved its crossing). */
function runningTotalsHold(doc: UsageDocument, ctx: MeterContext): boolean {
  if (ctx.runningTotals.length === 0) return true;
  try {
    for (const bucket of Object.values(doc.buckets)) {
      for (const { chargeId, options } of ctx.runningTotals) {
        const state = bucket.runningTotals?.[chargeId];
        if (state !== undefined) runningTotal(options).result(state);
      }
    }
    return true;
  } catch {
    return false;
  }
}

/** Events read, or folded, between two yields to the event loop during a recompute. */
export const RECOMPUTE_PAGE = 2_000;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** An event with its log position (the per-document replay guard compares them). */
type Positioned = { data: IngestedUsageEvent; position: bigint };

/** An event with its timestamp in milliseconds, parsed once for sorting. */
type Timed = { event: Positioned; at: number };
const timed = (event: Positioned): Timed => ({ event, at: Date.parse(event.data.timestamp) });
const byTime = (a: Timed, b: Timed): number =>
  a.at - b.at || (a.event.data.transactionId < b.event.data.transactionId ? -1 : a.event.data.transactionId > b.event.data.transactionId ? 1 : 0);

type Placed = { ctx: MeterContext; location: UsageLocation; events: Positioned[] };

/**
 * Usage per subscription × metric × charges period (`UsageDocument`), folded incrementally from
 * `UsageEventIngested`. Invariant: the documents of an external subscription id are what folding all its
 * events with the current catalog gives. When the catalog that decides placement changes (a subscription starts,
 * ends or changes plan, a plan or metric changes, a timezone changes), its fingerprint changes and that id's
 * documents are recomputed from the `usageEvents` read model.
 */
export const usageProjection: BatchProjection = {
  kind: 'batch',
  name: 'usage',
  collection: 'usage',
  indexes: [{ name: 'bySubscriptionMetric', keys: { organizationId: 1, externalSubscriptionId: 1, metricCode: 1 } }],
  handles: ['UsageEventIngested', ...USAGE_BARRIERS],
  barriers: USAGE_BARRIERS,
  async process(events, batchEnd, readModels, logger) {
    const ingested = events.filter((e) => e.type === 'UsageEventIngested');
    const keys = await keysTouchedBy(events.filter((e) => e.type !== 'UsageEventIngested'), readModels);
    const eventsByKey = new Map<string, Positioned[]>();
    for (const event of ingested) {
      const data = event.data as IngestedUsageEvent;
      const key = { organizationId: data.organizationId, externalSubscriptionId: data.externalSubscriptionId };
      keys.set(usageKeyOf(key), key);
      const list = eventsByKey.get(usageKeyOf(key)) ?? [];
      list.push({ data, position: event.position });
      eventsByKey.set(usageKeyOf(key), list);
    }
    const writes: DocumentWrite[] = [];
    for (const [organizationId, orgKeys] of groupByOrganization(keys)) {
      const catalog = await UsageCatalog.load(readModels, organizationId, orgKeys.map((k) => k.externalSubscriptionId));
      const batch = new OrganizationBatch(readModels, organizationId, batchEnd, catalog, logger);
      writes.push(...(await batch.run(orgKeys, eventsByKey)));
    }
    return writes;
  },
};

function groupByOrganization(keys: Map<string, UsageKey>): Map<string, UsageKey[]> {
  const byOrg = new Map<string, UsageKey[]>();
  for (const key of keys.values()) byOrg.set(key.organizationId, [...(byOrg.get(key.organizationId) ?? []), key]);
  return byOrg;
}

/** One organization's share of a batch: recompute stale ids, fold the others' new events. */
class OrganizationBatch {
  private readonly readModels: ReadModelStore;
  private readonly organizationId: string;
  private readonly batchEnd: bigint;
  private readonly catalog: UsageCatalog;
  private readonly logger: Logger | undefined;

  constructor(readModels: ReadModelStore, organizationId: string, batchEnd: bigint, catalog: UsageCatalog, logger: Logger | undefined) {
    this.logger = logger;
    this.readModels = readModels;
    this.organizationId = organizationId;
    this.batchEnd = batchEnd;
    this.catalog = catalog;
  }

  async run(keys: UsageKey[], eventsByKey: Map<string, Positioned[]>): Promise<DocumentWrite[]> {
    const meters = await this.readModels.loadForUpdate('usage', keys.map(meterId));
    const stale: UsageKey[] = [];
    const incremental: Positioned[] = [];
    const fingerprints = new Map<string, string>();
    for (const key of keys) {
      const fingerprint = this.catalog.fingerprint(key.externalSubscriptionId);
      fingerprints.set(usageKeyOf(key), fingerprint);
      const stored = meters.get(meterId(key))?.doc as UsageMeterDocument | undefined;
      // First sight of this id, or its catalog changed: fold all its events again with the catalog as it is now.
      if (stored?.fingerprint === fingerprint) incremental.push(...(eventsByKey.get(usageKeyOf(key)) ?? []));
      else stale.push(key);
    }
    const folded = await this.foldIncrementally(incremental);
    const writes = folded.writes.filter((w) => !folded.broken.has(usageKeyOf(keyOfDocument(w.id, this.organizationId))));
    stale.push(...[...folded.broken].map((k) => keys.find((key) => usageKeyOf(key) === k)!));
    for (const key of stale) {
      try {
        writes.push(...(await this.recompute(key, eventsByKey.get(usageKeyOf(key)) ?? [])));
        const meter: UsageMeterDocument = { _id: meterId(key), ...key, meter: true, fingerprint: fingerprints.get(usageKeyOf(key))! };
        writes.push({ collection: 'usage', id: meter._id, doc: meter as unknown as Document, position: this.batchEnd });
      } catch (error) {
        // Never stop the projection for one subscription: its usage stays as it was, and the log says why.
        this.logger?.error('usage recompute failed; documents left as they were', { ...key, error: String(error) });
      }
    }
    return writes;
  }

  private place(events: readonly Positioned[]): Map<string, Placed> {
    const placed = new Map<string, Placed>();
    for (const event of events) {
      const ctx = this.catalog.contextFor(event.data.externalSubscriptionId, event.data.code, event.data.timestamp);
      const location = ctx && locate(ctx, event.data.timestamp);
      if (!ctx || !location) continue;
      let entry = placed.get(location.id);
      if (entry === undefined) placed.set(location.id, (entry = { ctx, location, events: [] }));
      entry.events.push(event);
    }
    return placed;
  }

  /** Folds new events into their documents; `broken` names the ids whose documents must be recomputed instead. */
  private async foldIncrementally(events: Positioned[]): Promise<{ writes: DocumentWrite[]; broken: Set<string> }> {
    const placed = this.place(events);
    const writes: DocumentWrite[] = [];
    const broken = new Set<string>();
    if (placed.size === 0) return { writes, broken };
    const stored = await this.readModels.loadForUpdate('usage', [...placed.keys()]);
    for (const [id, { ctx, location, events: own }] of placed) {
      const found = stored.get(id);
      const after = found?.position ?? 0n;
      const fresh = own.filter((e) => e.position > after);
      if (fresh.length === 0) continue;
      const position = fresh.reduce((max, e) => (e.position > max ? e.position : max), after);
      try {
        const doc = foldUsageEvents((found?.doc as UsageDocument | undefined) ?? emptyUsageDocument(ctx, location), ctx, fresh.map((e) => e.data), position);
        if (!runningTotalsHold(doc, ctx)) throw new RangeError('running total lost events to a late negative value');
        writes.push({ collection: 'usage', id, doc: doc as unknown as Document, position });
      } catch (error) {
        this.logger?.warn('usage fold failed; recomputing the subscription from its events', { id, error: String(error) });
        broken.add(usageKeyOf({ organizationId: this.organizationId, externalSubscriptionId: ctx.externalSubscriptionId }));
      }
    }
    return { writes, broken };
  }

  /**
   * Every event of the id up to the batch end (stored ones and this batch's), folded from empty documents in
   * timestamp order. A subscription can hold millions of events: they are read a page at a time (each page sorted
   * on its own), then merged and folded a chunk at a time, yielding to the event loop in between, so the API keeps
   * answering (and ingesting) during a re-fold.
   */
  private async recompute(key: UsageKey, batchEvents: Positioned[]): Promise<DocumentWrite[]> {
    const filter = { organizationId: this.organizationId, externalSubscriptionId: key.externalSubscriptionId };
    const existing = await this.readModels.collection<UsageDocument>('usage').find(filter);
    const dedupKey = (data: IngestedUsageEvent) => usageDedupKey(data.organizationId, data.externalSubscriptionId, data.transactionId);
    // This batch's events, unless the usageEvents read model holds them already.
    const unstored = new Map(batchEvents.map((event) => [dedupKey(event.data), event]));
    const runs: Timed[][] = [];
    const stored = this.readModels.collection<UsageEventDocument>('usageEvents');
    for (let after = ''; ; ) {
      const page = await stored.find({ ...filter, _id: { $gt: after } }, { sort: { _id: 1 }, limit: RECOMPUTE_PAGE });
      const run: Timed[] = [];
      for (const doc of page) {
        if (unstored.size > 0) unstored.delete(dedupKey(doc));
        // The usageEvents read model may be ahead (a rebuild of this projection alone): later events fold later.
        // The document is the event's data plus its id and position, which the fold does not read: no copy.
        const position = BigInt(doc.position);
        if (position <= this.batchEnd) run.push(timed({ data: doc, position }));
      }
      runs.push(run.sort(byTime));
      if (page.length < RECOMPUTE_PAGE) break;
      after = page.at(-1)!._id;
      await yieldToEventLoop();
    }
    runs.push([...unstored.values()].map(timed).sort(byTime));
    // In timestamp order: the percentage running totals are then exact (a late negative value cannot strand them).
    const folded = new Map<string, UsageDocument>();
    for (const chunk of mergeSortedRuns(runs, byTime, RECOMPUTE_PAGE)) {
      for (const [id, { ctx, location, events }] of this.place(chunk.map(({ event }) => event))) {
        folded.set(id, foldUsageEvents(folded.get(id) ?? emptyUsageDocument(ctx, location), ctx, events.map((e) => e.data), this.batchEnd));
      }
      await yieldToEventLoop();
    }
    const writes: DocumentWrite[] = [];
    const rebuilt = new Set<string>();
    for (const [id, doc] of folded) {
      writes.push({ collection: 'usage', id, doc: doc as unknown as Document, position: this.batchEnd });
      rebuilt.add(id);
    }
    for (const doc of existing) {
      if (!rebuilt.has(doc._id) && doc._id !== meterId(key)) writes.push({ collection: 'usage', id: doc._id, doc: null, position: this.batchEnd });
    }
    return writes;
  }
}

import { aggregationFor, replaceUniqueEntry, runningTotal, uniqueEntryOf } from '../aggregations/index.ts';
import type { AggregationEvent, UniqueCountState, UniqueEntry } from '../aggregations/index.ts';
import { compareKeys, epochSeconds, numericValue, plus, secondsOfMs } from '../aggregations/shared.ts';
import { propertyText } from '../chargeFilters.ts';
import { chargesPeriodContaining, prorationDays } from '../periods/index.ts';
import { inAdvanceSlotOf, latestOf, nextSumEntry, nextUniqueEntry, type InAdvancePeriod } from './inAdvance.ts';
import { localDayOf } from './proration.ts';
import type { Dims, InAdvanceCharge, InAdvanceEntries, InAdvanceEntry, IngestedUsageEvent, MeterContext, ProratedDays, UsageBucket, UsageDocument } from './types.ts';
import { instantMs } from './instants.ts';

/** The epoch: `from`/`to` of a recurring metric's history document (events before the subscription started). */
export const HISTORY_FROM = '1970-01-01T00:00:00.000Z';

/** Id of a usage document; JSON keeps the parts apart whatever they contain. */
export function usageDocumentId(organizationId: string, externalSubscriptionId: string, subscriptionId: string, metricCode: string, from: string): string {
  return JSON.stringify([organizationId, externalSubscriptionId, subscriptionId, metricCode, from]);
}

/** The parts of a usage document id. */
export function parseUsageDocumentId(id: string): { organizationId: string; externalSubscriptionId: string; subscriptionId: string; metricCode: string; from: string } {
  const [organizationId, externalSubscriptionId, subscriptionId, metricCode, from] = JSON.parse(id) as string[];
  return { organizationId: organizationId!, externalSubscriptionId: externalSubscriptionId!, subscriptionId: subscriptionId!, metricCode: metricCode!, from: from! };
}

/** Where an event is counted: its document and that document's window. */
export type UsageLocation = { id: string; from: string; to: string; history: boolean };

/**
 * The document an event belongs to (§1.5): the charges period of `ctx`'s subscription containing its timestamp,
 * in the customer's timezone. Before the start, a recurring metric keeps the event in the history document (Lago
 * sums all history for recurring metrics); otherwise, and after the end, the event is not this subscription's.
 */
export function locate(ctx: MeterContext, timestamp: string, ms = Date.parse(timestamp)): UsageLocation | null {
  const ids = (from: string) => usageDocumentId(ctx.organizationId, ctx.externalSubscriptionId, ctx.subscriptionId, ctx.metric.code, from);
  if (ctx.terminatedAt !== null && ms > instantMs(ctx.terminatedAt)) return null;
  if (ms < instantMs(ctx.startedAt)) {
    if (!ctx.metric.recurring) return null;
    let history = historySeen.get(ctx);
    if (history === undefined) historySeen.set(ctx, (history = { id: ids(HISTORY_FROM), from: HISTORY_FROM, to: HISTORY_FROM, history: true }));
    return history;
  }
  // Events of a batch mostly share a period: reuse it rather than recompute zoned period arithmetic per event.
  const known = periodsSeen.get(ctx);
  const hit = known?.find((p) => p.fromMs <= ms && ms <= p.toMs);
  if (hit) return hit.location;
  const period = chargesPeriodContaining(ctx.period, timestamp);
  const location = { id: ids(period.from), from: period.from, to: period.to, history: false };
  if (known === undefined) periodsSeen.set(ctx, [{ fromMs: Date.parse(period.from), toMs: Date.parse(period.to), location }]);
  else if (known.length < 16) known.push({ fromMs: Date.parse(period.from), toMs: Date.parse(period.to), location });
  return location;
}

const periodsSeen = new WeakMap<MeterContext, { fromMs: number; toMs: number; location: UsageLocation }[]>();
const historySeen = new WeakMap<MeterContext, UsageLocation>();

/** The event's dimension values: declared filter values (others → null), group keys as text (§1.4). */
export function dimsOf(ctx: MeterContext, properties: Readonly<Record<string, unknown>>): Dims {
  const dims: Dims = {};
  for (const key of ctx.dimensionKeys) {
    const text = Object.hasOwn(properties, key) ? propertyText(properties[key]) : null;
    const declared = Object.hasOwn(ctx.declaredValues, key) ? ctx.declaredValues[key] : undefined;
    dims[key] = declared !== undefined && text !== null && !declared.includes(text) ? null : text;
  }
  return dims;
}

/** The event's instant in ms: known when the log decoded it (`timestampMs`), else parsed. */
export function timestampMsOf(event: IngestedUsageEvent): number {
  return (event as { timestampMs?: number }).timestampMs ?? Date.parse(event.timestamp);
}

/** The aggregation's view of an event (the metric's field as text, the unique-count operation). */
export function aggregationEventOf(ctx: MeterContext, event: IngestedUsageEvent, ms = timestampMsOf(event)): AggregationEvent {
  const field = ctx.metric.fieldName;
  const raw = field !== null && Object.hasOwn(event.properties, field) ? event.properties[field] : null;
  return {
    transactionId: event.transactionId,
    timestamp: event.timestamp,
    // Millisecond ISO (what ingestion stores) converts exactly; anything finer is parsed as text later.
    seconds: event.timestamp.length === 24 && event.timestamp.endsWith('Z') && event.timestamp[19] === '.' ? secondsOfMs(ms) : undefined,
    value: raw === null || raw === undefined ? null : propertyText(raw),
    operationType: event.properties.operation_type === 'remove' ? 'remove' : 'add',
    preciseTotalAmountCents: event.preciseTotalAmountCents,
  };
}

/** An empty usage document for a location. */
export function emptyUsageDocument(ctx: MeterContext, location: UsageLocation): UsageDocument {
  return {
    _id: location.id,
    organizationId: ctx.organizationId,
    externalSubscriptionId: ctx.externalSubscriptionId,
    subscriptionId: ctx.subscriptionId,
    metricCode: ctx.metric.code,
    aggregationType: ctx.metric.aggregationType,
    from: location.from,
    to: location.to,
    history: location.history,
    timezone: ctx.period.timezone,
    dimensionKeys: ctx.dimensionKeys,
    buckets: {},
    eventsCount: 0,
    position: '0',
  };
}

/**
 * Folds events (all of `doc`'s location) into a usage document. Returns a new document; `doc` is not changed.
 * Aggregation states are order-independent, so any order and any split into calls gives the same buckets
 * (per-event values are kept sorted by timestamp, then transactionId). The in-advance entries (pay-in-advance SUM /
 * UNIQUE_COUNT charges) are Lago's cache, built in the order events are billed: `events` are in log order, and
 * calls follow it.
 */
export function foldUsageEvents(doc: UsageDocument, ctx: MeterContext, events: readonly IngestedUsageEvent[], position: bigint): UsageDocument {
  const aggregation = aggregationFor(ctx.metric.aggregationType);
  if (aggregation === undefined) return doc;
  const byBucket = new Map<string, { dims: Dims; events: AggregationEvent[] }>();
  const ordered: { key: string; dims: Dims; event: AggregationEvent }[] = [];
  for (const event of events) {
    const dims = dimsOf(ctx, event.properties);
    const key = JSON.stringify(ctx.dimensionKeys.map((k) => dims[k]));
    let group = byBucket.get(key);
    if (group === undefined) byBucket.set(key, (group = { dims, events: [] }));
    const folded = aggregationEventOf(ctx, event);
    group.events.push(folded);
    ordered.push({ key, dims, event: folded });
  }
  const location = { from: doc.from, to: doc.to, history: doc.history };
  const folded = ctx.inAdvance === undefined ? doc.inAdvance : foldInAdvanceEvents(doc, ctx, ordered);
  const inAdvance = folded !== undefined && Object.keys(folded).length > 0 ? folded : undefined;
  const buckets = { ...doc.buckets };
  for (const [key, group] of byBucket) {
    const current: UsageBucket = Object.hasOwn(buckets, key) ? buckets[key]! : { dims: group.dims, state: aggregation.empty(), eventsCount: 0 };
    buckets[key] = foldBucket(current, ctx, group.events, location);
  }
  return { ...doc, buckets, ...(inAdvance !== undefined && { inAdvance }), eventsCount: doc.eventsCount + events.length, position: position.toString() };
}

/** The in-advance entries after `ordered` (log order); UNIQUE_COUNT values are followed event by event. */
function foldInAdvanceEvents(doc: UsageDocument, ctx: MeterContext, ordered: readonly { key: string; dims: Dims; event: AggregationEvent }[]): InAdvanceEntries {
  const entries: InAdvanceEntries = {};
  for (const [chargeId, slots] of Object.entries(doc.inAdvance ?? {})) Object.defineProperty(entries, chargeId, { value: { ...slots }, enumerable: true, writable: true, configurable: true });
  const values = new Map<string, Record<string, UniqueEntry>>();
  const period = inAdvancePeriodOf(ctx, doc);
  for (const { key, dims, event } of ordered) {
    let before: UniqueEntry | undefined;
    if (ctx.metric.aggregationType === 'UNIQUE_COUNT' && event.value !== null) {
      let known = values.get(key);
      if (known === undefined) {
        const state = Object.hasOwn(doc.buckets, key) ? (doc.buckets[key]!.state as UniqueCountState) : undefined;
        values.set(key, (known = { ...state?.values }));
      }
      before = Object.hasOwn(known, event.value) ? known[event.value] : undefined;
      const candidate = uniqueEntryOf(event);
      const replaced = candidate === null ? null : replaceUniqueEntry(before, candidate).entry;
      if (replaced !== null) Object.defineProperty(known, event.value, { value: replaced, enumerable: true, writable: true, configurable: true });
    }
    for (const charge of ctx.inAdvance!) {
      const slots = Object.hasOwn(entries, charge.chargeId) ? entries[charge.chargeId]! : {};
      const slot = inAdvanceSlotOf(charge, dims);
      const next = foldInAdvance(Object.hasOwn(slots, slot) ? slots[slot] : undefined, charge, ctx, event, before, period);
      if (next === null) continue;
      Object.defineProperty(slots, slot, { value: next, enumerable: true, writable: true, configurable: true });
      Object.defineProperty(entries, charge.chargeId, { value: slots, enumerable: true, writable: true, configurable: true });
    }
  }
  return entries;
}

/** The period a document's in-advance events are billed in (prorated charges: its end and length). */
export function inAdvancePeriodOf(ctx: MeterContext, location: { from: string; to: string; history: boolean }): InAdvancePeriod | null {
  if (location.history) return null;
  return { to: location.to, durationDays: prorationDays(ctx.period, location.from, location.to, { basis: 'CHARGES' }).periodDays, timezone: ctx.period.timezone };
}

/**
 * One event into a charge's slot entry: the next latest entry, or null when it leaves the slot as it is. Events of a
 * recurring metric before the subscription started (the history document) were never billed in advance.
 */
export function foldInAdvance(
  latest: InAdvanceEntry | undefined,
  charge: InAdvanceCharge,
  ctx: MeterContext,
  event: AggregationEvent,
  before: UniqueEntry | undefined,
  period: InAdvancePeriod | null,
): InAdvanceEntry | null {
  if (period === null) return null;
  const next = ctx.metric.aggregationType === 'UNIQUE_COUNT' ? nextUniqueEntry(latest, event, before) : nextSumEntry(latest, event, charge.prorated ? period : null);
  if (next === null) return null;
  const kept = latestOf(latest, next);
  return kept === latest ? null : kept;
}

/** A bucket's empty `ProratedDays`. */
export function emptyDays(ctx: MeterContext): ProratedDays {
  return { timezone: ctx.period.timezone, days: {}, ...(ctx.prorated?.perEvent && { perEvent: true as const }) };
}

/** Adds an event's numeric value to its local day (prorated SUM charges), in place; the history keeps no days. */
export function addToDays(prorated: ProratedDays, event: AggregationEvent, history: boolean): void {
  const value = history ? null : numericValue(event.value);
  if (value === null) return;
  const day = String(localDayOf(Date.parse(event.timestamp), prorated.timezone));
  const days = prorated.days;
  Object.defineProperty(days, day, { value: Object.hasOwn(days, day) ? plus(days[day]!, value.toFixed()) : value.toFixed(), enumerable: true, writable: true, configurable: true });
}

/** `addToDays` for many events, on a copy. */
function withDays(prorated: ProratedDays | undefined, ctx: MeterContext, events: readonly AggregationEvent[], history: boolean): ProratedDays {
  const kept = prorated === undefined ? emptyDays(ctx) : { ...prorated, days: { ...prorated.days } };
  for (const event of events) addToDays(kept, event, history);
  return kept;
}

function foldBucket(bucket: UsageBucket, ctx: MeterContext, events: readonly AggregationEvent[], location: { history: boolean }): UsageBucket {
  const aggregation = aggregationFor(ctx.metric.aggregationType)!;
  const state = aggregation.addAll ? aggregation.addAll(bucket.state, events) : events.reduce((s, e) => aggregation.add(s, e), bucket.state);
  const next: UsageBucket = { ...bucket, state, eventsCount: bucket.eventsCount + events.length };
  if (ctx.perEventValues) next.perEvent = withValues(bucket.perEvent ?? [], events);
  if (ctx.prorated !== undefined) next.prorated = withDays(bucket.prorated, ctx, events, location.history);
  if (ctx.runningTotals.length > 0) {
    const totals: Record<string, unknown> = { ...bucket.runningTotals };
    for (const { chargeId, options } of ctx.runningTotals) {
      const fold = runningTotal(options);
      const start = Object.hasOwn(totals, chargeId) ? (totals[chargeId] as ReturnType<typeof fold.empty>) : fold.empty();
      totals[chargeId] = events.reduce((s, e) => fold.add(s, e), start);
    }
    next.runningTotals = totals as UsageBucket['runningTotals'];
  }
  return next;
}

function withValues(kept: NonNullable<UsageBucket['perEvent']>, events: readonly AggregationEvent[]): NonNullable<UsageBucket['perEvent']> {
  const added = events.flatMap((e) => {
    const value = numericValue(e.value);
    return value === null ? [] : [{ ts: e.seconds ?? epochSeconds(e.timestamp).toFixed(), transactionId: e.transactionId, value: value.toFixed() }];
  });
  if (added.length === 0) return kept;
  return [...kept, ...added].sort(compareKeys);
}

import { aggregationFor, runningTotal } from '../aggregations/index.ts';
import type { AggregationEvent } from '../aggregations/index.ts';
import { compareKeys, epochSeconds, numericValue, secondsOfMs } from '../aggregations/shared.ts';
import { propertyText } from '../chargeFilters.ts';
import { chargesPeriodContaining } from '../periods/index.ts';
import type { Dims, IngestedUsageEvent, MeterContext, UsageBucket, UsageDocument } from './types.ts';
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
 * Aggregation states are order-independent, so any order and any split into calls gives the same document
 * (per-event values are kept sorted by timestamp, then transactionId).
 */
export function foldUsageEvents(doc: UsageDocument, ctx: MeterContext, events: readonly IngestedUsageEvent[], position: bigint): UsageDocument {
  const aggregation = aggregationFor(ctx.metric.aggregationType);
  if (aggregation === undefined) return doc;
  const byBucket = new Map<string, { dims: Dims; events: AggregationEvent[] }>();
  for (const event of events) {
    const dims = dimsOf(ctx, event.properties);
    const key = JSON.stringify(ctx.dimensionKeys.map((k) => dims[k]));
    let group = byBucket.get(key);
    if (group === undefined) byBucket.set(key, (group = { dims, events: [] }));
    group.events.push(aggregationEventOf(ctx, event));
  }
  const buckets = { ...doc.buckets };
  for (const [key, group] of byBucket) {
    const current: UsageBucket = Object.hasOwn(buckets, key) ? buckets[key]! : { dims: group.dims, state: aggregation.empty(), eventsCount: 0 };
    buckets[key] = foldBucket(current, ctx, group.events);
  }
  return { ...doc, buckets, eventsCount: doc.eventsCount + events.length, position: position.toString() };
}

function foldBucket(bucket: UsageBucket, ctx: MeterContext, events: readonly AggregationEvent[]): UsageBucket {
  const aggregation = aggregationFor(ctx.metric.aggregationType)!;
  const state = aggregation.addAll ? aggregation.addAll(bucket.state, events) : events.reduce((s, e) => aggregation.add(s, e), bucket.state);
  const next: UsageBucket = { ...bucket, state, eventsCount: bucket.eventsCount + events.length };
  if (ctx.perEventValues) next.perEvent = withValues(bucket.perEvent ?? [], events);
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

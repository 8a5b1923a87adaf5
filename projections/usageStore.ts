import type { Document, ReadModelStore } from '../src/application/ports/readModelStore.ts';
import type { UniqueCountState, UniqueEntry } from '../src/billing/aggregations/index.ts';
import { HISTORY_FROM } from '../src/billing/usage/meter.ts';
import type { Dims, InAdvanceEntries, InAdvanceEntry, PerEventValue, UsageBucket } from '../src/billing/usage/types.ts';

/**
 * The usage read model's layout. Everything is read by `_id` ranges, so ids carry the structure, each part
 * URI-encoded (ASCII, no `|` inside a part):
 *   usageMeters   `<org>|<ext>`                                               one per external subscription id
 *   usageBuckets  `<org>|<ext>|<gen>|<metric>|<from>|<subscriptionId>|<dims>`  aggregation state of one bucket
 *                 `<org>|<ext>|<gen>|<metric>|<from>|<subscriptionId>|~<charge, slot>` a pay-in-advance charge's
 *                 cached aggregation for one (filter, pricing group): Lago's latest `CachedAggregation`
 *   usageValues   `<bucket id>|u|<value>`                                     UNIQUE_COUNT: a value's last operation
 *                 `<bucket id>|e|<ts>|<transactionId>`                        per-event values (PERCENTAGE min/max)
 * A bucket holds O(1) state (UNIQUE_COUNT keeps only its active count there), so folding an event rewrites one
 * small document, plus one value document for a UNIQUE_COUNT or per-event charge: never a document that grows
 * with the events. `<gen>` is the subscription's meter generation: a re-fold builds the next one beside the
 * current, which queries keep reading until it is complete.
 */

export const METERS = 'usageMeters';
export const BUCKETS = 'usageBuckets';
export const VALUES = 'usageValues';

const enc = encodeURIComponent;
/** Past every character of an encoded id (all ASCII below DEL): `[prefix, prefix + END)` is the prefix's range. */
const END = '\u007f';

/** The range of ids starting with `prefix`. */
export const rangeOf = (prefix: string) => ({ _id: { $gte: prefix, $lt: `${prefix}${END}` } });

const keys = new Map<string, Map<string, string>>();

/** `<org>|<ext>`, encoded; memoized (the fold asks for it once per event). */
export function subjectKey(organizationId: string, externalSubscriptionId: string): string {
  let byExternal = keys.get(organizationId);
  if (byExternal === undefined) {
    if (keys.size > 1_000) keys.clear();
    keys.set(organizationId, (byExternal = new Map()));
  }
  let key = byExternal.get(externalSubscriptionId);
  if (key === undefined) {
    if (byExternal.size > 100_000) byExternal.clear();
    byExternal.set(externalSubscriptionId, (key = `${enc(organizationId)}|${enc(externalSubscriptionId)}`));
  }
  return key;
}

/** The subject key's parts back. */
export function parseSubjectKey(key: string): { organizationId: string; externalSubscriptionId: string } {
  const [organizationId, externalSubscriptionId] = key.split('|').map(decodeURIComponent);
  return { organizationId: organizationId!, externalSubscriptionId: externalSubscriptionId! };
}

/** A subscription × metric × charges period, within one meter generation. */
export type PeriodRef = { metricCode: string; from: string; subscriptionId: string };

export const periodPrefix = (subject: string, generation: number, period: PeriodRef): string =>
  `${subject}|${generation}|${enc(period.metricCode)}|${period.from}|${enc(period.subscriptionId)}|`;

export const metricPrefix = (subject: string, generation: number, metricCode: string): string => `${subject}|${generation}|${enc(metricCode)}|`;

export const generationPrefix = (subject: string, generation: number): string => `${subject}|${generation}|`;

export const bucketId = (periodPrefixed: string, bucketKey: string): string => `${periodPrefixed}${enc(bucketKey)}`;

/** The marker that starts an in-advance document's last part (bucket keys are JSON arrays, `[`). */
const IN_ADVANCE = '~';

/** A pay-in-advance charge's in-advance entry for one slot of a period. */
export const inAdvanceId = (periodPrefixed: string, chargeId: string, slot: string): string => `${periodPrefixed}${IN_ADVANCE}${enc(JSON.stringify([chargeId, slot]))}`;

export const uniqueValueId = (bucket: string, value: string): string => `${bucket}|u|${enc(value)}`;

export const perEventValueId = (bucket: string, ts: string, transactionId: string): string => `${bucket}|e|${ts}|${enc(transactionId)}`;

/** The period of a bucket id. */
export function parseBucketId(id: string): PeriodRef & { generation: number } {
  const parts = id.split('|');
  return { generation: Number(parts[2]), metricCode: decodeURIComponent(parts[3]!), from: parts[4]!, subscriptionId: decodeURIComponent(parts[5]!) };
}

/** Per external subscription id: what its usage was folded with, and any re-fold in progress. */
export type UsageMeterDocument = {
  _id: string;
  organizationId: string;
  externalSubscriptionId: string;
  /** The generation queries read. */
  generation: number;
  /** Fingerprint of the catalog the current generation was folded with. */
  fingerprint: string;
  /** A re-fold building `generation` from the log: events after `cursor` (a position) are still to fold. */
  refold: { generation: number; fingerprint: string; cursor: string; ordered: boolean } | null;
  /** Earlier generations whose documents are still to delete. */
  garbage: number[];
  /** True while `refold` or `garbage` hold work (indexed: startup resumes them). */
  pending: boolean;
};

/** One bucket as stored: its dimension values, aggregation state and debugging count. */
export type StoredBucket = Document & UsageBucket;

/** A pay-in-advance charge's latest cached aggregation for one (filter, pricing group) of a period. */
export type StoredInAdvance = Document & { chargeId: string; slot: string; entry: InAdvanceEntry };

/** UNIQUE_COUNT: the last operation of one value. */
export type StoredUniqueValue = Document & UniqueEntry;

/** A per-event value (PERCENTAGE with a per-transaction min/max). */
export type StoredEventValue = Document & PerEventValue;

/** The usage of one subscription × metric × charges period, as pricing reads it. */
export type PeriodUsage = PeriodRef & { history: boolean; buckets: Record<string, UsageBucket>; inAdvance?: InAdvanceEntries; eventsCount: number };

export type ReadOptions = {
  /** UNIQUE_COUNT states with their values (recurring metrics merge them across periods). */
  uniqueValues?: boolean;
  /**
   * Per-event values, for PERCENTAGE charges with a per-transaction min/max. Buckets of a prorated GRADUATED charge
   * (`prorated.perEvent`) have theirs read anyway, except by a read of earlier periods (`before`), which pricing
   * only takes totals from.
   */
  perEvent?: boolean;
  /** Only periods whose `from` sorts before this one (the prefix must end just before `from`). */
  before?: string;
};

/** The generation queries should read for an external subscription id (0: never folded). */
export async function generationOf(readModels: ReadModelStore, organizationId: string, externalSubscriptionId: string): Promise<number> {
  const meter = await readModels.collection<UsageMeterDocument>(METERS).findOne({ _id: subjectKey(organizationId, externalSubscriptionId) });
  return meter?.generation ?? 0;
}

/** The buckets under a prefix, grouped into periods. */
export async function readPeriods(readModels: ReadModelStore, prefix: string, options: ReadOptions = {}): Promise<PeriodUsage[]> {
  const range = options.before === undefined ? rangeOf(prefix) : { _id: { $gte: prefix, $lt: `${prefix}${options.before}` } };
  const buckets = await readModels.collection<StoredBucket>(BUCKETS).find(range, { sort: { _id: 1 } });
  const periods = new Map<string, PeriodUsage>();
  for (const bucket of buckets) {
    const ref = parseBucketId(bucket._id);
    const periodKey = `${ref.metricCode}|${ref.from}|${ref.subscriptionId}`;
    let period = periods.get(periodKey);
    if (period === undefined) {
      periods.set(periodKey, (period = { metricCode: ref.metricCode, from: ref.from, subscriptionId: ref.subscriptionId, history: ref.from === HISTORY_FROM, buckets: {}, eventsCount: 0 }));
    }
    const key = bucketKeyOf(bucket._id);
    if (key.startsWith(IN_ADVANCE)) {
      const { chargeId, slot, entry } = bucket as unknown as StoredInAdvance;
      period.inAdvance ??= {};
      if (!Object.hasOwn(period.inAdvance, chargeId)) Object.defineProperty(period.inAdvance, chargeId, { value: {}, enumerable: true });
      Object.defineProperty(period.inAdvance[chargeId]!, slot, { value: entry, enumerable: true });
      continue;
    }
    const stored: UsageBucket = { dims: bucket.dims, state: bucket.state, eventsCount: bucket.eventsCount };
    if (bucket.runningTotals !== undefined) stored.runningTotals = bucket.runningTotals;
    if (bucket.prorated !== undefined) stored.prorated = bucket.prorated;
    // Only UNIQUE_COUNT states have an active count (and values kept beside them).
    if (options.uniqueValues && isUniqueState(bucket.state)) stored.state = { ...bucket.state, values: await uniqueValuesOf(readModels, bucket._id) };
    if (options.perEvent || (bucket.prorated?.perEvent === true && options.before === undefined)) stored.perEvent = await perEventValuesOf(readModels, bucket._id);
    Object.defineProperty(period.buckets, key, { value: stored, enumerable: true });
    period.eventsCount += bucket.eventsCount;
  }
  return [...periods.values()];
}

const isUniqueState = (state: unknown): state is UniqueCountState => typeof state === 'object' && state !== null && 'active' in state;

/** The dimension-values key of a bucket id (its last part). */
const bucketKeyOf = (id: string): string => decodeURIComponent(id.slice(id.lastIndexOf('|') + 1));

async function uniqueValuesOf(readModels: ReadModelStore, bucket: string): Promise<Record<string, UniqueEntry>> {
  const prefix = `${bucket}|u|`;
  const values: Record<string, UniqueEntry> = {};
  for (const doc of await readModels.collection<StoredUniqueValue>(VALUES).find(rangeOf(prefix))) {
    Object.defineProperty(values, decodeURIComponent(doc._id.slice(prefix.length)), { value: { ts: doc.ts, transactionId: doc.transactionId, op: doc.op }, enumerable: true });
  }
  return values;
}

async function perEventValuesOf(readModels: ReadModelStore, bucket: string): Promise<PerEventValue[]> {
  const docs = await readModels.collection<StoredEventValue>(VALUES).find(rangeOf(`${bucket}|e|`));
  return docs.map((doc) => ({ ts: doc.ts, transactionId: doc.transactionId, value: doc.value }));
}

/** The dimension values of a bucket, as the key its id carries. */
export const dimsKey = (dimensionKeys: readonly string[], dims: Dims): string => JSON.stringify(dimensionKeys.map((k) => dims[k] ?? null));

/**
 * Every subject's usage as queries read it (its current generation), with generation numbers left out: what two
 * folds of the same log must agree on, whatever their paging (the number of re-folds on the way may differ).
 */
export async function usageSnapshot(readModels: ReadModelStore): Promise<{ subject: string; fingerprint: string; periods: PeriodUsage[] }[]> {
  const meters = await readModels.collection<UsageMeterDocument>(METERS).find({}, { sort: { _id: 1 } });
  return Promise.all(
    meters.map(async (meter) => ({ subject: meter._id, fingerprint: meter.fingerprint, periods: await readPeriods(readModels, generationPrefix(meter._id, meter.generation), { uniqueValues: true }) })),
  );
}

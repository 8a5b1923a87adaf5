import BigNumber from 'bignumber.js';
import type { AggregationEvent, UniqueEntry } from '../aggregations/index.ts';
import { compareKeys, numericValue, secondsOf } from '../aggregations/shared.ts';
import { compileFilterMatcher, pricingGroupOf } from '../chargeFilters.ts';
import type { FilterMatcher } from '../chargeFilters.ts';
import { inAdvanceUnits } from '../payInAdvance.ts';
import { inAdvanceProratedUnits } from './proration.ts';
import type { Dims, InAdvanceCharge, InAdvanceEntry } from './types.ts';

/**
 * The cached aggregation of pay-in-advance SUM / UNIQUE_COUNT charges (§2.11), folded in log order as Lago builds it
 * while it bills each event: `CachedAggregation` rows per (charge, charge filter, pricing group) of a period, of
 * which Lago only ever reads the one with the latest event timestamp. So one entry per slot is enough: an event
 * starts from the latest entry, and its own entry becomes the latest unless an entry with a later timestamp exists
 * (then Lago never reads it back, and neither do we).
 */

const matchers = new WeakMap<InAdvanceCharge, FilterMatcher>();

function matcherOf(charge: InAdvanceCharge): FilterMatcher {
  let matcher = matchers.get(charge);
  if (matcher === undefined) matchers.set(charge, (matcher = compileFilterMatcher(charge.filters.map((f) => ({ values: f.values, properties: null })), charge.metricFilters)));
  return matcher;
}

/**
 * The (filter, pricing group) slot of an event's dimension values, keyed as pricing keys its fees:
 * `JSON.stringify([filter index | null, group key])` (Lago: `charge_filter_id`, `grouped_by`).
 */
export function inAdvanceSlotOf(charge: InAdvanceCharge, dims: Dims): string {
  const filter = matcherOf(charge).bucketOf(dims);
  const keys = filter === null ? charge.groupKeys : (charge.filters[filter]?.groupKeys ?? []);
  return JSON.stringify([filter, pricingGroupOf(keys, dims).key]);
}

/** What a prorated charge's cache needs: the event's period end, its length in days and the customer's timezone. */
export type InAdvancePeriod = { to: string; durationDays: number; timezone: string };

/**
 * The next latest entry after `event` (SUM, `SumService#compute_pay_in_advance_aggregation`): `current + value`, the
 * maximum raised when passed (`inAdvanceUnits`) and, for a prorated charge, the prorated units billed added to the
 * prorated maximum (`ProratedAggregations::BaseService#extend_cached_aggregation`). `null`: the event caches nothing
 * (Lago bills no event whose field is absent or not a number).
 */
export function nextSumEntry(latest: InAdvanceEntry | undefined, event: AggregationEvent, prorated: InAdvancePeriod | null): InAdvanceEntry | null {
  const value = numericValue(event.value);
  if (value === null) return null;
  const previous = latest === undefined ? null : { current: new BigNumber(latest.current), max: new BigNumber(latest.max) };
  const { chargedUnits, cache } = inAdvanceUnits(previous, value);
  const entry: InAdvanceEntry = { ts: secondsOf(event), transactionId: event.transactionId, current: cache.current.toFixed(), max: cache.max.toFixed() };
  if (prorated === null) return entry;
  const share = inAdvanceProratedUnits(chargedUnits, event.timestamp, prorated.to, prorated.durationDays, prorated.timezone);
  // NOTE: Lago adds the share only when the maximum was raised; the first event's share is the prorated maximum.
  const raised = previous === null || cache.max.isGreaterThan(previous.max);
  const before = latest?.maxWithProration === undefined ? new BigNumber(0) : new BigNumber(latest.maxWithProration);
  return { ...entry, maxWithProration: (previous === null ? share : raised ? before.plus(share) : before).toFixed() };
}

/**
 * The next latest entry after a UNIQUE_COUNT event (`UniqueCountService#compute_pay_in_advance_aggregation`): an add
 * of a value not active before it adds 1, a remove of an active one takes 1 off (a first event of the period only
 * counts an add); the maximum follows the level. `before`: the value's last operation known before the event (its
 * bucket's value document), active when an add earlier than the event.
 */
export function nextUniqueEntry(latest: InAdvanceEntry | undefined, event: AggregationEvent, before: UniqueEntry | undefined): InAdvanceEntry | null {
  if (event.value === null || event.value === undefined) return null;
  const key = { ts: secondsOf(event), transactionId: event.transactionId };
  const active = before !== undefined && before.op === 'add' && compareKeys(before, key) < 0;
  const add = (event.operationType ?? 'add') === 'add';
  const applied = add && !active ? 1 : 0;
  if (latest === undefined) return { ...key, current: String(applied), max: String(applied) };
  const current = new BigNumber(latest.current).plus(add ? applied : active ? -1 : 0);
  return { ...key, current: current.toFixed(), max: current.isGreaterThan(latest.max) ? current.toFixed() : latest.max };
}

/**
 * Keeps `candidate` as the slot's latest entry when its event is not earlier than the latest one's (equal
 * timestamps: the later in the log wins, as `created_at desc`).
 */
export function latestOf(latest: InAdvanceEntry | undefined, candidate: InAdvanceEntry): InAdvanceEntry {
  if (latest === undefined) return candidate;
  return (new BigNumber(candidate.ts).comparedTo(latest.ts) ?? 0) >= 0 ? candidate : latest;
}

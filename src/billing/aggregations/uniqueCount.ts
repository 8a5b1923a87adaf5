import BigNumber from 'bignumber.js';
import type { Aggregation, AggregationEvent, AggregationResult, ResultWindow } from './types.ts';
import { compareKeys, epochSeconds, secondsOf, rounded } from './shared.ts';
import type { EventKey } from './shared.ts';

/** The latest operation seen for one property value. */
export interface UniqueEntry extends EventKey {
  readonly op: 'add' | 'remove';
}

/**
 * UNIQUE_COUNT state, O(distinct values): per property value its latest operation, and how many values are
 * active (latest operation `add`) so that `result` is O(1).
 */
export interface UniqueCountState {
  readonly values: Readonly<Record<string, UniqueEntry>>;
  readonly active: string;
}

export function empty(): UniqueCountState {
  return { values: {}, active: '0' };
}

/**
 * Lago sums, per value and in timestamp order, +1 for an add after no active add, −1 for a remove of an active
 * add, 0 otherwise (a remove only cancels an active add; repeated adds count once). That sum telescopes to
 * "1 if the value's last operation is `add`, else 0", so only the last operation per value is kept: the greatest
 * (timestamp, transactionId) wins — transactionId standing in for Lago's undefined tie order — and on a full tie
 * `remove` wins. Events without a value are dropped; any string value (numeric or not) is an identity.
 */
export function add(state: UniqueCountState, event: AggregationEvent): UniqueCountState {
  if (event.value === null || event.value === undefined) return state;
  const entry: UniqueEntry = { ts: secondsOf(event), transactionId: event.transactionId, op: event.operationType ?? 'add' };
  return put(state, event.value, entry);
}

export function merge(a: UniqueCountState, b: UniqueCountState): UniqueCountState {
  const [small, large] = Object.keys(a.values).length <= Object.keys(b.values).length ? [a, b] : [b, a];
  // One copy of the larger map, then in-place puts: O(|a| + |b|), not O(|a| × |b|).
  const values: Record<string, UniqueEntry> = { ...large.values };
  let delta = 0;
  for (const [value, entry] of Object.entries(small.values)) delta += putInPlace(values, value, entry);
  return { values, active: new BigNumber(large.active).plus(delta).toFixed() };
}

/** Folds many events with one copy of the state (the projection's batch path). */
export function addAll(state: UniqueCountState, events: readonly AggregationEvent[]): UniqueCountState {
  const values: Record<string, UniqueEntry> = { ...state.values };
  let delta = 0;
  for (const event of events) {
    if (event.value === null || event.value === undefined) continue;
    delta += putInPlace(values, event.value, { ts: secondsOf(event), transactionId: event.transactionId, op: event.operationType ?? 'add' });
  }
  return delta === 0 && events.length === 0 ? state : { values, active: new BigNumber(state.active).plus(delta).toFixed() };
}

/** Puts `entry` when it wins over the current one; returns the change in active values. */
function putInPlace(values: Record<string, UniqueEntry>, value: string, entry: UniqueEntry): number {
  const current = Object.hasOwn(values, value) ? values[value] : undefined;
  if (current !== undefined && !wins(entry, current)) return 0;
  // NOTE: defineProperty, not `values[value] =`: a value like "__proto__" must become a plain own key.
  Object.defineProperty(values, value, { value: entry, enumerable: true, writable: true, configurable: true });
  return (entry.op === 'add' ? 1 : 0) - (current?.op === 'add' ? 1 : 0);
}

/**
 * `units = count` = values whose last operation is `add` (Lago's `count` for unique count is the aggregation).
 * Recurring: `initial` is the state of all history before `from`, merged in. Lago's `.ceil(5)` is a no-op here.
 */
export function result(state: UniqueCountState, window: ResultWindow<UniqueCountState>): AggregationResult {
  const initial = window.initial;
  if (typeof initial === 'string') throw new TypeError('UNIQUE_COUNT needs the history state as initial, not a number');
  const total = initial === undefined ? state : merge(initial, state);
  const count = new BigNumber(total.active);
  return { units: rounded(count, window.rounding), count };
}

function put(state: UniqueCountState, value: string, entry: UniqueEntry): UniqueCountState {
  // NOTE: Object.hasOwn, not `values[value]`: a value like "__proto__" or "constructor" must not hit Object.prototype.
  const current = Object.hasOwn(state.values, value) ? state.values[value] : undefined;
  if (current !== undefined && !wins(entry, current)) return state;
  const delta = (entry.op === 'add' ? 1 : 0) - (current?.op === 'add' ? 1 : 0);
  // Computed keys and spread define own properties, so "__proto__" is stored as a plain key.
  return { values: { ...state.values, [value]: entry }, active: new BigNumber(state.active).plus(delta).toFixed() };
}

/** The entry an event records for its value; null when the event has no value (it is dropped). */
export function entryOf(event: AggregationEvent): UniqueEntry | null {
  if (event.value === null || event.value === undefined) return null;
  return { ts: secondsOf(event), transactionId: event.transactionId, op: event.operationType ?? 'add' };
}

/**
 * Folding one value's entry against the one stored for it (values kept outside the state, one document each): the
 * entry to store, or null when the stored one still wins, and the change in active values.
 */
export function replaceEntry(current: UniqueEntry | undefined, candidate: UniqueEntry): { entry: UniqueEntry | null; delta: number } {
  if (current !== undefined && !wins(candidate, current)) return { entry: null, delta: 0 };
  return { entry: candidate, delta: (candidate.op === 'add' ? 1 : 0) - (current?.op === 'add' ? 1 : 0) };
}

function wins(candidate: UniqueEntry, current: UniqueEntry): boolean {
  const order = compareKeys(candidate, current);
  return order !== 0 ? order > 0 : candidate.op === 'remove' && current.op === 'add';
}

export const uniqueCountAggregation: Aggregation<UniqueCountState> = { empty, add, addAll, merge, result };

import BigNumber from 'bignumber.js';
import type { Aggregation, AggregationEvent, AggregationResult, ResultWindow } from './types.ts';
import { compareKeys, epochSeconds, secondsOf, numericValue, plus, rejectInitial, rounded } from './shared.ts';
import type { EventKey } from './shared.ts';

/** The latest numeric event so far: its key (epoch seconds, transactionId) and its value. */
export interface LatestEntry extends EventKey {
  readonly value: string;
}

/** LATEST state: the latest numeric event (null before any) and the number of numeric events. */
export interface LatestState {
  readonly latest: LatestEntry | null;
  readonly count: string;
}

export function empty(): LatestState {
  return { latest: null, count: '0' };
}

/**
 * Keeps the numeric event with the greatest timestamp. Lago breaks timestamp ties by `created_at DESC`
 * (arrival order), which a fold cannot know independently of order; here the greater `transactionId` wins,
 * so the result is the same whatever order the events are folded in.
 */
export function add(state: LatestState, event: AggregationEvent): LatestState {
  const value = numericValue(event.value);
  if (value === null) return state;
  const entry: LatestEntry = { ts: secondsOf(event), transactionId: event.transactionId, value: value.toFixed() };
  return { latest: later(state.latest, entry), count: plus(state.count, 1) };
}

export function merge(a: LatestState, b: LatestState): LatestState {
  return { latest: b.latest === null ? a.latest : later(a.latest, b.latest), count: plus(a.count, b.count) };
}

/** `units` = the latest value, negatives clamped to 0, 0 without events; `count` = numeric events. Not recurring. */
export function result(state: LatestState, window: ResultWindow<LatestState>): AggregationResult {
  rejectInitial('LATEST', window.initial);
  const value = BigNumber.max(state.latest?.value ?? 0, 0);
  return { units: rounded(value, window.rounding), count: new BigNumber(state.count) };
}

function later(current: LatestEntry | null, candidate: LatestEntry): LatestEntry {
  if (current === null) return candidate;
  const order = compareKeys(candidate, current);
  // NOTE: a full tie (same event folded twice) keeps the greater value, so merge stays commutative.
  if (order === 0) return new BigNumber(candidate.value).isGreaterThan(current.value) ? candidate : current;
  return order > 0 ? candidate : current;
}

export const latestAggregation: Aggregation<LatestState> = { empty, add, merge, result };

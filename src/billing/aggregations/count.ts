import BigNumber from 'bignumber.js';
import type { Aggregation, AggregationEvent, AggregationResult, ResultWindow } from './types.ts';
import { plus, rejectInitial, rounded } from './shared.ts';

/** COUNT state: the number of events (decimal string). */
export interface CountState {
  readonly count: string;
}

export function empty(): CountState {
  return { count: '0' };
}

/** Every event counts, whatever its value (§1.2 `COUNT(*)`). */
export function add(state: CountState, _event: AggregationEvent): CountState {
  return { count: plus(state.count, 1) };
}

export function merge(a: CountState, b: CountState): CountState {
  return { count: plus(a.count, b.count) };
}

/** `units = count = events`. Not recurring. */
export function result(state: CountState, window: ResultWindow<CountState>): AggregationResult {
  rejectInitial('COUNT', window.initial);
  const count = new BigNumber(state.count);
  return { units: rounded(count, window.rounding), count };
}

export const countAggregation: Aggregation<CountState> = { empty, add, merge, result };

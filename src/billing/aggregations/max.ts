import BigNumber from 'bignumber.js';
import type { Aggregation, AggregationEvent, AggregationResult, ResultWindow } from './types.ts';
import { numericValue, plus, rejectInitial, rounded } from './shared.ts';

/** MAX state: the greatest numeric value so far (null before any) and the number of numeric events. */
export interface MaxState {
  readonly max: string | null;
  readonly count: string;
}

export function empty(): MaxState {
  return { max: null, count: '0' };
}

/** Non-numeric values are dropped (neither compared nor counted). */
export function add(state: MaxState, event: AggregationEvent): MaxState {
  const value = numericValue(event.value);
  if (value === null) return state;
  return { max: greater(state.max, value.toFixed()), count: plus(state.count, 1) };
}

export function merge(a: MaxState, b: MaxState): MaxState {
  return { max: b.max === null ? a.max : greater(a.max, b.max), count: plus(a.count, b.count) };
}

/** `units = MAX(value) || 0` (may be negative); `count` = numeric events. Not recurring. */
export function result(state: MaxState, window: ResultWindow<MaxState>): AggregationResult {
  rejectInitial('MAX', window.initial);
  return { units: rounded(new BigNumber(state.max ?? 0), window.rounding), count: new BigNumber(state.count) };
}

function greater(current: string | null, candidate: string): string {
  return current !== null && new BigNumber(current).isGreaterThanOrEqualTo(candidate) ? current : candidate;
}

export const maxAggregation: Aggregation<MaxState> = { empty, add, merge, result };

import BigNumber from 'bignumber.js';
import type { Aggregation, AggregationEvent, AggregationResult, ResultWindow } from './types.ts';
import { isNumeric, numericValue, plus, rounded } from './shared.ts';

/** SUM state: Σ numeric values, how many there were, and Σ of their `preciseTotalAmountCents` (DYNAMIC). */
export interface SumState {
  readonly sum: string;
  readonly count: string;
  readonly preciseTotalAmountCents: string;
}

export interface SumResult extends AggregationResult {
  readonly preciseTotalAmountCents: BigNumber;
}

export function empty(): SumState {
  return { sum: '0', count: '0', preciseTotalAmountCents: '0' };
}

/**
 * Adds a numeric value; a value not matching `^-?\d+(\.\d+)?$` drops the whole event (count and cents too).
 * A missing or non-decimal `preciseTotalAmountCents` adds 0 (the API validates it at ingestion).
 */
export function add(state: SumState, event: AggregationEvent): SumState {
  if (!isNumeric(event.value)) return state;
  const cents = isNumeric(event.preciseTotalAmountCents) ? event.preciseTotalAmountCents : 0;
  return { sum: plus(state.sum, event.value), count: plus(state.count, 1), preciseTotalAmountCents: cents === 0 ? state.preciseTotalAmountCents : plus(state.preciseTotalAmountCents, cents) };
}

export function merge(a: SumState, b: SumState): SumState {
  return {
    sum: plus(a.sum, b.sum),
    count: plus(a.count, b.count),
    preciseTotalAmountCents: plus(a.preciseTotalAmountCents, b.preciseTotalAmountCents),
  };
}

/**
 * `units = Σ values`, `count` = numeric events. Recurring (§9.14): `initial` is all history before `from` —
 * a state (merged in, its events count) or a decimal total (added to the units only).
 */
export function result(state: SumState, window: ResultWindow<SumState>): SumResult {
  const initial = window.initial;
  const total = initial === undefined ? state : typeof initial === 'string' ? { ...state, sum: plus(state.sum, parseInitial(initial)) } : merge(initial, state);
  return {
    units: rounded(new BigNumber(total.sum), window.rounding),
    count: new BigNumber(total.count),
    preciseTotalAmountCents: new BigNumber(total.preciseTotalAmountCents),
  };
}

function parseInitial(initial: string): BigNumber {
  const value = numericValue(initial);
  if (value === null) throw new TypeError(`initial must be a decimal string, got ${JSON.stringify(initial)}`);
  return value;
}

export const sumAggregation: Aggregation<SumState, SumResult> = { empty, add, merge, result };

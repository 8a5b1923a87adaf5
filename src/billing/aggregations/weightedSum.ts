import BigNumber from 'bignumber.js';
import type { Aggregation, AggregationEvent, AggregationResult, ResultWindow } from './types.ts';
import { divideCeil, epochSeconds, numericValue, plus, rounded, secondsOf } from './shared.ts';

/**
 * WEIGHTED_SUM state, O(1) and order-independent. Lago's time-weighted level (§1.2)
 *   Σ_i level_i × (t_{i+1} − t_i)  with rows (from, initial), events by timestamp, (ceil(to), 0)
 * equals  initial × (end − from) + Σ_i diff_i × (end − t_i)  =  initial × (end − from) + Σdiff × end − Σ diff·t,
 * which is linear in the events: keep Σdiff and Σ diff × t (t in epoch seconds, exact decimals). `minTs`/`maxTs`
 * let `result` check that every event lies in the window.
 */
export interface WeightedSumState {
  readonly sumDiff: string;
  readonly sumDiffTs: string;
  readonly count: string;
  readonly minTs: string | null;
  readonly maxTs: string | null;
}

export interface WeightedSumResult extends AggregationResult {
  /** `initial + Σdiff`: the level at the end of the window, next period's `initial` (Lago's total_aggregated_units). */
  readonly closingLevel: BigNumber;
}

export function empty(): WeightedSumState {
  return { sumDiff: '0', sumDiffTs: '0', count: '0', minTs: null, maxTs: null };
}

/** Adds a level change at the event's time; non-numeric values are dropped. */
export function add(state: WeightedSumState, event: AggregationEvent): WeightedSumState {
  const diff = numericValue(event.value);
  if (diff === null) return state;
  const ts = new BigNumber(secondsOf(event));
  return {
    sumDiff: plus(state.sumDiff, diff),
    sumDiffTs: plus(state.sumDiffTs, diff.times(ts)),
    count: plus(state.count, 1),
    minTs: extreme(state.minTs, ts.toFixed(), -1),
    maxTs: extreme(state.maxTs, ts.toFixed(), 1),
  };
}

export function merge(a: WeightedSumState, b: WeightedSumState): WeightedSumState {
  return {
    sumDiff: plus(a.sumDiff, b.sumDiff),
    sumDiffTs: plus(a.sumDiffTs, b.sumDiffTs),
    count: plus(a.count, b.count),
    minTs: b.minTs === null ? a.minTs : extreme(a.minTs, b.minTs, -1),
    maxTs: b.maxTs === null ? a.maxTs : extreme(a.maxTs, b.maxTs, 1),
  };
}

/**
 * `units = (initial × (end − from) + Σdiff × end − Σ diff·t) / (durationDays × 86400)`, ceiled at 20 places,
 * with `end = ceil(to)` to the whole second (a full month is exactly duration × 86400 s). `durationDays` defaults
 * to `(end − from) / 86400`. `initial`: previous `closingLevel` (string) or the history state (its Σdiff).
 * Throws a RangeError when the state holds an event outside `[from, to]`: the projection must fold each event
 * into its own period's state. `count` = numeric events.
 */
export function result(state: WeightedSumState, window: ResultWindow<WeightedSumState>): WeightedSumResult {
  const start = epochSeconds(window.from);
  const to = epochSeconds(window.to);
  const end = to.integerValue(BigNumber.ROUND_CEIL);
  if (end.isLessThanOrEqualTo(start)) throw new RangeError(`empty window ${window.from} … ${window.to}`);
  if ((state.minTs !== null && start.isGreaterThan(state.minTs)) || (state.maxTs !== null && to.isLessThan(state.maxTs))) {
    throw new RangeError(`weighted sum state holds events outside ${window.from} … ${window.to}`);
  }
  const initial = initialLevel(window.initial);
  const seconds = window.durationDays === undefined ? end.minus(start) : new BigNumber(window.durationDays).times(86_400);
  if (!seconds.isGreaterThan(0)) throw new RangeError(`durationDays must be positive, got ${window.durationDays}`);
  const sumDiff = new BigNumber(state.sumDiff);
  const area = initial.times(end.minus(start)).plus(sumDiff.times(end)).minus(state.sumDiffTs);
  return {
    units: rounded(divideCeil(area, seconds, 20), window.rounding),
    count: new BigNumber(state.count),
    closingLevel: initial.plus(sumDiff),
  };
}

function initialLevel(initial: WeightedSumState | string | undefined): BigNumber {
  if (initial === undefined) return new BigNumber(0);
  if (typeof initial !== 'string') return new BigNumber(initial.sumDiff);
  const value = numericValue(initial);
  if (value === null) throw new TypeError(`initial must be a decimal string, got ${JSON.stringify(initial)}`);
  return value;
}

function extreme(current: string | null, candidate: string, direction: 1 | -1): string {
  if (current === null) return candidate;
  return (new BigNumber(candidate).comparedTo(current) ?? 0) * direction > 0 ? candidate : current;
}

export const weightedSumAggregation: Aggregation<WeightedSumState, WeightedSumResult> = { empty, add, merge, result };

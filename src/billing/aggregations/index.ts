import { countAggregation } from './count.ts';
import { latestAggregation } from './latest.ts';
import { maxAggregation } from './max.ts';
import { sumAggregation } from './sum.ts';
import type { Aggregation, AggregationResult } from './types.ts';
import { uniqueCountAggregation } from './uniqueCount.ts';
import { weightedSumAggregation } from './weightedSum.ts';

export type { Aggregation, AggregationEvent, AggregationResult, ResultWindow } from './types.ts';
export type { CountState } from './count.ts';
export type { SumResult, SumState } from './sum.ts';
export type { MaxState } from './max.ts';
export type { LatestEntry, LatestState } from './latest.ts';
export type { UniqueCountState, UniqueEntry } from './uniqueCount.ts';
export type { WeightedSumResult, WeightedSumState } from './weightedSum.ts';
export type { RunningTotalEntry, RunningTotalFold, RunningTotalOptions, RunningTotalState } from './runningTotal.ts';
export { runningTotal } from './runningTotal.ts';
export { entryOf as uniqueEntryOf, replaceEntry as replaceUniqueEntry } from './uniqueCount.ts';
export { countAggregation, latestAggregation, maxAggregation, sumAggregation, uniqueCountAggregation, weightedSumAggregation };

/** The aggregation types with a pre-aggregated fold (CUSTOM is not one: it runs user code over events). */
export type FoldableAggregationType = 'COUNT' | 'SUM' | 'MAX' | 'LATEST' | 'UNIQUE_COUNT' | 'WEIGHTED_SUM';

/** Each aggregation by its metric's `aggregationType`. States are opaque JSON to a caller that dispatches by type. */
export const aggregations: Readonly<Record<FoldableAggregationType, Aggregation<unknown, AggregationResult>>> = {
  COUNT: countAggregation as Aggregation<unknown>,
  SUM: sumAggregation as Aggregation<unknown>,
  MAX: maxAggregation as Aggregation<unknown>,
  LATEST: latestAggregation as Aggregation<unknown>,
  UNIQUE_COUNT: uniqueCountAggregation as Aggregation<unknown>,
  WEIGHTED_SUM: weightedSumAggregation as Aggregation<unknown>,
};

/** The fold for an aggregation type, or undefined for one without (CUSTOM). */
export function aggregationFor(type: string): Aggregation<unknown, AggregationResult> | undefined {
  return Object.hasOwn(aggregations, type) ? aggregations[type as FoldableAggregationType] : undefined;
}

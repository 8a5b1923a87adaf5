import type { Decider } from '../shared/decider.ts';
import { decide, type BillableMetricCommand } from './decide.ts';
import type { BillableMetricEvent } from './events.ts';
import { evolve, initialState, type BillableMetricState } from './state.ts';

export type { BillableMetricCommand } from './decide.ts';
export type * from './events.ts';
export { AGGREGATION_TYPES, ROUNDING_FUNCTIONS } from './events.ts';
export type { BillableMetricState } from './state.ts';
export type { BillableMetricFields } from './validate.ts';
export { MAX_ROUNDING_PRECISION } from './validate.ts';

/** A billable metric: what usage is counted and how (Lago's `billable_metric`). Streams are keyed by code. */
export const billableMetricDecider: Decider<BillableMetricCommand, BillableMetricEvent, BillableMetricState> = {
  initialState,
  evolve,
  decide,
};

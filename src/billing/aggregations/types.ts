import type BigNumber from 'bignumber.js';
import type { AggregationRounding } from '../aggregationRounding.ts';
import type { ChargeInput } from '../chargeModels/types.ts';

/** One ingested usage event, as the usage projection folds it. */
export interface AggregationEvent {
  readonly transactionId: string;
  /** ISO 8601 with a zone (`2024-01-31T23:59:59.999Z`); fractional seconds of any length are kept exactly. */
  readonly timestamp: string;
  /** The timestamp as epoch seconds (decimal text), when already known: saves parsing it again. */
  readonly seconds?: string | undefined;
  /** `properties[field_name]` as sent (JSON numbers already turned into strings); may be non-numeric or absent. */
  readonly value: string | null;
  /** UNIQUE_COUNT only: `properties.operation_type`, default `add`. */
  readonly operationType?: 'add' | 'remove' | undefined;
  /** DYNAMIC (SUM metric): the event's own price in cents, a decimal string. */
  readonly preciseTotalAmountCents?: string | null | undefined;
}

/** What `result` prices the state over: the charges period, both bounds inclusive (§1.2). */
export interface ResultWindow<S> {
  readonly from: string;
  readonly to: string;
  /** WEIGHTED_SUM: charges period length in days (default: the window's own length, `ceil(to) − from`). */
  readonly durationDays?: number | undefined;
  /**
   * Recurring metrics only. SUM / UNIQUE_COUNT: the state of all history before `from` (merged in); SUM also
   * accepts the history total as a decimal string. WEIGHTED_SUM: the level at `from` (previous period's
   * `closingLevel`) as a decimal string, or the state of all history before `from` (its Σ diff).
   */
  readonly initial?: S | string | undefined;
  /** The metric's rounding (§1.3), applied to `units` after aggregation. */
  readonly rounding?: AggregationRounding | undefined;
}

/** A `ChargeInput` whose `count` is always set. */
export interface AggregationResult extends ChargeInput {
  readonly units: BigNumber;
  readonly count: BigNumber;
}

/** One aggregation: a pure fold over events into a JSON-serialisable state, and a read of that state. */
export interface Aggregation<S, R extends AggregationResult = AggregationResult> {
  empty(): S;
  /** Folds one event in; never mutates `state`. */
  add(state: S, event: AggregationEvent): S;
  /** Optional fast path for folding many events at once; same result as `add` one by one. */
  addAll?(state: S, events: readonly AggregationEvent[]): S;
  /** Combines two states built from disjoint event sets; commutative and associative. */
  merge(a: S, b: S): S;
  result(state: S, window: ResultWindow<S>): R;
}

import type { RunningTotalOptions, RunningTotalState } from '../aggregations/index.ts';
import type { PeriodSubscription } from '../periods/index.ts';
import type { ValidUsageEvent } from '../../domain/usage/validateEvent.ts';

/** The values an event has for a meter's dimension keys (filter keys collapsed to declared values, group keys as text). */
export type Dims = Record<string, string | null>;

/** One event's value, kept only for charges that price event by event (PERCENTAGE with a per-transaction min/max). */
export type PerEventValue = { ts: string; transactionId: string; value: string };

/** Pre-aggregated usage of the events sharing one combination of dimension values. */
export type UsageBucket = {
  dims: Dims;
  /** The metric's aggregation state (opaque JSON, `aggregationFor(aggregationType)`). */
  state: unknown;
  /** Events folded into this bucket, numeric or not (debugging; pricing uses the aggregation's own count). */
  eventsCount: number;
  /** Numeric values of the events, when a charge on the metric prices event by event; else absent. */
  perEvent?: PerEventValue[];
  /** SUM metrics priced by PERCENTAGE with free units: the running total of each such charge, by charge id. */
  runningTotals?: Record<string, RunningTotalState>;
};

/** What pricing reads of one subscription × metric × charges period: its buckets. */
export type PeriodBuckets = { readonly buckets: Readonly<Record<string, UsageBucket>> };

/**
 * Usage of one subscription × metric × charges period, bucketed by dimension values, as the pure reference fold
 * (`foldUsageEvents`) builds it; the read model stores the same buckets one document each (projections/usageStore.ts). `from`/`to` are the charges period (both inclusive). A `history`
 * document holds a recurring metric's events from before the subscription's start (Lago counts them in every
 * later period's total); its `from`/`to` are the epoch.
 */
export type UsageDocument = {
  _id: string;
  organizationId: string;
  externalSubscriptionId: string;
  subscriptionId: string;
  metricCode: string;
  aggregationType: string;
  from: string;
  to: string;
  history: boolean;
  timezone: string;
  dimensionKeys: string[];
  buckets: Record<string, UsageBucket>;
  eventsCount: number;
  /** Log position of the last event folded (a decimal string). */
  position: string;
};

/** A SUM charge that needs a running total, and its free-unit options. */
export type RunningTotalCharge = { chargeId: string; options: RunningTotalOptions };

/** What folding an event needs to know about its subscription, plan and metric: derived from the catalog. */
export type MeterContext = {
  organizationId: string;
  externalSubscriptionId: string;
  subscriptionId: string;
  period: PeriodSubscription;
  /** Subscription start and end (null while it runs): events outside belong to another subscription. */
  startedAt: string;
  terminatedAt: string | null;
  metric: { code: string; aggregationType: string; fieldName: string | null; recurring: boolean };
  /** Sorted: metric filter keys ∪ every charge's (and charge filter's) pricing group keys. */
  dimensionKeys: string[];
  /** Filter keys that are not group keys: values outside the metric's declared ones collapse to null. */
  declaredValues: Record<string, string[]>;
  perEventValues: boolean;
  runningTotals: RunningTotalCharge[];
};

/** An ingested usage event as the log carries it (`UsageEventIngested.data`). */
export type IngestedUsageEvent = ValidUsageEvent & { organizationId: string; ingestedAt: string };

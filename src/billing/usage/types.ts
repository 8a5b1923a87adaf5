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
  /** SUM metrics with a prorated charge: what proration needs besides the state (see `ProratedDays`). */
  prorated?: ProratedDays;
};

/**
 * What a prorated SUM charge needs of a bucket (§2.12): the customer's timezone (local dates decide the ratios) and
 * Σ of the numeric values per local day of the event (`YYYY-MM-DD`), for the period's own documents (a history
 * document keeps none: those events count in full). `perEvent`: a prorated GRADUATED charge walks the events, so
 * their values are kept one document each (as for PERCENTAGE per-transaction min/max).
 */
export type ProratedDays = { timezone: string; days: Record<string, string>; perEvent?: true };

/**
 * Lago's `CachedAggregation` of a pay-in-advance SUM / UNIQUE_COUNT charge, for one (charge filter, pricing group)
 * of one period: the entry of the event with the latest timestamp (ties: the later in the log), which is the only
 * one Lago ever reads back (`find_cached_aggregation` orders by timestamp desc, created_at desc). `current` is the
 * running level, `max` the highest level billed, `maxWithProration` (prorated charges) Σ of the prorated units billed.
 */
export type InAdvanceEntry = { ts: string; transactionId: string; current: string; max: string; maxWithProration?: string };

/** In-advance entries by charge id, then by slot key (`JSON.stringify([filter index | null, group key])`). */
export type InAdvanceEntries = Record<string, Record<string, InAdvanceEntry>>;

/** What pricing reads of one subscription × metric × charges period: its buckets and in-advance entries. */
export type PeriodBuckets = { readonly buckets: Readonly<Record<string, UsageBucket>>; readonly inAdvance?: Readonly<InAdvanceEntries> | undefined };

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
  /** Pay-in-advance SUM / UNIQUE_COUNT charges: their cached aggregation, folded in log order. */
  inAdvance?: InAdvanceEntries;
  eventsCount: number;
  /** Log position of the last event folded (a decimal string). */
  position: string;
};

/**
 * A pay-in-advance SUM / UNIQUE_COUNT charge, as folding its cached aggregation needs it: what places an event's
 * dimension values in one of its slots (filters, metric filters, pricing group keys of the charge and of each
 * filter) and whether it is prorated (its cache then keeps the prorated maximum too).
 */
export type InAdvanceCharge = {
  chargeId: string;
  filters: { values: Record<string, string[]>; groupKeys: string[] }[];
  groupKeys: string[];
  metricFilters: { key: string; values: string[] }[];
  prorated?: true;
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
  /**
   * A prorated charge on the (SUM) metric: buckets keep `ProratedDays`; `perEvent` when one is GRADUATED. Absent
   * otherwise, so that the catalog fingerprint of other metrics does not change.
   */
  prorated?: { perEvent?: true };
  /** Pay-in-advance SUM / UNIQUE_COUNT charges on the metric, in plan order; absent when none. */
  inAdvance?: InAdvanceCharge[];
};

/** An ingested usage event as the log carries it (`UsageEventIngested.data`). */
export type IngestedUsageEvent = ValidUsageEvent & { organizationId: string; ingestedAt: string };

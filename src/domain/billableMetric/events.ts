import type { DomainEvent } from '../shared/decider.ts';

export const AGGREGATION_TYPES = ['COUNT', 'SUM', 'MAX', 'UNIQUE_COUNT', 'LATEST', 'WEIGHTED_SUM'] as const;
export type AggregationType = (typeof AGGREGATION_TYPES)[number];
export const ROUNDING_FUNCTIONS = ['ROUND', 'CEIL', 'FLOOR'] as const;
/** Upper-case like the API; `src/billing/aggregationRounding.ts` takes it lower-cased. */
export type MetricRoundingFunction = (typeof ROUNDING_FUNCTIONS)[number];
export type WeightedInterval = 'SECONDS';

/** A filter the metric declares: an event property key and the values charges may filter on. */
export type BillableMetricFilter = { key: string; values: string[] };

/** Everything about a metric except its identity (organization, id, code), as stored in every event. */
export type BillableMetricDefinition = {
  name: string;
  description: string | null;
  aggregationType: AggregationType;
  fieldName: string | null;
  recurring: boolean;
  weightedInterval: WeightedInterval | null;
  roundingFunction: MetricRoundingFunction | null;
  roundingPrecision: number | null;
  filters: BillableMetricFilter[];
};

type Identity = { organizationId: string; metricId: string; code: string };

export type BillableMetricCreated = DomainEvent<'BillableMetricCreated', Identity & BillableMetricDefinition & { createdAt: string }>;
/** Carries the whole definition after the update, so a fold only assigns. */
export type BillableMetricUpdated = DomainEvent<'BillableMetricUpdated', Identity & BillableMetricDefinition & { updatedAt: string }>;
export type BillableMetricDeleted = DomainEvent<'BillableMetricDeleted', Identity & { deletedAt: string }>;

export type BillableMetricEvent = BillableMetricCreated | BillableMetricUpdated | BillableMetricDeleted;

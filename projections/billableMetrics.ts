import type { BillableMetricDefinition } from '../src/domain/billableMetric/index.ts';
import { catalogItemProjection, type CatalogItemDocument } from './catalogItem.ts';

export type BillableMetricDocument = CatalogItemDocument<BillableMetricDefinition>;

export const billableMetricsProjection = catalogItemProjection<BillableMetricDefinition>({
  name: 'billableMetrics',
  idField: 'metricId',
  events: { created: 'BillableMetricCreated', updated: 'BillableMetricUpdated', deleted: 'BillableMetricDeleted' },
});

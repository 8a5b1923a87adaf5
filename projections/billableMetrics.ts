import type { BillableMetricDefinition, BillableMetricEvent } from '../src/domain/billableMetric/index.ts';
import { defineProjection } from './projection.ts';

export type BillableMetricDocument = {
  _id: string;
  organizationId: string;
  code: string;
  createdAt: string;
  updatedAt: string;
  /** Set when deleted: the document stays (for history) but queries filter on `deletedAt: null`. */
  deletedAt: string | null;
} & BillableMetricDefinition;

export const billableMetricsProjection = defineProjection<BillableMetricDocument>({
  name: 'billableMetrics',
  collection: 'billableMetrics',
  indexes: [{ name: 'byOrganizationCode', keys: { organizationId: 1, code: 1 } }],
  handles: ['BillableMetricCreated', 'BillableMetricUpdated', 'BillableMetricDeleted'],
  documentIds: (event) => [(event.data as { metricId: string }).metricId],
  fold(doc, event) {
    const e = event as unknown as BillableMetricEvent;
    switch (e.type) {
      case 'BillableMetricCreated': {
        const { metricId, createdAt, ...rest } = e.data;
        return { _id: metricId, ...rest, createdAt, updatedAt: createdAt, deletedAt: null };
      }
      case 'BillableMetricUpdated': {
        const { metricId: _id, ...rest } = e.data;
        return doc ? { ...doc, ...rest } : doc;
      }
      case 'BillableMetricDeleted':
        return doc ? { ...doc, deletedAt: e.data.deletedAt, updatedAt: e.data.deletedAt } : doc;
      default:
        return doc;
    }
  },
});

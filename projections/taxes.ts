import type { TaxDefinition, TaxEvent } from '../src/domain/tax/index.ts';
import { defineProjection } from './projection.ts';

export type TaxDocument = {
  _id: string;
  organizationId: string;
  code: string;
  createdAt: string;
  updatedAt: string;
  /** Set when deleted: the document stays (for history) but queries filter on `deletedAt: null`. */
  deletedAt: string | null;
} & TaxDefinition;

export const taxesProjection = defineProjection<TaxDocument>({
  name: 'taxes',
  collection: 'taxes',
  indexes: [{ name: 'byOrganizationCode', keys: { organizationId: 1, code: 1 } }],
  handles: ['TaxCreated', 'TaxUpdated', 'TaxDeleted'],
  documentIds: (event) => [(event.data as { taxId: string }).taxId],
  fold(doc, event) {
    const e = event as unknown as TaxEvent;
    switch (e.type) {
      case 'TaxCreated': {
        const { taxId, createdAt, ...rest } = e.data;
        return { _id: taxId, ...rest, createdAt, updatedAt: createdAt, deletedAt: null };
      }
      case 'TaxUpdated': {
        const { taxId: _id, ...rest } = e.data;
        return doc ? { ...doc, ...rest } : doc;
      }
      case 'TaxDeleted':
        return doc ? { ...doc, deletedAt: e.data.deletedAt, updatedAt: e.data.deletedAt } : doc;
      default:
        return doc;
    }
  },
});

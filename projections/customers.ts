import type { CustomerEvent, CustomerProfile } from '../src/domain/customer/index.ts';
import { defineProjection } from './projection.ts';

export type CustomerDocument = {
  _id: string;
  organizationId: string;
  externalId: string;
  /** Per-organization number (1, 2, …) used in invoice numbers; deleted customers keep theirs. */
  sequentialId: number;
  createdAt: string;
  updatedAt: string;
  /** Set when deleted: the document stays (it counts for `sequentialId`) but queries filter on `deletedAt: null`. */
  deletedAt: string | null;
} & CustomerProfile;

export const customersProjection = defineProjection<CustomerDocument>({
  name: 'customers',
  collection: 'customers',
  indexes: [{ name: 'byOrganizationExternalId', keys: { organizationId: 1, externalId: 1 } }, { name: 'byOrganizationCreated', keys: { organizationId: 1, createdAt: 1, _id: 1 } }],
  handles: ['CustomerCreated', 'CustomerUpdated', 'CustomerDeleted'],
  documentIds: (event) => [(event.data as { customerId: string }).customerId],
  fold(doc, event) {
    const e = event as unknown as CustomerEvent;
    switch (e.type) {
      case 'CustomerCreated': {
        const { customerId, createdAt, ...rest } = e.data;
        return { _id: customerId, ...rest, createdAt, updatedAt: createdAt, deletedAt: null };
      }
      case 'CustomerUpdated': {
        const { customerId: _id, ...rest } = e.data;
        return doc ? { ...doc, ...rest } : doc;
      }
      case 'CustomerDeleted':
        return doc ? { ...doc, deletedAt: e.data.deletedAt, updatedAt: e.data.deletedAt } : doc;
      default:
        return doc;
    }
  },
});

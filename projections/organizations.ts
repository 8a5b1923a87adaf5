import type { OrganizationEvent } from '../src/domain/organization/index.ts';
import { defineProjection } from './projection.ts';

export type OrganizationDocument = {
  _id: string;
  organizationId: string;
  name: string;
  timezone: string;
  defaultCurrency: string;
  createdAt: string;
};

export const organizationsProjection = defineProjection<OrganizationDocument>({
  name: 'organizations',
  collection: 'organizations',
  indexes: [],
  handles: ['OrganizationCreated'],
  documentIds: (event) => [(event.data as { organizationId: string }).organizationId],
  fold(doc, event) {
    const e = event as unknown as OrganizationEvent;
    if (e.type !== 'OrganizationCreated') return doc;
    const { organizationId, name, timezone, defaultCurrency, createdAt } = e.data;
    return { _id: organizationId, organizationId, name, timezone, defaultCurrency, createdAt };
  },
});

import type { OrganizationEvent, OrganizationSettings } from '../src/domain/organization/index.ts';
import { initialSettings } from '../src/domain/organization/index.ts';
import { defineProjection } from './projection.ts';

/**
 * An organization and its billing defaults (`OrganizationSettings`). Documents projected before the settings
 * existed lack them until `projections:rebuild organizations`; the GraphQL edge falls back to the defaults.
 */
export type OrganizationDocument = {
  _id: string;
  organizationId: string;
  name: string;
  createdAt: string;
} & OrganizationSettings;

export const organizationsProjection = defineProjection<OrganizationDocument>({
  name: 'organizations',
  collection: 'organizations',
  indexes: [],
  handles: ['OrganizationCreated', 'OrganizationUpdated'],
  documentIds: (event) => [(event.data as { organizationId: string }).organizationId],
  fold(doc, event) {
    const e = event as unknown as OrganizationEvent;
    if (e.type === 'OrganizationCreated') {
      const { organizationId, name, createdAt } = e.data;
      return { _id: organizationId, organizationId, name, createdAt, ...initialSettings(e.data) };
    }
    if (e.type === 'OrganizationUpdated') {
      const { organizationId: _id, updatedAt: _at, ...settings } = e.data;
      return doc ? { ...doc, ...settings } : doc;
    }
    return doc;
  },
});

import type { OrganizationEvent } from '../src/domain/organization/index.ts';
import { defineProjection } from './projection.ts';

export type ApiKeyDocument = {
  _id: string;
  organizationId: string;
  name: string;
  keyHash: string;
  keyPrefix: string;
  createdAt: string;
  revokedAt: string | null;
};

export const apiKeysProjection = defineProjection<ApiKeyDocument>({
  name: 'apiKeys',
  collection: 'apiKeys',
  indexes: [
    { name: 'byHash', keys: { keyHash: 1 }, unique: true },
    { name: 'byOrganization', keys: { organizationId: 1, createdAt: 1, _id: 1 } },
  ],
  handles: ['ApiKeyCreated', 'ApiKeyRevoked'],
  documentIds: (event) => [(event.data as { keyId: string }).keyId],
  fold(doc, event) {
    const e = event as unknown as OrganizationEvent;
    switch (e.type) {
      case 'ApiKeyCreated': {
        const { keyId, organizationId, name, keyHash, keyPrefix, createdAt } = e.data;
        return { _id: keyId, organizationId, name, keyHash, keyPrefix, createdAt, revokedAt: null };
      }
      case 'ApiKeyRevoked':
        return doc ? { ...doc, revokedAt: e.data.revokedAt } : doc;
      default:
        return doc;
    }
  },
});

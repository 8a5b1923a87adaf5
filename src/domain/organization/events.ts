import type { DomainEvent } from '../shared/decider.ts';

export type OrganizationCreated = DomainEvent<
  'OrganizationCreated',
  { organizationId: string; name: string; timezone: string; defaultCurrency: string; createdAt: string }
>;
export type ApiKeyCreated = DomainEvent<
  'ApiKeyCreated',
  { organizationId: string; keyId: string; name: string; keyHash: string; keyPrefix: string; createdAt: string }
>;
export type ApiKeyRevoked = DomainEvent<'ApiKeyRevoked', { organizationId: string; keyId: string; revokedAt: string }>;

export type OrganizationEvent = OrganizationCreated | ApiKeyCreated | ApiKeyRevoked;

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

export type DocumentNumbering = 'PER_CUSTOMER' | 'PER_ORGANIZATION';

/** Organization-wide billing defaults; customers inherit those they do not set themselves. */
export type OrganizationSettings = {
  timezone: string;
  defaultCurrency: string;
  /** Days an invoice stays draft before finalization (Lago §4.2). */
  invoiceGracePeriod: number;
  /** Days between issuing date and payment due date. */
  netPaymentTerm: number;
  /** Invoice number prefix, upper case, 1 to 10 characters (Lago §4.6). */
  documentNumberPrefix: string;
  documentNumbering: DocumentNumbering;
};

/** Carries every setting after the update, so a fold only assigns. */
export type OrganizationUpdated = DomainEvent<'OrganizationUpdated', { organizationId: string } & OrganizationSettings & { updatedAt: string }>;

export type OrganizationEvent = OrganizationCreated | ApiKeyCreated | ApiKeyRevoked | OrganizationUpdated;

import type { DomainEvent } from '../shared/decider.ts';

export type CustomerMetadataEntry = { key: string; value: string; displayInInvoice: boolean };

/**
 * Everything about a customer except its identity. `null` settings fall back to the organization's
 * (`applicableTimezone`, `applicableInvoiceGracePeriod`, `applicableNetPaymentTerm`).
 */
export type CustomerProfile = {
  name: string | null;
  legalName: string | null;
  taxIdentificationNumber: string | null;
  email: string | null;
  addressLine1: string | null;
  addressLine2: string | null;
  city: string | null;
  zipcode: string | null;
  state: string | null;
  /** ISO 3166-1 alpha-2, upper case. */
  country: string | null;
  /** ISO 4217. */
  currency: string | null;
  /** IANA zone. */
  timezone: string | null;
  invoiceGracePeriod: number | null;
  netPaymentTerm: number | null;
  taxCodes: string[];
  metadata: CustomerMetadataEntry[];
};

type Identity = { organizationId: string; customerId: string; externalId: string };

export type CustomerCreated = DomainEvent<'CustomerCreated', Identity & CustomerProfile & { sequentialId: number; createdAt: string }>;
/** Carries the whole profile after the update, so a fold only assigns. */
export type CustomerUpdated = DomainEvent<'CustomerUpdated', Identity & CustomerProfile & { updatedAt: string }>;
export type CustomerDeleted = DomainEvent<'CustomerDeleted', Identity & { deletedAt: string }>;

export type CustomerEvent = CustomerCreated | CustomerUpdated | CustomerDeleted;

import type { DomainEvent } from '../shared/decider.ts';

/** A tax as stored: `rate` is a percentage as a decimal string ("20", "5.5"), never a float. */
export type TaxDefinition = {
  name: string;
  rate: string;
  description: string | null;
  /** The organization's default tax: applies to customers without tax codes of their own (Lago §5.3). */
  appliedToOrganization: boolean;
};

type Identity = { organizationId: string; taxId: string; code: string };

export type TaxCreated = DomainEvent<'TaxCreated', Identity & TaxDefinition & { createdAt: string }>;
/** Carries the whole definition after the update, so a fold only assigns. */
export type TaxUpdated = DomainEvent<'TaxUpdated', Identity & TaxDefinition & { updatedAt: string }>;
export type TaxDeleted = DomainEvent<'TaxDeleted', Identity & { deletedAt: string }>;

export type TaxEvent = TaxCreated | TaxUpdated | TaxDeleted;

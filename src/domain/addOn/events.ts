import type { DomainEvent } from '../shared/decider.ts';

/** An add-on as stored (Lago's `add_on`): a one-off amount in integer cents, never a float. */
export type AddOnDefinition = {
  name: string;
  invoiceDisplayName: string | null;
  description: string | null;
  /** Integer cents as a string, > 0 (Lago: `amount_cents` greater than 0). */
  amountCents: string;
  amountCurrency: string;
  /** Codes of live taxes of the organization; empty: the customer's or the organization's taxes apply. */
  taxCodes: string[];
};

type Identity = { organizationId: string; addOnId: string; code: string };

export type AddOnCreated = DomainEvent<'AddOnCreated', Identity & AddOnDefinition & { createdAt: string }>;
/** Carries the whole definition after the update, so a fold only assigns. */
export type AddOnUpdated = DomainEvent<'AddOnUpdated', Identity & AddOnDefinition & { updatedAt: string }>;
export type AddOnDeleted = DomainEvent<'AddOnDeleted', Identity & { deletedAt: string }>;

export type AddOnEvent = AddOnCreated | AddOnUpdated | AddOnDeleted;

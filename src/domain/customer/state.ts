import type { CustomerEvent, CustomerProfile } from './events.ts';

/**
 * One stream per (organization, externalId). `deleted` keeps the identity: a later upsert with the same
 * external id creates a new customer (new id, new sequential id), as Lago does after a discard.
 */
export type CustomerState =
  | { status: 'none' }
  | { status: 'active' | 'deleted'; organizationId: string; customerId: string; externalId: string; profile: CustomerProfile };

export const initialState = (): CustomerState => ({ status: 'none' });

/** The profile fields of an event, in one fixed order (so two profiles compare as JSON). */
export function profileOf(data: CustomerProfile): CustomerProfile {
  const { name, legalName, taxIdentificationNumber, email, addressLine1, addressLine2, city, zipcode, state, country } = data;
  const { currency, timezone, invoiceGracePeriod, netPaymentTerm, taxCodes, metadata } = data;
  return {
    name, legalName, taxIdentificationNumber, email, addressLine1, addressLine2, city, zipcode, state, country,
    currency, timezone, invoiceGracePeriod, netPaymentTerm, taxCodes, metadata,
  };
}

export function evolve(state: CustomerState, event: CustomerEvent): CustomerState {
  switch (event.type) {
    case 'CustomerCreated': {
      const { organizationId, customerId, externalId } = event.data;
      return { status: 'active', organizationId, customerId, externalId, profile: profileOf(event.data) };
    }
    case 'CustomerUpdated':
      return state.status === 'none' ? state : { ...state, profile: profileOf(event.data) };
    case 'CustomerDeleted':
      return state.status === 'none' ? state : { ...state, status: 'deleted' };
    default: {
      const unknownEvent: never = event;
      return unknownEvent;
    }
  }
}

import type { AddOnDefinition, AddOnEvent } from './events.ts';

/** One stream per (organization, code); `deleted` lets a later create reuse the code with a new id. */
export type AddOnState =
  | { status: 'none' }
  | { status: 'active' | 'deleted'; organizationId: string; addOnId: string; code: string; definition: AddOnDefinition };

export const initialState = (): AddOnState => ({ status: 'none' });

/** The definition fields of an event, in one fixed order (so two definitions compare as JSON). */
export function definitionOf(data: AddOnDefinition): AddOnDefinition {
  const { name, invoiceDisplayName, description, amountCents, amountCurrency, taxCodes } = data;
  return { name, invoiceDisplayName, description, amountCents, amountCurrency, taxCodes: [...taxCodes] };
}

export function evolve(state: AddOnState, event: AddOnEvent): AddOnState {
  switch (event.type) {
    case 'AddOnCreated': {
      const { organizationId, addOnId, code } = event.data;
      return { status: 'active', organizationId, addOnId, code, definition: definitionOf(event.data) };
    }
    case 'AddOnUpdated':
      return state.status === 'none' ? state : { ...state, definition: definitionOf(event.data) };
    case 'AddOnDeleted':
      return state.status === 'none' ? state : { ...state, status: 'deleted' };
    default: {
      const unknownEvent: never = event;
      return unknownEvent;
    }
  }
}

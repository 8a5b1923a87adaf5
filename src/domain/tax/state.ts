import type { TaxDefinition, TaxEvent } from './events.ts';

/** One stream per (organization, code); `deleted` lets a later create reuse the code with a new id. */
export type TaxState =
  | { status: 'none' }
  | { status: 'active' | 'deleted'; organizationId: string; taxId: string; code: string; definition: TaxDefinition };

export const initialState = (): TaxState => ({ status: 'none' });

/** The definition fields of an event, in one fixed order (so two definitions compare as JSON). */
export function definitionOf(data: TaxDefinition): TaxDefinition {
  const { name, rate, description, appliedToOrganization } = data;
  return { name, rate, description, appliedToOrganization };
}

export function evolve(state: TaxState, event: TaxEvent): TaxState {
  switch (event.type) {
    case 'TaxCreated': {
      const { organizationId, taxId, code } = event.data;
      return { status: 'active', organizationId, taxId, code, definition: definitionOf(event.data) };
    }
    case 'TaxUpdated':
      return state.status === 'none' ? state : { ...state, definition: definitionOf(event.data) };
    case 'TaxDeleted':
      return state.status === 'none' ? state : { ...state, status: 'deleted' };
    default: {
      const unknownEvent: never = event;
      return unknownEvent;
    }
  }
}

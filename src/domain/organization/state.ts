import type { OrganizationEvent } from './events.ts';

export type OrganizationState =
  | { status: 'none' }
  | { status: 'active'; organizationId: string; keys: Record<string, { revoked: boolean }> };

export const initialState = (): OrganizationState => ({ status: 'none' });

export function evolve(state: OrganizationState, event: OrganizationEvent): OrganizationState {
  switch (event.type) {
    case 'OrganizationCreated':
      return { status: 'active', organizationId: event.data.organizationId, keys: {} };
    case 'ApiKeyCreated':
      return state.status === 'active' ? { ...state, keys: { ...state.keys, [event.data.keyId]: { revoked: false } } } : state;
    case 'ApiKeyRevoked':
      return state.status === 'active' ? { ...state, keys: { ...state.keys, [event.data.keyId]: { revoked: true } } } : state;
    default: {
      const unknownEvent: never = event;
      return unknownEvent;
    }
  }
}

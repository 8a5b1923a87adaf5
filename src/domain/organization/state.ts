import type { OrganizationEvent, OrganizationSettings } from './events.ts';
import { initialSettings } from './settings.ts';

export type OrganizationState =
  | { status: 'none' }
  | { status: 'active'; organizationId: string; keys: Record<string, { revoked: boolean }>; settings: OrganizationSettings };

export const initialState = (): OrganizationState => ({ status: 'none' });

export function evolve(state: OrganizationState, event: OrganizationEvent): OrganizationState {
  switch (event.type) {
    case 'OrganizationCreated':
      return { status: 'active', organizationId: event.data.organizationId, keys: {}, settings: initialSettings(event.data) };
    case 'ApiKeyCreated':
      return state.status === 'active' ? { ...state, keys: { ...state.keys, [event.data.keyId]: { revoked: false } } } : state;
    case 'ApiKeyRevoked':
      return state.status === 'active' ? { ...state, keys: { ...state.keys, [event.data.keyId]: { revoked: true } } } : state;
    case 'OrganizationUpdated': {
      const { organizationId: _id, updatedAt: _at, ...settings } = event.data;
      return state.status === 'active' ? { ...state, settings } : state;
    }
    default: {
      const unknownEvent: never = event;
      return unknownEvent;
    }
  }
}

import type { WebhookEndpointDefinition, WebhookEndpointEvent } from './events.ts';

/** One stream per endpoint (keyed by its id); a deleted endpoint stays deleted (a new one gets a new id). */
export type WebhookEndpointState =
  | { status: 'none' }
  | { status: 'active' | 'deleted'; organizationId: string; webhookEndpointId: string; definition: WebhookEndpointDefinition; secret: string };

export const initialWebhookEndpointState = (): WebhookEndpointState => ({ status: 'none' });

/** The definition fields of an event, in one fixed order (so two definitions compare as JSON). */
export function endpointDefinitionOf(data: WebhookEndpointDefinition): WebhookEndpointDefinition {
  const { url, eventTypes, signatureAlgorithm } = data;
  return { url, eventTypes: eventTypes === null ? null : [...eventTypes], signatureAlgorithm };
}

export function evolveWebhookEndpoint(state: WebhookEndpointState, event: WebhookEndpointEvent): WebhookEndpointState {
  switch (event.type) {
    case 'WebhookEndpointCreated': {
      const { organizationId, webhookEndpointId, secret } = event.data;
      return { status: 'active', organizationId, webhookEndpointId, definition: endpointDefinitionOf(event.data), secret };
    }
    case 'WebhookEndpointUpdated':
      return state.status === 'none' ? state : { ...state, definition: endpointDefinitionOf(event.data) };
    case 'WebhookEndpointSecretRotated':
      return state.status === 'none' ? state : { ...state, secret: event.data.secret };
    case 'WebhookEndpointDeleted':
      return state.status === 'none' ? state : { ...state, status: 'deleted' };
    default: {
      const unknownEvent: never = event;
      return unknownEvent;
    }
  }
}

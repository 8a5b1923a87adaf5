import type { Decider } from '../shared/decider.ts';
import { decideWebhookEndpoint, type WebhookEndpointCommand } from './endpointDecide.ts';
import type { WebhookEndpointEvent } from './events.ts';
import { evolveWebhookEndpoint, initialWebhookEndpointState, type WebhookEndpointState } from './endpointState.ts';

export {
  MAX_WEBHOOK_URL_LENGTH,
  WEBHOOK_SIGNATURE_ALGORITHMS,
  parseEventTypes,
  parseWebhookUrl,
  type LiveWebhookEndpoints,
  type WebhookEndpointCommand,
  type WebhookEndpointFields,
} from './endpointDecide.ts';
export { endpointDefinitionOf, type WebhookEndpointState } from './endpointState.ts';
export * from './events.ts';
export * from './types.ts';

/**
 * A webhook endpoint (Lago's `webhook_endpoint`, reference §8). One stream per endpoint, keyed by its id; the
 * organization-wide rules (at most MAX_WEBHOOK_ENDPOINTS live endpoints, a url unique among them) are decided on the
 * live endpoints the application looked up under one guard key (application/webhookEndpoints.ts).
 */
export const webhookEndpointDecider: Decider<WebhookEndpointCommand, WebhookEndpointEvent, WebhookEndpointState> = {
  initialState: initialWebhookEndpointState,
  evolve: evolveWebhookEndpoint,
  decide: decideWebhookEndpoint,
};

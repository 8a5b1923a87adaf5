import type { DomainEvent } from '../shared/decider.ts';

/**
 * Webhooks (Lago's `webhook_endpoint` and `webhook`, reference §8). An endpoint receives the organization's webhooks
 * of the types it subscribes to; each webhook is one message for one endpoint, created once from one domain event
 * (its id derives from the event's and the endpoint's, so it is never created twice) and delivered at least once:
 * receivers deduplicate by its id (`webhook-id` header).
 */

/** How deliveries are signed. `STANDARD`: Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`
 * headers, HMAC-SHA256 with the endpoint's `whsec_` secret). `HMAC`: Lago's `X-Lago-Signature` (base64
 * HMAC-SHA256 of the body with the secret) with `X-Lago-Signature-Algorithm: hmac` and `X-Lago-Unique-Key`. */
export type WebhookSignatureAlgorithm = 'STANDARD' | 'HMAC';

type EndpointIdentity = { organizationId: string; webhookEndpointId: string };

/** What an endpoint is: `eventTypes` null = every webhook type. */
export type WebhookEndpointDefinition = { url: string; eventTypes: string[] | null; signatureAlgorithm: WebhookSignatureAlgorithm };

export type WebhookEndpointCreated = DomainEvent<
  'WebhookEndpointCreated',
  EndpointIdentity & WebhookEndpointDefinition & { /** `whsec_` + base64 of 24 random bytes. */ secret: string; createdAt: string }
>;
/** Carries the whole definition after the update, so a fold only assigns. */
export type WebhookEndpointUpdated = DomainEvent<'WebhookEndpointUpdated', EndpointIdentity & WebhookEndpointDefinition & { updatedAt: string }>;
/** A new signing secret; deliveries from then on are signed with it. */
export type WebhookEndpointSecretRotated = DomainEvent<'WebhookEndpointSecretRotated', EndpointIdentity & { secret: string; rotatedAt: string }>;
export type WebhookEndpointDeleted = DomainEvent<'WebhookEndpointDeleted', EndpointIdentity & { deletedAt: string }>;

export type WebhookEndpointEvent = WebhookEndpointCreated | WebhookEndpointUpdated | WebhookEndpointSecretRotated | WebhookEndpointDeleted;
export const WEBHOOK_ENDPOINT_EVENT_TYPES = ['WebhookEndpointCreated', 'WebhookEndpointUpdated', 'WebhookEndpointSecretRotated', 'WebhookEndpointDeleted'] as const;

type WebhookIdentity = { organizationId: string; webhookId: string };

/** One message for one endpoint, with the exact body every attempt sends. */
export type WebhookCreated = DomainEvent<
  'WebhookCreated',
  WebhookIdentity & {
    webhookEndpointId: string;
    /** Lago's name (`invoice.created`, …): one of WEBHOOK_TYPES. */
    webhookType: string;
    /** Lago's object type (`invoice`, `customer`, `wallet_transaction`, …). */
    objectType: string;
    objectId: string;
    /** The domain event it was made from. */
    sourceEventId: string;
    sourcePosition: string;
    /** The JSON body, as sent: `{"webhook_type", "object_type", "organization_id", "<object_type>": {…}}`. */
    payload: string;
    createdAt: string;
  }
>;

export type WebhookAttemptOutcome = 'SUCCEEDED' | 'RETRYING' | 'FAILED';

/** One delivery attempt and what it decided: `RETRYING` with the instant of the next, or final. */
export type WebhookAttempted = DomainEvent<
  'WebhookAttempted',
  WebhookIdentity & {
    /** 1-based, counting every attempt (manual retries included). */
    attempt: number;
    outcome: WebhookAttemptOutcome;
    /** The endpoint's HTTP status, null when none came (timeout, refused connection). */
    httpStatus: number | null;
    /** Why it failed (`HTTP 500`, `timeout after 10000 ms`, `ECONNREFUSED`), null on success. */
    error: string | null;
    /** The first 1,000 characters of the response body, or null. */
    response: string | null;
    durationMs: number;
    attemptedAt: string;
    /** When `RETRYING`: when the next attempt is due (wall-clock instant); else null. */
    nextAttemptAt: string | null;
  }
>;

/** `retryWebhook`: a failed webhook is attempted again at once (and retried as a new one would be). */
export type WebhookRetryRequested = DomainEvent<'WebhookRetryRequested', WebhookIdentity & { requestedAt: string }>;

export type WebhookEvent = WebhookCreated | WebhookAttempted | WebhookRetryRequested;
export const WEBHOOK_EVENT_TYPES = ['WebhookCreated', 'WebhookAttempted', 'WebhookRetryRequested'] as const;

/** A webhook's state, as the `webhooks` read model folds it. */
export type WebhookStatus = 'PENDING' | 'SUCCEEDED' | 'RETRYING' | 'FAILED';

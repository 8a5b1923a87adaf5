import {
  WEBHOOK_ENDPOINT_EVENT_TYPES,
  WEBHOOK_EVENT_TYPES,
  type WebhookAttemptOutcome,
  type WebhookCreated,
  type WebhookEndpointEvent,
  type WebhookEvent,
  type WebhookSignatureAlgorithm,
  type WebhookStatus,
} from '../src/domain/webhook/index.ts';
import { defineProjection } from './projection.ts';

export const WEBHOOK_ENDPOINTS = 'webhookEndpoints';
export const WEBHOOKS = 'webhooks';

/** How many attempts a webhook document keeps in `history` (the newest). */
export const WEBHOOK_HISTORY_LIMIT = 25;

/** A log position as a sortable string (zero-padded): newest first even when several share an instant. */
const padded = (position: bigint) => position.toString().padStart(20, '0');

/** A webhook endpoint with its current secret; deleted endpoints are kept (their webhooks name them). */
export type WebhookEndpointDocument = {
  _id: string;
  organizationId: string;
  url: string;
  /** null: every webhook type. */
  eventTypes: string[] | null;
  signatureAlgorithm: WebhookSignatureAlgorithm;
  /** `whsec_` + base64 of 24 random bytes: what deliveries are signed with from now on. */
  secret: string;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
  /** The log position of its creation and of its deletion (zero-padded): from when to when it receives webhooks. */
  createdPosition: string;
  deletedPosition: string | null;
};

/** One delivery attempt of a webhook, as kept in its document. */
export type WebhookAttemptRecord = {
  attempt: number;
  outcome: WebhookAttemptOutcome;
  httpStatus: number | null;
  error: string | null;
  durationMs: number;
  attemptedAt: string;
};

/** One message for one endpoint and where its delivery stands. */
export type WebhookDocument = Omit<WebhookCreated['data'], 'webhookId'> & {
  _id: string;
  status: WebhookStatus;
  /** Attempts made so far (manual retries included). */
  attempts: number;
  lastHttpStatus: number | null;
  lastError: string | null;
  lastResponse: string | null;
  lastAttemptAt: string | null;
  /** When the next attempt is due (PENDING, RETRYING); null once final. */
  nextAttemptAt: string | null;
  updatedAt: string;
  /** The log position of its WebhookCreated, zero-padded (list order). */
  sequence: string;
  /** The revision of the last event of its stream folded in (what a retry appends after). */
  revision: string;
  /** The last WEBHOOK_HISTORY_LIMIT attempts, oldest first. */
  history: WebhookAttemptRecord[];
};

/** Webhook endpoints by id, live and deleted. */
export const webhookEndpointsProjection = defineProjection<WebhookEndpointDocument>({
  name: WEBHOOK_ENDPOINTS,
  collection: WEBHOOK_ENDPOINTS,
  indexes: [{ name: 'byOrganizationCreated', keys: { organizationId: 1, deletedAt: 1, createdAt: 1, _id: 1 } }],
  handles: WEBHOOK_ENDPOINT_EVENT_TYPES,
  // Nothing is priced from webhooks: their writes must not invalidate cached usage contexts.
  catalog: false,
  documentIds: (event) => [String((event.data as { webhookEndpointId: string }).webhookEndpointId)],
  fold(doc, recorded, id) {
    const event = recorded as unknown as WebhookEndpointEvent;
    switch (event.type) {
      case 'WebhookEndpointCreated': {
        if (doc !== null) return doc;
        const { organizationId, url, eventTypes, signatureAlgorithm, secret, createdAt } = event.data;
        return { _id: id, organizationId, url, eventTypes, signatureAlgorithm, secret, createdAt, updatedAt: createdAt, deletedAt: null, createdPosition: padded(recorded.position), deletedPosition: null };
      }
      case 'WebhookEndpointUpdated': {
        if (doc === null) return doc;
        const { url, eventTypes, signatureAlgorithm, updatedAt } = event.data;
        return { ...doc, url, eventTypes, signatureAlgorithm, updatedAt };
      }
      case 'WebhookEndpointSecretRotated':
        return doc === null ? doc : { ...doc, secret: event.data.secret, updatedAt: event.data.rotatedAt };
      case 'WebhookEndpointDeleted':
        return doc === null || doc.deletedAt !== null ? doc : { ...doc, deletedAt: event.data.deletedAt, updatedAt: event.data.deletedAt, deletedPosition: padded(recorded.position) };
      default:
        return doc;
    }
  },
});

/** Webhooks by id, with their delivery state, in log order (`sequence`). */
export const webhooksProjection = defineProjection<WebhookDocument>({
  name: WEBHOOKS,
  collection: WEBHOOKS,
  indexes: [
    { name: 'byOrganizationSequence', keys: { organizationId: 1, sequence: 1, _id: 1 } },
    { name: 'byEndpointSequence', keys: { organizationId: 1, webhookEndpointId: 1, sequence: 1, _id: 1 } },
    { name: 'byOrganizationStatusSequence', keys: { organizationId: 1, status: 1, sequence: 1, _id: 1 } },
    // What the deliverer reads at start, across organizations: the PENDING and RETRYING webhooks, by when they are due.
    { name: 'byStatusDue', keys: { status: 1, nextAttemptAt: 1, _id: 1 } },
  ],
  handles: WEBHOOK_EVENT_TYPES,
  catalog: false,
  documentIds: (event) => [String((event.data as { webhookId: string }).webhookId)],
  fold(doc, recorded, id) {
    const event = recorded as unknown as WebhookEvent;
    const revision = recorded.revision.toString();
    switch (event.type) {
      case 'WebhookCreated': {
        if (doc !== null) return doc;
        const { webhookId: _w, ...data } = event.data;
        return {
          ...data,
          _id: id,
          status: 'PENDING',
          attempts: 0,
          lastHttpStatus: null,
          lastError: null,
          lastResponse: null,
          lastAttemptAt: null,
          nextAttemptAt: data.createdAt,
          updatedAt: data.createdAt,
          sequence: padded(recorded.position),
          revision,
          history: [],
        };
      }
      case 'WebhookAttempted': {
        if (doc === null) return doc;
        const { attempt, outcome, httpStatus, error, response, durationMs, attemptedAt, nextAttemptAt } = event.data;
        const entry: WebhookAttemptRecord = { attempt, outcome, httpStatus, error, durationMs, attemptedAt };
        return {
          ...doc,
          status: outcome,
          attempts: attempt,
          lastHttpStatus: httpStatus,
          lastError: error,
          lastResponse: response,
          lastAttemptAt: attemptedAt,
          nextAttemptAt: outcome === 'RETRYING' ? nextAttemptAt : null,
          updatedAt: attemptedAt,
          revision,
          history: [...doc.history, entry].slice(-WEBHOOK_HISTORY_LIMIT),
        };
      }
      case 'WebhookRetryRequested':
        return doc === null ? doc : { ...doc, status: 'PENDING', nextAttemptAt: event.data.requestedAt, updatedAt: event.data.requestedAt, revision };
      default:
        return doc;
    }
  },
});

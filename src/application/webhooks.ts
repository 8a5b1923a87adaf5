import type { Actor, AppDeps } from './context.ts';
import { eventMetadata } from './context.ts';
import type { Filter } from './ports/readModelStore.ts';
import { ConcurrencyError, IllegalStateError, NotFoundError } from '../domain/shared/errors.ts';
import { streamName } from '../domain/shared/streams.ts';
import type { WebhookRetryRequested, WebhookStatus } from '../domain/webhook/index.ts';
import { WEBHOOK_ENDPOINTS, WEBHOOKS, type WebhookDocument } from '../../projections/webhooks.ts';

/** One stream per webhook (its WebhookCreated, each WebhookAttempted, each WebhookRetryRequested). */
export function webhookStream(organizationId: string, webhookId: string): string {
  return streamName('webhook', organizationId, webhookId);
}

/** Webhooks of one endpoint, in one status, or both. */
export type WebhookFilter = { webhookEndpointId?: string | null | undefined; status?: WebhookStatus | null | undefined };

/** Attempts of a retry before it gives up with CONFLICT (each after the read model caught up with the stream). */
const MAX_ATTEMPTS = 5;

/** The webhooks read model and a manual retry (Lago's `POST /webhooks/:id/retry`); delivery itself is the deliverer's. */
export function createWebhookService(deps: AppDeps) {
  const webhooks = () => deps.readModels.collection<WebhookDocument>(WEBHOOKS);

  /** A webhook of the organization; NOT_FOUND for an unknown or another organization's one. */
  async function get(organizationId: string, webhookId: string): Promise<WebhookDocument> {
    const doc = await webhooks().findOne({ _id: webhookId, organizationId });
    if (doc === null) throw new NotFoundError(`webhook ${webhookId} not found`);
    return doc;
  }

  return {
    webhooks,
    get,

    /** The read-model filter of a list: NOT_FOUND when the endpoint named is not the organization's (deleted ones are). */
    async filterOf(organizationId: string, filter: WebhookFilter): Promise<Filter> {
      const { webhookEndpointId, status } = filter;
      if (webhookEndpointId && (await deps.readModels.collection(WEBHOOK_ENDPOINTS).count({ _id: webhookEndpointId, organizationId })) === 0) {
        throw new NotFoundError(`webhook endpoint ${webhookEndpointId} not found`);
      }
      return { organizationId, ...(webhookEndpointId ? { webhookEndpointId } : {}), ...(status ? { status } : {}) };
    },

    /**
     * A FAILED webhook is attempted again (PENDING, due now); any other status is CONFLICT, and so is one whose
     * endpoint was deleted. Appended after the revision the read model folded: when the stream moved meanwhile (an
     * attempt, another retry), the read model is brought up to its head and the status decided again.
     */
    async retry(actor: Actor, webhookId: string): Promise<WebhookDocument> {
      const { organizationId } = actor;
      const stream = webhookStream(organizationId, webhookId);
      for (let attempt = 1; ; attempt += 1) {
        const doc = await get(organizationId, webhookId);
        if (doc.status !== 'FAILED') throw new IllegalStateError(`webhook ${webhookId} is ${doc.status}: only a FAILED webhook can be retried`);
        const endpoint = await deps.readModels.collection(WEBHOOK_ENDPOINTS).findOne({ _id: doc.webhookEndpointId, organizationId });
        if (endpoint !== null && endpoint.deletedAt != null) throw new IllegalStateError(`webhook ${webhookId}: its endpoint ${doc.webhookEndpointId} was deleted`);
        // Real time, as every webhook instant: delivery schedules by the wall clock, never by the (manual) billing clock.
        const event: WebhookRetryRequested = { type: 'WebhookRetryRequested', data: { organizationId, webhookId, requestedAt: new Date().toISOString() } };
        try {
          const { position } = await deps.eventStore.append(stream, [{ ...event, metadata: eventMetadata(deps, actor) }], { expectedRevision: BigInt(doc.revision) });
          await deps.waitForProjections(position, { usage: false });
          return await get(organizationId, webhookId);
        } catch (error) {
          if (!(error instanceof ConcurrencyError) || attempt >= MAX_ATTEMPTS) throw error;
          const head = await deps.eventStore.streamHead(stream);
          if (head !== null) await deps.waitForProjections(head.position, { usage: false });
        }
      }
    },
  };
}

export type WebhookService = ReturnType<typeof createWebhookService>;

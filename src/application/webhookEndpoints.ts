import { randomBytes } from 'node:crypto';
import type { Actor, AppDeps } from './context.ts';
import { executeGuarded, guardKeys } from './consistency.ts';
import { execute } from './execute.ts';
import type { Filter } from './ports/readModelStore.ts';
import { NotFoundError } from '../domain/shared/errors.ts';
import { streamName } from '../domain/shared/streams.ts';
import { webhookEndpointDecider, type LiveWebhookEndpoints, type WebhookEndpointCommand, type WebhookSignatureAlgorithm } from '../domain/webhook/index.ts';
import { WEBHOOK_ENDPOINTS, type WebhookEndpointDocument } from '../../projections/webhooks.ts';

/** One stream per endpoint, keyed by its id. */
export function webhookEndpointStream(organizationId: string, webhookEndpointId: string): string {
  return streamName('webhookEndpoint', organizationId, webhookEndpointId);
}

/** A new signing secret: `whsec_` + base64 of 24 random bytes (the Standard Webhooks form). */
export const newWebhookSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`;

/** A new endpoint as the API gives it: eventTypes null or omitted = every type; signatureAlgorithm omitted = STANDARD. */
export type CreateWebhookEndpointInput = { url: string; eventTypes?: readonly string[] | null; signatureAlgorithm?: WebhookSignatureAlgorithm | null };
/** Omitted fields keep their value; `eventTypes: null` subscribes to every type. */
export type UpdateWebhookEndpointInput = { id: string; url?: string; eventTypes?: readonly string[] | null; signatureAlgorithm?: WebhookSignatureAlgorithm | null };

/**
 * Webhook endpoints (Lago's `webhook_endpoint`): at most MAX_WEBHOOK_ENDPOINTS live ones per organization, each url
 * unique among them. Both rules are decided on the organization's live endpoints read under one guard key
 * (`webhookEndpoints`, consistency.ts) that every create, update and delete writes: of two commands racing, the one
 * appending second finds the guard moved, waits for the read model to hold the first one's endpoint, and decides
 * again (CONFLICT when the rule then refuses it).
 */
export function createWebhookEndpointService(deps: AppDeps) {
  const endpoints = () => deps.readModels.collection<WebhookEndpointDocument>(WEBHOOK_ENDPOINTS);
  const now = () => ({ now: deps.clock.now().toISOString() });
  const guards = { writes: [guardKeys.webhookEndpoints()] };

  /** The organization's live endpoints, as the rules read them. */
  const liveEndpoints = async (organizationId: string): Promise<LiveWebhookEndpoints> =>
    (await endpoints().find({ organizationId, deletedAt: null })).map((doc) => ({ webhookEndpointId: doc._id, url: doc.url }));

  /** A live endpoint of the organization; NOT_FOUND for an unknown, deleted, or another organization's one. */
  async function get(organizationId: string, webhookEndpointId: string): Promise<WebhookEndpointDocument> {
    const doc = await endpoints().findOne({ _id: webhookEndpointId, organizationId, deletedAt: null });
    if (doc === null) throw new NotFoundError(`webhook endpoint ${webhookEndpointId} not found`);
    return doc;
  }

  const guarded = (actor: Actor, webhookEndpointId: string, prepare: () => Promise<WebhookEndpointCommand>) =>
    executeGuarded(deps, actor, webhookEndpointStream(actor.organizationId, webhookEndpointId), webhookEndpointDecider, guards, prepare);

  return {
    endpoints,
    get,

    /** The read-model filter of the organization's live endpoints (what `webhookEndpoints` pages through). */
    filterOf: (organizationId: string): Filter => ({ organizationId, deletedAt: null }),

    /** The organization's live endpoints, oldest first (at most MAX_WEBHOOK_ENDPOINTS). */
    list: (organizationId: string): Promise<WebhookEndpointDocument[]> => endpoints().find({ organizationId, deletedAt: null }, { sort: { createdAt: 1, _id: 1 } }),

    /** Lago's `POST /webhook_endpoints`; CONFLICT past MAX_WEBHOOK_ENDPOINTS live endpoints or for a url taken. */
    async create(actor: Actor, input: CreateWebhookEndpointInput): Promise<WebhookEndpointDocument> {
      const { organizationId } = actor;
      const webhookEndpointId = deps.newId();
      const secret = newWebhookSecret();
      await guarded(actor, webhookEndpointId, async () => ({
        type: 'CreateWebhookEndpoint',
        data: { organizationId, webhookEndpointId, url: input.url, eventTypes: input.eventTypes ?? null, signatureAlgorithm: input.signatureAlgorithm ?? null, secret },
        lookups: { liveEndpoints: await liveEndpoints(organizationId) },
        metadata: now(),
      }));
      return get(organizationId, webhookEndpointId);
    },

    /** Url, event types, signature algorithm; a url taken by another live endpoint is CONFLICT. */
    async update(actor: Actor, input: UpdateWebhookEndpointInput): Promise<WebhookEndpointDocument> {
      const { organizationId } = actor;
      const { id, ...fields } = input;
      await get(organizationId, id);
      await guarded(actor, id, async () => ({
        type: 'UpdateWebhookEndpoint',
        data: {
          webhookEndpointId: id,
          ...(fields.url === undefined ? {} : { url: fields.url }),
          ...(fields.eventTypes === undefined ? {} : { eventTypes: fields.eventTypes }),
          ...(fields.signatureAlgorithm == null ? {} : { signatureAlgorithm: fields.signatureAlgorithm }),
        },
        lookups: { liveEndpoints: await liveEndpoints(organizationId) },
        metadata: now(),
      }));
      return get(organizationId, id);
    },

    /** A new signing secret; deliveries from now on are signed with it (the old one is not accepted any more). */
    async rotateSecret(actor: Actor, webhookEndpointId: string): Promise<WebhookEndpointDocument> {
      await get(actor.organizationId, webhookEndpointId);
      await execute(deps, actor, webhookEndpointStream(actor.organizationId, webhookEndpointId), webhookEndpointDecider, {
        type: 'RotateWebhookEndpointSecret',
        data: { webhookEndpointId, secret: newWebhookSecret() },
        metadata: now(),
      });
      return get(actor.organizationId, webhookEndpointId);
    },

    /** The endpoint as it was deleted: it receives no webhook made from now on, and its url may be taken again. */
    async delete(actor: Actor, webhookEndpointId: string): Promise<WebhookEndpointDocument> {
      const { organizationId } = actor;
      const doc = await get(organizationId, webhookEndpointId);
      await guarded(actor, webhookEndpointId, async () => ({ type: 'DeleteWebhookEndpoint', data: { webhookEndpointId }, metadata: now() }));
      return (await endpoints().findOne({ _id: webhookEndpointId, organizationId })) ?? doc;
    },
  };
}

export type WebhookEndpointService = ReturnType<typeof createWebhookEndpointService>;

import { z } from 'zod';
import { MAX_WEBHOOK_URL_LENGTH, WEBHOOK_SIGNATURE_ALGORITHMS, WEBHOOK_TYPE_NAMES } from '../domain/webhook/index.ts';
import type { WebhookAttemptRecord, WebhookDocument, WebhookEndpointDocument } from '../../projections/webhooks.ts';
import { WEBHOOK_ENDPOINTS } from '../../projections/webhooks.ts';
import { organizationOf } from './auth.ts';
import { builder } from './builder.ts';
import { actorFrom, inInput, payloadOf } from './commandSupport.ts';
import { connectionOf, paginate } from './connection.ts';
import { parseInput } from './errors.ts';

const WEBHOOK_STATUSES = ['PENDING', 'SUCCEEDED', 'RETRYING', 'FAILED'] as const;
const ATTEMPT_OUTCOMES = ['SUCCEEDED', 'RETRYING', 'FAILED'] as const;

const SignatureAlgorithmEnum = builder.enumType('WebhookSignatureAlgorithm', {
  description:
    'How deliveries are signed, with the endpoint’s signing secret. STANDARD: Standard Webhooks (`webhook-id`, `webhook-timestamp` and `webhook-signature` headers; HMAC-SHA256 of `<id>.<timestamp>.<body>` keyed with the base64 part of the `whsec_` secret). HMAC: Lago’s `X-Lago-Signature` (base64 HMAC-SHA256 of the body keyed with the secret), with `X-Lago-Signature-Algorithm: hmac` and `X-Lago-Unique-Key`.',
  values: WEBHOOK_SIGNATURE_ALGORITHMS,
});
const StatusEnum = builder.enumType('WebhookStatus', {
  description: 'Where a webhook’s delivery stands: PENDING (due, not attempted since it was made or retried), RETRYING (an attempt failed, another is due at `nextAttemptAt`), SUCCEEDED (the endpoint answered 2xx), FAILED (every attempt failed; `retryWebhook` tries again).',
  values: WEBHOOK_STATUSES,
});
const OutcomeEnum = builder.enumType('WebhookAttemptOutcome', {
  description: 'What one delivery attempt decided: SUCCEEDED, RETRYING (another attempt is scheduled) or FAILED (final).',
  values: ATTEMPT_OUTCOMES,
});

export const WebhookEndpoint = builder.objectRef<WebhookEndpointDocument>('WebhookEndpoint').implement({
  description:
    'Where your organization’s webhooks are sent (Lago `webhook_endpoint`): an HTTP POST of a JSON body per webhook, delivered at least once. A receiver must verify the signature (see WebhookSignatureAlgorithm) before trusting a body, answer 2xx quickly, and deduplicate by the `webhook-id` header (the webhook’s id, the same on every attempt of it): a webhook can arrive more than once.',
  fields: (t) => ({
    id: t.exposeID('_id', { description: 'The endpoint’s id (what its webhooks name as `webhookEndpointId`).' }),
    url: t.exposeString('url', { description: 'The absolute http(s) URL webhooks are POSTed to; unique among your live endpoints.' }),
    eventTypes: t.exposeStringList('eventTypes', { nullable: true, description: 'The webhook types it receives (see `webhookTypes`); null: every type.' }),
    signatureAlgorithm: t.field({ type: SignatureAlgorithmEnum, description: 'How its deliveries are signed (the headers a receiver verifies).', resolve: (e) => e.signatureAlgorithm }),
    signingSecret: t.exposeString('secret', {
      description: 'The secret deliveries are signed with (`whsec_` + base64 of 24 random bytes). Keep it private; `rotateWebhookEndpointSecret` replaces it.',
    }),
    createdAt: t.field({ type: 'DateTime', description: 'When it was created: it receives webhooks made from then on.', resolve: (e) => e.createdAt }),
    updatedAt: t.field({ type: 'DateTime', description: 'Its last change (definition or secret).', resolve: (e) => e.updatedAt }),
  }),
});

const WebhookAttempt = builder.objectRef<WebhookAttemptRecord>('WebhookAttempt').implement({
  description: 'One delivery attempt of a webhook.',
  fields: (t) => ({
    attempt: t.exposeInt('attempt', { description: '1-based, counting every attempt (manual retries included).' }),
    outcome: t.field({ type: OutcomeEnum, description: 'What the attempt decided.', resolve: (a) => a.outcome }),
    httpStatus: t.exposeInt('httpStatus', { nullable: true, description: 'The endpoint’s HTTP status; null when none came (timeout, refused connection).' }),
    error: t.exposeString('error', { nullable: true, description: 'Why it failed (`HTTP 500`, `timeout after 10000 ms`, `ECONNREFUSED`); null on success.' }),
    durationMs: t.exposeInt('durationMs', { description: 'How long the attempt took, in milliseconds.' }),
    attemptedAt: t.field({ type: 'DateTime', description: 'When the attempt started.', resolve: (a) => a.attemptedAt }),
  }),
});

export const Webhook = builder.objectRef<WebhookDocument>('Webhook').implement({
  description:
    'One message for one endpoint (Lago `webhook`), made once from one change and delivered at least once: its id is the `webhook-id` header of every attempt, what a receiver deduplicates by.',
  fields: (t) => ({
    id: t.exposeID('_id', { description: 'Sent as the `webhook-id` header (and `X-Lago-Unique-Key`): the same on every attempt.' }),
    webhookEndpointId: t.exposeID('webhookEndpointId', { description: 'The endpoint it is sent to.' }),
    webhookEndpoint: t.field({
      type: WebhookEndpoint,
      nullable: true,
      description: 'The endpoint it is sent to (deleted endpoints too).',
      resolve: (w, _args, ctx) => ctx.loaders.byId<WebhookEndpointDocument>(WEBHOOK_ENDPOINTS).load(w.webhookEndpointId),
    }),
    webhookType: t.exposeString('webhookType', { description: 'Lago’s name, e.g. `invoice.created` (see `webhookTypes`).' }),
    objectType: t.exposeString('objectType', { description: 'Lago’s object type, e.g. `invoice`: the key of the object in the body.' }),
    objectId: t.exposeString('objectId', { description: 'The id of the object the webhook is about.' }),
    payload: t.exposeString('payload', {
      description: 'The JSON body, exactly as every attempt sends it (verify signatures over these bytes): `{"webhook_type", "object_type", "organization_id", "<object_type>": {…}}`.',
    }),
    status: t.field({ type: StatusEnum, description: 'Where its delivery stands.', resolve: (w) => w.status }),
    attempts: t.exposeInt('attempts', { description: 'Attempts made so far (manual retries included).' }),
    lastHttpStatus: t.exposeInt('lastHttpStatus', { nullable: true, description: 'The HTTP status of the last attempt; null before any, or when none came.' }),
    lastError: t.exposeString('lastError', { nullable: true, description: 'Why the last attempt failed; null on success or before any.' }),
    lastResponse: t.exposeString('lastResponse', { nullable: true, description: 'The first 1,000 characters of the last response body.' }),
    lastAttemptAt: t.field({ type: 'DateTime', nullable: true, description: 'When the last attempt started; null before any.', resolve: (w) => w.lastAttemptAt }),
    nextAttemptAt: t.field({ type: 'DateTime', nullable: true, description: 'When the next attempt is due (PENDING, RETRYING); null once SUCCEEDED or FAILED.', resolve: (w) => w.nextAttemptAt }),
    createdAt: t.field({ type: 'DateTime', description: 'When it was made (from the change it reports).', resolve: (w) => w.createdAt }),
    updatedAt: t.field({ type: 'DateTime', description: 'Its last attempt or retry request.', resolve: (w) => w.updatedAt }),
    attemptHistory: t.field({ type: [WebhookAttempt], description: 'Its last 25 attempts, oldest first.', resolve: (w) => w.history }),
  }),
});

const WebhookEndpointConnection = connectionOf('WebhookEndpoint', WebhookEndpoint);
const WebhookConnection = connectionOf('Webhook', Webhook);
const WebhookEndpointPayload = payloadOf('WebhookEndpoint', 'webhookEndpoint', WebhookEndpoint);
const WebhookPayload = payloadOf('Webhook', 'webhook', Webhook);

// The domain checks the url itself (parseWebhookUrl); these caps only bound the work.
const url = z.string().max(MAX_WEBHOOK_URL_LENGTH, `at most ${MAX_WEBHOOK_URL_LENGTH.toLocaleString('en-US')} characters`);
const eventTypes = z.array(z.string().max(100, 'at most 100 characters')).max(100, 'at most 100 webhook types');
const signatureAlgorithm = z.enum(WEBHOOK_SIGNATURE_ALGORITHMS);
const id = z.string().max(100, 'at most 100 characters');
const createSchema = z.object({ url, eventTypes: eventTypes.nullish(), signatureAlgorithm: signatureAlgorithm.nullish() });
const updateSchema = z.object({ id, url: url.nullish(), eventTypes: eventTypes.nullish(), signatureAlgorithm: signatureAlgorithm.nullish() });
const idSchema = z.object({ id });

const CreateInput = builder.inputType('CreateWebhookEndpointInput', {
  description: 'A new endpoint; its signing secret is generated (read it from `signingSecret`).',
  fields: (t) => ({
    url: t.string({ required: true, description: 'An absolute http:// or https:// URL, at most 2,048 characters; unique among your live endpoints (CONFLICT otherwise).' }),
    eventTypes: t.stringList({ description: 'The webhook types to receive (names from `webhookTypes`, no duplicates); omitted or null: every type.' }),
    signatureAlgorithm: t.field({ type: SignatureAlgorithmEnum, description: 'Default STANDARD.' }),
  }),
});
const UpdateInput = builder.inputType('UpdateWebhookEndpointInput', {
  description: 'Omitted (or null) fields keep their value, except `eventTypes: null`, which subscribes to every type.',
  fields: (t) => ({
    id: t.id({ required: true, description: 'A live endpoint of yours.' }),
    url: t.string({ description: 'An absolute http:// or https:// URL, unique among your live endpoints.' }),
    eventTypes: t.stringList({ description: 'The webhook types to receive (no duplicates); null: every type.' }),
    signatureAlgorithm: t.field({ type: SignatureAlgorithmEnum, description: 'How deliveries are signed from now on.' }),
  }),
});
const DeleteInput = builder.inputType('DeleteWebhookEndpointInput', { description: 'The endpoint to delete.', fields: (t) => ({ id: t.id({ required: true, description: 'A live endpoint of yours.' }) }) });
const RotateInput = builder.inputType('RotateWebhookEndpointSecretInput', { description: 'The endpoint whose secret is replaced.', fields: (t) => ({ id: t.id({ required: true, description: 'A live endpoint of yours.' }) }) });
const RetryInput = builder.inputType('RetryWebhookInput', { description: 'The webhook to attempt again.', fields: (t) => ({ id: t.id({ required: true, description: 'A FAILED webhook of yours.' }) }) });

builder.queryFields((t) => ({
  webhookEndpoint: t.field({
    type: WebhookEndpoint,
    description: 'A live webhook endpoint of your organization (NOT_FOUND otherwise).',
    args: { id: t.arg.id({ required: true, description: 'The endpoint’s id.' }) },
    resolve: (_root, args, ctx) => ctx.app.webhookEndpoints.get(organizationOf(ctx), String(args.id)),
  }),
  webhookEndpoints: t.field({
    type: WebhookEndpointConnection,
    description: 'Your live webhook endpoints, oldest first (at most 10).',
    args: { first: t.arg.int(), after: t.arg.string() },
    resolve: (_root, args, ctx) => paginate(ctx.app.webhookEndpoints.endpoints(), ctx.app.webhookEndpoints.filterOf(organizationOf(ctx)), args),
  }),
  webhook: t.field({
    type: Webhook,
    description: 'A webhook of your organization, with its delivery attempts (NOT_FOUND otherwise).',
    args: { id: t.arg.id({ required: true, description: 'The webhook’s id (its `webhook-id` header).' }) },
    resolve: (_root, args, ctx) => ctx.app.webhooks.get(organizationOf(ctx), String(args.id)),
  }),
  webhooks: t.field({
    type: WebhookConnection,
    description: 'Your webhooks, newest first: of one endpoint (deleted ones too; NOT_FOUND when it is not yours), in one status, or both.',
    args: {
      webhookEndpointId: t.arg.id({ description: 'Only the webhooks sent to this endpoint.' }),
      status: t.arg({ type: StatusEnum, description: 'Only the webhooks in this status.' }),
      first: t.arg.int(),
      after: t.arg.string(),
    },
    resolve: async (_root, args, ctx) => {
      const webhookEndpointId = args.webhookEndpointId == null ? null : String(args.webhookEndpointId);
      const filter = await ctx.app.webhooks.filterOf(organizationOf(ctx), { webhookEndpointId, status: args.status });
      return paginate(ctx.app.webhooks.webhooks(), filter, args, 'sequence', -1);
    },
  }),
  webhookTypes: t.field({
    type: ['String'],
    description: 'The webhook types the engine sends (Lago’s names), what an endpoint’s `eventTypes` lists.',
    resolve: () => WEBHOOK_TYPE_NAMES,
  }),
}));

builder.mutationFields((t) => ({
  createWebhookEndpoint: t.field({
    type: WebhookEndpointPayload,
    description: 'Creates a webhook endpoint with a new signing secret (Lago `POST /webhook_endpoints`). CONFLICT when the url is taken by a live endpoint, or when you already have 10.',
    args: { input: t.arg({ type: CreateInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ webhookEndpoint: await inInput(() => ctx.app.webhookEndpoints.create(actorFrom(ctx), parseInput(createSchema, input))) }),
  }),
  updateWebhookEndpoint: t.field({
    type: WebhookEndpointPayload,
    description: 'Changes an endpoint’s url, webhook types or signature algorithm (its secret stays). CONFLICT when the url is taken by another live endpoint.',
    args: { input: t.arg({ type: UpdateInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const { url: newUrl, ...rest } = parseInput(updateSchema, { ...input, id: String(input.id) });
      return { webhookEndpoint: await inInput(() => ctx.app.webhookEndpoints.update(actorFrom(ctx), { ...rest, ...(newUrl == null ? {} : { url: newUrl }) })) };
    },
  }),
  deleteWebhookEndpoint: t.field({
    type: WebhookEndpointPayload,
    description: 'Deletes an endpoint: no webhook made from now on is sent to it, and its url may be taken again.',
    args: { input: t.arg({ type: DeleteInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ webhookEndpoint: await inInput(() => ctx.app.webhookEndpoints.delete(actorFrom(ctx), parseInput(idSchema, { id: String(input.id) }).id)) }),
  }),
  rotateWebhookEndpointSecret: t.field({
    type: WebhookEndpointPayload,
    description: 'Gives an endpoint a new signing secret: every delivery from now on is signed with it, retries of older webhooks included.',
    args: { input: t.arg({ type: RotateInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ webhookEndpoint: await inInput(() => ctx.app.webhookEndpoints.rotateSecret(actorFrom(ctx), parseInput(idSchema, { id: String(input.id) }).id)) }),
  }),
  retryWebhook: t.field({
    type: WebhookPayload,
    description: 'Attempts a FAILED webhook again, at once, with the same id and body (Lago `POST /webhooks/:id/retry`): PENDING, then retried as a new one would be. CONFLICT in any other status, or when its endpoint was deleted.',
    args: { input: t.arg({ type: RetryInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ webhook: await inInput(() => ctx.app.webhooks.retry(actorFrom(ctx), parseInput(idSchema, { id: String(input.id) }).id)) }),
  }),
}));

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { webhookStream } from '../../src/application/webhooks.ts';
import { MAX_WEBHOOK_ENDPOINTS, WEBHOOK_TYPE_NAMES, type WebhookAttempted, type WebhookCreated } from '../../src/domain/webhook/index.ts';
import { allPages, createOtherOrganization, expectRefusal, expectValidation, organizationIdOf } from '../support/catalog.ts';
import { startTestServer, type GqlResult, type TestServer } from '../support/server.ts';

/** Webhook endpoints and the webhooks read model over GraphQL (delivery itself: webhookDelivery.test.ts). */

const ENDPOINT = 'id url eventTypes signatureAlgorithm signingSecret createdAt updatedAt';
const WEBHOOK = 'id webhookEndpointId webhookEndpoint { id url } webhookType objectType objectId payload status attempts lastHttpStatus lastError lastResponse lastAttemptAt nextAttemptAt createdAt updatedAt attemptHistory { attempt outcome httpStatus error durationMs attemptedAt }';
const CREATE = `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { webhookEndpoint { ${ENDPOINT} } } }`;
const UPDATE = `mutation($input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $input) { webhookEndpoint { ${ENDPOINT} } } }`;
const DELETE = `mutation($input: DeleteWebhookEndpointInput!) { deleteWebhookEndpoint(input: $input) { webhookEndpoint { ${ENDPOINT} } } }`;
const ROTATE = `mutation($input: RotateWebhookEndpointSecretInput!) { rotateWebhookEndpointSecret(input: $input) { webhookEndpoint { ${ENDPOINT} } } }`;
const RETRY = `mutation($input: RetryWebhookInput!) { retryWebhook(input: $input) { webhook { ${WEBHOOK} } } }`;
const GET = `query($id: ID!) { webhookEndpoint(id: $id) { ${ENDPOINT} } }`;
const LIST = 'query($after: String) { webhookEndpoints(first: 2, after: $after) { totalCount edges { node { id url } } pageInfo { hasNextPage endCursor } } }';
const GET_WEBHOOK = `query($id: ID!) { webhook(id: $id) { ${WEBHOOK} } }`;
const WEBHOOKS = 'query($endpoint: ID, $status: WebhookStatus, $after: String) { webhooks(webhookEndpointId: $endpoint, status: $status, first: 2, after: $after) { totalCount edges { node { id status } } pageInfo { hasNextPage endCursor } } }';

type Endpoint = { id: string; url: string; eventTypes: string[] | null; signatureAlgorithm: string; signingSecret: string; createdAt: string; updatedAt: string };
type Webhook = { id: string; webhookEndpointId: string; webhookEndpoint: { id: string; url: string } | null; status: string; attempts: number; nextAttemptAt: string | null; lastError: string | null; payload: string; attemptHistory: { attempt: number; outcome: string }[] };

const SECRET = /^whsec_[A-Za-z0-9+/]{32}$/;

/** An endpoint that takes requests and never answers: a delivery to it stays in flight (PENDING) while a test looks. */
async function silentReceiver() {
  const server: Server = createServer(() => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('webhook endpoints over GraphQL', () => {
  let server: TestServer;
  let receiver: Awaited<ReturnType<typeof silentReceiver>>;
  beforeEach(async () => {
    server = await startTestServer();
    receiver = await silentReceiver();
  });
  afterEach(async () => {
    await server.close();
    await receiver.close();
  });

  const create = async (input: Record<string, unknown>, key?: string): Promise<Endpoint> => {
    const result = await server.gql<{ createWebhookEndpoint: { webhookEndpoint: Endpoint } }>(CREATE, { input }, key);
    expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
    return result.data!.createWebhookEndpoint.webhookEndpoint;
  };
  const get = (id: string, key?: string) => server.gql<{ webhookEndpoint: Endpoint }>(GET, { id }, key);
  const codeOf = (result: GqlResult<unknown>) => result.errors?.[0]?.extensions?.code;

  it('creates an endpoint for every type, signed STANDARD with a new whsec_ secret, and reads it back', async () => {
    const created = await create({ url: 'https://example.com/hooks' });
    expect(created).toMatchObject({ url: 'https://example.com/hooks', eventTypes: null, signatureAlgorithm: 'STANDARD' });
    expect(created.signingSecret).toMatch(SECRET);
    expect(created.updatedAt).toBe(created.createdAt);
    expect((await get(created.id)).data?.webhookEndpoint).toEqual(created);
    const other = await create({ url: 'https://example.com/other', eventTypes: ['invoice.created', 'alert.triggered'], signatureAlgorithm: 'HMAC' });
    expect(other).toMatchObject({ eventTypes: ['invoice.created', 'alert.triggered'], signatureAlgorithm: 'HMAC' });
    expect(other.signingSecret).not.toBe(created.signingSecret);
  });

  it('updates the fields given and keeps the others (and its secret); eventTypes null goes back to every type', async () => {
    const created = await create({ url: 'https://example.com/hooks', eventTypes: ['plan.created'] });
    const updated = await server.gql<{ updateWebhookEndpoint: { webhookEndpoint: Endpoint } }>(UPDATE, { input: { id: created.id, url: 'https://example.com/v2', signatureAlgorithm: 'HMAC' } });
    expect(updated.errors).toBeUndefined();
    expect(updated.data!.updateWebhookEndpoint.webhookEndpoint).toMatchObject({ url: 'https://example.com/v2', eventTypes: ['plan.created'], signatureAlgorithm: 'HMAC', signingSecret: created.signingSecret });
    const all = await server.gql<{ updateWebhookEndpoint: { webhookEndpoint: Endpoint } }>(UPDATE, { input: { id: created.id, eventTypes: null } });
    expect(all.data!.updateWebhookEndpoint.webhookEndpoint).toMatchObject({ url: 'https://example.com/v2', eventTypes: null, signatureAlgorithm: 'HMAC' });
  });

  it('appends nothing for an update that changes nothing', async () => {
    const created = await create({ url: 'https://example.com/hooks' });
    const head = await server.system.app.deps.eventStore.headPosition();
    const same = await server.gql<{ updateWebhookEndpoint: { webhookEndpoint: Endpoint } }>(UPDATE, { input: { id: created.id, url: 'https://example.com/hooks', eventTypes: null, signatureAlgorithm: 'STANDARD' } });
    expect(same.data!.updateWebhookEndpoint.webhookEndpoint).toEqual(created);
    expect(await server.system.app.deps.eventStore.headPosition()).toBe(head);
  });

  it('deletes an endpoint: gone from the queries, NOT_FOUND to every mutation, and its url free again', async () => {
    const created = await create({ url: 'https://example.com/hooks' });
    const deleted = await server.gql<{ deleteWebhookEndpoint: { webhookEndpoint: Endpoint } }>(DELETE, { input: { id: created.id } });
    expect(deleted.data!.deleteWebhookEndpoint.webhookEndpoint.id).toBe(created.id);
    expect(codeOf(await get(created.id))).toBe('NOT_FOUND');
    const list = await server.gql<{ webhookEndpoints: { totalCount: number } }>(LIST, {});
    expect(list.data!.webhookEndpoints.totalCount).toBe(0);
    for (const [query, input] of [[UPDATE, { id: created.id, url: 'https://example.com/x' }], [DELETE, { id: created.id }], [ROTATE, { id: created.id }]] as const) {
      await expectRefusal(server, query, { input }, 'NOT_FOUND');
    }
    expect((await create({ url: 'https://example.com/hooks' })).id).not.toBe(created.id);
  });

  it('pages through live endpoints, oldest first', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push((await create({ url: `https://example.com/${i}` })).id);
    const { nodes, pages } = await allPages<{ id: string }>(server, LIST, 'webhookEndpoints');
    expect(pages).toBe(3);
    expect(nodes.map((n) => n.id)).toEqual(ids);
  });

  it('rotates an endpoint’s secret', async () => {
    const created = await create({ url: 'https://example.com/hooks' });
    const rotated = await server.gql<{ rotateWebhookEndpointSecret: { webhookEndpoint: Endpoint } }>(ROTATE, { input: { id: created.id } });
    expect(rotated.errors).toBeUndefined();
    const after = rotated.data!.rotateWebhookEndpointSecret.webhookEndpoint;
    expect(after.signingSecret).toMatch(SECRET);
    expect(after.signingSecret).not.toBe(created.signingSecret);
    expect(after).toMatchObject({ url: created.url, eventTypes: null, signatureAlgorithm: 'STANDARD' });
    expect((await get(created.id)).data!.webhookEndpoint.signingSecret).toBe(after.signingSecret);
  });

  it('lists the webhook types an endpoint may subscribe to', async () => {
    const result = await server.gql<{ webhookTypes: string[] }>('{ webhookTypes }');
    expect(result.data!.webhookTypes).toEqual(WEBHOOK_TYPE_NAMES);
    expect(result.data!.webhookTypes).toContain('invoice.created');
  });

  describe('refuses bad input with VALIDATION naming the field, appending nothing', () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['no scheme', { url: 'example.com/hooks' }, 'input.url'],
      ['a relative url', { url: '/hooks' }, 'input.url'],
      ['not http(s)', { url: 'ftp://example.com/hooks' }, 'input.url'],
      ['javascript:', { url: 'javascript:alert(1)' }, 'input.url'],
      ['an empty url', { url: '' }, 'input.url'],
      ['whitespace inside', { url: 'https://example.com/a b' }, 'input.url'],
      ['whitespace around', { url: ' https://example.com/hooks' }, 'input.url'],
      ['a newline', { url: 'https://example.com/hooks\n' }, 'input.url'],
      ['2,049 characters', { url: `https://example.com/${'a'.repeat(2_029)}` }, 'input.url'],
      ['an empty list of types', { url: 'https://example.com/hooks', eventTypes: [] }, 'input.eventTypes'],
      ['an unknown type', { url: 'https://example.com/hooks', eventTypes: ['invoice.created', 'invoice.exploded'] }, 'input.eventTypes.1'],
      ['a type twice', { url: 'https://example.com/hooks', eventTypes: ['plan.created', 'plan.created'] }, 'input.eventTypes.1'],
      ['too many types', { url: 'https://example.com/hooks', eventTypes: Array.from({ length: 101 }, () => 'plan.created') }, 'input.eventTypes'],
    ];
    for (const [name, input, field] of cases) it(`create: ${name}`, () => expectValidation(server, CREATE, { input }, field));

    it('names the unknown type in the message', async () => {
      const result = await server.gql(CREATE, { input: { url: 'https://example.com/hooks', eventTypes: ['invoice.exploded'] } });
      expect(result.errors?.[0]?.message).toContain('invoice.exploded');
    });

    it('an unknown signature algorithm', async () => {
      const head = await server.system.app.deps.eventStore.headPosition();
      const result = await server.gql(CREATE, { input: { url: 'https://example.com/hooks', signatureAlgorithm: 'MD5' } });
      expect(codeOf(result)).toBe('VALIDATION');
      expect(await server.system.app.deps.eventStore.headPosition()).toBe(head);
    });

    it('update: a bad url, an empty or unknown list of types', async () => {
      const { id } = await create({ url: 'https://example.com/hooks' });
      await expectValidation(server, UPDATE, { input: { id, url: 'mailto:ops@example.com' } }, 'input.url');
      await expectValidation(server, UPDATE, { input: { id, eventTypes: [] } }, 'input.eventTypes');
      await expectValidation(server, UPDATE, { input: { id, eventTypes: ['nope'] } }, 'input.eventTypes.0');
    });
  });

  it(`refuses the ${MAX_WEBHOOK_ENDPOINTS + 1}th live endpoint with CONFLICT, and takes one again after a deletion`, async () => {
    const ids: string[] = [];
    for (let i = 0; i < MAX_WEBHOOK_ENDPOINTS; i += 1) ids.push((await create({ url: `https://example.com/${i}` })).id);
    await expectRefusal(server, CREATE, { input: { url: 'https://example.com/eleventh' } }, 'CONFLICT');
    expect((await server.gql(DELETE, { input: { id: ids[0] } })).errors).toBeUndefined();
    await create({ url: 'https://example.com/eleventh' });
  });

  it('refuses a url another live endpoint has (on create and on update) with CONFLICT', async () => {
    await create({ url: 'https://example.com/hooks' });
    await expectRefusal(server, CREATE, { input: { url: 'https://example.com/hooks', eventTypes: ['plan.created'] } }, 'CONFLICT');
    // The same URL written differently.
    await expectRefusal(server, CREATE, { input: { url: 'HTTPS://EXAMPLE.COM:443/hooks' } }, 'CONFLICT');
    const other = await create({ url: 'https://example.com/other' });
    await expectRefusal(server, UPDATE, { input: { id: other.id, url: 'https://example.com/hooks' } }, 'CONFLICT');
  });

  it('lets exactly one of concurrent creates of the same url through', async () => {
    const results = await Promise.all(Array.from({ length: 6 }, () => server.gql(CREATE, { input: { url: 'https://example.com/race' } })));
    expect(results.filter((r) => r.errors === undefined)).toHaveLength(1);
    expect(results.filter((r) => codeOf(r) === 'CONFLICT')).toHaveLength(5);
    const list = await server.gql<{ webhookEndpoints: { totalCount: number } }>(LIST, {});
    expect(list.data!.webhookEndpoints.totalCount).toBe(1);
  });

  it(`never passes ${MAX_WEBHOOK_ENDPOINTS} live endpoints however many creates race`, async () => {
    for (let i = 0; i < MAX_WEBHOOK_ENDPOINTS - 2; i += 1) await create({ url: `https://example.com/${i}` });
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => server.gql(CREATE, { input: { url: `https://example.com/race/${i}` } })));
    expect(results.filter((r) => r.errors === undefined)).toHaveLength(2);
    expect(results.filter((r) => codeOf(r) === 'CONFLICT')).toHaveLength(3);
    const list = await server.gql<{ webhookEndpoints: { totalCount: number } }>(LIST, {});
    expect(list.data!.webhookEndpoints.totalCount).toBe(MAX_WEBHOOK_ENDPOINTS);
  });

  it('keeps organizations apart: another one neither sees nor changes an endpoint, and may use the same url', async () => {
    const mine = await create({ url: 'https://example.com/hooks' });
    const other = await createOtherOrganization(server);
    expect(codeOf(await get(mine.id, other.key))).toBe('NOT_FOUND');
    const list = await server.gql<{ webhookEndpoints: { totalCount: number } }>(LIST, {}, other.key);
    expect(list.data!.webhookEndpoints.totalCount).toBe(0);
    for (const [query, input] of [[UPDATE, { id: mine.id, url: 'https://example.com/theirs' }], [DELETE, { id: mine.id }], [ROTATE, { id: mine.id }]] as const) {
      await expectRefusal(server, query, { input }, 'NOT_FOUND', other.key);
    }
    expect(codeOf(await server.gql(WEBHOOKS, { endpoint: mine.id }, other.key))).toBe('NOT_FOUND');
    const theirs = await create({ url: 'https://example.com/hooks' }, other.key);
    expect(theirs.id).not.toBe(mine.id);
    expect((await get(mine.id)).data!.webhookEndpoint).toEqual(mine);
  });

  describe('webhooks and retryWebhook', () => {
    let organizationId: string;
    let endpoint: Endpoint;
    beforeEach(async () => {
      organizationId = await organizationIdOf(server);
      // Webhooks are normally made by the dispatcher: here they are appended as it would, to a receiver that never answers.
      endpoint = await create({ url: receiver.url, eventTypes: ['invoice.created'] });
    });

    let count = 0;
    /** A webhook appended to the log, then attempted once with `outcome` (none: just made). */
    async function webhook(outcome?: WebhookAttempted['data']['outcome'], org = organizationId, endpointId = endpoint.id): Promise<string> {
      const webhookId = `wh-${++count}-${Date.now()}`;
      const createdAt = new Date().toISOString();
      const made: WebhookCreated = {
        type: 'WebhookCreated',
        data: {
          organizationId: org,
          webhookId,
          webhookEndpointId: endpointId,
          webhookType: 'invoice.created',
          objectType: 'invoice',
          objectId: `inv-${count}`,
          sourceEventId: `source-${count}`,
          sourcePosition: '1'.padStart(20, '0'),
          payload: JSON.stringify({ webhook_type: 'invoice.created', object_type: 'invoice', organization_id: org, invoice: { lago_id: `inv-${count}` } }),
          createdAt,
        },
      };
      const attempts: WebhookAttempted[] = outcome
        ? [{ type: 'WebhookAttempted', data: { organizationId: org, webhookId, attempt: 1, outcome, httpStatus: outcome === 'SUCCEEDED' ? 200 : 503, error: outcome === 'SUCCEEDED' ? null : 'HTTP 503', response: 'busy', durationMs: 5, attemptedAt: createdAt, nextAttemptAt: outcome === 'RETRYING' ? new Date(Date.now() + 3_600_000).toISOString() : null } }]
        : [];
      const { eventStore } = server.system.app.deps;
      const { position } = await eventStore.append(webhookStream(org, webhookId), [made, ...attempts].map((event) => ({ ...event, metadata: { organizationId: org, recordedAt: createdAt } })), { expectedRevision: 'no_stream' });
      await server.system.app.deps.waitForProjections(position, { usage: false });
      return webhookId;
    }

    it('reads a webhook with its attempts', async () => {
      const id = await webhook('FAILED');
      const result = await server.gql<{ webhook: Webhook }>(GET_WEBHOOK, { id });
      expect(result.errors).toBeUndefined();
      expect(result.data!.webhook).toMatchObject({ id, webhookEndpointId: endpoint.id, webhookEndpoint: { id: endpoint.id, url: receiver.url }, status: 'FAILED', attempts: 1, nextAttemptAt: null, lastError: 'HTTP 503', attemptHistory: [{ attempt: 1, outcome: 'FAILED' }] });
      expect(JSON.parse(result.data!.webhook.payload)).toMatchObject({ webhook_type: 'invoice.created', invoice: { lago_id: expect.any(String) } });
    });

    it('retries a FAILED webhook: PENDING, due now; then a second retry is CONFLICT', async () => {
      const id = await webhook('FAILED');
      const before = Date.now();
      const result = await server.gql<{ retryWebhook: { webhook: Webhook } }>(RETRY, { input: { id } });
      expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
      const retried = result.data!.retryWebhook.webhook;
      expect(retried).toMatchObject({ id, status: 'PENDING', attempts: 1 });
      expect(retried.nextAttemptAt).not.toBeNull();
      expect(Date.parse(retried.nextAttemptAt!)).toBeGreaterThanOrEqual(before - 1_000);
      const stream = await server.system.app.deps.eventStore.readStream(webhookStream(organizationId, id));
      expect(stream.map((e) => e.type)).toEqual(['WebhookCreated', 'WebhookAttempted', 'WebhookRetryRequested']);
      await expectRefusal(server, RETRY, { input: { id } }, 'CONFLICT');
    });

    it('refuses to retry a webhook that is not FAILED (CONFLICT), an unknown one (NOT_FOUND), another organization’s (NOT_FOUND)', async () => {
      for (const outcome of ['SUCCEEDED', 'RETRYING'] as const) await expectRefusal(server, RETRY, { input: { id: await webhook(outcome) } }, 'CONFLICT');
      await expectRefusal(server, RETRY, { input: { id: await webhook() } }, 'CONFLICT');
      await expectRefusal(server, RETRY, { input: { id: 'no-such-webhook' } }, 'NOT_FOUND');
      const failed = await webhook('FAILED');
      const other = await createOtherOrganization(server);
      await expectRefusal(server, RETRY, { input: { id: failed } }, 'NOT_FOUND', other.key);
      expect(codeOf(await server.gql(GET_WEBHOOK, { id: failed }, other.key))).toBe('NOT_FOUND');
      expect(codeOf(await server.gql(GET_WEBHOOK, { id: 'no-such-webhook' }))).toBe('NOT_FOUND');
    });

    it('refuses to retry a webhook whose endpoint was deleted (CONFLICT)', async () => {
      const id = await webhook('FAILED');
      expect((await server.gql(DELETE, { input: { id: endpoint.id } })).errors).toBeUndefined();
      await expectRefusal(server, RETRY, { input: { id } }, 'CONFLICT');
    });

    it('lists webhooks newest first, by endpoint and by status', async () => {
      const second = await create({ url: `${receiver.url}/2`, eventTypes: ['invoice.created'] });
      const ids = [await webhook('FAILED'), await webhook('SUCCEEDED'), await webhook('FAILED', organizationId, second.id), await webhook('SUCCEEDED')];
      const all = await allPages<{ id: string }>(server, WEBHOOKS, 'webhooks');
      expect(all.nodes.map((n) => n.id)).toEqual([...ids].reverse());
      const page = (variables: Record<string, unknown>) => server.gql<{ webhooks: { totalCount: number; edges: { node: { id: string; status: string } }[] } }>(WEBHOOKS, variables);
      expect((await page({ endpoint: endpoint.id })).data!.webhooks.totalCount).toBe(3);
      expect((await page({ status: 'FAILED' })).data!.webhooks.edges.map((e) => e.node.id)).toEqual([ids[2], ids[0]]);
      expect((await page({ endpoint: endpoint.id, status: 'FAILED' })).data!.webhooks.edges.map((e) => e.node.id)).toEqual([ids[0]]);
      expect(codeOf(await page({ endpoint: 'no-such-endpoint' }))).toBe('NOT_FOUND');
      // Another organization's webhooks are not in the lists.
      const other = await createOtherOrganization(server);
      expect((await server.gql<{ webhooks: { totalCount: number } }>(WEBHOOKS, {}, other.key)).data!.webhooks.totalCount).toBe(0);
    });
  });
});

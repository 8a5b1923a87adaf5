import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReadModelStore } from '../../src/application/ports/readModelStore.ts';
import { ADMIN_KEY, startTestServer, until, type TestServer } from '../support/server.ts';

/** Webhooks made from domain events and delivered to endpoints (README "Webhooks"). */

type Received = { headers: IncomingHttpHeaders; body: string; at: number };

/** A local endpoint that answers what `answer` says for the n-th request (0-based) it gets. */
async function receiver(answer: (n: number) => number | 'hang' = () => 200) {
  const received: Received[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const n = received.length;
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      const status = answer(n);
      if (status === 'hang') return; // never answers: the attempt times out
      response.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : `failure ${n}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let server: TestServer | undefined;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await server?.close();
  server = undefined;
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function ok<T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}, key?: string): Promise<T> {
  const result = await server!.gql<T>(query, variables, key);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data as T;
}

const FAST = { WEBHOOK_RETRY_BASE_MS: '40', WEBHOOK_ATTEMPTS: '3', WEBHOOK_TIMEOUT_MS: '400' };

async function createEndpoint(url: string, extra: Record<string, unknown> = {}, key?: string): Promise<{ id: string; signingSecret: string }> {
  const data = await ok<{ createWebhookEndpoint: { webhookEndpoint: { id: string; signingSecret: string } } }>(
    'mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { webhookEndpoint { id signingSecret } } }',
    { input: { url, ...extra } },
    key,
  );
  return data.createWebhookEndpoint.webhookEndpoint;
}

type WebhookView = {
  id: string;
  webhookType: string;
  objectType: string;
  status: string;
  attempts: number;
  lastHttpStatus: number | null;
  lastError: string | null;
  payload: string;
  attemptHistory: { attempt: number; outcome: string; httpStatus: number | null; error: string | null }[];
};
const WEBHOOK_FIELDS = 'id webhookType objectType status attempts lastHttpStatus lastError payload attemptHistory { attempt outcome httpStatus error }';

async function webhooksOf(endpointId: string): Promise<WebhookView[]> {
  const data = await ok<{ webhooks: { edges: { node: WebhookView }[] } }>(`query($id: ID) { webhooks(webhookEndpointId: $id, first: 100) { edges { node { ${WEBHOOK_FIELDS} } } } }`, { id: endpointId });
  return data.webhooks.edges.map((edge) => edge.node);
}

const createCustomer = (externalId: string, key?: string) => ok(`mutation { createCustomer(input: {externalId: "${externalId}", currency: "EUR"}) { customer { externalId } } }`, {}, key);

describe('webhook delivery', () => {
  it('sends a customer.created webhook signed with Standard Webhooks, records it SUCCEEDED, and counts it in /metrics', async () => {
    const hooks = await receiver();
    cleanups.push(hooks.close);
    server = await startTestServer(FAST);
    const endpoint = await createEndpoint(hooks.url);
    await createCustomer('cus_1');
    await until(async () => hooks.received.length, (n) => n >= 1);
    const [request] = hooks.received;
    const body = new Webhook(endpoint.signingSecret).verify(request!.body, request!.headers as Record<string, string>) as Record<string, unknown>;
    expect(body).toMatchObject({ webhook_type: 'customer.created', object_type: 'customer', customer: { externalId: 'cus_1', currency: 'EUR' } });
    expect(request!.headers['content-type']).toBe('application/json');

    const [webhook] = await until(() => webhooksOf(endpoint.id), (list) => list[0]?.status === 'SUCCEEDED');
    expect(webhook).toMatchObject({ webhookType: 'customer.created', objectType: 'customer', attempts: 1, lastHttpStatus: 200, lastError: null, payload: request!.body });
    expect(request!.headers['webhook-id']).toBe(webhook!.id);

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/billing_webhook_deliveries_total\{outcome="SUCCEEDED"\} 1\b/);
    expect(metrics).toMatch(/billing_webhook_delivery_duration_seconds_count 1\b/);
    // Nothing else was sent: one event, one endpoint, one webhook.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(hooks.received).toHaveLength(1);
  });

  it('retries a failing endpoint with the same id and body until it answers 2xx', async () => {
    const hooks = await receiver((n) => (n < 2 ? 500 : 204));
    cleanups.push(hooks.close);
    server = await startTestServer(FAST);
    const endpoint = await createEndpoint(hooks.url);
    await createCustomer('cus_1');
    const [webhook] = await until(() => webhooksOf(endpoint.id), (list) => list[0]?.status === 'SUCCEEDED');
    expect(hooks.received).toHaveLength(3);
    expect(new Set(hooks.received.map((r) => r.headers['webhook-id']))).toEqual(new Set([webhook!.id]));
    expect(new Set(hooks.received.map((r) => r.body))).toEqual(new Set([webhook!.payload]));
    expect(webhook!.attemptHistory.map((a) => [a.attempt, a.outcome, a.httpStatus])).toEqual([
      [1, 'RETRYING', 500],
      [2, 'RETRYING', 500],
      [3, 'SUCCEEDED', 204],
    ]);
    // Back-off: the second wait (4 × 40 ms) is longer than the first.
    const [a, b, c] = hooks.received.map((r) => r.at);
    expect(b! - a!).toBeGreaterThanOrEqual(35);
    expect(c! - b!).toBeGreaterThanOrEqual(150);
  });

  it('fails after the round’s attempts (timeouts and refusals included); retryWebhook starts a new round', async () => {
    let healthy = false;
    const hooks = await receiver((n) => (healthy ? 200 : n === 0 ? 'hang' : 503));
    cleanups.push(hooks.close);
    server = await startTestServer(FAST);
    const endpoint = await createEndpoint(hooks.url);
    await createCustomer('cus_1');
    const [failed] = await until(() => webhooksOf(endpoint.id), (list) => list[0]?.status === 'FAILED', 10_000);
    expect(failed!.attemptHistory.map((a) => [a.outcome, a.httpStatus])).toEqual([
      ['RETRYING', null],
      ['RETRYING', 503],
      ['FAILED', 503],
    ]);
    expect(failed!.attemptHistory[0]!.error).toBe('timeout after 400 ms');
    expect(failed!.lastError).toBe('HTTP 503');
    // A FAILED webhook stays failed: nothing more is sent by itself.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(hooks.received).toHaveLength(3);

    healthy = true;
    const retried = await ok<{ retryWebhook: { webhook: { status: string } } }>('mutation($id: ID!) { retryWebhook(input: {id: $id}) { webhook { status } } }', { id: failed!.id });
    expect(retried.retryWebhook.webhook.status).toBe('PENDING');
    const [done] = await until(() => webhooksOf(endpoint.id), (list) => list[0]?.status === 'SUCCEEDED');
    expect(done!.attempts).toBe(4);
    expect(hooks.received).toHaveLength(4);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/billing_webhook_deliveries_total\{outcome="RETRYING"\} 2\b/);
    expect(metrics).toMatch(/billing_webhook_deliveries_total\{outcome="FAILED"\} 1\b/);
    expect(metrics).toMatch(/billing_webhook_deliveries_total\{outcome="SUCCEEDED"\} 1\b/);
  });

  it('sends each endpoint only the types it subscribes to, signs HMAC endpoints Lago’s way, and stops at deletion', async () => {
    const all = await receiver();
    const invoices = await receiver();
    const lago = await receiver();
    cleanups.push(all.close, invoices.close, lago.close);
    server = await startTestServer({ ...FAST, CLOCK: 'manual', CLOCK_START: '2026-03-10T09:00:00Z' });
    const everything = await createEndpoint(all.url);
    await createEndpoint(invoices.url, { eventTypes: ['invoice.one_off_created'] });
    const hmac = await createEndpoint(lago.url, { signatureAlgorithm: 'HMAC', eventTypes: ['customer.created'] });
    await createCustomer('cus_1');
    await ok('mutation { createAddOn(input: {code: "setup", name: "Setup", amountCents: "50000", amountCurrency: "EUR"}) { addOn { code } } }');
    await ok('mutation { createOneOffInvoice(input: {externalCustomerId: "cus_1", fees: [{addOnCode: "setup"}]}) { invoice { id } } }');
    await until(async () => invoices.received.length + lago.received.length, (n) => n >= 2);
    await until(async () => all.received.map((r) => JSON.parse(r.body).webhook_type as string), (types) => types.includes('invoice.one_off_created'));

    expect(invoices.received.map((r) => JSON.parse(r.body).webhook_type)).toEqual(['invoice.one_off_created']);
    const invoice = JSON.parse(invoices.received[0]!.body).invoice;
    expect(invoice).toMatchObject({ status: 'FINALIZED', invoiceType: 'ONE_OFF', externalCustomerId: 'cus_1' });
    expect(invoice.totals.totalAmountCents).toBe('50000');

    const [signed] = lago.received;
    expect(JSON.parse(signed!.body).webhook_type).toBe('customer.created');
    expect(signed!.headers['x-lago-signature']).toBe(createHmac('sha256', hmac.signingSecret).update(signed!.body).digest('base64'));
    expect(signed!.headers['x-lago-signature-algorithm']).toBe('hmac');
    expect(signed!.headers['x-lago-unique-key']).toBe(signed!.headers['webhook-id']);

    await ok('mutation($id: ID!) { deleteWebhookEndpoint(input: {id: $id}) { webhookEndpoint { id } } }', { id: everything.id });
    const before = all.received.length;
    await createCustomer('cus_2');
    await until(async () => lago.received.length, (n) => n >= 2);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(all.received).toHaveLength(before);
  });

  it('fails a webhook being retried once its endpoint is deleted, without sending it again', async () => {
    const hooks = await receiver(() => 500);
    cleanups.push(hooks.close);
    server = await startTestServer({ ...FAST, WEBHOOK_RETRY_BASE_MS: '300' });
    const endpoint = await createEndpoint(hooks.url);
    await createCustomer('cus_1');
    await until(() => webhooksOf(endpoint.id), (list) => list[0]?.status === 'RETRYING');
    await ok('mutation($id: ID!) { deleteWebhookEndpoint(input: {id: $id}) { webhookEndpoint { id } } }', { id: endpoint.id });
    const [webhook] = await until(() => webhooksOf(endpoint.id), (list) => list[0]?.status === 'FAILED');
    expect(webhook!.attemptHistory.map((a) => [a.outcome, a.httpStatus, a.error])).toEqual([
      ['RETRYING', 500, 'HTTP 500'],
      ['FAILED', null, 'the webhook endpoint was deleted'],
    ]);
    expect(hooks.received).toHaveLength(1);
  });

  it('sends an organization’s changes to its own endpoints only', async () => {
    const mine = await receiver();
    const theirs = await receiver();
    cleanups.push(mine.close, theirs.close);
    server = await startTestServer(FAST);
    const other = await ok<{ createOrganization: { organization: { id: string }; apiKey: { key: string } } }>(
      'mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } apiKey { key } } }',
      { input: { name: 'Other Corp', defaultCurrency: 'EUR' } },
      ADMIN_KEY,
    );
    const otherKey = other.createOrganization.apiKey.key;
    await createEndpoint(mine.url, { eventTypes: ['customer.created'] });
    await createEndpoint(theirs.url, { eventTypes: ['customer.created'] }, otherKey);
    await createCustomer('cus_mine');
    await createCustomer('cus_theirs', otherKey);
    await until(async () => mine.received.length + theirs.received.length, (n) => n >= 2);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(mine.received.map((r) => JSON.parse(r.body).customer.externalId)).toEqual(['cus_mine']);
    expect(theirs.received.map((r) => JSON.parse(r.body).customer.externalId)).toEqual(['cus_theirs']);
    expect(JSON.parse(theirs.received[0]!.body).organization_id).toBe(other.createOrganization.organization.id);
    // Nor are their webhooks listed to the other organization.
    expect((await ok<{ webhooks: { edges: unknown[] } }>('{ webhooks(first: 10) { edges { node { id } } } }')).webhooks.edges).toHaveLength(1);
  });

  it('after a restart, nothing is made or sent twice, and what was still due is sent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webhooks-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    let up = false;
    const hooks = await receiver(() => (up ? 200 : 500));
    cleanups.push(hooks.close);
    const env = { ...FAST, WEBHOOK_RETRY_BASE_MS: '400', DATABASE_PATH: join(dir, 'billing.db'), DATA_DIR: dir };
    server = await startTestServer(env);
    const endpoint = await createEndpoint(hooks.url);
    await createCustomer('cus_1');
    await until(() => webhooksOf(endpoint.id), (list) => list[0]?.status === 'RETRYING');
    await server.close();
    server = undefined;
    expect(hooks.received).toHaveLength(1);

    // The restart reads the log again from the first endpoint (as if its saved position were lost): the webhook
    // already made is not made again, and the one still due is sent when its time comes.
    up = true;
    const forgetful = (store: ReadModelStore): ReadModelStore =>
      Object.assign(Object.create(store) as ReadModelStore, { getCheckpoint: (name: string) => (name === 'webhookDispatcher' ? Promise.resolve(null) : store.getCheckpoint(name)) });
    server = await startTestServer(env, { wrapReadModels: forgetful });
    const [webhook] = await until(() => webhooksOf(endpoint.id), (list) => list[0]?.status === 'SUCCEEDED');
    expect(await webhooksOf(endpoint.id)).toHaveLength(1);
    expect(webhook!.attempts).toBe(2);
    expect(hooks.received).toHaveLength(2);
    expect(hooks.received[1]!.headers['webhook-id']).toBe(hooks.received[0]!.headers['webhook-id']);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(hooks.received).toHaveLength(2);
  });
});

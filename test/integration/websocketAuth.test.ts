import type { Client } from 'graphql-ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REVOKED_CLOSE_CODE, REVOKED_CLOSE_REASON } from '../../src/graphql/revocation.ts';
import { KEYLESS_CLOSE_CODE, KEYLESS_CLOSE_REASON } from '../../src/graphql/server.ts';
import { ADMIN_KEY, startTestServer, type TestServer } from '../support/server.ts';

/**
 * Issue 16 item 9: a websocket authenticates at connection (connectionParams) or, opened without a key as GraphiQL
 * opens it, per operation from the subscribe message's `extensions.headers`; every refusal says why.
 */

const AUDIT = 'subscription { auditEvents { type data } }';

type Outcome = { pushes: { type: string; data: { name?: string } }[]; errors: Promise<{ message: string; extensions?: Record<string, unknown> }[]> };

/** Subscribes to the audit tail with `headers` in the message's extensions; records pushes and the operation's error. */
function audit(client: Client, headers?: Record<string, string>): Outcome {
  const pushes: Outcome['pushes'] = [];
  const errors = new Promise<{ message: string; extensions?: Record<string, unknown> }[]>((resolve) => {
    client.subscribe<{ auditEvents: Outcome['pushes'][number] }>(
      { query: AUDIT, ...(headers ? { extensions: { headers } } : {}) },
      {
        next: (value) => {
          if (value.errors) return resolve(value.errors as never);
          pushes.push(value.data!.auditEvents);
        },
        error: (error) => resolve(Array.isArray(error) ? error : [{ message: String((error as { reason?: string }).reason ?? error) }]),
        complete: () => {},
      },
    );
  });
  return { pushes, errors };
}

function closedOf(client: Client): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    client.on('closed', (event) => {
      const { code, reason } = event as { code: number; reason: string };
      resolve({ code, reason });
    }),
  );
}

describe('websocket authentication', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer();
  });
  afterEach(async () => server.close());

  const organizationId = async () => (await server.gql<{ organization: { id: string } }>('{ organization { id } }')).data!.organization.id;
  /** Makes the default organization's audit tail push (an API key created), named `name`. */
  const createKey = async (name: string) => {
    const created = await server.gql<{ createApiKey: { key: string; apiKey: { id: string } } }>(
      `mutation { createApiKey(input: {organizationId: "${await organizationId()}", name: "${name}"}) { key apiKey { id } } }`, {}, ADMIN_KEY,
    );
    expect(created.errors).toBeUndefined();
    return created.data!.createApiKey;
  };

  it('runs an operation of a socket opened without a key with the key of its message’s extensions.headers (any case)', async () => {
    const client = server.ws(null);
    const sub = audit(client, { AuThOrIzAtIoN: `Bearer ${server.apiKey}` });
    await expect.poll(async () => (await createKey(`k${Date.now()}`), sub.pushes.length), { timeout: 5_000 }).toBeGreaterThan(0);
    expect(sub.pushes[0]?.type).toBe('ApiKeyCreated');
  });

  it('answers a subscribe with no key, or a bad one, with UNAUTHENTICATED on that operation, and keeps the socket open', async () => {
    const client = server.ws(null);
    let closed = false;
    client.on('closed', () => (closed = true));
    // An operation that keeps the socket open meanwhile (the client closes an idle one).
    const sub = audit(client, { authorization: `Bearer ${server.apiKey}` });
    await expect.poll(async () => (await createKey(`k${Date.now()}`), sub.pushes.length), { timeout: 5_000 }).toBeGreaterThan(0);
    const [none] = await audit(client).errors;
    expect(none?.extensions).toEqual({ code: 'UNAUTHENTICATED' });
    expect(none?.message).toMatch(/API key/);
    const [wrong] = await audit(client, { authorization: 'Bearer bk_not-a-real-key' }).errors;
    expect(wrong).toMatchObject({ message: 'the API key is unknown or revoked', extensions: { code: 'UNAUTHENTICATED' } });
    // The socket still serves the operation that brought a valid key.
    const before = sub.pushes.length;
    await createKey('after');
    await expect.poll(() => sub.pushes.length, { timeout: 5_000 }).toBeGreaterThan(before);
    expect(closed).toBe(false);
  });

  it('closes a socket whose connectionParams carry a bad key with 4403 and a readable reason', async () => {
    const client = server.ws('bk_wrong');
    const closed = closedOf(client);
    const sub = audit(client, { authorization: `Bearer ${server.apiKey}` });
    expect(await closed).toEqual({ code: 4403, reason: 'Forbidden: the API key is unknown or revoked' });
    // A key in the message does not rescue a connection that presented a bad one.
    expect(sub.pushes).toEqual([]);
  });

  it('closes a socket whose operation authenticated per message when that key is revoked', async () => {
    const { key, apiKey } = await createKey('graphiql');
    const client = server.ws(null);
    const closed = closedOf(client);
    const sub = audit(client, { Authorization: `Bearer ${key}` });
    await expect.poll(async () => (await createKey(`k${Date.now()}`), sub.pushes.length), { timeout: 5_000 }).toBeGreaterThan(0);
    const revoked = await server.gql(`mutation { revokeApiKey(input: {organizationId: "${await organizationId()}", id: "${apiKey.id}"}) { revokedAt } }`, {}, ADMIN_KEY);
    expect(revoked.errors).toBeUndefined();
    expect(await closed).toEqual({ code: REVOKED_CLOSE_CODE, reason: REVOKED_CLOSE_REASON });
  });

  it('never reads a key from extensions.headers over HTTP', async () => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ organization { id } }', extensions: { headers: { authorization: `Bearer ${server.apiKey}` } } }),
    });
    expect(response.status).toBe(401);
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]?.extensions.code).toBe('UNAUTHENTICATED');
  });
});

describe('a socket opened without a key', () => {
  let server: TestServer | undefined;
  afterEach(async () => server?.close());

  /** A raw graphql-transport-ws socket, acknowledged without a key. */
  async function keyless(url: string) {
    const { default: WebSocket } = await import('ws');
    const socket = new WebSocket(url, 'graphql-transport-ws');
    const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: {} })));
      socket.on('message', (data) => (JSON.parse(String(data)) as { type: string }).type === 'connection_ack' && resolve());
      socket.once('error', reject);
    });
    return { socket, closed };
  }

  it('is closed with 4401 when no operation brings a valid key in time, and kept open once one does', async () => {
    server = await startTestServer({ WS_KEYLESS_TIMEOUT_MS: '300' });
    const idle = await keyless(server.wsUrl);
    expect(await idle.closed).toEqual({ code: KEYLESS_CLOSE_CODE, reason: KEYLESS_CLOSE_REASON });

    const used = await keyless(server.wsUrl);
    let closedEarly = false;
    void used.closed.then(() => (closedEarly = true));
    used.socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: AUDIT, extensions: { headers: { authorization: `Bearer ${server.apiKey}` } } } }));
    // Past the timeout, and longer: an authenticated operation keeps it.
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect(closedEarly).toBe(false);
    used.socket.close();
  });
});

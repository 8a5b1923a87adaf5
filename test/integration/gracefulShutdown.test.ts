import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { SHUTDOWN_CLOSE_CODE, SHUTDOWN_CLOSE_REASON } from '../../src/graphql/server.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/** Issue 16 item 8: a shutdown drains requests and websockets instead of cutting them. */
let server: TestServer | undefined;
afterEach(async () => {
  await server?.close().catch(() => {});
  server = undefined;
});

/** Everything the socket receives until the server ends it. */
function received(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    socket.on('data', (chunk: Buffer) => (data += chunk.toString()));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

describe('graceful shutdown', () => {
  it('a request in flight when the server closes is answered, its connection then closed; new connections are refused', async () => {
    const s = (server = await startTestServer());
    const { port } = new URL(s.url);
    const body = JSON.stringify({ query: 'mutation { createCustomer(input: {externalId: "late", name: "Late"}) { customer { externalId } } }' });
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const answer = received(socket);
    // Half the body now: the request is in flight (its handler waits for the rest).
    socket.write(`POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\nauthorization: Bearer ${s.apiKey}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n`);
    socket.write(body.slice(0, 20));
    await new Promise((resolve) => setTimeout(resolve, 50));

    const closing = s.close();
    server = undefined;
    // No new connection once the shutdown began.
    await expect(fetch(`${s.url}/health`)).rejects.toThrow();
    socket.write(body.slice(20));
    const response = await answer;
    expect(response.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
    expect(response.toLowerCase()).toContain('connection: close');
    expect(response).toContain('"createCustomer":{"customer":{"externalId":"late"}}');
    await closing;
  });

  it('websockets are closed with 1001 "server shutting down" (graphql-ws clients reconnect), not cut', async () => {
    const s = (server = await startTestServer());
    const socket = new WebSocket(s.wsUrl, 'graphql-transport-ws');
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${s.apiKey}` } })));
      socket.on('message', (data) => (JSON.parse(String(data)) as { type: string }).type === 'connection_ack' && resolve());
      socket.once('error', reject);
    });
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { invoiceCreated { id } }' } }));
    const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    await s.close();
    server = undefined;
    expect(await closed).toEqual({ code: SHUTDOWN_CLOSE_CODE, reason: SHUTDOWN_CLOSE_REASON });
  });
});

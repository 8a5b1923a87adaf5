import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';

/** Issue 16 item 10: CORS from a configured allow-list (`CORS_ORIGINS`), none by default. */
let server: TestServer;
afterEach(async () => server?.close());

const preflight = (origin: string) =>
  fetch(`${server.url}/graphql`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' } });
const post = (origin: string) =>
  fetch(`${server.url}/graphql`, { method: 'POST', headers: { origin, 'content-type': 'application/json', authorization: `Bearer ${server.apiKey}` }, body: JSON.stringify({ query: '{ __typename }' }) });

describe('CORS', () => {
  it('allows no other origin by default: no CORS headers, so a browser refuses the call', async () => {
    server = await startTestServer();
    for (const response of [await preflight('https://evil.example'), await post('https://evil.example')]) {
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    }
  });

  it('allows the origins listed, with credentials, and refuses the others', async () => {
    server = await startTestServer({ CORS_ORIGINS: 'https://app.example, https://admin.example' });
    const allowed = await preflight('https://admin.example');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://admin.example');
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('authorization');
    const answered = await post('https://app.example');
    expect(answered.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(await answered.json()).toEqual({ data: { __typename: 'Query' } });
    const refused = await preflight('https://evil.example');
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('`*` allows any origin, without credentials', async () => {
    server = await startTestServer({ CORS_ORIGINS: '*' });
    const response = await preflight('https://anyone.example');
    expect(response.headers.get('access-control-allow-origin')).toBe('https://anyone.example');
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';

/** Issue 16 item 10, edge settings: CORS from a configured allow-list (`CORS_ORIGINS`, none by default) and introspection (`INTROSPECTION`). */
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

describe('introspection', () => {
  const INTROSPECT = '{ __schema { queryType { name } } }';
  it('is on by default (GraphiQL docs, code generators)', async () => {
    server = await startTestServer();
    expect((await server.gql(INTROSPECT)).data).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });

  it('INTROSPECTION=false refuses __schema and __type with VALIDATION; other queries answer', async () => {
    server = await startTestServer({ INTROSPECTION: 'false' });
    for (const query of [INTROSPECT, '{ __type(name: "Query") { name } }']) {
      const result = await server.gql(query);
      expect(result.data ?? null).toBeNull();
      expect(result.errors?.[0]?.extensions?.code).toBe('VALIDATION');
    }
    expect((await server.gql('{ __typename }')).data).toEqual({ __typename: 'Query' });
  });
});

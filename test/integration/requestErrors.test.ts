import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';

/**
 * Issue 12, "One error table": every error the server answers for a malformed request maps to a code of the
 * README's table, with its HTTP status whatever the client accepts; nothing is appended.
 */

/** code → HTTP column of the README's error table. */
const TABLE = (() => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf('### Errors');
  const section = readme.slice(start, readme.indexOf('\n### ', start + 1));
  return new Map([...section.matchAll(/^\| `([A-Z_]+)` \| ([^|]+) \|/gm)].map((m) => [m[1]!, m[2]!]));
})();

let server: TestServer;

type Answer = { status: number; headers: Headers; body: { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] } };

async function request(init: { method?: string; path?: string; body?: string; headers?: Record<string, string> }): Promise<Answer> {
  const response = await fetch(`${server.url}${init.path ?? '/graphql'}`, {
    method: init.method ?? 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.apiKey}`, ...init.headers },
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Answer['body'] };
}

/** The answer has one error with `code` and exactly `{ code }` as extensions (no originalError, no http), and `status`. */
function expectError(answer: Answer, code: string, status: number): void {
  expect(answer.body.errors?.[0]?.extensions, JSON.stringify(answer.body)).toEqual({ code });
  expect(answer.status).toBe(status);
  expect(TABLE.has(code), `${code} is in the README's error table`).toBe(true);
  // The table's HTTP column names that status for the code.
  expect(TABLE.get(code)).toContain(String(status));
}

const JSON_ACCEPT = { accept: 'application/json' };

describe('one error table: every malformed request answers a documented code with its HTTP status', () => {
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server.close());

  const cases: [string, Parameters<typeof request>[0], string, number][] = [
    ['a body that is not JSON', { body: '{"query": ' }, 'BAD_REQUEST', 400],
    ['an empty body', { body: '' }, 'BAD_REQUEST', 400],
    ['a JSON body that is not an object', { body: '"{ __typename }"' }, 'BAD_REQUEST', 400],
    ['batched operations (a JSON array)', { body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]) }, 'BAD_REQUEST', 400],
    ['no query', { body: '{}' }, 'BAD_REQUEST', 400],
    ['a query that is not a string', { body: JSON.stringify({ query: 1 }) }, 'BAD_REQUEST', 400],
    ['variables that are not an object', { body: JSON.stringify({ query: '{ __typename }', variables: [1] }) }, 'BAD_REQUEST', 400],
    ['a GraphQL syntax error', { body: JSON.stringify({ query: '{ __typename ' }), headers: JSON_ACCEPT }, 'BAD_REQUEST', 400],
    ['an unknown operation name', { body: JSON.stringify({ query: 'query A { __typename }', operationName: 'B' }) }, 'BAD_REQUEST', 400],
    ['several operations and no name', { body: JSON.stringify({ query: 'query A { __typename } query B { __typename }' }) }, 'BAD_REQUEST', 400],
    ['a mutation over GET', { method: 'GET', path: `/graphql?query=${encodeURIComponent('mutation { __typename }')}` }, 'BAD_REQUEST', 405],
    ['another method', { method: 'PUT', body: JSON.stringify({ query: '{ __typename }' }) }, 'BAD_REQUEST', 405],
    ['another content type', { body: '{ __typename }', headers: { 'content-type': 'text/plain' } }, 'BAD_REQUEST', 415],
    ['another path', { path: '/graphql-v2', body: JSON.stringify({ query: '{ __typename }' }) }, 'NOT_FOUND', 404],
    ['a query nested 10,000 deep', { body: JSON.stringify({ query: `{ ${'... on Query { '.repeat(10_000)}__typename${' }'.repeat(10_000)} }` }), headers: JSON_ACCEPT }, 'QUERY_TOO_COMPLEX', 400],
    ['too many aliases', { body: JSON.stringify({ query: `{ ${Array.from({ length: 100 }, (_, i) => `a${i}: __typename`).join(' ')} }` }) }, 'QUERY_TOO_COMPLEX', 400],
    ['too many tokens', { body: JSON.stringify({ query: `{ __typename ${'__typename '.repeat(250_000)}}` }) }, 'QUERY_TOO_COMPLEX', 400],
    ['a body past the cap', { body: JSON.stringify({ query: '{ __typename }', pad: 'x'.repeat(25_000_001) }) }, 'REQUEST_ENTITY_TOO_LARGE', 413],
  ];

  it.each(cases)('%s', async (_name, init, code, status) => {
    const head = await server.system.app.deps.eventStore.headPosition();
    expectError(await request(init), code, status);
    expect(await server.system.app.deps.eventStore.headPosition()).toBe(head);
  });

  it('a field depth past 12 is QUERY_TOO_COMPLEX, the deepest real query is not', async () => {
    // `__Type.ofType` is cyclic (and not capped by graphql-js's own introspection depth): depth = 2 + n.
    const nested = (n: number) => `{ __type(name: "Query") { ${'ofType { '.repeat(n)}name${' }'.repeat(n)} } }`;
    expectError(await request({ body: JSON.stringify({ query: nested(11) }) }), 'QUERY_TOO_COMPLEX', 400);
    const ok = await request({ body: JSON.stringify({ query: nested(10) }) });
    expect(ok.status).toBe(200);
    expect(ok.body.errors).toBeUndefined();
  });

  it('a refused body answers without reading it, and the connection stays usable', async () => {
    expectError(await request({ body: JSON.stringify({ pad: 'x'.repeat(30_000_000) }) }), 'REQUEST_ENTITY_TOO_LARGE', 413);
    for (let i = 0; i < 3; i += 1) expect((await server.gql('{ __typename }')).data).toEqual({ __typename: 'Query' });
  });

  it('validation and bad variables stay VALIDATION; a missing key UNAUTHENTICATED (401); every code in the table', async () => {
    expectError(await request({ body: JSON.stringify({ query: '{ nope }' }) }), 'VALIDATION', 200);
    expectError(await request({ body: JSON.stringify({ query: 'query($n: Int) { plans(first: $n) { edges { cursor } } }', variables: { n: 'x' } }) }), 'VALIDATION', 400);
    expectError(await request({ body: JSON.stringify({ query: '{ __typename }' }), headers: { authorization: '' } }), 'UNAUTHENTICATED', 401);
    const answer = await request({ body: JSON.stringify({ query: '{ plan(code: "none") { code } }' }) });
    expect(answer.body.errors?.[0]?.extensions).toEqual({ code: 'NOT_FOUND' });
    for (const code of ['VALIDATION', 'NOT_FOUND', 'CONFLICT', 'UNAUTHENTICATED', 'FORBIDDEN', 'RATE_LIMITED', 'BAD_REQUEST', 'QUERY_TOO_COMPLEX', 'REQUEST_ENTITY_TOO_LARGE', 'INTERNAL']) {
      expect(TABLE.has(code), code).toBe(true);
    }
  });

  it('over websockets, a syntax error or a limit passed is the operation’s error with the same code (the socket stays open)', async () => {
    const client = server.ws(server.apiKey);
    const errorOf = (query: string) =>
      new Promise<{ extensions?: Record<string, unknown> }[]>((resolve, reject) => {
        client.subscribe({ query }, { next: () => reject(new Error('no push expected')), error: (error) => resolve(error as never), complete: () => reject(new Error('completed')) });
      });
    expect((await errorOf('subscription { auditEvents { type '))[0]?.extensions).toEqual({ code: 'BAD_REQUEST' });
    expect((await errorOf(`subscription { ${'... on Subscription { '.repeat(10_000)}auditEvents { type }${' }'.repeat(10_000)} }`))[0]?.extensions).toEqual({ code: 'QUERY_TOO_COMPLEX' });
    expect((await errorOf('subscription { auditEvents { nope } }'))[0]?.extensions).toEqual({ code: 'VALIDATION' });
  });
});

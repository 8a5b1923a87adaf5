import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, type LogLevel } from '../../src/application/logger.ts';
import { loadConfig } from '../../src/config.ts';
import { BODY_LIMITS } from '../../src/domain/shared/limits.ts';
import { startServer, type ServerProcess } from '../support/process.ts';
import { ADMIN_KEY, startTestServer, type TestServer } from '../support/server.ts';

/** Issue 16 item 7: structured logs (pino), one line per request, request ids as correlation ids, OpenTelemetry. */
let server: TestServer | undefined;
let child: ServerProcess | undefined;
let receiver: Server | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await server?.close();
  server = undefined;
  if (child && child.child.exitCode === null && child.child.signalCode === null) child.child.kill('SIGKILL');
  child = undefined;
  receiver?.closeAllConnections();
  await new Promise((resolve) => (receiver ? receiver.close(resolve) : resolve(undefined)));
  receiver = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
type Line = Record<string, unknown> & { level: string; msg: string };

/** A server whose log lines are kept, as written. */
async function loggedServer(level: LogLevel = 'info', env: Record<string, string> = {}) {
  const raw: string[] = [];
  server = await startTestServer(env, { logger: createLogger(level, (line) => raw.push(line)) });
  const lines = () => raw.map((line) => JSON.parse(line) as Line);
  return { server, raw, lines, requestLines: (id?: string) => lines().filter((l) => l.msg === 'request' && (id === undefined || l.requestId === id)) };
}

async function post(query: string, options: { variables?: Record<string, unknown>; operationName?: string; key?: string | null; requestId?: string } = {}) {
  const key = options.key === undefined ? server!.apiKey : options.key;
  const response = await fetch(`${server!.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}), ...(options.requestId === undefined ? {} : { 'x-request-id': options.requestId }) },
    body: JSON.stringify({ query, variables: options.variables, operationName: options.operationName }),
  });
  const body = (await response.json()) as { data?: Record<string, any>; errors?: { extensions?: { code?: string } }[] };
  return { status: response.status, requestId: response.headers.get('x-request-id'), ...body };
}

/** A response's `close` (where its line is logged) comes right after its last byte: wait for the line to be out. */
async function lineFor(log: { requestLines: (id?: string) => Line[] }, id: string): Promise<Line> {
  for (let i = 0; i < 200 && log.requestLines(id).length === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
  const found = log.requestLines(id);
  expect(found).toHaveLength(1);
  return found[0]!;
}

const eventsCorrelatedWith = async (id: string) => (await server!.system.app.deps.eventStore.readAll()).filter((e) => e.metadata.correlationId === id);
/** Runs `request` and returns the events appended meanwhile (only this test's requests append). */
async function appendedBy(request: () => Promise<unknown>) {
  const head = (await server!.system.app.deps.eventStore.headPosition()) ?? 0n;
  await request();
  return server!.system.app.deps.eventStore.readAll({ after: head });
}
const CREATE_CUSTOMER = 'mutation AddCustomer($id: String!) { createCustomer(input: {externalId: $id, currency: "EUR"}) { customer { externalId } } }';
const CREATE_EVENTS = 'mutation($events: [UsageEventInput!]!) { createEvents(input: {events: $events}) { acceptedCount } }';

describe('request ids', () => {
  it('takes the id from x-request-id, returns it, and stores it as the correlation id of every event the request appends', async () => {
    await loggedServer();
    let created: Awaited<ReturnType<typeof post>> | undefined;
    const appended = await appendedBy(async () => (created = await post(CREATE_CUSTOMER, { variables: { id: 'c1' }, requestId: 'req-1.customer:A_b' })));
    expect(created!.errors).toBeUndefined();
    expect(created!.requestId).toBe('req-1.customer:A_b');
    // Every event of the command (its guard and numbering events too), none without it.
    expect(appended.map((e) => e.type)).toContain('CustomerCreated');
    expect(appended.map((e) => e.metadata.correlationId)).toEqual(appended.map(() => 'req-1.customer:A_b'));

    // Ingested usage events too (appended in batches, metadata per batch).
    const events = [1, 2].map((i) => ({ transactionId: `t${i}`, externalSubscriptionId: 's1', code: 'calls' }));
    const ingested = await post(CREATE_EVENTS, { variables: { events }, requestId: 'ingest-42' });
    expect(ingested.data?.createEvents.acceptedCount).toBe(2);
    expect(ingested.requestId).toBe('ingest-42');
    const usage = await eventsCorrelatedWith('ingest-42');
    expect(usage.map((e) => [e.type, (e.data as { transactionId: string }).transactionId])).toEqual([['UsageEventIngested', 't1'], ['UsageEventIngested', 't2']]);

    // And the operator's organization commands.
    const organization = await post('mutation { createOrganization(input: {name: "Other"}) { organization { id } } }', { key: ADMIN_KEY, requestId: 'admin-7' });
    expect(organization.errors).toBeUndefined();
    expect((await eventsCorrelatedWith('admin-7')).map((e) => e.type)).toEqual(expect.arrayContaining(['OrganizationCreated', 'ApiKeyCreated']));
  });

  it('generates a UUID when the header is missing or not a plain token, and uses that one for the events', async () => {
    await loggedServer();
    const missing = await post(CREATE_CUSTOMER, { variables: { id: 'c1' } });
    expect(missing.requestId).toMatch(UUID);
    expect((await eventsCorrelatedWith(missing.requestId!)).map((e) => e.type)).toContain('CustomerCreated');
    for (const [i, sent] of ['two words', 'x'.repeat(129), '{"json":1}', ''].entries()) {
      const answered = await post(CREATE_CUSTOMER, { variables: { id: `bad${i}` }, requestId: sent });
      expect(answered.errors).toBeUndefined();
      expect(answered.requestId).toMatch(UUID);
      expect((await eventsCorrelatedWith(answered.requestId!)).map((e) => e.type)).toContain('CustomerCreated');
    }
    // Each request its own id.
    const again = await post('{ __typename }');
    expect(again.requestId).toMatch(UUID);
    expect(again.requestId).not.toBe(missing.requestId);
  });

  it('gives each websocket operation an id of its own, for the events it appends', async () => {
    await loggedServer();
    const socket = server!.ws(server!.apiKey);
    const run = (id: string) =>
      new Promise<void>((resolve, reject) =>
        socket.subscribe({ query: CREATE_CUSTOMER, variables: { id } }, { next: (r) => (r.errors ? reject(new Error(JSON.stringify(r.errors))) : undefined), error: reject, complete: resolve }),
      );
    await run('ws1');
    await run('ws2');
    const created = (await server!.system.app.deps.eventStore.readAll()).filter((e) => e.type === 'CustomerCreated');
    const ids = created.map((e) => e.metadata.correlationId as string);
    expect(ids).toHaveLength(2);
    for (const id of ids) expect(id).toMatch(UUID);
    expect(ids[0]).not.toBe(ids[1]);
  });

  it('logs one line per websocket operation when it ends, with its id (the events\' correlation id) and error codes', async () => {
    const log = await loggedServer();
    const socket = server!.ws(server!.apiKey);
    await new Promise<void>((resolve, reject) =>
      socket.subscribe({ query: CREATE_CUSTOMER, variables: { id: 'ws-logged' } }, { next: () => undefined, error: reject, complete: resolve }),
    );
    const [created] = (await server!.system.app.deps.eventStore.readAll()).filter((e) => e.type === 'CustomerCreated');
    const bad = await new Promise<unknown>((resolve) => socket.subscribe({ query: '{ nope }' }, { next: () => undefined, error: resolve, complete: () => resolve(null) }));
    expect(bad).not.toBeNull();
    const until = Date.now() + 2_000;
    while (log.lines().filter((l) => l.msg === 'websocket operation').length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    const [done, failed] = log.lines().filter((l) => l.msg === 'websocket operation');
    expect(done).toMatchObject({ level: 'info', requestId: created!.metadata.correlationId, operation: 'mutation', fields: ['createCustomer'], organizationId: created!.metadata.organizationId });
    expect(typeof done!.durationMs).toBe('number');
    expect(failed).toMatchObject({ errorCodes: ['VALIDATION'] });
    // Neither the variables nor the query text.
    expect(log.raw.join('\n')).not.toContain('ws-logged');
  });

  it('is on every /graphql answer: errors, an unknown path, a body past the cap (answered before Yoga)', async () => {
    const log = await loggedServer();
    const unauthenticated = await post('{ customers { totalCount } }', { key: 'bk_not-a-key', requestId: 'no-key' });
    expect(unauthenticated.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(unauthenticated.requestId).toBe('no-key');
    const notFound = await fetch(`${server!.url}/nowhere`, { headers: { 'x-request-id': 'lost' } });
    expect(notFound.status).toBe(404);
    expect(notFound.headers.get('x-request-id')).toBe('lost');
    // A declared length past the cap is refused unread, at once.
    const tooLarge = await new Promise<{ status: number; id: string | undefined }>((resolve, reject) => {
      const req = httpRequest(`${server!.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(BODY_LIMITS.bodyBytes + 1), 'x-request-id': 'huge' } });
      req.on('response', (res) => {
        res.resume();
        resolve({ status: res.statusCode!, id: res.headers['x-request-id'] as string | undefined });
        req.destroy();
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(tooLarge).toEqual({ status: 413, id: 'huge' });
    expect((await lineFor(log, 'lost')).errorCodes).toEqual(['NOT_FOUND']);
    expect((await lineFor(log, 'huge')).errorCodes).toEqual(['REQUEST_ENTITY_TOO_LARGE']);
    // A browser app on an allowed origin may read it.
    await server!.close();
    server = await startTestServer({ CORS_ORIGINS: 'https://app.example' });
    const cross = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { origin: 'https://app.example', 'content-type': 'application/json', authorization: `Bearer ${server.apiKey}` }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(cross.headers.get('access-control-expose-headers')).toContain('x-request-id');
  });
});

describe('request log lines', () => {
  it('logs one line per request: id, operation, organization, HTTP status, duration and error codes; never variables or the query', async () => {
    const log = await loggedServer();
    const created = await post(CREATE_CUSTOMER, { variables: { id: 'secret-customer-id' }, operationName: 'AddCustomer', requestId: 'line-1' });
    expect(created.errors).toBeUndefined();
    const organizationId = (await eventsCorrelatedWith('line-1'))[0]!.metadata.organizationId;
    const line = await lineFor(log, 'line-1');
    expect(line).toMatchObject({ level: 'info', msg: 'request', requestId: 'line-1', method: 'POST', operation: 'mutation', operationName: 'AddCustomer', fields: ['createCustomer'], organizationId, status: 200 });
    expect(typeof line.time === 'string' && !Number.isNaN(Date.parse(line.time))).toBe(true);
    expect(line.durationMs).toEqual(expect.any(Number));
    expect(line.errorCodes).toBeUndefined();

    const invalid = await post('query Broken { customers { nope } }', { requestId: 'line-2' });
    expect(invalid.errors?.[0]?.extensions?.code).toBeDefined();
    expect(await lineFor(log, 'line-2')).toMatchObject({ operationName: 'Broken', errorCodes: [invalid.errors![0]!.extensions!.code], status: invalid.status });
    const refused = await post('{ customers { totalCount } }', { key: null, requestId: 'line-3' });
    expect(await lineFor(log, 'line-3')).toMatchObject({ organizationId: null, errorCodes: ['UNAUTHENTICATED'], status: refused.status });

    expect(log.requestLines()).toHaveLength(3);
    const everything = log.raw.join('\n');
    expect(everything).not.toContain('secret-customer-id');
    expect(everything).not.toContain('createCustomer(input');
  });

  it('never logs an API key, whatever the request carries, even at debug', async () => {
    const log = await loggedServer('debug');
    const organization = await post('mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } apiKey { key } } }', {
      key: ADMIN_KEY,
      variables: { input: { name: 'Keyed' } },
    });
    const preset = organization.data?.createOrganization.apiKey.key as string;
    expect(preset).toMatch(/^bk_/);
    const another = await post('mutation($id: ID!) { createApiKey(input: {organizationId: $id, name: "ci"}) { key } }', { key: ADMIN_KEY, variables: { id: organization.data!.createOrganization.organization.id } });
    const generated = another.data?.createApiKey.key as string;
    expect(generated).toMatch(/^bk_/);
    await post('{ customers { totalCount } }', { key: generated });
    await post('{ nope }', { key: server!.apiKey });
    await post('{ customers { totalCount } }', { key: `${server!.apiKey}-wrong` });
    // Whatever a caller logs by mistake is redacted under the usual names.
    server!.system.logger.warn('oops', { authorization: `Bearer ${generated}`, apiKey: preset, headers: { authorization: server!.apiKey }, input: { key: generated } });
    for (let i = 0; i < 200 && log.requestLines().length < 5; i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(log.requestLines()).toHaveLength(5);
    expect(log.lines().find((l) => l.msg === 'oops')).toMatchObject({ authorization: '[Redacted]', apiKey: '[Redacted]', headers: { authorization: '[Redacted]' }, input: { key: '[Redacted]' } });
    const everything = log.raw.join('\n');
    for (const key of [preset, generated, server!.apiKey, ADMIN_KEY]) expect(everything).not.toContain(key);
  });

  it('logs nothing below LOG_LEVEL: warn keeps warnings and drops the request lines', async () => {
    const log = await loggedServer(loadConfig({ LOG_LEVEL: 'warn' }).logLevel);
    expect((await post('{ __typename }', { requestId: 'quiet' })).requestId).toBe('quiet');
    server!.system.logger.info('not shown');
    server!.system.logger.warn('shown');
    expect(log.lines().map((l) => [l.level, l.msg])).toEqual([['warn', 'shown']]);
  });
});

describe('the server process', () => {
  /** Starts `src/main.ts`, makes one request, stops it (SIGTERM) and returns its JSON lines (stderr; stdout has none). */
  async function linesOfARun(level: LogLevel) {
    const dataDir = mkdtempSync(join(tmpdir(), 'billing-logs-'));
    dirs.push(dataDir);
    child = await startServer(dataDir, { LOG_LEVEL: level });
    const answered = await fetch(`http://127.0.0.1:${child.port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${child.key}`, 'x-request-id': 'from-the-process' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(answered.headers.get('x-request-id')).toBe('from-the-process');
    // Every byte it wrote is read once its streams close.
    const closed = new Promise((resolve) => child!.child.once('close', resolve));
    child.child.kill('SIGTERM');
    await closed;
    return { key: child.key, lines: child.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line) };
  }

  it('writes pino JSON lines to stderr at LOG_LEVEL=info: the request, with its id, and the shutdown', async () => {
    const { key, lines } = await linesOfARun('info');
    expect(lines.filter((l) => l.msg === 'request')).toMatchObject([{ level: 'info', requestId: 'from-the-process', status: 200, operation: 'query', fields: ['__typename'] }]);
    expect(lines.some((l) => l.msg === 'shutting down')).toBe(true);
    expect(JSON.stringify(lines)).not.toContain(key);
  });

  it('writes no info line at LOG_LEVEL=warn', async () => {
    const { lines } = await linesOfARun('warn');
    expect(lines.filter((l) => l.level === 'info' || l.level === 'debug')).toEqual([]);
  });
});

describe('OpenTelemetry', () => {
  it('exports a span per operation to OTEL_EXPORTER_OTLP_ENDPOINT (POST /v1/traces) when it is set', async () => {
    const received: { method: string; url: string; body: string }[] = [];
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push({ method: req.method!, url: req.url!, body });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    const port = await new Promise<number>((resolve) => receiver!.listen(0, '127.0.0.1', () => resolve((receiver!.address() as { port: number }).port)));
    server = await startTestServer({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}/` });
    expect((await post(CREATE_CUSTOMER, { variables: { id: 'traced' }, operationName: 'AddCustomer' })).errors).toBeUndefined();
    // Shutting down exports what the batch processor still holds.
    await server.close();
    server = undefined;
    const traces = received.filter((r) => r.method === 'POST' && r.url === '/v1/traces');
    expect(traces.length).toBeGreaterThan(0);
    expect(traces.map((t) => t.body).join('')).toContain('"mutation.AddCustomer"');
    expect(traces.map((t) => t.body).join('')).toMatch(/"key":"service\.name","value":\{"stringValue":"billing-engine"\}/);
    // No variables in a span.
    expect(traces.map((t) => t.body).join('')).not.toContain('traced');
  });

  it('accepts only an http(s) URL as the endpoint', () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector.example:4318' }).otlpEndpoint).toBe('https://collector.example:4318');
    expect(loadConfig({}).otlpEndpoint).toBeUndefined();
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
  });
});

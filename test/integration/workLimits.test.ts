import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BODY_LIMITS, LIST_LIMITS, QUERY_LIMITS } from '../../src/domain/shared/limits.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/**
 * Issue 12, "Work limits": each heavy request answers its documented typed error in under a second, while
 * `/health` keeps answering, and appends nothing.
 */

/** The codes of the README's error table: every answer below must carry one of them. */
const DOCUMENTED = (() => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const table = readme.slice(readme.indexOf('### Errors'), readme.indexOf('\n### ', readme.indexOf('### Errors') + 1));
  return new Set([...table.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]!));
})();

type Answer = { status: number; body: { data?: unknown; errors?: { message: string; extensions?: { code?: string; field?: string } }[] }; ms: number };

let server: TestServer;

/** POSTs a raw body to /graphql with the default key. */
async function post(body: string | ReadableStream<Uint8Array>, headers: Record<string, string> = {}): Promise<Answer> {
  const started = performance.now();
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${server.apiKey}`, ...headers },
    body,
    ...(typeof body === 'string' ? {} : { duplex: 'half' }),
  } as RequestInit);
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as Answer['body'], ms: performance.now() - started };
}

const json = (query: string, variables?: Record<string, unknown>) => JSON.stringify({ query, ...(variables ? { variables } : {}) });

/**
 * Sends `request` while `/health` is polled back to back (the first poll starts with it), and checks the request
 * was answered within a second with `status` and `code`, every health check answered 200 within a second, and
 * the log head did not move.
 */
async function heavy(request: () => Promise<Answer>, expected: { status: number; code: string; field?: string }): Promise<Answer> {
  const head = await server.system.app.deps.eventStore.headPosition();
  const health: { status: number; ms: number }[] = [];
  let done = false;
  const poll = (async () => {
    do {
      const started = performance.now();
      const response = await fetch(`${server.url}/health`);
      await response.arrayBuffer();
      health.push({ status: response.status, ms: performance.now() - started });
    } while (!done);
  })();
  const answer = await request().finally(() => (done = true));
  await poll;
  const error = answer.body.errors?.[0];
  expect(error?.extensions?.code, JSON.stringify(answer.body).slice(0, 500)).toBe(expected.code);
  expect(DOCUMENTED).toContain(error?.extensions?.code);
  expect(answer.status).toBe(expected.status);
  if (expected.field !== undefined) expect(error?.extensions?.field).toBe(expected.field);
  expect(answer.ms, 'answered within a second').toBeLessThan(1_000);
  expect(health.length).toBeGreaterThan(0);
  for (const check of health) {
    expect(check.status).toBe(200);
    expect(check.ms, 'health answered within a second').toBeLessThan(1_000);
  }
  expect(await server.system.app.deps.eventStore.headPosition(), 'nothing appended').toBe(head);
  return answer;
}

const events = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ transactionId: `${prefix}${i}`, externalSubscriptionId: 'sub_1', code: 'calls' }));
const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
const CREATE_PLAN = 'mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { code } } }';
const plan = (extra: Record<string, unknown>) => ({ code: 'heavy', name: 'Heavy', interval: 'MONTHLY', amountCents: '0', amountCurrency: 'EUR', ...extra });
const CREATE_METRIC = 'mutation($input: CreateBillableMetricInput!) { createBillableMetric(input: $input) { billableMetric { code } } }';
const USAGE = 'customerUsage(externalCustomerId: "cus_1", externalSubscriptionId: "sub_1") { amountCents }';

describe('work limits: heavy requests are refused in under a second with a documented code, /health answering, nothing appended', () => {
  beforeAll(async () => {
    server = await startTestServer();
    for (const query of [
      'mutation { createBillableMetric(input: {code: "calls", name: "Calls", aggregationType: COUNT}) { billableMetric { code } } }',
      'mutation { createPlan(input: {code: "basic", name: "Basic", interval: MONTHLY, amountCents: "0", amountCurrency: "EUR", charges: [{billableMetricCode: "calls", chargeModel: STANDARD, properties: {amount: "1"}}]}) { plan { code } } }',
      'mutation { createCustomer(input: {externalId: "cus_1", currency: "EUR"}) { customer { externalId } } }',
      'mutation { createSubscription(input: {externalId: "sub_1", externalCustomerId: "cus_1", planCode: "basic"}) { subscription { status } } }',
    ]) {
      expect((await server.gql(query)).errors).toBeUndefined();
    }
    await server.settle();
  });
  afterAll(async () => server.close());

  it('createPlan with 10,000 usage thresholds: VALIDATION naming input.usageThresholds', async () => {
    const usageThresholds = Array.from({ length: 10_000 }, (_, i) => ({ amountCents: String(i + 1) }));
    await heavy(() => post(json(CREATE_PLAN, { input: plan({ usageThresholds }) })), { status: 200, code: 'VALIDATION', field: 'input.usageThresholds' });
  });

  it('createPlan with one usage threshold past the cap, and with a repeated one at the cap', async () => {
    const over = Array.from({ length: LIST_LIMITS.usageThresholds + 1 }, (_, i) => ({ amountCents: String(i + 1) }));
    await heavy(() => post(json(CREATE_PLAN, { input: plan({ usageThresholds: over }) })), { status: 200, code: 'VALIDATION', field: 'input.usageThresholds' });
    const repeated = Array.from({ length: LIST_LIMITS.usageThresholds }, (_, i) => ({ amountCents: String((i % 50) + 1) }));
    await heavy(() => post(json(CREATE_PLAN, { input: plan({ usageThresholds: repeated }) })), { status: 200, code: 'VALIDATION', field: 'input.usageThresholds.50.amountCents' });
  });

  it('createPlan with 1,000 charges or 1,000 tax codes: VALIDATION before any metric or tax is looked up', async () => {
    const charges = Array.from({ length: 1_000 }, (_, i) => ({ billableMetricCode: `metric_${i}`, chargeModel: 'STANDARD', taxCodes: [`tax_${i}`] }));
    await heavy(() => post(json(CREATE_PLAN, { input: plan({ charges }) })), { status: 200, code: 'VALIDATION', field: 'input.charges' });
    const taxCodes = Array.from({ length: 1_000 }, (_, i) => `tax_${i}`);
    await heavy(() => post(json(CREATE_PLAN, { input: plan({ taxCodes }) })), { status: 200, code: 'VALIDATION', field: 'input.taxCodes' });
    const customer = 'mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { externalId } } }';
    await heavy(() => post(json(customer, { input: { externalId: 'cus_heavy', taxCodes } })), { status: 200, code: 'VALIDATION', field: 'input.taxCodes' });
  });

  it('createBillableMetric with 100,000 filter values, and with one value past the cap', async () => {
    const values = Array.from({ length: 100_000 }, (_, i) => `v${i}`);
    await heavy(() => post(json(CREATE_METRIC, { input: { code: 'm', name: 'M', aggregationType: 'COUNT', filters: [{ key: 'region', values }] } })), {
      status: 200,
      code: 'VALIDATION',
      field: 'variables.input.filters.0.values',
    });
    const over = values.slice(0, LIST_LIMITS.filterValues + 1);
    await heavy(() => post(json(CREATE_METRIC, { input: { code: 'm', name: 'M', aggregationType: 'COUNT', filters: [{ key: 'region', values: over }] } })), {
      status: 200,
      code: 'VALIDATION',
      field: 'input.filters.0.values',
    });
  });

  it('10,000 aliased customerUsage: QUERY_TOO_COMPLEX', async () => {
    const aliases = Array.from({ length: 10_000 }, (_, i) => `u${i}: ${USAGE}`).join(' ');
    const answer = await heavy(() => post(json(`{ ${aliases} }`)), { status: 400, code: 'QUERY_TOO_COMPLEX' });
    expect(answer.body.data).toBeUndefined();
    // The limit is the aliases', not a blanket refusal: a few are answered.
    const few = Array.from({ length: QUERY_LIMITS.aliases }, (_, i) => `u${i}: ${USAGE}`).join(' ');
    const ok = await server.gql<Record<string, { amountCents: string }>>(`{ ${few} }`);
    expect(ok.errors).toBeUndefined();
    expect(Object.keys(ok.data!)).toHaveLength(QUERY_LIMITS.aliases);
  });

  it('100 aliases of createEvents sharing one 10,000-event variable: refused before any event is appended', async () => {
    const aliases = Array.from({ length: 100 }, (_, i) => `b${i}: createEvents(input: {events: $events}) { acceptedCount }`).join(' ');
    const variables = { events: events('alias', BODY_LIMITS.eventsPerBatch) };
    await heavy(() => post(json(`mutation($events: [UsageEventInput!]!) { ${aliases} }`, variables)), { status: 400, code: 'QUERY_TOO_COMPLEX' });
    // Two are as many too many: one ingestion field per operation.
    const two = 'mutation($events: [UsageEventInput!]!) { a: createEvents(input: {events: $events}) { acceptedCount } b: createEvents(input: {events: $events}) { acceptedCount } }';
    const answer = await heavy(() => post(json(two, variables)), { status: 400, code: 'QUERY_TOO_COMPLEX' });
    expect(answer.body.errors?.[0]?.message).toContain('one createEvent or createEvents');
  });

  it('a full batch (10,000 events) in one createEvents is still accepted', async () => {
    const result = await server.gql<{ createEvents: { acceptedCount: number } }>(
      'mutation($events: [UsageEventInput!]!) { createEvents(input: {events: $events}) { acceptedCount } }',
      { events: events('full', BODY_LIMITS.eventsPerBatch) },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?.createEvents.acceptedCount).toBe(BODY_LIMITS.eventsPerBatch);
  });

  it('300,000 events in a variable: VALIDATION naming the variable, before it is coerced', async () => {
    const query = 'mutation($events: [UsageEventInput!]!) { createEvents(input: {events: $events}) { acceptedCount } }';
    await heavy(() => post(json(query, { events: Array.from({ length: 300_000 }, () => ({ code: 'calls' })) })), { status: 200, code: 'VALIDATION', field: 'variables.events' });
  });

  it('a query nested 10,000 deep (selections, inline fragments): QUERY_TOO_COMPLEX', async () => {
    const n = 10_000;
    await heavy(() => post(json(`{ organization ${'{ id '.repeat(n)}${'}'.repeat(n)} }`)), { status: 400, code: 'QUERY_TOO_COMPLEX' });
    await heavy(() => post(json(`{ ${'... on Query { '.repeat(n)}__typename${' }'.repeat(n)} }`)), { status: 400, code: 'QUERY_TOO_COMPLEX' });
  });

  it('a JSON literal nested 10,000 deep: QUERY_TOO_COMPLEX', async () => {
    const query = `mutation { createEvent(input: {transactionId: "deep", externalSubscriptionId: "sub_1", code: "calls", properties: {a: ${deep(10_000)}}}) { outcome { status } } }`;
    await heavy(() => post(json(query)), { status: 400, code: 'QUERY_TOO_COMPLEX' });
  });

  it('a JSON variable nested 10,000 deep: the event REJECTED (INVALID_PROPERTIES), a plan VALIDATION; nothing appended', async () => {
    const body = `{"query":"mutation($p: JSON) { createEvent(input: {transactionId: \\"deepvar\\", externalSubscriptionId: \\"sub_1\\", code: \\"calls\\", properties: $p}) { outcome { status errorCode } } }","variables":{"p":{"a":${deep(10_000)}}}}`;
    const head = await server.system.app.deps.eventStore.headPosition();
    const started = performance.now();
    const answer = await post(body);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(answer.status).toBe(200);
    expect(answer.body.data).toEqual({ createEvent: { outcome: { status: 'REJECTED', errorCode: 'INVALID_PROPERTIES' } } });
    expect(await server.system.app.deps.eventStore.headPosition()).toBe(head);
    const planBody = `{"query":${JSON.stringify(CREATE_PLAN)},"variables":{"input":{"code":"deep","name":"Deep","interval":"MONTHLY","amountCents":"0","amountCurrency":"EUR","charges":[{"billableMetricCode":"calls","chargeModel":"STANDARD","properties":{"amount":${deep(10_000)}}}]}}}`;
    await heavy(() => post(planBody), { status: 200, code: 'VALIDATION', field: 'input.charges.0.properties.amount' });
  });

  it('a body over the cap, with a length or chunked: REQUEST_ENTITY_TOO_LARGE (413)', async () => {
    const big = json('{ __typename }', { pad: 'x'.repeat(BODY_LIMITS.bodyBytes) });
    await heavy(() => post(big), { status: 413, code: 'REQUEST_ENTITY_TOO_LARGE' });
    const chunk = new TextEncoder().encode(`{"query":"{ __typename }","pad":"${'x'.repeat(1_000_000)}`);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > BODY_LIMITS.bodyBytes + 2_000_000) return controller.close();
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    await heavy(() => post(stream), { status: 413, code: 'REQUEST_ENTITY_TOO_LARGE' });
  });

  it('malformed JSON and an unknown operation: BAD_REQUEST (400)', async () => {
    await heavy(() => post(`{"query": "{ __typename }", ${'"x": 1, '.repeat(100_000)}`), { status: 400, code: 'BAD_REQUEST' });
    await heavy(() => post(JSON.stringify({ query: 'query A { __typename } query B { __typename }', operationName: 'C' })), { status: 400, code: 'BAD_REQUEST' });
  });
});

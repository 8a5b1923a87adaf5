import { afterEach, describe, expect, it } from 'vitest';
import { createPlanWith } from '../support/catalog.ts';
import { ADMIN_KEY, startTestServer, type TestServer } from '../support/server.ts';

/** Issue 16 item 6: `GET /metrics` in Prometheus format after some traffic. */
let server: TestServer;
afterEach(async () => server?.close());

describe('/metrics', () => {
  it('exposes requests per operation, ingestion outcomes, billing runs, websocket connections and projection lag', async () => {
    server = await startTestServer({ CLOCK: 'manual', CLOCK_START: '2026-01-01T00:00:00Z' });
    const ok = async (query: string, variables: Record<string, unknown> = {}, key?: string) => expect((await server.gql(query, variables, key)).errors).toBeUndefined();
    await ok('mutation { createBillableMetric(input: {code: "calls", name: "Calls", aggregationType: COUNT}) { billableMetric { code } } }');
    await createPlanWith(server, 'basic', [{ billableMetricCode: 'calls' }]);
    await ok('mutation { createCustomer(input: {externalId: "c1", currency: "EUR"}) { customer { externalId } } }');
    await ok('mutation { createSubscription(input: {externalId: "s1", externalCustomerId: "c1", planCode: "basic"}) { subscription { status } } }');
    const events = [{ transactionId: 't1', externalSubscriptionId: 's1', code: 'calls' }, { transactionId: 't2', externalSubscriptionId: 's1', code: 'calls' }];
    await ok('mutation($e: [UsageEventInput!]!) { createEvents(input: {events: $e}) { acceptedCount } }', { e: events });
    await ok('mutation($e: [UsageEventInput!]!) { createEvents(input: {events: $e}) { acceptedCount } }', { e: [...events, { transactionId: 't3', externalSubscriptionId: 's1', code: 'calls', timestamp: '2020-01-01T00:00:00Z' }] });
    await ok('mutation { advanceClock(input: {to: "2026-02-01T00:00:00Z"}) { now } }', {}, ADMIN_KEY);
    const socket = server.ws(server.apiKey);
    socket.subscribe({ query: 'subscription { invoiceCreated { id } }' }, { next: () => {}, error: () => {}, complete: () => {} });
    await new Promise((r) => setTimeout(r, 200));

    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toMatch(/^billing_graphql_requests_total\{operation="mutation:createEvents",outcome="ok"\} 2$/m);
    expect(text).toMatch(/^billing_graphql_request_duration_seconds_count\{operation="mutation:createCustomer"\} 1$/m);
    // 2 accepted, then 2 duplicates and 1 rejected (outside the late window).
    expect(text).toMatch(/^billing_ingestion_events_total\{outcome="accepted"\} 2$/m);
    expect(text).toMatch(/^billing_ingestion_events_total\{outcome="duplicate"\} 2$/m);
    expect(text).toMatch(/^billing_ingestion_events_total\{outcome="rejected"\} 1$/m);
    expect(text).toMatch(/^billing_billing_run_duration_seconds_count \d+$/m);
    expect(text).toMatch(/^billing_invoices_total\{action="created"\} 1$/m);
    expect(text).toMatch(/^billing_websocket_connections 1$/m);
    expect(text).toMatch(/^billing_projection_lag_events\{projection="invoices"\} \d+$/m);
    expect(text).toMatch(/^billing_process_resident_memory_bytes \d+/m);
  });
});

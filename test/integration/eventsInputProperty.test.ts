import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlanWith } from '../support/catalog.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const CREATE_EVENTS = `mutation($events: [UsageEventInput!]!) { createEvents(input: {events: $events}) {
  acceptedCount duplicateCount rejectedCount outcomes { index status errorCode message } } }`;
const REJECTION_CODES = ['MISSING_FIELD', 'INVALID_FIELD', 'INVALID_TIMESTAMP', 'TIMESTAMP_OUT_OF_RANGE', 'INVALID_PROPERTIES', 'VALUE_NOT_DECIMAL', 'TOO_LARGE'];
const NOW_SECONDS = Date.UTC(2030, 2, 10, 12) / 1000;

type Result = { createEvents: { acceptedCount: number; duplicateCount: number; rejectedCount: number; outcomes: { index: number; status: string; errorCode: string | null; message: string | null }[] } };

/**
 * Each field: mostly a valid value, else a wrong or missing one, rarely one of the wrong type (which GraphQL refuses
 * for the whole request, so it would hide the per-event outcomes if common).
 */
const fieldValue = (valid: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { arbitrary: valid, weight: 30 },
    { arbitrary: fc.constantFrom(undefined, null, '', ' '), weight: 4 },
    { arbitrary: fc.string({ maxLength: 12 }), weight: 3 },
    { arbitrary: fc.string({ minLength: 300, maxLength: 400 }), weight: 2 },
    { arbitrary: fc.constantFrom(0, -1, true, [], {}), weight: 1 },
  );

const event = fc.record(
  {
    transactionId: fieldValue(fc.string({ minLength: 1, maxLength: 8 }).map((s) => `tx_${s}`)),
    externalSubscriptionId: fieldValue(fc.constantFrom('sub1', 'sub_later')),
    code: fieldValue(fc.constantFrom('storage', 'calls', 'unknown_metric')),
    timestamp: fc.oneof(
      { arbitrary: fc.integer({ min: -40 * 86_400, max: 600 }).map((offset) => NOW_SECONDS + offset + 0.25), weight: 10 },
      { arbitrary: fc.integer({ min: -40 * 86_400, max: 600 }).map((offset) => new Date((NOW_SECONDS + offset) * 1000).toISOString()), weight: 10 },
      { arbitrary: fc.constantFrom(undefined, null, 'yesterday', '2030-13-45T00:00:00Z', '2030-03-10', 1e20, -1, '1.5e9', '', 0.5), weight: 4 },
      { arbitrary: fc.double(), weight: 1 },
      { arbitrary: fc.constantFrom(true, {}, []), weight: 1 },
    ),
    properties: fc.oneof(
      { arbitrary: fc.record({ gb: fc.oneof(fc.constantFrom('1.5', '-2', '0', 'abc', '1e400', '', ' 3', '0.000000000001'), fc.double(), fc.integer()) }), weight: 10 },
      { arbitrary: fc.constantFrom(undefined, null, [], 'text', 5, { nested: { deep: [1, { x: null }] } }), weight: 3 },
      { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 2 },
    ),
    preciseTotalAmountCents: fc.oneof({ arbitrary: fc.constantFrom(undefined, null, '12.5', 'abc', '-5', '', '1'.repeat(60)), weight: 20 }, { arbitrary: fc.constant(5), weight: 1 }),
  },
);

describe('createEvents with any input', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ CLOCK: 'manual' });
    await server.advanceClock('2030-03-10T12:00:00Z');
    await server.gql('mutation { createBillableMetric(input: {code: "storage", name: "Storage", aggregationType: SUM, fieldName: "gb"}) { billableMetric { code } } }');
    await server.gql('mutation { createBillableMetric(input: {code: "calls", name: "Calls", aggregationType: COUNT}) { billableMetric { code } } }');
    await createPlanWith(server, 'basic', [{ billableMetricCode: 'storage' }, { billableMetricCode: 'calls' }]);
    await server.gql('mutation { createCustomer(input: {externalId: "c1", currency: "EUR"}) { customer { externalId } } }');
    await server.gql('mutation { createSubscription(input: {externalId: "sub1", externalCustomerId: "c1", planCode: "basic", subscriptionAt: "2030-03-01T00:00:00Z"}) { subscription { status } } }');
  });
  afterAll(async () => server.close());

  it('answers a typed error or one outcome per event, never INTERNAL, and appends exactly the accepted events', async () => {
    const head = async () => (await server.system.app.deps.eventStore.headPosition()) ?? 0n;
    await fc.assert(
      fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 8 }), async (events) => {
        const before = await head();
        const result = await server.gql<Result>(CREATE_EVENTS, { events });
        expect(result.status).toBeLessThan(500);
        if (result.errors) {
          // A value GraphQL cannot coerce (a number for a String, say) refuses the request as a whole.
          for (const error of result.errors) expect(error.extensions?.code, JSON.stringify(error)).toBe('VALIDATION');
          expect(await head()).toBe(before);
          return;
        }
        const { outcomes, acceptedCount, duplicateCount, rejectedCount } = result.data!.createEvents;
        expect(outcomes.map((o) => o.index)).toEqual(events.map((_, i) => i));
        expect(acceptedCount + duplicateCount + rejectedCount).toBe(events.length);
        for (const outcome of outcomes) {
          if (outcome.status === 'REJECTED') {
            expect(REJECTION_CODES).toContain(outcome.errorCode);
            expect(outcome.message).toBeTruthy();
          } else {
            expect(['ACCEPTED', 'DUPLICATE']).toContain(outcome.status);
          }
        }
        expect(await head()).toBe(before + BigInt(acceptedCount));
      }),
      { numRuns: 200 },
    );
  });
});

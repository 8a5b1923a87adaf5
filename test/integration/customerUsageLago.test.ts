import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';

/**
 * Current usage of prorated and pay-in-advance charges through GraphQL, on the numbers of Lago's own specs:
 * spec/services/billable_metrics/prorated_aggregations/sum_service_spec.rb:90 and :334 (9.64517 priced, 29 shown) and
 * spec/services/billable_metrics/aggregations/sum_service_spec.rb:430 (11 = total 9 − cached current 4 + cached max 6).
 * The specs price May 2023; here March 2026 has the same 31 days and the events the same days of the month.
 */
const CREATE_EVENTS = 'mutation($input: CreateEventsInput!) { createEvents(input: $input) { acceptedCount duplicateCount rejectedCount } }';
const USAGE = `query($c: String!, $s: String!) { customerUsage(externalCustomerId: $c, externalSubscriptionId: $s, waitForEvents: true) {
  fromDatetime toDatetime amountCents chargesUsage { units eventsCount amountCents details charge { chargeModel } billableMetric { code } } } }`;

type Usage = {
  fromDatetime: string;
  toDatetime: string;
  amountCents: string;
  chargesUsage: { units: string; eventsCount: number; amountCents: string; details: { units: string; details: Record<string, unknown> }[]; charge: { chargeModel: string }; billableMetric: { code: string } }[];
};

let server: TestServer;

async function ok<T = Record<string, never>>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const result = await server.gql<T>(query, variables);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data!;
}

const usageOf = async (id: string) => (await ok<{ customerUsage: Usage }>(USAGE, { c: `cus_${id}`, s: `sub_${id}` })).customerUsage;

async function send(id: string, code: string, events: [string, number][]) {
  const input = { events: events.map(([timestamp, value], i) => ({ transactionId: `${id}_${code}_${timestamp}_${i}`, externalSubscriptionId: `sub_${id}`, code, timestamp, properties: { total_count: value } })) };
  expect((await ok<{ createEvents: { acceptedCount: number } }>(CREATE_EVENTS, { input })).createEvents.acceptedCount).toBe(events.length);
}

beforeAll(async () => {
  server = await startTestServer({ CLOCK: 'manual', CLOCK_START: '2026-01-01T00:00:00Z' });
  const metric = (code: string) => ok('mutation($input: CreateBillableMetricInput!) { createBillableMetric(input: $input) { billableMetric { code } } }', {
    input: { code, name: code, aggregationType: 'SUM', fieldName: 'total_count', recurring: true },
  });
  await metric('seats_prorated');
  await metric('seats_in_advance');
  const plan = (code: string, charge: Record<string, unknown>) =>
    ok('mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { code } } }', { input: { code, name: code, interval: 'MONTHLY', amountCents: '0', amountCurrency: 'EUR', charges: [charge] } });
  await plan('prorated', { billableMetricCode: 'seats_prorated', chargeModel: 'STANDARD', prorated: true, properties: { amount: '1' } });
  await plan('in_advance', { billableMetricCode: 'seats_in_advance', chargeModel: 'STANDARD', payInAdvance: true, invoiceable: false, properties: { amount: '1' } });
  for (const [id, planCode] of [['prorated', 'prorated'], ['in_advance', 'in_advance']] as const) {
    await ok('mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { externalId } } }', { input: { externalId: `cus_${id}`, currency: 'EUR', timezone: 'UTC' } });
    await ok('mutation($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { status } } }', {
      input: { externalId: `sub_${id}`, externalCustomerId: `cus_${id}`, planCode, subscriptionAt: '2026-01-01T00:00:00Z' },
    });
  }
  // Before the current period: 2.5 × 2 (prorated spec) and 5 (in-advance spec), in February.
  await server.advanceClock('2026-02-10T12:00:00Z');
  await send('prorated', 'seats_prorated', [['2026-02-10T00:00:00Z', 2.5], ['2026-02-10T00:00:00Z', 2.5]]);
  await send('in_advance', 'seats_in_advance', [['2026-02-10T00:00:00Z', 5]]);
  // In March: 12 × 2 on the 26th (6 days to the end of a 31-day period); +6 then −2 (a cache of current 4, max 6).
  await server.advanceClock('2026-03-27T00:00:00Z');
  await send('prorated', 'seats_prorated', [['2026-03-26T00:00:00Z', 12], ['2026-03-26T00:00:00Z', 12]]);
  await send('in_advance', 'seats_in_advance', [['2026-03-03T00:00:00Z', 6]]);
  await send('in_advance', 'seats_in_advance', [['2026-03-05T00:00:00Z', -2]]);
});

afterAll(async () => server.close());

describe('current usage as Lago computes it', () => {
  it('prices a prorated SUM charge on its prorated units and shows its full units: 5 + 2 × 12 × 6/31 → 9.64517, 29', async () => {
    const usage = await usageOf('prorated');
    expect(usage).toMatchObject({ fromDatetime: '2026-03-01T00:00:00.000Z', toDatetime: '2026-03-31T23:59:59.999Z' });
    const [charge] = usage.chargesUsage;
    expect(charge).toMatchObject({ units: '29', eventsCount: 4, amountCents: '965' });
    expect(charge!.details[0]).toMatchObject({ units: '29', details: { model: 'STANDARD', units: '9.64517' } });
    expect(usage.amountCents).toBe('965');
  });

  it('prices a pay-in-advance SUM charge on total − cached current + cached max: 9 − 4 + 6 = 11, showing 9', async () => {
    const usage = await usageOf('in_advance');
    const [charge] = usage.chargesUsage;
    expect(charge).toMatchObject({ units: '9', eventsCount: 3, amountCents: '1100' });
    expect(charge!.details[0]).toMatchObject({ units: '9', details: { model: 'STANDARD', units: '11' } });
  });

  it('keeps the period end as the proration window end, not now: the same usage later in the period', async () => {
    await server.advanceClock('2026-03-30T00:00:00Z');
    expect((await usageOf('prorated')).chargesUsage[0]).toMatchObject({ units: '29', amountCents: '965' });
    // A new period: March's events are now history (in full), nothing prorated any more.
    await server.advanceClock('2026-04-02T00:00:00Z');
    const april = await usageOf('prorated');
    expect(april.chargesUsage[0]).toMatchObject({ units: '29', eventsCount: 4, amountCents: '2900' });
    // The in-advance cache is per period: April starts without one, priced on the total.
    expect((await usageOf('in_advance')).chargesUsage[0]).toMatchObject({ units: '9', amountCents: '900' });
  });
});

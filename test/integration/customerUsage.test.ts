import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';

const NOW = '2030-03-10T12:00:00.000Z';
const CREATE_EVENTS = 'mutation($input: CreateEventsInput!) { createEvents(input: $input) { acceptedCount duplicateCount rejectedCount } }';
const USAGE_FIELDS = `fromDatetime toDatetime issuingDate currency amountCents taxesAmountCents totalAmountCents
  chargesUsage { units eventsCount amountCents charge { id chargeModel } billableMetric { code aggregationType }
    filters { units eventsCount amountCents values } groupedUsage { units eventsCount amountCents groupedBy } }`;
const USAGE = `query($c: String!, $s: String!) { customerUsage(externalCustomerId: $c, externalSubscriptionId: $s, waitForEvents: true) { ${USAGE_FIELDS} } }`;

type ChargeUsage = {
  units: string;
  eventsCount: number;
  amountCents: string;
  charge: { id: string; chargeModel: string };
  billableMetric: { code: string; aggregationType: string };
  filters: { units: string; eventsCount: number; amountCents: string; values: Record<string, string[]> }[];
  groupedUsage: { units: string; eventsCount: number; amountCents: string; groupedBy: Record<string, string | null> }[];
};
type Usage = { fromDatetime: string; toDatetime: string; issuingDate: string; currency: string; amountCents: string; taxesAmountCents: string; totalAmountCents: string; chargesUsage: ChargeUsage[] };

let server: TestServer;

async function ok<T = Record<string, never>>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const result = await server.gql<T>(query, variables);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data!;
}

async function usageOf(customer: string, subscription: string): Promise<Usage> {
  return (await ok<{ customerUsage: Usage }>(USAGE, { c: customer, s: subscription })).customerUsage;
}

async function subscribe(id: string, subscriptionAt: string, plan = 'everything') {
  await ok('mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { externalId } } }', { input: { externalId: `cus_${id}`, currency: 'EUR', timezone: 'UTC' } });
  await ok('mutation($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { status } } }', {
    input: { externalId: `sub_${id}`, externalCustomerId: `cus_${id}`, planCode: plan, subscriptionAt },
  });
}

const send = (events: Record<string, unknown>[]) => ok<{ createEvents: { acceptedCount: number; duplicateCount: number; rejectedCount: number } }>(CREATE_EVENTS, { input: { events } });

beforeAll(async () => {
  server = await startTestServer({ CLOCK: 'manual' });
  await server.advanceClock(NOW);
  await ok('mutation { createTax(input: {code: "vat", name: "VAT", rate: "20"}) { tax { code } } }');
  const metric = (input: Record<string, unknown>) => ok('mutation($input: CreateBillableMetricInput!) { createBillableMetric(input: $input) { billableMetric { code } } }', { input });
  await metric({ code: 'calls', name: 'Calls', aggregationType: 'COUNT', filters: [{ key: 'region', values: ['eu', 'us'] }] });
  await metric({ code: 'bytes', name: 'Bytes', aggregationType: 'SUM', fieldName: 'bytes' });
  await metric({ code: 'peak', name: 'Peak', aggregationType: 'MAX', fieldName: 'bytes' });
  await metric({ code: 'seats', name: 'Seats', aggregationType: 'UNIQUE_COUNT', fieldName: 'seat' });
  await metric({ code: 'last', name: 'Last', aggregationType: 'LATEST', fieldName: 'bytes' });
  await metric({ code: 'storage', name: 'Storage', aggregationType: 'WEIGHTED_SUM', fieldName: 'gb', weightedInterval: 'SECONDS' });
  const plan = (code: string, charges: Record<string, unknown>[], taxCodes: string[] = []) =>
    ok('mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { code } } }', { input: { code, name: code, interval: 'MONTHLY', amountCents: '0', amountCurrency: 'EUR', taxCodes, charges } });
  await plan('everything', [
    { billableMetricCode: 'calls', chargeModel: 'STANDARD', properties: { amount: '0.5' }, filters: [{ values: { region: ['eu'] }, properties: { amount: '1' } }] },
    { billableMetricCode: 'bytes', chargeModel: 'GRADUATED', properties: { graduatedRanges: [{ fromValue: 0, toValue: 10, perUnitAmount: '1', flatAmount: '0' }, { fromValue: 11, toValue: null, perUnitAmount: '0.5', flatAmount: '2' }] } },
    { billableMetricCode: 'bytes', chargeModel: 'STANDARD', properties: { amount: '2', pricingGroupKeys: ['tenant'] } },
    { billableMetricCode: 'bytes', chargeModel: 'PERCENTAGE', properties: { rate: '10', fixedAmount: '0.5', freeUnitsPerEvents: 1 } },
    { billableMetricCode: 'bytes', chargeModel: 'GRADUATED_PERCENTAGE', properties: { graduatedPercentageRanges: [{ fromValue: 0, toValue: 10, rate: '1', flatAmount: '0.1' }, { fromValue: 11, toValue: null, rate: '2', flatAmount: '0' }] } },
    { billableMetricCode: 'bytes', chargeModel: 'DYNAMIC', properties: {} },
    { billableMetricCode: 'peak', chargeModel: 'VOLUME', properties: { volumeRanges: [{ fromValue: 0, toValue: 10, perUnitAmount: '2', flatAmount: '1' }, { fromValue: 11, toValue: null, perUnitAmount: '1', flatAmount: '0' }] } },
    { billableMetricCode: 'seats', chargeModel: 'PACKAGE', properties: { amount: '10', packageSize: 2, freeUnits: 0 } },
    { billableMetricCode: 'last', chargeModel: 'STANDARD', properties: { amount: '1' } },
    { billableMetricCode: 'storage', chargeModel: 'STANDARD', properties: { amount: '1' } },
  ], ['vat']);
  await plan('calls_only', [{ billableMetricCode: 'calls', chargeModel: 'STANDARD', properties: { amount: '1' } }]);
  await plan('free_bytes', [{ billableMetricCode: 'bytes', chargeModel: 'PERCENTAGE', properties: { rate: '10', freeUnitsPerTotalAggregation: '30' } }]);
});

afterAll(async () => server.close());

describe('current usage through GraphQL', () => {
  it('prices every aggregation type and charge model from the ingested events', async () => {
    await subscribe('all', '2030-03-01T00:00:00Z');
    const e = (transactionId: string, code: string, timestamp: string, properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
      transactionId, externalSubscriptionId: 'sub_all', code, timestamp, properties, ...extra,
    });
    const result = await send([
      ...['eu', 'eu', 'eu', 'us', 'us', 'mars'].map((region, i) => e(`c${i}`, 'calls', '2030-03-02T00:00:00Z', { region })),
      e('b1', 'bytes', '2030-03-02T00:00:00Z', { bytes: '10', tenant: 'a' }, { preciseTotalAmountCents: '123.4' }),
      e('b2', 'bytes', '2030-03-03T00:00:00Z', { bytes: '5', tenant: 'b' }, { preciseTotalAmountCents: '10' }),
      e('b3', 'bytes', '2030-03-04T00:00:00Z', { bytes: '10', tenant: 'a' }, { preciseTotalAmountCents: '0.6' }),
      ...['3', '12', '7'].map((bytes, i) => e(`p${i}`, 'peak', '2030-03-02T00:00:00Z', { bytes })),
      ...['s1', 's2', 's3', 's4'].map((seat, i) => e(`s${i}`, 'seats', '2030-03-02T00:00:00Z', { seat })),
      e('s-remove', 'seats', '2030-03-03T00:00:00Z', { seat: 's2', operation_type: 'remove' }),
      e('l1', 'last', '2030-03-02T00:00:00Z', { bytes: '4' }),
      e('l2', 'last', '2030-03-05T00:00:00Z', { bytes: '9' }),
      e('l3', 'last', '2030-03-03T00:00:00Z', { bytes: '6' }),
      e('g1', 'storage', '2030-03-01T00:00:00Z', { gb: '10' }),
      e('g2', 'storage', '2030-03-09T00:00:00Z', { gb: '31' }),
    ]);
    expect(result.createEvents).toEqual({ acceptedCount: 22, duplicateCount: 0, rejectedCount: 0 });

    const usage = await usageOf('cus_all', 'sub_all');
    const byModel = (code: string, model: string) => usage.chargesUsage.find((c) => c.billableMetric.code === code && c.charge.chargeModel === model)!;
    expect(usage).toMatchObject({ fromDatetime: '2030-03-01T00:00:00.000Z', toDatetime: '2030-03-31T23:59:59.999Z', issuingDate: '2030-03-31', currency: 'EUR' });

    // COUNT, STANDARD with a filter: 3 eu events at 1 €, 3 others (us, and an undeclared value) at 0.50 €.
    const calls = byModel('calls', 'STANDARD');
    expect(calls).toMatchObject({ units: '6', eventsCount: 6, amountCents: '450' });
    expect(calls.filters.find((f) => f.values.region?.includes('eu'))).toMatchObject({ units: '3', eventsCount: 3, amountCents: '300' });
    // SUM 25, GRADUATED: 10 × 1 € + 15 × 0.50 € + 2 € flat.
    expect(byModel('bytes', 'GRADUATED')).toMatchObject({ units: '25', eventsCount: 3, amountCents: '1950' });
    // SUM grouped by tenant: a = 20, b = 5, at 2 € each.
    const grouped = byModel('bytes', 'STANDARD');
    expect(grouped.amountCents).toBe('5000');
    expect(grouped.groupedUsage.map((g) => [g.groupedBy.tenant, g.units, g.amountCents]).sort()).toEqual([['a', '20', '4000'], ['b', '5', '1000']]);
    // PERCENTAGE 10 % + 0.50 € per event, the first event free: (25 − 10) × 10 % + 2 × 0.50 €.
    expect(byModel('bytes', 'PERCENTAGE')).toMatchObject({ units: '25', amountCents: '250' });
    // GRADUATED_PERCENTAGE: 10 × 1 % + 0.10 € flat, then 15 × 2 %.
    expect(byModel('bytes', 'GRADUATED_PERCENTAGE')).toMatchObject({ units: '25', amountCents: '50' });
    // DYNAMIC: Σ preciseTotalAmountCents = 134 cents.
    expect(byModel('bytes', 'DYNAMIC')).toMatchObject({ units: '25', amountCents: '134' });
    // MAX 12, VOLUME: the 11+ tier for all 12 units at 1 €.
    expect(byModel('peak', 'VOLUME')).toMatchObject({ units: '12', eventsCount: 3, amountCents: '1200' });
    // UNIQUE_COUNT: s1..s4 added, s2 removed = 3; PACKAGE of 2 at 10 € → 2 packages.
    expect(byModel('seats', 'PACKAGE')).toMatchObject({ units: '3', amountCents: '2000' });
    // LATEST by timestamp (not arrival): 9.
    expect(byModel('last', 'STANDARD')).toMatchObject({ units: '9', eventsCount: 3, amountCents: '900' });
    // WEIGHTED_SUM: 10 GB the whole month, 31 GB more for the last 23 of its 31 days → 10 + 23 = 33.
    expect(byModel('storage', 'STANDARD')).toMatchObject({ units: '33', amountCents: '3300' });

    expect(usage).toMatchObject({ amountCents: '15234', taxesAmountCents: '3047', totalAmountCents: '18281' });
  });

  it('counts duplicates once: within a batch, across batches, and sent concurrently', async () => {
    await subscribe('dup', '2030-03-01T00:00:00Z', 'calls_only');
    const e = (transactionId: string) => ({ transactionId, externalSubscriptionId: 'sub_dup', code: 'calls', timestamp: '2030-03-05T00:00:00Z', properties: {} });
    expect((await send([e('t1'), e('t2'), e('t1')])).createEvents).toEqual({ acceptedCount: 2, duplicateCount: 1, rejectedCount: 0 });
    expect((await send([e('t2'), e('t3')])).createEvents).toEqual({ acceptedCount: 1, duplicateCount: 1, rejectedCount: 0 });
    const concurrent = await Promise.all(Array.from({ length: 6 }, () => send([e('t4'), e('t5'), e('t3')])));
    expect(concurrent.reduce((n, r) => n + r.createEvents.acceptedCount, 0)).toBe(2);
    const usage = await usageOf('cus_dup', 'sub_dup');
    expect(usage.chargesUsage[0]).toMatchObject({ units: '5', eventsCount: 5, amountCents: '500' });
  });

  it('places a late event in the period of its timestamp, not the period it arrives in', async () => {
    await subscribe('late', '2030-02-01T00:00:00Z', 'calls_only');
    const e = (transactionId: string, timestamp: string) => ({ transactionId, externalSubscriptionId: 'sub_late', code: 'calls', timestamp, properties: {} });
    await send([e('feb', '2030-02-25T10:00:00Z'), e('mar', '2030-03-09T10:00:00Z')]);
    const current = await usageOf('cus_late', 'sub_late');
    expect(current.chargesUsage[0]).toMatchObject({ units: '1', eventsCount: 1 });
    const past = await ok<{ pastUsage: Usage[] }>(`query { pastUsage(externalCustomerId: "cus_late", externalSubscriptionId: "sub_late") { ${USAGE_FIELDS} } }`);
    expect(past.pastUsage.map((u) => [u.fromDatetime, u.chargesUsage[0]?.units])).toEqual([['2030-02-01T00:00:00.000Z', '1']]);
  });

  it('re-folds in time order when a late negative value moves the free-units crossing past discarded events', async () => {
    await subscribe('free', '2030-03-01T00:00:00Z', 'free_bytes');
    const e = (transactionId: string, timestamp: string, bytes: string) => ({ transactionId, externalSubscriptionId: 'sub_free', code: 'bytes', timestamp, properties: { bytes } });
    await send(['02', '03', '04', '05'].map((day) => e(`d${day}`, `2030-03-${day}T00:00:00Z`, '12')));
    // 48 units, the first 30 free (the running total crosses 30 on the third event): 18 × 10 %.
    expect((await usageOf('cus_free', 'sub_free')).chargesUsage[0]).toMatchObject({ units: '48', amountCents: '180' });
    await send([e('late', '2030-03-01T12:00:00Z', '-20')]);
    // In time order: −20, −8, 4, 16, 28 never exceeds 30, so all 28 units are free.
    expect((await usageOf('cus_free', 'sub_free')).chargesUsage[0]).toMatchObject({ units: '28', amountCents: '0' });
  });

  it('answers NOT_FOUND for a subscription the customer does not have', async () => {
    const result = await server.gql(USAGE, { c: 'cus_all', s: 'sub_dup' });
    expect(result.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('live usage over websockets', () => {
  it('pushes the current usage on subscribe, then the updated usage after an ingest', async () => {
    await subscribe('live', '2030-03-01T00:00:00Z', 'calls_only');
    const client = server.ws(server.apiKey);
    const pushes: Usage[] = [];
    const received = new Promise<void>((resolve, reject) => {
      client.subscribe<{ customerUsageUpdated: Usage }>(
        { query: `subscription { customerUsageUpdated(externalCustomerId: "cus_live", externalSubscriptionId: "sub_live") { ${USAGE_FIELDS} } }` },
        {
          next: ({ data, errors }) => {
            if (errors) return reject(new Error(JSON.stringify(errors)));
            pushes.push(data!.customerUsageUpdated);
            if (pushes.at(-1)!.chargesUsage[0]?.units === '3') resolve();
          },
          error: reject,
          complete: () => {},
        },
      );
    });
    await expect.poll(() => pushes.length).toBe(1);
    expect(pushes[0]!.chargesUsage[0]).toMatchObject({ units: '0', amountCents: '0' });
    const e = (transactionId: string) => ({ transactionId, externalSubscriptionId: 'sub_live', code: 'calls', timestamp: '2030-03-09T00:00:00Z', properties: {} });
    await send([e('w1'), e('w2')]);
    await send([e('w3'), e('w2')]);
    await received;
    // Coalesced: never more pushes than ingests, and every push after the first reflects acknowledged events only.
    expect(pushes.length).toBeLessThanOrEqual(3);
    expect(pushes.at(-1)!.chargesUsage[0]).toMatchObject({ units: '3', eventsCount: 3, amountCents: '300' });
  });

  it('refuses a subscription the customer does not have with NOT_FOUND', async () => {
    const client = server.ws(server.apiKey);
    const error = await new Promise<unknown>((resolve) => {
      client.subscribe(
        { query: 'subscription { customerUsageUpdated(externalCustomerId: "cus_live", externalSubscriptionId: "nope") { amountCents } }' },
        { next: ({ errors }) => resolve(errors), error: resolve, complete: () => resolve(null) },
      );
    });
    expect(JSON.stringify(error)).toContain('NOT_FOUND');
  });
});

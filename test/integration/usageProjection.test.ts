import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFOLD_PAGE } from '../../projections/usage.ts';
import { UsageCatalog } from '../../projections/usageCatalog.ts';
import { generationOf, generationPrefix, readPeriods, subjectKey, type PeriodUsage } from '../../projections/usageStore.ts';
import { emptyUsageDocument, foldUsageEvents, locate, parseUsageDocumentId } from '../../src/billing/usage/meter.ts';
import type { IngestedUsageEvent, UsageDocument } from '../../src/billing/usage/types.ts';
import { organizationIdOf } from '../support/catalog.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const NOW = '2030-03-10T12:00:00.000Z';
const CREATE_EVENTS = 'mutation($input: CreateEventsInput!) { createEvents(input: $input) { acceptedCount duplicateCount rejectedCount } }';

type SentEvent = { transactionId: string; externalSubscriptionId: string; code: string; timestamp: string; properties: Record<string, unknown> };

let server: TestServer;
let organizationId: string;
let runs = 0;

async function ok(query: string, variables: Record<string, unknown> = {}) {
  const result = await server.gql(query, variables);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data as Record<string, never>;
}

beforeAll(async () => {
  // Small re-fold pages: a re-fold takes many steps, so queries meet it half done.
  server = await startTestServer({ CLOCK: 'manual', USAGE_REFOLD_PAGE: '100' });
  organizationId = await organizationIdOf(server);
  await server.advanceClock(NOW);
  const metric = (input: Record<string, unknown>) => ok('mutation($input: CreateBillableMetricInput!) { createBillableMetric(input: $input) { billableMetric { code } } }', { input });
  await metric({ code: 'calls', name: 'Calls', aggregationType: 'COUNT', filters: [{ key: 'region', values: ['eu', 'us'] }] });
  await metric({ code: 'bytes', name: 'Bytes', aggregationType: 'SUM', fieldName: 'bytes' });
  await metric({ code: 'peak', name: 'Peak', aggregationType: 'MAX', fieldName: 'bytes' });
  await metric({ code: 'seats', name: 'Seats', aggregationType: 'UNIQUE_COUNT', fieldName: 'seat', recurring: true });
  await metric({ code: 'storage', name: 'Storage', aggregationType: 'WEIGHTED_SUM', fieldName: 'gb', recurring: true, weightedInterval: 'SECONDS' });
  await metric({ code: 'disk', name: 'Disk', aggregationType: 'SUM', fieldName: 'gb', recurring: true, filters: [{ key: 'region', values: ['eu', 'us'] }] });
  await ok('mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { code } } }', {
    input: {
      code: 'metered', name: 'Metered', interval: 'MONTHLY', amountCents: '0', amountCurrency: 'EUR',
      charges: [
        { billableMetricCode: 'calls', chargeModel: 'STANDARD', properties: { amount: '1' }, filters: [{ values: { region: ['eu'] }, properties: { amount: '2' } }] },
        { billableMetricCode: 'bytes', chargeModel: 'STANDARD', properties: { amount: '1', pricingGroupKeys: ['tenant'] } },
        { billableMetricCode: 'peak', chargeModel: 'STANDARD', properties: { amount: '1' } },
        { billableMetricCode: 'seats', chargeModel: 'STANDARD', properties: { amount: '1' } },
        { billableMetricCode: 'storage', chargeModel: 'STANDARD', properties: { amount: '1' } },
        // What the fold keeps for Lago's current usage: the cached aggregation of pay-in-advance SUM / UNIQUE_COUNT
        // charges (per filter and pricing group, in log order), days of prorated SUM charges, events of a prorated
        // GRADUATED one.
        { billableMetricCode: 'bytes', chargeModel: 'STANDARD', payInAdvance: true, invoiceable: false, properties: { amount: '1', pricingGroupKeys: ['tenant'] } },
        { billableMetricCode: 'seats', chargeModel: 'STANDARD', payInAdvance: true, invoiceable: false, properties: { amount: '1' } },
        {
          billableMetricCode: 'disk', chargeModel: 'STANDARD', payInAdvance: true, prorated: true, invoiceable: false, properties: { amount: '1' },
          filters: [{ values: { region: ['eu'] }, properties: { amount: '2' } }],
        },
        {
          billableMetricCode: 'disk', chargeModel: 'GRADUATED', prorated: true,
          properties: { graduatedRanges: [{ fromValue: 0, toValue: 10, perUnitAmount: '1', flatAmount: '0' }, { fromValue: 11, toValue: null, perUnitAmount: '0.5', flatAmount: '0' }] },
        },
      ],
    },
  });
});

afterAll(async () => server.close());

/** A fresh customer (New York time: periods turn at 05:00Z) and a subscription started mid-January. */
async function newSubscription(timezone = 'America/New_York'): Promise<string> {
  runs += 1;
  const externalId = `sub_${runs}`;
  await ok('mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { externalId } } }', { input: { externalId: `cus_${runs}`, currency: 'EUR', timezone } });
  await ok('mutation($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { status } } }', {
    input: { externalId, externalCustomerId: `cus_${runs}`, planCode: 'metered', subscriptionAt: '2030-01-15T12:00:00Z' },
  });
  return externalId;
}

/** What the read model holds for the subscription: its current generation's periods, with UNIQUE_COUNT values. */
async function storedUsage(externalSubscriptionId: string): Promise<Comparable[]> {
  const { readModels } = server.system.app.deps;
  const generation = await generationOf(readModels, organizationId, externalSubscriptionId);
  const periods = await readPeriods(readModels, generationPrefix(subjectKey(organizationId, externalSubscriptionId), generation), { uniqueValues: true });
  return periods.map(comparableStored);
}

/**
 * Usage folded from scratch, all events at once in log order (the in-advance entries are Lago's cache, built in the
 * order events are billed), with the catalog as it is now: what the projection must equal.
 */
async function recomputedUsage(externalSubscriptionId: string, events: readonly SentEvent[]) {
  const catalog = await UsageCatalog.load(server.system.app.deps.readModels, organizationId, [externalSubscriptionId]);
  const docs = new Map<string, UsageDocument>();
  const grouped = new Map<string, { doc: UsageDocument; ctx: NonNullable<ReturnType<UsageCatalog['contextFor']>>; events: IngestedUsageEvent[] }>();
  for (const event of events) {
    const ctx = catalog.contextFor(event.externalSubscriptionId, event.code, event.timestamp);
    const location = ctx && locate(ctx, event.timestamp);
    if (!ctx || !location) continue;
    const entry = grouped.get(location.id) ?? { doc: emptyUsageDocument(ctx, location), ctx, events: [] };
    entry.events.push({ ...event, organizationId, preciseTotalAmountCents: null, ingestedAt: NOW });
    grouped.set(location.id, entry);
  }
  for (const [id, { doc, ctx, events: own }] of grouped) docs.set(id, foldUsageEvents(doc, ctx, own, 1n));
  return [...docs.values()].map(comparableFolded);
}

/** What must not depend on batching or storage: each period's buckets (states, counts) and in-advance entries, keyed by its period. */
type Comparable = { id: string; from: string; eventsCount: number; buckets: UsageDocument['buckets']; inAdvance: UsageDocument['inAdvance'] };
const comparableStored = (period: PeriodUsage): Comparable => ({
  id: JSON.stringify([period.subscriptionId, period.metricCode, period.from]),
  from: period.from,
  eventsCount: period.eventsCount,
  buckets: period.buckets,
  inAdvance: period.inAdvance,
});
function comparableFolded(doc: UsageDocument): Comparable {
  const ref = parseUsageDocumentId(doc._id);
  return { id: JSON.stringify([ref.subscriptionId, ref.metricCode, ref.from]), from: doc.from, eventsCount: doc.eventsCount, buckets: doc.buckets, inAdvance: doc.inAdvance };
}

/** The events of a send sequence as the log holds them: each once, where it was first accepted. */
function inLogOrder(sent: readonly SentEvent[]): SentEvent[] {
  const seen = new Set<string>();
  return sent.filter((e) => !seen.has(e.transactionId) && seen.add(e.transactionId));
}
const byId = (docs: Comparable[]) => [...docs].sort((a, b) => a.id.localeCompare(b.id));

const eventArbitrary = (externalSubscriptionId: string) =>
  fc.record({
    code: fc.constantFrom('calls', 'bytes', 'peak', 'seats', 'storage', 'disk'),
    // From 34 days back (across the February / March boundary) to now.
    secondsAgo: fc.integer({ min: 0, max: 34 * 86_400 }),
    region: fc.constantFrom('eu', 'us', 'mars', undefined),
    tenant: fc.constantFrom('a', 'b', undefined),
    bytes: fc.integer({ min: -2_000, max: 10_000 }).map((n) => (n / 100).toFixed(2)),
    seat: fc.constantFrom('s1', 's2', 's3'),
    operation: fc.constantFrom('add', 'add', 'remove'),
  }).map((e) => ({
    externalSubscriptionId,
    code: e.code,
    timestamp: new Date(Date.parse(NOW) - e.secondsAgo * 1000).toISOString(),
    properties: Object.fromEntries(
      Object.entries({ region: e.region, tenant: e.tenant, bytes: e.bytes, gb: e.bytes, seat: e.seat, operation_type: e.operation }).filter(([, v]) => v !== undefined),
    ),
  }));

async function send(events: readonly SentEvent[]) {
  const data = await ok(CREATE_EVENTS, { input: { events } });
  expect((data.createEvents as unknown as { rejectedCount: number }).rejectedCount).toBe(0);
}

describe('usage projection', () => {
  it('any shuffle, any split into batches and any re-send gives the usage of one fold of the distinct events', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.context(),
        fc.integer({ min: 1, max: 60 }).chain((n) => fc.tuple(fc.constant(n), fc.array(fc.nat({ max: n }), { maxLength: 6 }), fc.array(fc.nat({ max: n - 1 }), { maxLength: 10 }))),
        fc.integer(),
        async (log, [count, cuts, resent], seed) => {
          const externalId = await newSubscription();
          const events = fc.sample(eventArbitrary(externalId), { numRuns: count, seed }).map((e, i) => ({ ...e, transactionId: `tx_${i}` }));
          const shuffled = fc.sample(fc.shuffledSubarray(events, { minLength: events.length }), { numRuns: 1, seed })[0]!;
          const sent = [...shuffled, ...resent.map((i) => events[i]!)];
          const bounds = [0, ...[...new Set(cuts)].sort((a, b) => a - b), sent.length];
          log.log(`batches at ${bounds.join(',')}`);
          for (let i = 0; i + 1 < bounds.length; i++) if (bounds[i]! < bounds[i + 1]!) await send(sent.slice(bounds[i], bounds[i + 1]));
          await server.settle();
          expect(byId(await storedUsage(externalId))).toEqual(byId(await recomputedUsage(externalId, inLogOrder(sent))));
        },
      ),
      { numRuns: 25 },
    );
  });

  it('counts a re-sent event once and places a late event in the period of its timestamp (customer time)', async () => {
    const externalId = await newSubscription();
    // 2030-03-01T03:00Z is still February 28th in New York: the February period, though it arrives in March.
    const late = { transactionId: 'late', externalSubscriptionId: externalId, code: 'calls', timestamp: '2030-03-01T03:00:00Z', properties: { region: 'eu' } };
    const current = { ...late, transactionId: 'now', timestamp: '2030-03-09T00:00:00Z' };
    await send([late, current, late]);
    await send([late]);
    await server.settle();
    const docs = await storedUsage(externalId);
    expect(docs.map((d) => [d.from, d.eventsCount]).sort()).toEqual([
      ['2030-02-01T05:00:00.000Z', 1],
      ['2030-03-01T05:00:00.000Z', 1],
    ]);
  });

  it('re-folds the events when the customer timezone changes, so they move to the periods of the new zone', async () => {
    const externalId = await newSubscription('UTC');
    const events = [
      { transactionId: 't1', externalSubscriptionId: externalId, code: 'bytes', timestamp: '2030-03-01T03:00:00Z', properties: { bytes: '5', tenant: 'a' } },
      { transactionId: 't2', externalSubscriptionId: externalId, code: 'bytes', timestamp: '2030-03-02T03:00:00Z', properties: { bytes: '7', tenant: 'b' } },
    ];
    await send(events);
    await server.settle();
    expect((await storedUsage(externalId)).map((d) => d.from)).toEqual(['2030-03-01T00:00:00.000Z']);

    await ok('mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { externalId } } }', { input: { externalId: `cus_${runs}`, currency: 'EUR', timezone: 'America/New_York' } });
    await server.settle();
    const moved = byId(await storedUsage(externalId));
    expect(moved.map((d) => [d.from, d.eventsCount])).toEqual([
      ['2030-02-01T05:00:00.000Z', 1],
      ['2030-03-01T05:00:00.000Z', 1],
    ]);
    expect(moved).toEqual(byId(await recomputedUsage(externalId, events)));
  });

  it('re-folds a history longer than one page in the background, to the usage of one fold, and customerUsage waits for its own re-fold', async () => {
    const externalId = await newSubscription('UTC');
    const count = 2 * REFOLD_PAGE + 1_234; // 53 pages of 100
    const codes = ['calls', 'bytes', 'peak', 'seats', 'storage', 'disk'];
    const events = Array.from({ length: count }, (_, i) => ({
      transactionId: `bulk_${i}`,
      externalSubscriptionId: externalId,
      code: codes[i % codes.length]!,
      // Spread over 30 days back from now, out of order, so the zone change moves events across the period boundary.
      timestamp: new Date(Date.parse(NOW) - ((i * 7_919) % (30 * 86_400)) * 1000).toISOString(),
      properties: { region: i % 3 ? 'eu' : 'us', tenant: i % 2 ? 'a' : 'b', bytes: String(i % 97), gb: String((i % 7) - 3), seat: `s${i % 5}` },
    }));
    for (let start = 0; start < count; start += 5_000) await send(events.slice(start, start + 5_000));
    await server.settle();
    const before = await generationOf(server.system.app.deps.readModels, organizationId, externalId);

    // A timezone change re-folds every event of the subscription, a page at a time, into the next generation.
    await ok('mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { externalId } } }', { input: { externalId: `cus_${runs}`, currency: 'EUR', timezone: 'Asia/Tokyo' } });
    // No settle: the query waits until its own subscription is re-folded, and answers with the new periods.
    const current = () =>
      server.gql<{ customerUsage: { fromDatetime: string; chargesUsage: { eventsCount: number }[] } }>(
        `{ customerUsage(externalCustomerId: "cus_${runs}", externalSubscriptionId: "${externalId}", waitForEvents: true) { fromDatetime chargesUsage { eventsCount } } }`,
      );
    const usage = await current();
    expect(usage.errors).toBeUndefined();
    expect(usage.data!.customerUsage.fromDatetime).toBe('2030-02-28T15:00:00.000Z');
    const counted = usage.data!.customerUsage.chargesUsage.reduce((sum, c) => sum + c.eventsCount, 0);
    expect(counted).toBeGreaterThan(0);

    await server.settle();
    expect((await current()).data).toEqual(usage.data);
    const refolded = byId(await storedUsage(externalId));
    expect(refolded.reduce((sum, doc) => sum + doc.eventsCount, 0)).toBe(count);
    expect(refolded).toEqual(byId(await recomputedUsage(externalId, events)));
    expect(await generationOf(server.system.app.deps.readModels, organizationId, externalId)).toBeGreaterThan(before);
    // The discarded generation's documents are deleted once the new one is in place.
    const prefix = generationPrefix(subjectKey(organizationId, externalId), before);
    expect(await server.system.app.deps.readModels.collection('usageBuckets').count({ _id: { $gte: prefix, $lt: `${prefix}\u007f` } })).toBe(0);
  });

  it('counts events sent before their subscription existed once it starts', async () => {
    runs += 1;
    const externalId = `sub_${runs}`;
    await send([{ transactionId: 'early', externalSubscriptionId: externalId, code: 'calls', timestamp: '2030-03-05T00:00:00Z', properties: {} }]);
    await server.settle();
    expect(await storedUsage(externalId)).toEqual([]);
    await ok('mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { externalId } } }', { input: { externalId: `cus_${runs}`, currency: 'EUR' } });
    await ok('mutation($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { status } } }', {
      input: { externalId, externalCustomerId: `cus_${runs}`, planCode: 'metered', subscriptionAt: '2030-03-01T00:00:00Z' },
    });
    await server.settle();
    expect((await storedUsage(externalId)).map((d) => d.eventsCount)).toEqual([1]);
  });
});

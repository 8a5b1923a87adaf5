import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOtherOrganization, createPlanWith } from '../support/catalog.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const CREATE_EVENTS = `mutation($events: [UsageEventInput!]!) { createEvents(input: {events: $events}) {
  acceptedCount duplicateCount rejectedCount outcomes { index transactionId status errorCode message warnings { code } } } }`;
const CREATE_EVENT = `mutation($input: UsageEventInput!) { createEvent(input: $input) { outcome { status errorCode warnings { code } } } }`;
const EVENTS = `query($sub: String, $first: Int) { events(externalSubscriptionId: $sub, first: $first) { edges { node {
  transactionId code timestamp properties billableMetric { code } subscription { externalId } } } } }`;

type Outcome = { index: number; transactionId: string | null; status: string; errorCode: string | null; warnings: { code: string }[] };
type Batch = { createEvents: { acceptedCount: number; duplicateCount: number; rejectedCount: number; outcomes: Outcome[] } };
type Listed = { events: { edges: { node: { transactionId: string; code: string; timestamp: string; properties: Record<string, unknown>; billableMetric: { code: string } | null; subscription: { externalId: string } | null } }[] } };

describe('event ingestion over GraphQL', () => {
  let server: TestServer;
  const ev = (transactionId: string, extra: Record<string, unknown> = {}) => ({ transactionId, externalSubscriptionId: 'sub1', code: 'storage', properties: { gb: '1.5' }, ...extra });
  const send = async (events: unknown[], key?: string) => {
    const result = await server.gql<Batch>(CREATE_EVENTS, { events }, key);
    expect(result.errors).toBeUndefined();
    return result.data!.createEvents;
  };
  const listed = async (sub = 'sub1', key?: string) => {
    await server.settle();
    return (await server.gql<Listed>(EVENTS, { sub, first: 500 }, key)).data!.events;
  };

  beforeEach(async () => {
    server = await startTestServer({ CLOCK: 'manual' });
    await server.advanceClock('2030-03-10T12:00:00Z');
    await server.gql('mutation { createBillableMetric(input: {code: "storage", name: "Storage", aggregationType: SUM, fieldName: "gb"}) { billableMetric { code } } }');
    await createPlanWith(server, 'basic', [{ billableMetricCode: 'storage' }]);
    await server.gql('mutation { createCustomer(input: {externalId: "c1", currency: "EUR"}) { customer { externalId } } }');
    await server.gql('mutation { createSubscription(input: {externalId: "sub1", externalCustomerId: "c1", planCode: "basic", subscriptionAt: "2030-03-01T00:00:00Z"}) { subscription { status } } }');
  });
  afterEach(async () => server.close());

  it('accepts events and lists them with the metric and subscription they matched', async () => {
    const result = await send([ev('t1'), ev('t2', { timestamp: Date.UTC(2030, 2, 9, 12) / 1000 + 0.5 })]);
    expect(result).toMatchObject({ acceptedCount: 2, duplicateCount: 0, rejectedCount: 0 });
    expect(result.outcomes.map((o) => [o.transactionId, o.status, o.warnings])).toEqual([['t1', 'ACCEPTED', []], ['t2', 'ACCEPTED', []]]);
    const events = await listed();
    expect(events.edges.map((e) => e.node.transactionId)).toEqual(['t2', 't1']);
    const t2 = events.edges.find((e) => e.node.transactionId === 't2')!.node;
    expect(t2).toMatchObject({ code: 'storage', timestamp: '2030-03-09T12:00:00.500Z', properties: { gb: '1.5' }, billableMetric: { code: 'storage' }, subscription: { externalId: 'sub1' } });
  });

  it('counts a transactionId once: repeated within a batch, across batches, and sent concurrently', async () => {
    const first = await send([ev('a'), ev('b'), ev('a')]);
    expect(first.outcomes.map((o) => o.status)).toEqual(['ACCEPTED', 'ACCEPTED', 'DUPLICATE']);
    const second = await send([ev('b'), ev('c')]);
    expect(second.outcomes.map((o) => o.status)).toEqual(['DUPLICATE', 'ACCEPTED']);
    const concurrent = await Promise.all(Array.from({ length: 5 }, () => send([ev('d'), ev('e')])));
    expect(concurrent.reduce((sum, r) => sum + r.acceptedCount, 0)).toBe(2);
    expect((await listed()).edges.map((e) => e.node.transactionId).sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('rejects a bad event with its code while the rest of its batch is accepted, and stores nothing for it', async () => {
    const result = await send([
      ev('ok1'),
      ev('late', { timestamp: '2030-01-01T00:00:00Z' }),
      ev('future', { timestamp: '2030-03-10T12:06:00Z' }),
      ev('nan', { properties: { gb: 'lots' } }),
      { externalSubscriptionId: 'sub1', code: 'storage' },
      ev('ok2'),
    ]);
    expect(result.outcomes.map((o) => [o.index, o.status, o.errorCode])).toEqual([
      [0, 'ACCEPTED', null],
      [1, 'REJECTED', 'TIMESTAMP_OUT_OF_RANGE'],
      [2, 'REJECTED', 'TIMESTAMP_OUT_OF_RANGE'],
      [3, 'REJECTED', 'VALUE_NOT_DECIMAL'],
      [4, 'REJECTED', 'MISSING_FIELD'],
      [5, 'ACCEPTED', null],
    ]);
    const log = await server.system.app.deps.eventStore.readAll();
    expect(log.filter((e) => e.type === 'UsageEventIngested').map((e) => (e.data as { transactionId: string }).transactionId)).toEqual(['ok1', 'ok2']);
  });

  it('accepts events for a metric or subscription that does not exist yet, with warnings', async () => {
    const result = await send([ev('x1', { code: 'gpu_seconds' }), ev('x2', { externalSubscriptionId: 'sub_later' })]);
    expect(result.outcomes.map((o) => [o.status, o.warnings.map((w) => w.code)])).toEqual([
      ['ACCEPTED', ['METRIC_NOT_FOUND']],
      ['ACCEPTED', ['SUBSCRIPTION_NOT_FOUND']],
    ]);
    const later = (await listed('sub_later')).edges[0]!.node;
    expect(later.subscription).toBeNull();
  });

  it('ingests one event with createEvent', async () => {
    const result = await server.gql<{ createEvent: { outcome: { status: string } } }>(CREATE_EVENT, { input: ev('single') });
    expect(result.data?.createEvent.outcome.status).toBe('ACCEPTED');
    const again = await server.gql<{ createEvent: { outcome: { status: string } } }>(CREATE_EVENT, { input: ev('single') });
    expect(again.data?.createEvent.outcome.status).toBe('DUPLICATE');
  });

  it('refuses a batch over 10,000 events with VALIDATION and appends nothing', async () => {
    const head = await server.system.app.deps.eventStore.headPosition();
    const result = await server.gql(CREATE_EVENTS, { events: Array.from({ length: 10_001 }, (_, i) => ev(`big${i}`)) });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'VALIDATION', field: 'input.events' });
    expect(await server.system.app.deps.eventStore.headPosition()).toBe(head);
  });

  it('keeps transaction ids and events per organization', async () => {
    await send([ev('shared')]);
    const other = await createOtherOrganization(server);
    const theirs = await send([ev('shared')], other.key);
    expect(theirs.outcomes[0]?.status).toBe('ACCEPTED');
    expect((await listed('sub1', other.key)).edges.map((e) => e.node.subscription)).toEqual([null]);
    expect((await listed('sub1')).edges).toHaveLength(1);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { illFormedString } from '../../src/graphql/wellFormed.ts';
import { createPlanWith } from '../support/catalog.ts';
import { ADMIN_KEY, startTestServer, take, type TestServer } from '../support/server.ts';

/** A lone UTF-16 surrogate: JSON variables can carry one, `encodeURIComponent` (stream names) throws on it. */
const LONE = '\ud800';
const LONE_LOW = 'x\udc00y';

type Outcome = { index: number; status: string; errorCode: string | null; message: string | null };
const CREATE_EVENTS = 'mutation($events: [UsageEventInput!]!) { createEvents(input: {events: $events}) { acceptedCount rejectedCount outcomes { index status errorCode message } } }';

describe('well-formed input only: ill-formed Unicode is refused, naming the field, before anything is appended', () => {
  let server: TestServer;
  const head = async () => (await server.system.app.deps.eventStore.headPosition()) ?? 0n;

  beforeAll(async () => {
    server = await startTestServer();
    await server.gql('mutation { createBillableMetric(input: {code: "calls", name: "Calls", aggregationType: COUNT}) { billableMetric { code } } }');
    await createPlanWith(server, 'basic', [{ billableMetricCode: 'calls' }]);
    await server.gql('mutation { createCustomer(input: {externalId: "cus_1", currency: "EUR"}) { customer { externalId } } }');
    await server.gql('mutation { createSubscription(input: {externalId: "sub_1", externalCustomerId: "cus_1", planCode: "basic"}) { subscription { status } } }');
  });
  afterAll(async () => server.close());

  const refusals: [string, string, Record<string, unknown>, string, string?][] = [
    ['a metric code', 'mutation($input: CreateBillableMetricInput!) { createBillableMetric(input: $input) { billableMetric { code } } }', { code: LONE, name: 'X', aggregationType: 'COUNT' }, 'input.code'],
    ['a metric name', 'mutation($input: CreateBillableMetricInput!) { createBillableMetric(input: $input) { billableMetric { code } } }', { code: 'ok_code', name: LONE_LOW, aggregationType: 'COUNT' }, 'input.name'],
    ['a customer external id', 'mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { externalId } } }', { externalId: `cus_${LONE}` }, 'input.externalId'],
    ['a customer name', 'mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { externalId } } }', { externalId: 'cus_2', name: LONE_LOW }, 'input.name'],
    ['a customer metadata value', 'mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { externalId } } }', { externalId: 'cus_2', metadata: [{ key: 'k', value: LONE }] }, 'input.metadata.0.value'],
    ['a subscription external id', 'mutation($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { status } } }', { externalId: LONE, externalCustomerId: 'cus_1', planCode: 'basic' }, 'input.externalId'],
    ['a plan code in a subscription', 'mutation($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { status } } }', { externalId: 'sub_2', externalCustomerId: 'cus_1', planCode: LONE }, 'input.planCode'],
    ['a tax code', 'mutation($input: CreateTaxInput!) { createTax(input: $input) { tax { code } } }', { code: LONE, name: 'VAT', rate: '20' }, 'input.code'],
    [
      'a string value in charge properties (JSON)',
      'mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { code } } }',
      { code: 'p2', name: 'P2', interval: 'MONTHLY', amountCents: '0', amountCurrency: 'EUR', charges: [{ billableMetricCode: 'calls', chargeModel: 'STANDARD', properties: { amount: LONE } }] },
      'input.charges.0.properties.amount',
    ],
    [
      'a key in charge properties (JSON)',
      'mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { code } } }',
      { code: 'p3', name: 'P3', interval: 'MONTHLY', amountCents: '0', amountCurrency: 'EUR', charges: [{ billableMetricCode: 'calls', chargeModel: 'STANDARD', properties: { amount: '1', [LONE]: 'x' } }] },
      'input.charges.0.properties',
      'a key',
    ],
  ];

  it.each(refusals)('refuses %s with VALIDATION and extensions.field, appending nothing', async (_what, query, input, field, message) => {
    const before = await head();
    const result = await server.gql(query, { input });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'VALIDATION', field });
    expect(result.errors?.[0]?.message).toContain(message ?? 'well-formed Unicode');
    expect(result.status).toBe(200);
    expect(await head()).toBe(before);
  });

  it('refuses an ill-formed organization name (admin) and query arguments, never INTERNAL', async () => {
    const before = await head();
    const organization = await server.gql('mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } } }', { input: { name: LONE } }, ADMIN_KEY);
    expect(organization.errors?.[0]?.extensions).toMatchObject({ code: 'VALIDATION', field: 'input.name' });
    const customer = await server.gql('query($id: String!) { customer(externalId: $id) { externalId } }', { id: LONE });
    expect(customer.errors?.[0]?.extensions).toMatchObject({ code: 'VALIDATION', field: 'externalId' });
    const event = await server.gql('query($id: String!) { event(transactionId: $id) { transactionId } }', { id: LONE_LOW });
    expect(event.errors?.[0]?.extensions).toMatchObject({ code: 'VALIDATION', field: 'transactionId' });
    expect(await head()).toBe(before);
  });

  it('refuses an ill-formed subscription argument over websockets with VALIDATION', async () => {
    const client = server.ws(server.apiKey);
    const sub = take(client, 'subscription($s: String!) { customerUsageUpdated(externalCustomerId: "cus_1", externalSubscriptionId: $s) { amountCents } }', 1, { s: LONE });
    const error = (await sub.done.then(() => null, (e: unknown) => e)) as { errors?: { extensions?: { code?: string; field?: string } }[] } | null;
    expect(error?.errors?.[0]?.extensions).toMatchObject({ code: 'VALIDATION', field: 'externalSubscriptionId' });
  });

  it('accepts well-formed text: surrogate pairs (emoji) and a literal backslash-u text', async () => {
    const result = await server.gql<{ createCustomer: { customer: { externalId: string; name: string } } }>(
      'mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { externalId name } } }',
      { input: { externalId: 'cus_😀', name: '\\ud800 is text here' } },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?.createCustomer.customer).toEqual({ externalId: 'cus_😀', name: '\\ud800 is text here' });
  });

  it('in createEvents rejects only the events with an ill-formed string (INVALID_FIELD); the others are accepted', async () => {
    const before = await head();
    const good = (i: number, extra: Record<string, unknown> = {}) => ({ transactionId: `wf_${i}`, externalSubscriptionId: 'sub_1', code: 'calls', ...extra });
    const events = [
      good(0),
      good(1, { transactionId: `wf_${LONE}` }),
      good(2, { externalSubscriptionId: `sub_${LONE}` }),
      good(3, { code: LONE_LOW }),
      good(4, { properties: { region: LONE } }),
      good(5, { properties: { nested: [{ [LONE]: 'v' }] } }),
      good(6, { timestamp: LONE }),
      good(7, { preciseTotalAmountCents: LONE }),
      good(8, { properties: { note: '😀 and \\ud800 as text', 'ключ': 'значение' } }),
    ];
    const result = await server.gql<{ createEvents: { acceptedCount: number; rejectedCount: number; outcomes: Outcome[] } }>(CREATE_EVENTS, { events });
    expect(result.errors).toBeUndefined();
    const outcomes = result.data!.createEvents.outcomes;
    expect(outcomes.map((o) => o.status)).toEqual(['ACCEPTED', 'REJECTED', 'REJECTED', 'REJECTED', 'REJECTED', 'REJECTED', 'REJECTED', 'REJECTED', 'ACCEPTED']);
    for (const rejected of outcomes.filter((o) => o.status === 'REJECTED')) {
      expect(rejected.errorCode).toBe('INVALID_FIELD');
      expect(rejected.message).toMatch(/well-formed Unicode/);
    }
    expect(outcomes[1]!.message).toMatch(/^transactionId/);
    expect(outcomes[4]!.message).toMatch(/^properties/);
    expect(outcomes[6]!.message).toMatch(/^timestamp/);
    // Only the two good events reached the log.
    const appended = (await server.system.app.deps.eventStore.readAll()).filter((e) => e.position > before);
    expect(appended.map((e) => (e.data as { transactionId: string }).transactionId).sort()).toEqual(['wf_0', 'wf_8']);
  });

  it('in createEvent rejects the one event with INVALID_FIELD (not an error)', async () => {
    const result = await server.gql<{ createEvent: { outcome: Outcome } }>(
      'mutation($input: UsageEventInput!) { createEvent(input: $input) { outcome { index status errorCode message } } }',
      { input: { transactionId: 'wf_single', externalSubscriptionId: LONE, code: 'calls' } },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?.createEvent.outcome).toMatchObject({ status: 'REJECTED', errorCode: 'INVALID_FIELD' });
  });
});

describe('illFormedString', () => {
  it('names the first ill-formed string by its path, a bad key by its object, and walks deep values without recursion', () => {
    expect(illFormedString({ input: { a: ['ok', { b: LONE }] } })).toEqual({ field: 'input.a.1.b', key: false });
    expect(illFormedString({ input: { p: { [LONE]: 1 } } })).toEqual({ field: 'input.p', key: true });
    expect(illFormedString({ input: { when: new Date(0), n: 1, s: '😀' } })).toBeNull();
    let deep: unknown = LONE;
    for (let i = 0; i < 100_000; i += 1) deep = [deep];
    expect(illFormedString({ deep })?.field.split('.').length).toBe(100_001);
  });
});

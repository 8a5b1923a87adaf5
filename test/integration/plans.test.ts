import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planStream } from '../../src/application/plans.ts';
import { ADMIN_KEY, startTestServer, type TestServer } from '../support/server.ts';

const PLAN_FIELDS = `id code name description invoiceDisplayName interval amountCents amountCurrency payInAdvance trialPeriod
  billChargesMonthly taxCodes yearlyAmountCents createdAt updatedAt deletedAt
  minimumCommitment { amountCents invoiceDisplayName taxCodes }
  usageThresholds { amountCents thresholdDisplayName recurring }
  charges { id billableMetricId billableMetricCode billableMetric { id code name aggregationType } chargeModel properties
    filters { invoiceDisplayName values properties } payInAdvance prorated invoiceable minAmountCents taxCodes invoiceDisplayName }`;
const CREATE = `mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { ${PLAN_FIELDS} } } }`;
const UPDATE = `mutation($input: UpdatePlanInput!) { updatePlan(input: $input) { plan { ${PLAN_FIELDS} } } }`;
const DELETE = 'mutation($code: String!) { deletePlan(input: {code: $code}) { plan { id code deletedAt } } }';
const GET = `query($code: String!) { plan(code: $code) { ${PLAN_FIELDS} } }`;
const LIST = 'query($after: String) { plans(first: 2, after: $after) { totalCount edges { node { code } } pageInfo { hasNextPage endCursor } } }';

type Charge = { id: string; billableMetricCode: string; chargeModel: string; properties: unknown; billableMetric: { code: string; aggregationType: string } | null };
type Plan = { id: string; code: string; name: string; amountCents: string; yearlyAmountCents: string; updatedAt: string; deletedAt: string | null; charges: Charge[] } & Record<string, unknown>;

const graduatedRanges = [
  { fromValue: 0, toValue: 10, perUnitAmount: '10', flatAmount: '2' },
  { fromValue: 11, toValue: null, perUnitAmount: '5', flatAmount: '3' },
];

/** A plan with one charge of every model, each on a metric its rules allow. */
const everyModel = (code = 'pro') => ({
  code, name: 'Pro', description: 'For teams', interval: 'MONTHLY', amountCents: '10000', amountCurrency: 'EUR', trialPeriod: 14,
  taxCodes: ['vat_20'], minimumCommitment: { amountCents: '50000', invoiceDisplayName: 'Commitment' },
  usageThresholds: [{ amountCents: '20000', thresholdDisplayName: 'T1' }, { amountCents: '10000', recurring: true }],
  charges: [
    {
      billableMetricCode: 'api_calls', chargeModel: 'STANDARD', properties: { amount: '0.05', pricingGroupKeys: ['workspace_id'] },
      filters: [{ invoiceDisplayName: 'EU', values: { region: ['eu'] }, properties: { amount: '0.04' } }], taxCodes: ['vat_20'],
    },
    { billableMetricCode: 'api_calls', chargeModel: 'GRADUATED', properties: { graduatedRanges }, minAmountCents: '500' },
    {
      billableMetricCode: 'amount', chargeModel: 'GRADUATED_PERCENTAGE',
      properties: { graduatedPercentageRanges: [{ fromValue: 0, toValue: 1000, rate: '1', flatAmount: '0' }, { fromValue: 1001, toValue: null, rate: '0.5', flatAmount: '1' }] },
    },
    { billableMetricCode: 'api_calls', chargeModel: 'PACKAGE', payInAdvance: true, invoiceable: false, properties: { amount: '100', packageSize: 10, freeUnits: 0 } },
    {
      billableMetricCode: 'amount', chargeModel: 'PERCENTAGE',
      properties: { rate: '1.3', fixedAmount: '0.2', freeUnitsPerEvents: 3, freeUnitsPerTotalAggregation: '250', perTransactionMinAmount: '1.75', perTransactionMaxAmount: '12' },
    },
    {
      billableMetricCode: 'storage', chargeModel: 'VOLUME', prorated: true,
      properties: { volumeRanges: [{ fromValue: 0, toValue: 100, perUnitAmount: '2', flatAmount: '10' }, { fromValue: 101, toValue: null, perUnitAmount: '1', flatAmount: '0' }] },
    },
    { billableMetricCode: 'amount', chargeModel: 'DYNAMIC' },
  ],
});

describe('plans over GraphQL', () => {
  let server: TestServer;
  let organizationId: string;

  const ok = async <T>(query: string, variables: Record<string, unknown>, key?: string): Promise<T> => {
    const result = await server.gql<T>(query, variables, key);
    expect(result.errors).toBeUndefined();
    return result.data as T;
  };
  const head = () => server.system.app.deps.eventStore.headPosition();
  const createMetric = (input: Record<string, unknown>, key?: string) =>
    ok('mutation($input: CreateBillableMetricInput!) { createBillableMetric(input: $input) { billableMetric { id } } }', { input }, key);
  const createPlan = async (input: Record<string, unknown>, key?: string) => (await ok<{ createPlan: { plan: Plan } }>(CREATE, { input }, key)).createPlan.plan;

  /** Refused with VALIDATION naming `field`, and nothing appended. */
  const refused = async (query: string, input: Record<string, unknown>, field: string) => {
    const before = await head();
    const result = await server.gql(query, { input });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'VALIDATION', field });
    expect(await head()).toBe(before);
  };

  beforeAll(async () => {
    server = await startTestServer();
    organizationId = (await ok<{ organization: { id: string } }>('{ organization { id } }', {})).organization.id;
    await createMetric({ code: 'api_calls', name: 'API calls', aggregationType: 'COUNT', filters: [{ key: 'region', values: ['eu', 'us'] }] });
    await createMetric({ code: 'amount', name: 'Amount', aggregationType: 'SUM', fieldName: 'amount' });
    await createMetric({ code: 'storage', name: 'Storage', aggregationType: 'SUM', fieldName: 'gb', recurring: true });
    await createMetric({ code: 'peak', name: 'Peak', aggregationType: 'MAX', fieldName: 'value' });
    await ok('mutation { createTax(input: {code: "vat_20", name: "VAT", rate: "20"}) { tax { code } } }', {});
  });
  afterAll(async () => server.close());

  it('accepts graduated ranges that mix the adjacent and "+1" conventions (Lago’s RangeBoundsValidator), as given', async () => {
    const mixed = [
      { fromValue: 0, toValue: 10, perUnitAmount: '1', flatAmount: '0' },
      { fromValue: 10, toValue: 20, perUnitAmount: '2', flatAmount: '0' },
      { fromValue: 21, toValue: null, perUnitAmount: '3', flatAmount: '0' },
    ];
    const plan = await createPlan({
      code: 'mixed_ranges', name: 'Mixed', interval: 'MONTHLY', amountCents: '0', amountCurrency: 'EUR',
      charges: [{ billableMetricCode: 'api_calls', chargeModel: 'GRADUATED', properties: { graduatedRanges: mixed } }],
    });
    expect(plan.charges[0]?.properties).toEqual({ graduatedRanges: mixed });
  });

  it('creates a plan with one charge of every model and reads it back as given', async () => {
    const input = everyModel();
    const created = await createPlan(input);
    const read = (await ok<{ plan: Plan }>(GET, { code: 'pro' })).plan;
    expect(read).toEqual(created);
    expect(read).toMatchObject({
      code: 'pro', name: 'Pro', description: 'For teams', interval: 'MONTHLY', amountCents: '10000', amountCurrency: 'EUR', trialPeriod: 14,
      payInAdvance: false, billChargesMonthly: null, taxCodes: ['vat_20'], yearlyAmountCents: '120000', deletedAt: null,
      minimumCommitment: { amountCents: '50000', invoiceDisplayName: 'Commitment', taxCodes: [] },
      usageThresholds: [{ amountCents: '20000', thresholdDisplayName: 'T1', recurring: false }, { amountCents: '10000', thresholdDisplayName: null, recurring: true }],
    });
    expect(read.charges.map((c) => c.chargeModel)).toEqual(['STANDARD', 'GRADUATED', 'GRADUATED_PERCENTAGE', 'PACKAGE', 'PERCENTAGE', 'VOLUME', 'DYNAMIC']);
    input.charges.forEach((charge, i) => expect(read.charges[i]?.properties).toEqual(charge.properties ?? {}));
    expect(read.charges[0]).toMatchObject({
      billableMetric: { code: 'api_calls', name: 'API calls', aggregationType: 'COUNT' }, taxCodes: ['vat_20'], invoiceable: true, minAmountCents: '0',
      filters: [{ invoiceDisplayName: 'EU', values: { region: ['eu'] }, properties: { amount: '0.04' } }],
    });
    expect(read.charges[1]).toMatchObject({ minAmountCents: '500' });
    expect(read.charges[3]).toMatchObject({ payInAdvance: true, invoiceable: false });
    expect(read.charges[5]).toMatchObject({ prorated: true, billableMetric: { code: 'storage' } });
    expect(new Set(read.charges.map((c) => c.id)).size).toBe(7);
  });

  it.each([
    ['a gap between graduated ranges', { charges: [{ billableMetricCode: 'api_calls', chargeModel: 'GRADUATED', properties: { graduatedRanges: [graduatedRanges[0], { ...graduatedRanges[1], fromValue: 12 }] } }] }, 'input.charges.0.properties.graduatedRanges.1.fromValue'],
    ['a snake_case property', { charges: [{ billableMetricCode: 'api_calls', chargeModel: 'STANDARD', properties: { amount: '1', pricing_group_keys: ['a'] } }] }, 'input.charges.0.properties.pricing_group_keys'],
    ['a money amount as a JSON number', { charges: [{ billableMetricCode: 'api_calls', chargeModel: 'STANDARD', properties: { amount: 1 } }] }, 'input.charges.0.properties.amount'],
    ['a VOLUME charge paid in advance', { charges: [{ billableMetricCode: 'amount', chargeModel: 'VOLUME', payInAdvance: true, properties: { volumeRanges: [{ fromValue: 0, toValue: null, perUnitAmount: '1', flatAmount: '0' }] } }] }, 'input.charges.0.payInAdvance'],
    ['a MAX charge paid in advance', { charges: [{ billableMetricCode: 'peak', chargeModel: 'STANDARD', payInAdvance: true, properties: { amount: '1' } }] }, 'input.charges.0.payInAdvance'],
    ['a prorated charge on a non-recurring metric', { charges: [{ billableMetricCode: 'amount', chargeModel: 'STANDARD', prorated: true, properties: { amount: '1' } }] }, 'input.charges.0.prorated'],
    ['DYNAMIC on a COUNT metric', { charges: [{ billableMetricCode: 'api_calls', chargeModel: 'DYNAMIC' }] }, 'input.charges.0.chargeModel'],
    ['a minimum on a charge paid in advance', { charges: [{ billableMetricCode: 'api_calls', chargeModel: 'STANDARD', payInAdvance: true, minAmountCents: '100', properties: { amount: '1' } }] }, 'input.charges.0.minAmountCents'],
    ['an undeclared filter value', { charges: [{ billableMetricCode: 'api_calls', chargeModel: 'STANDARD', properties: { amount: '1' }, filters: [{ values: { region: ['mars'] }, properties: { amount: '1' } }] }] }, 'input.charges.0.filters.0.values.region.0'],
    ['an unknown billable metric', { charges: [{ billableMetricCode: 'nope', chargeModel: 'STANDARD', properties: { amount: '1' } }] }, 'input.charges.0.billableMetricCode'],
    ['an unknown tax code', { taxCodes: ['nope'] }, 'input.taxCodes.0'],
    ['decimal amountCents', { amountCents: '10.5' }, 'input.amountCents'],
    ['an unknown currency', { amountCurrency: 'XYZ' }, 'input.amountCurrency'],
    ['billChargesMonthly on a monthly plan', { billChargesMonthly: true }, 'input.billChargesMonthly'],
    ['two recurring thresholds', { usageThresholds: [{ amountCents: '1', recurring: true }, { amountCents: '2', recurring: true }] }, 'input.usageThresholds.1.recurring'],
    ['a blank code', { code: ' ' }, 'input.code'],
  ])('refuses %s with VALIDATION naming the field, appending nothing', async (_rule, overrides, field) => {
    await refused(CREATE, { code: 'bad', name: 'Bad', interval: 'MONTHLY', amountCents: '100', amountCurrency: 'EUR', ...overrides }, field);
  });

  it('refuses a code already taken with CONFLICT, appending nothing', async () => {
    await createPlan({ code: 'taken', name: 'Taken', interval: 'WEEKLY', amountCents: '100', amountCurrency: 'EUR' });
    const before = await head();
    const result = await server.gql(CREATE, { input: { code: 'taken', name: 'Again', interval: 'WEEKLY', amountCents: '100', amountCurrency: 'EUR' } });
    expect(result.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(await head()).toBe(before);
  });

  it('replaces a plan on update, keeping charge ids it is given, and keeps the history in its stream', async () => {
    const created = await createPlan({
      code: 'history', name: 'Before', interval: 'YEARLY', amountCents: '120000', amountCurrency: 'EUR',
      charges: [{ billableMetricCode: 'api_calls', chargeModel: 'STANDARD', properties: { amount: '1' } }],
    });
    const kept = created.charges[0]!.id;
    const input = {
      code: 'history', name: 'After', interval: 'YEARLY', amountCents: '150000', amountCurrency: 'EUR', billChargesMonthly: true,
      charges: [
        { id: kept, billableMetricCode: 'api_calls', chargeModel: 'STANDARD', properties: { amount: '2' } },
        { billableMetricCode: 'storage', chargeModel: 'STANDARD', properties: { amount: '3' } },
      ],
    };
    const updated = (await ok<{ updatePlan: { plan: Plan } }>(UPDATE, { input })).updatePlan.plan;
    expect(updated).toMatchObject({ id: created.id, name: 'After', amountCents: '150000', yearlyAmountCents: '150000', billChargesMonthly: true });
    expect(updated.charges.map((c) => [c.id === kept, c.properties])).toEqual([[true, { amount: '2' }], [false, { amount: '3' }]]);

    const stream = await server.system.app.deps.eventStore.readStream(planStream(organizationId, 'history'));
    expect(stream.map((e) => e.type)).toEqual(['PlanCreated', 'PlanUpdated']);
    expect(stream[0]?.data).toMatchObject({ name: 'Before', amountCents: '120000', charges: [{ id: kept, properties: { amount: '1' } }] });
    expect(stream[1]?.data).toMatchObject({ name: 'After', amountCents: '150000', charges: [{ id: kept }, { billableMetricCode: 'storage' }] });

    const before = await head();
    await ok(UPDATE, { input: { ...input, charges: updated.charges.map((c) => ({ id: c.id, billableMetricCode: c.billableMetricCode, chargeModel: c.chargeModel, properties: c.properties })) } });
    expect(await head()).toBe(before);
  });

  it('refuses an invalid update with VALIDATION, appending nothing', async () => {
    await createPlan({ code: 'strict', name: 'Strict', interval: 'MONTHLY', amountCents: '100', amountCurrency: 'EUR' });
    await refused(UPDATE, { code: 'strict', name: 'Strict', interval: 'MONTHLY', amountCents: '100', amountCurrency: 'EUR', charges: [{ id: 'unknown', billableMetricCode: 'api_calls', chargeModel: 'STANDARD', properties: { amount: '1' } }] }, 'input.charges.0.id');
  });

  it('answers NOT_FOUND to an update of an unknown plan', async () => {
    const result = await server.gql(UPDATE, { input: { code: 'ghost', name: 'Ghost', interval: 'MONTHLY', amountCents: '1', amountCurrency: 'EUR' } });
    expect(result.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('deletes a plan softly: it leaves the queries and its code can be reused', async () => {
    const first = await createPlan({ code: 'temp', name: 'Temp', interval: 'QUARTERLY', amountCents: '100', amountCurrency: 'EUR' });
    const deleted = (await ok<{ deletePlan: { plan: Plan } }>(DELETE, { code: 'temp' })).deletePlan.plan;
    expect(deleted).toMatchObject({ id: first.id, code: 'temp' });
    expect(deleted.deletedAt).toMatch(/^\d{4}-/);
    expect((await server.gql(GET, { code: 'temp' })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const again = await createPlan({ code: 'temp', name: 'Temp 2', interval: 'QUARTERLY', amountCents: '100', amountCurrency: 'EUR' });
    expect(again.id).not.toBe(first.id);
    expect((await ok<{ plan: Plan }>(GET, { code: 'temp' })).plan.name).toBe('Temp 2');
  });

  it('pages through live plans only', async () => {
    type Page = { plans: { totalCount: number; edges: { node: { code: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } };
    const codes: string[] = [];
    let after: string | null = null;
    let total = 0;
    do {
      const page: Page = await ok<Page>(LIST, { after });
      total = page.plans.totalCount;
      codes.push(...page.plans.edges.map((e) => e.node.code));
      after = page.plans.pageInfo.hasNextPage ? page.plans.pageInfo.endCursor : null;
    } while (after);
    expect(codes).toHaveLength(total);
    expect(codes.filter((code) => code === 'temp')).toHaveLength(1);
    expect(codes).toContain('pro');
  });

  it('keeps organizations apart: plans, and the metrics and taxes a plan may use', async () => {
    const other = await ok<{ createOrganization: { apiKey: { key: string } } }>(
      'mutation { createOrganization(input: {name: "Globex"}) { apiKey { key } } }', {}, ADMIN_KEY,
    );
    const key = other.createOrganization.apiKey.key;
    expect((await server.gql(GET, { code: 'pro' }, key)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await ok<{ plans: { totalCount: number } }>(LIST, {}, key)).plans.totalCount).toBe(0);

    const borrowing = await server.gql(CREATE, { input: { ...everyModel('pro'), taxCodes: [], minimumCommitment: null } }, key);
    expect(borrowing.errors?.[0]?.extensions).toMatchObject({ code: 'VALIDATION', field: 'input.charges.0.billableMetricCode' });

    await createMetric({ code: 'api_calls', name: 'Globex calls', aggregationType: 'COUNT' }, key);
    const own = await createPlan({ code: 'pro', name: 'Globex Pro', interval: 'MONTHLY', amountCents: '1', amountCurrency: 'USD', charges: [{ billableMetricCode: 'api_calls', chargeModel: 'STANDARD', properties: { amount: '1' } }] }, key);
    expect(own.charges[0]?.billableMetric).toMatchObject({ code: 'api_calls', name: 'Globex calls' });
    expect((await ok<{ plan: Plan }>(GET, { code: 'pro' })).plan.name).toBe('Pro');
  });
});

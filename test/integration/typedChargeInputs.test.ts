import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planStream } from '../../src/application/plans.ts';
import { expectValidation, organizationIdOf } from '../support/catalog.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// Issue 16 item 11: charge properties and filter values as typed inputs (`typedProperties`, `typedValues`) beside
// the JSON ones, mapped to exactly the same stored plan; typed twins of the fixed-shape JSON outputs.

const NOW = '2030-03-10T12:00:00.000Z';
const CREATE_PLAN = 'mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { code } } }';
const CREATE_SUBSCRIPTION = 'mutation($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { planOverrides } } }';
const RANGE = 'fromValue toValue flatAmount';
const TYPED_PROPERTIES = `typedProperties { amount packageSize freeUnits rate fixedAmount freeUnitsPerEvents freeUnitsPerTotalAggregation
  perTransactionMinAmount perTransactionMaxAmount pricingGroupKeys graduatedRanges { ${RANGE} perUnitAmount }
  volumeRanges { ${RANGE} perUnitAmount } graduatedPercentageRanges { ${RANGE} rate } }`;
const PLAN = `query($code: String!) { plan(code: $code) { charges { chargeModel properties ${TYPED_PROPERTIES}
  filters { invoiceDisplayName values properties typedValues { key values } ${TYPED_PROPERTIES} } } } }`;
const TIER = 'fromValue toValue units perUnitTotalAmount flatAmount total';
const DETAILS = `__typename
  ... on StandardDetails { model units perUnitAmount total }
  ... on GraduatedDetails { model adjacentRanges tiers { ${TIER} perUnitAmount } }
  ... on GraduatedPercentageDetails { model tiers { ${TIER} rate } }
  ... on PackageDetails { model units freeUnits paidUnits packageSize packages perPackageAmount total }
  ... on VolumeDetails { model tierUnits tier { fromValue toValue } units perUnitAmount perUnitTotalAmount flatAmount total }
  ... on PercentageDetails { model units freeUnits paidUnits freeEvents paidEvents rate percentageAmount fixedFeeUnitAmount fixedFeeTotalAmount
    minMaxAdjustmentTotalAmount total transactions { value paidValue free rawAmount clampedTo amount } }
  ... on DynamicDetails { model preciseTotalAmountCents subunitToUnit total }
  ... on ProratedGraduatedDetails { model totalFullUnits maxFullUnits unitsAmount flatAmount total }`;
const USAGE = `query($c: String!, $s: String!) { customerUsage(externalCustomerId: $c, externalSubscriptionId: $s, waitForEvents: true) {
  amountCents chargesUsage { units eventsCount amountCents charge { chargeModel } details
    typedDetails { units amountCents filterValues { key values } groupedBy { key value } details { ${DETAILS} } }
    filters { amountCents values typedValues { key values } } groupedUsage { amountCents groupedBy typedGroupedBy { key value } } } } }`;
const INVOICES = `query($c: String) { invoices(externalCustomerId: $c, first: 10) { edges { node { fees {
  feeType chargeModel amountCents details chargeFilterValues typedChargeFilterValues { key values } groupedBy typedGroupedBy { key value }
  typedDetails { ${DETAILS} } } } } } }`;

/** One charge of every model, typed: decimal strings, an omitted `toValue` for the unbounded range, a typed filter. */
const typedCharges = [
  {
    billableMetricCode: 'calls', chargeModel: 'STANDARD', typedProperties: { amount: '0.5' },
    filters: [{ invoiceDisplayName: 'EU', typedValues: [{ key: 'region', values: ['eu'] }], typedProperties: { amount: '1' } }],
  },
  {
    billableMetricCode: 'bytes', chargeModel: 'GRADUATED',
    typedProperties: { graduatedRanges: [{ fromValue: '0', toValue: '10', perUnitAmount: '1', flatAmount: '0' }, { fromValue: '11', perUnitAmount: '0.5', flatAmount: '2' }] },
  },
  {
    billableMetricCode: 'bytes', chargeModel: 'GRADUATED_PERCENTAGE',
    typedProperties: { graduatedPercentageRanges: [{ fromValue: '0', toValue: '10', rate: '1', flatAmount: '0.1' }, { fromValue: '11', rate: '2', flatAmount: '0' }] },
  },
  { billableMetricCode: 'bytes', chargeModel: 'PACKAGE', typedProperties: { amount: '10', packageSize: '4', freeUnits: '5' } },
  {
    billableMetricCode: 'bytes', chargeModel: 'PERCENTAGE',
    typedProperties: { rate: '10', fixedAmount: '0.5', freeUnitsPerEvents: '1', perTransactionMinAmount: '0.2', perTransactionMaxAmount: '5' },
  },
  {
    billableMetricCode: 'bytes', chargeModel: 'VOLUME',
    typedProperties: { volumeRanges: [{ fromValue: '0', toValue: '10', perUnitAmount: '2', flatAmount: '1' }, { fromValue: '11', perUnitAmount: '1', flatAmount: '0' }] },
  },
  { billableMetricCode: 'bytes', chargeModel: 'DYNAMIC', typedProperties: { pricingGroupKeys: ['tenant'] } },
  { billableMetricCode: 'bytes', chargeModel: 'STANDARD', typedProperties: { amount: '2', pricingGroupKeys: ['tenant'] } },
];

/** The same charges as Lago-shaped JSON: `properties` objects, `toValue: null`, filter values as a map. */
const jsonCharges = [
  {
    billableMetricCode: 'calls', chargeModel: 'STANDARD', properties: { amount: '0.5' },
    filters: [{ invoiceDisplayName: 'EU', values: { region: ['eu'] }, properties: { amount: '1' } }],
  },
  {
    billableMetricCode: 'bytes', chargeModel: 'GRADUATED',
    properties: { graduatedRanges: [{ fromValue: '0', toValue: '10', perUnitAmount: '1', flatAmount: '0' }, { fromValue: '11', toValue: null, perUnitAmount: '0.5', flatAmount: '2' }] },
  },
  {
    billableMetricCode: 'bytes', chargeModel: 'GRADUATED_PERCENTAGE',
    properties: { graduatedPercentageRanges: [{ fromValue: '0', toValue: '10', rate: '1', flatAmount: '0.1' }, { fromValue: '11', toValue: null, rate: '2', flatAmount: '0' }] },
  },
  { billableMetricCode: 'bytes', chargeModel: 'PACKAGE', properties: { amount: '10', packageSize: '4', freeUnits: '5' } },
  {
    billableMetricCode: 'bytes', chargeModel: 'PERCENTAGE',
    properties: { rate: '10', fixedAmount: '0.5', freeUnitsPerEvents: '1', perTransactionMinAmount: '0.2', perTransactionMaxAmount: '5' },
  },
  {
    billableMetricCode: 'bytes', chargeModel: 'VOLUME',
    properties: { volumeRanges: [{ fromValue: '0', toValue: '10', perUnitAmount: '2', flatAmount: '1' }, { fromValue: '11', toValue: null, perUnitAmount: '1', flatAmount: '0' }] },
  },
  { billableMetricCode: 'bytes', chargeModel: 'DYNAMIC', properties: { pricingGroupKeys: ['tenant'] } },
  { billableMetricCode: 'bytes', chargeModel: 'STANDARD', properties: { amount: '2', pricingGroupKeys: ['tenant'] } },
];

type Details = Record<string, unknown> & { __typename: string };
type FeeDetail = { units: string; amountCents: string; filterValues: unknown; groupedBy: unknown; details: unknown };
type ChargeUsage = {
  units: string; eventsCount: number; amountCents: string; charge: { chargeModel: string }; details: FeeDetail[];
  typedDetails: (Omit<FeeDetail, 'details'> & { details: Details })[];
  filters: { amountCents: string; values: Record<string, string[]> | null; typedValues: { key: string; values: string[] }[] | null }[];
  groupedUsage: { amountCents: string; groupedBy: Record<string, string | null>; typedGroupedBy: { key: string; value: string | null }[] }[];
};
type Usage = { amountCents: string; chargesUsage: ChargeUsage[] };
type PlanCharge = { chargeModel: string; properties: unknown; typedProperties: Record<string, unknown>; filters: Record<string, unknown>[] };

let server: TestServer;
let organizationId: string;

async function ok<T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const result = await server.gql<T>(query, variables);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data!;
}

const planInput = (code: string, charges: unknown[]) => ({ code, name: code, interval: 'MONTHLY', amountCents: '0', amountCurrency: 'EUR', charges });

/** The typed twin of a JSON details object, as the typed fields list it (`__typename` left out). */
const withoutTypename = ({ __typename: _name, ...rest }: Details) => rest;

/** A plan's charges as its creation event stored them, without the generated ids. */
async function storedCharges(code: string): Promise<unknown[]> {
  const [created] = await server.system.app.deps.eventStore.readStream(planStream(organizationId, code));
  expect(created?.type).toBe('PlanCreated');
  return (created!.data as { charges: { id: string }[] }).charges.map(({ id: _id, ...charge }) => charge);
}

async function subscribe(id: string, planCode: string, planOverrides?: Record<string, unknown>) {
  await ok('mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { externalId } } }', { input: { externalId: `cus_${id}`, currency: 'EUR', timezone: 'UTC' } });
  return ok<{ createSubscription: { subscription: { planOverrides: unknown } } }>(CREATE_SUBSCRIPTION, {
    input: { externalId: `sub_${id}`, externalCustomerId: `cus_${id}`, planCode, subscriptionAt: '2030-03-01T00:00:00Z', ...(planOverrides ? { planOverrides } : {}) },
  });
}

async function sendEvents(subscription: string) {
  const e = (transactionId: string, code: string, properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    transactionId, externalSubscriptionId: subscription, code, timestamp: '2030-03-02T00:00:00Z', properties, ...extra,
  });
  const events = [
    ...['eu', 'eu', 'us'].map((region, i) => e(`c${i}`, 'calls', { region })),
    e('b1', 'bytes', { bytes: '10', tenant: 'a' }, { preciseTotalAmountCents: '123.4' }),
    e('b2', 'bytes', { bytes: '5', tenant: 'b' }, { preciseTotalAmountCents: '10' }),
    e('b3', 'bytes', { bytes: '10', tenant: 'a' }, { preciseTotalAmountCents: '0.6' }),
  ];
  const result = await ok<{ createEvents: { acceptedCount: number } }>('mutation($input: CreateEventsInput!) { createEvents(input: $input) { acceptedCount } }', { input: { events } });
  expect(result.createEvents.acceptedCount).toBe(events.length);
}

const usageOf = async (id: string) => (await ok<{ customerUsage: Usage }>(USAGE, { c: `cus_${id}`, s: `sub_${id}` })).customerUsage;

beforeAll(async () => {
  server = await startTestServer({ CLOCK: 'manual' });
  await server.advanceClock(NOW);
  organizationId = await organizationIdOf(server);
  const metric = (input: Record<string, unknown>) => ok('mutation($input: CreateBillableMetricInput!) { createBillableMetric(input: $input) { billableMetric { code } } }', { input });
  await metric({ code: 'calls', name: 'Calls', aggregationType: 'COUNT', filters: [{ key: 'region', values: ['eu', 'us'] }] });
  await metric({ code: 'bytes', name: 'Bytes', aggregationType: 'SUM', fieldName: 'bytes' });
  await ok(CREATE_PLAN, { input: planInput('json_twin', jsonCharges) });
  await ok(CREATE_PLAN, { input: planInput('typed_twin', typedCharges) });
  await subscribe('json', 'json_twin');
  await subscribe('typed', 'typed_twin');
  await sendEvents('sub_json');
  await sendEvents('sub_typed');
});

afterAll(async () => server.close());

describe('typed charge properties and filter values', () => {
  it('store exactly the plan the JSON form stores, for every charge model and a filter', async () => {
    const [json, typed] = [await storedCharges('json_twin'), await storedCharges('typed_twin')];
    expect(typed).toHaveLength(8);
    expect(typed).toEqual(json);
    // The unbounded range's omitted toValue is stored as the JSON form's explicit null; the filter as {key: [values]}.
    expect(typed[1]).toMatchObject({ properties: { graduatedRanges: [{ toValue: '10' }, { toValue: null }] } });
    expect(typed[0]).toMatchObject({ filters: [{ invoiceDisplayName: 'EU', values: { region: ['eu'] }, properties: { amount: '1' } }] });
    expect(JSON.stringify(typed)).not.toContain('typed');
  });

  it('price every model exactly as the JSON-created twin does', async () => {
    const [json, typed] = [await usageOf('json'), await usageOf('typed')];
    const amounts = (usage: Usage) => usage.chargesUsage.map((c) => ({
      model: c.charge.chargeModel, units: c.units, eventsCount: c.eventsCount, amountCents: c.amountCents,
      filters: c.filters.map((f) => [f.values, f.amountCents]), groups: c.groupedUsage.map((g) => [g.groupedBy, g.amountCents]), details: c.details,
    }));
    expect(amounts(typed)).toEqual(amounts(json));
    expect(typed.amountCents).toBe(json.amountCents);
    // Every model priced something (the comparison is not between two zeros): 2 eu calls at 1 €, 1 other at 0.50 €;
    // 25 bytes GRADUATED 10 × 1 € + 15 × 0.50 € + 2 €; PACKAGE (25 − 5) / 4 = 5 packages at 10 €; VOLUME 25 × 1 €.
    const byModel = Object.fromEntries(typed.chargesUsage.map((c, i) => [`${i}:${c.charge.chargeModel}`, c.amountCents]));
    expect(byModel).toMatchObject({ '0:STANDARD': '250', '1:GRADUATED': '1950', '3:PACKAGE': '5000', '5:VOLUME': '2500', '6:DYNAMIC': '134', '7:STANDARD': '5000' });
    for (const charge of typed.chargesUsage) expect(Number(charge.amountCents), charge.charge.chargeModel).toBeGreaterThan(0);
  });

  it('read back typed: typedProperties and typedValues hold what the JSON fields hold', async () => {
    const { plan } = await ok<{ plan: { charges: PlanCharge[] } }>(PLAN, { code: 'typed_twin' });
    const set = (typed: Record<string, unknown>) => Object.fromEntries(Object.entries(typed).filter(([, value]) => value !== null));
    plan.charges.forEach((charge) => {
      const ranges = (list: unknown) => (list as Record<string, unknown>[] | undefined)?.map((r) => ({ ...r, toValue: r.toValue ?? null }));
      const properties = charge.properties as Record<string, unknown>;
      const expected = { ...properties, ...Object.fromEntries(['graduatedRanges', 'volumeRanges', 'graduatedPercentageRanges'].filter((k) => k in properties).map((k) => [k, ranges(properties[k])])) };
      expect(set(charge.typedProperties), charge.chargeModel).toEqual(expected);
    });
    expect(plan.charges[1]?.typedProperties.graduatedRanges).toEqual([
      { fromValue: '0', toValue: '10', perUnitAmount: '1', flatAmount: '0' },
      { fromValue: '11', toValue: null, perUnitAmount: '0.5', flatAmount: '2' },
    ]);
    // JSON numbers (Lago's integers) read back as decimal strings.
    await ok(CREATE_PLAN, { input: planInput('json_numbers', [{ billableMetricCode: 'calls', chargeModel: 'PACKAGE', properties: { amount: '1', packageSize: 10, freeUnits: 0.5 } }]) });
    const numbers = await ok<{ plan: { charges: PlanCharge[] } }>(PLAN, { code: 'json_numbers' });
    expect(numbers.plan.charges[0]?.typedProperties).toMatchObject({ amount: '1', packageSize: '10', freeUnits: '0.5', rate: null, graduatedRanges: null });
    expect(plan.charges[0]?.filters).toEqual([
      expect.objectContaining({ values: { region: ['eu'] }, typedValues: [{ key: 'region', values: ['eu'] }], typedProperties: expect.objectContaining({ amount: '1', rate: null }) }),
    ]);
  });

  it('explain current usage typed: typedDetails, typedValues and typedGroupedBy hold what the JSON fields hold', async () => {
    const usage = await usageOf('typed');
    const typenames = new Set<string>();
    for (const charge of usage.chargesUsage) {
      expect(charge.typedDetails).toHaveLength(charge.details.length);
      charge.typedDetails.forEach((fee, i) => {
        const json = charge.details[i]!;
        typenames.add(fee.details.__typename);
        expect(withoutTypename(fee.details), charge.charge.chargeModel).toEqual(json.details);
        expect([fee.units, fee.amountCents]).toEqual([json.units, json.amountCents]);
        expect(fee.filterValues).toEqual(json.filterValues === null ? null : Object.entries(json.filterValues as object).map(([key, values]) => ({ key, values })));
        expect(fee.groupedBy).toEqual(Object.entries(json.groupedBy as object).map(([key, value]) => ({ key, value })));
      });
      for (const filter of charge.filters) expect(filter.typedValues).toEqual(filter.values === null ? null : Object.entries(filter.values).map(([key, values]) => ({ key, values })));
      for (const group of charge.groupedUsage) expect(group.typedGroupedBy).toEqual(Object.entries(group.groupedBy).map(([key, value]) => ({ key, value })));
    }
    expect([...typenames].sort()).toEqual(['DynamicDetails', 'GraduatedDetails', 'GraduatedPercentageDetails', 'PackageDetails', 'PercentageDetails', 'StandardDetails', 'VolumeDetails']);
    const graduated = usage.chargesUsage[1]!.typedDetails[0]!.details;
    expect(graduated).toMatchObject({ __typename: 'GraduatedDetails', tiers: [{ units: '10', total: '10' }, { units: '15', flatAmount: '2', total: '9.5' }] });
  });

  it('accepts null for the fields of other models (as generated clients send them) and inline literals', async () => {
    const nulls = { amount: '3', rate: null, graduatedRanges: null, packageSize: null, pricingGroupKeys: null };
    await ok(CREATE_PLAN, { input: planInput('typed_nulls', [{ billableMetricCode: 'calls', chargeModel: 'STANDARD', typedProperties: nulls }]) });
    expect(await storedCharges('typed_nulls')).toMatchObject([{ properties: { amount: '3' } }]);
    expect((await storedCharges('typed_nulls'))[0]).toHaveProperty('properties', { amount: '3' });

    await ok(`mutation { createPlan(input: {code: "typed_literal", name: "L", interval: MONTHLY, amountCents: "0", amountCurrency: "EUR", charges: [
      {billableMetricCode: "calls", chargeModel: VOLUME, typedProperties: {volumeRanges: [{fromValue: "0", perUnitAmount: "1.5", flatAmount: "0"}]},
       filters: [{typedValues: [{key: "region", values: ["us"]}], typedProperties: {volumeRanges: [{fromValue: "0", toValue: null, perUnitAmount: "2", flatAmount: "1"}]}}]}] }) { plan { code } } }`);
    expect(await storedCharges('typed_literal')).toMatchObject([{
      properties: { volumeRanges: [{ fromValue: '0', toValue: null, perUnitAmount: '1.5', flatAmount: '0' }] },
      filters: [{ values: { region: ['us'] }, properties: { volumeRanges: [{ fromValue: '0', toValue: null, perUnitAmount: '2', flatAmount: '1' }] } }],
    }]);
  });

  it('override a subscription’s charge typed, stored as the JSON override would be', async () => {
    const { plan } = await ok<{ plan: { charges: { id: string }[] } }>('query { plan(code: "json_twin") { charges { id } } }');
    const id = plan.charges[0]!.id;
    const typed = await subscribe('typed_override', 'json_twin', {
      charges: [{ id, typedProperties: { amount: '3' }, filters: [{ typedValues: [{ key: 'region', values: ['us'] }], typedProperties: { amount: '4' } }] }],
    });
    const json = await subscribe('json_override', 'json_twin', { charges: [{ id, properties: { amount: '3' }, filters: [{ values: { region: ['us'] }, properties: { amount: '4' } }] }] });
    expect(typed.createSubscription.subscription.planOverrides).toEqual(json.createSubscription.subscription.planOverrides);
    await sendEvents('sub_typed_override');
    // 1 us call at the filter's 4 €, 2 eu calls (no filter now) at 3 €.
    expect((await usageOf('typed_override')).chargesUsage[0]).toMatchObject({ units: '3', amountCents: '1000' });
  });

  it('invoice fees typed: typedDetails, typedChargeFilterValues and typedGroupedBy hold what the JSON fields hold', async () => {
    await server.advanceClock('2030-04-01T01:00:00Z');
    await server.settle();
    type Fee = { feeType: string; chargeModel: string | null; amountCents: string; details: unknown; chargeFilterValues: unknown; typedChargeFilterValues: unknown; groupedBy: object; typedGroupedBy: unknown; typedDetails: Details | null };
    const data = await ok<{ invoices: { edges: { node: { fees: Fee[] } }[] } }>(INVOICES, { c: 'cus_typed' });
    const fees = data.invoices.edges.flatMap((edge) => edge.node.fees);
    const charges = fees.filter((fee) => fee.feeType === 'CHARGE');
    expect(charges.length).toBeGreaterThanOrEqual(8);
    for (const fee of fees) {
      if (fee.feeType === 'CHARGE' && fee.details !== null) expect(withoutTypename(fee.typedDetails!)).toEqual(fee.details);
      else expect(fee.typedDetails).toBeNull();
      expect(fee.typedChargeFilterValues).toEqual(fee.chargeFilterValues === null ? null : Object.entries(fee.chargeFilterValues as object).map(([key, values]) => ({ key, values })));
      expect(fee.typedGroupedBy).toEqual(Object.entries(fee.groupedBy).map(([key, value]) => ({ key, value })));
    }
    expect(charges.some((fee) => fee.typedDetails?.__typename === 'PercentageDetails')).toBe(true);
  });
});

describe('typed inputs refused', () => {
  const bad = (charge: Record<string, unknown>) => ({ input: planInput('typed_bad', [charge]) });
  const ranges = [{ fromValue: '0', toValue: '10', perUnitAmount: '1', flatAmount: '0' }, { fromValue: '12', perUnitAmount: '1', flatAmount: '0' }];

  it.each([
    ['a gap between typed ranges', { chargeModel: 'GRADUATED', typedProperties: { graduatedRanges: ranges } }, 'input.charges.0.typedProperties.graduatedRanges.1.fromValue'],
    ['a field of another model', { chargeModel: 'STANDARD', typedProperties: { amount: '1', rate: '2' } }, 'input.charges.0.typedProperties.rate'],
    ['a missing required field', { chargeModel: 'STANDARD', typedProperties: {} }, 'input.charges.0.typedProperties.amount'],
    ['a negative amount', { chargeModel: 'PACKAGE', typedProperties: { amount: '-1', packageSize: '10' } }, 'input.charges.0.typedProperties.amount'],
    ['a zero package size', { chargeModel: 'PACKAGE', typedProperties: { amount: '1', packageSize: '0' } }, 'input.charges.0.typedProperties.packageSize'],
    ['fractional free events', { chargeModel: 'PERCENTAGE', typedProperties: { rate: '1', freeUnitsPerEvents: '1.5' } }, 'input.charges.0.typedProperties.freeUnitsPerEvents'],
    ['both properties and typedProperties', { chargeModel: 'STANDARD', properties: { amount: '1' }, typedProperties: { amount: '1' } }, 'input.charges.0.typedProperties'],
    ['a bad typed filter property', { chargeModel: 'STANDARD', typedProperties: { amount: '1' }, filters: [{ typedValues: [{ key: 'region', values: ['eu'] }], typedProperties: { amount: 'x' } }] }, 'input.charges.0.filters.0.typedProperties.amount'],
    ['an undeclared typed filter value', { chargeModel: 'STANDARD', typedProperties: { amount: '1' }, filters: [{ typedValues: [{ key: 'region', values: ['eu', 'mars'] }], typedProperties: { amount: '1' } }] }, 'input.charges.0.filters.0.typedValues.0.values.1'],
    ['an undeclared typed filter key', { chargeModel: 'STANDARD', typedProperties: { amount: '1' }, filters: [{ typedValues: [{ key: 'region', values: ['eu'] }, { key: 'planet', values: ['mars'] }], typedProperties: { amount: '1' } }] }, 'input.charges.0.filters.0.typedValues.1.key'],
    ['a typed filter key listed twice', { chargeModel: 'STANDARD', typedProperties: { amount: '1' }, filters: [{ typedValues: [{ key: 'region', values: ['eu'] }, { key: 'region', values: ['us'] }], typedProperties: { amount: '1' } }] }, 'input.charges.0.filters.0.typedValues.1.key'],
    ['no typed filter keys', { chargeModel: 'STANDARD', typedProperties: { amount: '1' }, filters: [{ typedValues: [], typedProperties: { amount: '1' } }] }, 'input.charges.0.filters.0.typedValues'],
    ['both values and typedValues', { chargeModel: 'STANDARD', typedProperties: { amount: '1' }, filters: [{ values: { region: ['eu'] }, typedValues: [{ key: 'region', values: ['eu'] }], typedProperties: { amount: '1' } }] }, 'input.charges.0.filters.0.typedValues'],
    ['a filter with neither values nor typedValues', { chargeModel: 'STANDARD', typedProperties: { amount: '1' }, filters: [{ typedProperties: { amount: '1' } }] }, 'input.charges.0.filters.0.typedValues'],
  ])('refuses %s with VALIDATION naming the typed field, appending nothing', async (_rule, charge, field) => {
    await expectValidation(server, CREATE_PLAN, bad({ billableMetricCode: 'calls', ...charge }), field);
  });

  it('names the typed fields of an update and of subscription overrides too, appending nothing', async () => {
    const update = 'mutation($input: UpdatePlanInput!) { updatePlan(input: $input) { plan { code } } }';
    await expectValidation(server, update, { input: planInput('typed_twin', [{ billableMetricCode: 'bytes', chargeModel: 'VOLUME', typedProperties: { volumeRanges: [{ fromValue: '1', perUnitAmount: '1', flatAmount: '0' }] } }]) }, 'input.charges.0.typedProperties.volumeRanges.0.fromValue');
    const { plan } = await ok<{ plan: { charges: { id: string }[] } }>('query { plan(code: "json_twin") { charges { id } } }');
    await ok('mutation { createCustomer(input: {externalId: "cus_refused", currency: "EUR"}) { customer { externalId } } }');
    const subscription = (planOverrides: unknown) => ({ input: { externalId: 'sub_refused', externalCustomerId: 'cus_refused', planCode: 'json_twin', planOverrides } });
    const id = plan.charges[0]!.id;
    await expectValidation(server, CREATE_SUBSCRIPTION, subscription({ charges: [{ id, typedProperties: { amount: 'free' } }] }), 'input.planOverrides.charges.0.typedProperties.amount');
    await expectValidation(server, CREATE_SUBSCRIPTION, subscription({ charges: [{ id, properties: { amount: '1' }, typedProperties: { amount: '1' } }] }), 'input.planOverrides.charges.0.typedProperties');
    await expectValidation(server, CREATE_SUBSCRIPTION, subscription({ charges: [{ id, filters: [{ typedValues: [{ key: 'region', values: ['mars'] }], typedProperties: { amount: '1' } }] }] }), 'input.planOverrides.charges.0.filters.0.typedValues.0.values.0');
  });
});

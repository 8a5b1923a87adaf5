import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';

/** Coupons through GraphQL and the manual clock (README "Discounts and credit notes"; reference §4.4 step 4, §5.1). */

type Fee = { feeType: string; billableMetricCode: string | null; amountCents: string; preciseCouponsAmountCents: string; taxesAmountCents: string };
type Invoice = {
  id: string;
  status: string;
  reason: string;
  feesAmountCents: string;
  couponsAmountCents: string;
  subTotalExcludingTaxesAmountCents: string;
  taxesAmountCents: string;
  totalAmountCents: string;
  chargesToDatetime: string | null;
  credits: { type: string; couponCode: string; amountCents: string }[];
  fees: Fee[];
};
type Applied = { id: string; couponCode: string; status: string; creditedAmountCents: string; amountCentsRemaining: string | null; frequencyDurationRemaining: number | null; credits: { amountCents: string }[] };

const INVOICE = `id status reason feesAmountCents couponsAmountCents subTotalExcludingTaxesAmountCents taxesAmountCents totalAmountCents chargesToDatetime
  credits { type couponCode amountCents } fees { feeType billableMetricCode amountCents preciseCouponsAmountCents taxesAmountCents }`;
const APPLIED = 'id couponCode status creditedAmountCents amountCentsRemaining frequencyDurationRemaining credits { amountCents }';

let server: TestServer;
afterEach(async () => server?.close());

async function ok<T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const result = await server.gql<T>(query, variables);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data as T;
}

/** The error a mutation answers, and that it appended nothing. */
async function refused(query: string, variables: Record<string, unknown>): Promise<{ code: unknown; field: unknown; message: string }> {
  const head = await server.system.app.deps.eventStore.headPosition();
  const result = await server.gql(query, variables);
  expect(await server.system.app.deps.eventStore.headPosition()).toBe(head);
  const error = result.errors?.[0];
  expect(error, 'an error').toBeDefined();
  return { code: error!.extensions?.code, field: error!.extensions?.field, message: error!.message };
}

const createCoupon = (input: Record<string, unknown>) => ok('mutation($input: CreateCouponInput!) { createCoupon(input: $input) { coupon { id code status } } }', { input });
const applyCoupon = (input: Record<string, unknown>) =>
  ok<{ applyCoupon: { appliedCoupon: Applied } }>(`mutation($input: ApplyCouponInput!) { applyCoupon(input: $input) { appliedCoupon { ${APPLIED} } } }`, { input }).then((d) => d.applyCoupon.appliedCoupon);

async function setup(options: { start?: string; plan?: Record<string, unknown>; customer?: Record<string, unknown> } = {}) {
  server = await startTestServer({ CLOCK: 'manual', CLOCK_START: options.start ?? '2026-01-01T00:00:00Z' });
  for (const code of ['calls', 'storage']) {
    await ok('mutation($input: CreateBillableMetricInput!) { createBillableMetric(input: $input) { billableMetric { code } } }', { input: { code, name: code, aggregationType: 'COUNT' } });
  }
  await ok('mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { code } } }', {
    input: {
      code: 'basic',
      name: 'Basic',
      interval: 'MONTHLY',
      amountCents: '3100',
      amountCurrency: 'EUR',
      charges: [
        { billableMetricCode: 'calls', chargeModel: 'STANDARD', properties: { amount: '1' } },
        { billableMetricCode: 'storage', chargeModel: 'STANDARD', properties: { amount: '2' } },
      ],
      ...options.plan,
    },
  });
  await ok('mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { externalId } } }', { input: { externalId: 'c1', currency: 'EUR', ...options.customer } });
  await ok('mutation { createSubscription(input: {externalId: "s1", externalCustomerId: "c1", planCode: "basic"}) { subscription { status } } }');
}

async function send(code: string, count: number, timestamp: string): Promise<void> {
  if (server.system.app.deps.clock.now().getTime() < Date.parse(timestamp)) await server.advanceClock(timestamp);
  const events = Array.from({ length: count }, (_, i) => ({ transactionId: `${code}-${timestamp}-${i}`, externalSubscriptionId: 's1', code, timestamp }));
  await ok('mutation($input: CreateEventsInput!) { createEvents(input: $input) { acceptedCount } }', { input: { events } });
}

/** Invoices, oldest billing period first. */
async function invoices(): Promise<Invoice[]> {
  const data = await ok<{ invoices: { edges: { node: Invoice }[] } }>(`{ invoices(first: 100) { edges { node { ${INVOICE} } } } }`);
  return data.invoices.edges.map((e) => e.node).sort((a, b) => (a.chargesToDatetime ?? '').localeCompare(b.chargesToDatetime ?? ''));
}

async function appliedCoupons(): Promise<Applied[]> {
  const data = await ok<{ appliedCoupons: { edges: { node: Applied }[] } }>(`{ appliedCoupons(externalCustomerId: "c1") { edges { node { ${APPLIED} } } } }`);
  return data.appliedCoupons.edges.map((e) => e.node);
}

describe('coupons', () => {
  it('a once fixed coupon larger than the first invoice credits all of it, then finishes on the second', async () => {
    await setup();
    await createCoupon({ code: 'welcome', name: 'Welcome', couponType: 'FIXED_AMOUNT', amountCents: '5000', amountCurrency: 'EUR' });
    await applyCoupon({ externalCustomerId: 'c1', couponCode: 'welcome' });
    await server.advanceClock('2026-02-01T00:00:00Z');
    const [january] = await invoices();
    expect(january).toMatchObject({ feesAmountCents: '3100', couponsAmountCents: '3100', subTotalExcludingTaxesAmountCents: '0', totalAmountCents: '0' });
    expect(january!.credits).toEqual([{ type: 'COUPON', couponCode: 'welcome', amountCents: '3100' }]);
    expect((await appliedCoupons())[0]).toMatchObject({ status: 'ACTIVE', creditedAmountCents: '3100', amountCentsRemaining: '1900' });
    await server.advanceClock('2026-03-01T00:00:00Z');
    const [, february] = await invoices();
    expect(february).toMatchObject({ couponsAmountCents: '1900', totalAmountCents: '1200' });
    expect((await appliedCoupons())[0]).toMatchObject({ status: 'TERMINATED', creditedAmountCents: '5000', amountCentsRemaining: '0', credits: [{ amountCents: '3100' }, { amountCents: '1900' }] });
    await server.advanceClock('2026-04-01T00:00:00Z');
    expect((await invoices())[2]).toMatchObject({ couponsAmountCents: '0', totalAmountCents: '3100', credits: [] });
  });

  it('a recurring percentage coupon applies for its periods, then ends', async () => {
    await setup();
    await createCoupon({ code: 'ten', name: 'Ten', couponType: 'PERCENTAGE', percentageRate: '10', frequency: 'RECURRING', frequencyDuration: 2 });
    await applyCoupon({ externalCustomerId: 'c1', couponCode: 'ten' });
    await server.advanceClock('2026-04-01T00:00:00Z');
    const all = await invoices();
    expect(all.map((i) => [i.couponsAmountCents, i.totalAmountCents])).toEqual([
      ['310', '2790'],
      ['310', '2790'],
      ['0', '3100'],
    ]);
    expect((await appliedCoupons())[0]).toMatchObject({ status: 'TERMINATED', frequencyDurationRemaining: 0 });
  });

  it('a percentage coupon limited to one metric discounts only its charge fees, split onto them', async () => {
    await setup();
    await createCoupon({ code: 'calls50', name: 'Half calls', couponType: 'PERCENTAGE', percentageRate: '50', frequency: 'FOREVER', appliesTo: { billableMetricCodes: ['calls'] } });
    await applyCoupon({ externalCustomerId: 'c1', couponCode: 'calls50' });
    await send('calls', 10, '2026-01-10T00:00:00Z');
    await send('storage', 10, '2026-01-10T00:00:00Z');
    await server.advanceClock('2026-02-01T00:00:00Z');
    const [invoice] = await invoices();
    // 3100 fee + 1000 calls + 2000 storage; 50 % of the calls' 1000 = 500.
    expect(invoice).toMatchObject({ feesAmountCents: '6100', couponsAmountCents: '500', totalAmountCents: '5600' });
    expect(invoice!.fees.map((f) => [f.feeType, f.billableMetricCode, f.amountCents, f.preciseCouponsAmountCents])).toEqual([
      ['SUBSCRIPTION', null, '3100', '0'],
      ['CHARGE', 'calls', '1000', '500'],
      ['CHARGE', 'storage', '2000', '0'],
    ]);
  });

  it('two coupons: the one limited to metrics first, then by age; coupons come before taxes', async () => {
    await setup();
    await ok('mutation { createTax(input: {code: "vat", name: "VAT", rate: "20", appliedToOrganization: true}) { tax { code } } }');
    await createCoupon({ code: 'flat', name: 'Flat', couponType: 'FIXED_AMOUNT', amountCents: '4000', amountCurrency: 'EUR', frequency: 'FOREVER' });
    await createCoupon({ code: 'calls', name: 'All calls', couponType: 'PERCENTAGE', percentageRate: '100', frequency: 'FOREVER', appliesTo: { billableMetricCodes: ['calls'] } });
    await applyCoupon({ externalCustomerId: 'c1', couponCode: 'flat' });
    await applyCoupon({ externalCustomerId: 'c1', couponCode: 'calls' });
    await send('calls', 10, '2026-01-10T00:00:00Z');
    await server.advanceClock('2026-02-01T00:00:00Z');
    const [invoice] = await invoices();
    // Limited first: 100 % of calls = 1000; then flat: min(4000, 4100 − 1000 = 3100) = 3100: nothing left to tax.
    expect(invoice!.credits.map((c) => [c.couponCode, c.amountCents])).toEqual([
      ['calls', '1000'],
      ['flat', '3100'],
    ]);
    expect(invoice).toMatchObject({ couponsAmountCents: '4100', taxesAmountCents: '0', totalAmountCents: '0' });
  });

  it('charge-level taxes replace the plan’s after a coupon, each on the fee minus its coupon share', async () => {
    await setup();
    await ok('mutation { createTax(input: {code: "plan_tax", name: "Plan", rate: "10"}) { tax { code } } }');
    await ok('mutation { createTax(input: {code: "charge_tax", name: "Charge", rate: "20"}) { tax { code } } }');
    await ok('mutation { createPlan(input: {code: "taxed", name: "Taxed", interval: MONTHLY, amountCents: "1000", amountCurrency: "EUR", taxCodes: ["plan_tax"], charges: [{billableMetricCode: "calls", chargeModel: STANDARD, properties: {amount: "1"}, taxCodes: ["charge_tax"]}]}) { plan { code } } }');
    await ok('mutation { createSubscription(input: {externalId: "s2", externalCustomerId: "c1", planCode: "taxed"}) { subscription { status } } }');
    await ok('mutation { terminateSubscription(input: {externalId: "s1", onTerminationInvoice: SKIP}) { subscription { status } } }');
    await createCoupon({ code: 'half', name: 'Half', couponType: 'PERCENTAGE', percentageRate: '50' });
    await applyCoupon({ externalCustomerId: 'c1', couponCode: 'half' });
    await server.advanceClock('2026-01-10T00:00:00Z');
    await ok('mutation($input: CreateEventsInput!) { createEvents(input: $input) { acceptedCount } }', {
      input: { events: Array.from({ length: 10 }, (_, i) => ({ transactionId: `t${i}`, externalSubscriptionId: 's2', code: 'calls', timestamp: '2026-01-10T00:00:00Z' })) },
    });
    await server.advanceClock('2026-02-01T00:00:00Z');
    const [invoice] = await invoices();
    // Fees 1000 (plan tax 10 %) + 1000 (charge tax 20 %); 50 % coupon = 1000, split 500 / 500.
    // Taxes: 500 × 10 % + 500 × 20 % = 50 + 100 = 150.
    expect(invoice!.fees.map((f) => [f.feeType, f.preciseCouponsAmountCents, f.taxesAmountCents])).toEqual([
      ['SUBSCRIPTION', '500', '50'],
      ['CHARGE', '500', '100'],
    ]);
    expect(invoice).toMatchObject({ couponsAmountCents: '1000', subTotalExcludingTaxesAmountCents: '1000', taxesAmountCents: '150', totalAmountCents: '1150' });
  });

  it('a coupon limited to a plan applies to that plan’s subscriptions with overrides too, and to no other plan', async () => {
    await setup();
    await ok('mutation { createPlan(input: {code: "other", name: "Other", interval: MONTHLY, amountCents: "1000", amountCurrency: "EUR"}) { plan { code } } }');
    await ok('mutation { terminateSubscription(input: {externalId: "s1", onTerminationInvoice: SKIP}) { subscription { status } } }');
    await ok('mutation { createSubscription(input: {externalId: "s2", externalCustomerId: "c1", planCode: "basic", planOverrides: {amountCents: "2000"}}) { subscription { status } } }');
    await ok('mutation { createSubscription(input: {externalId: "s3", externalCustomerId: "c1", planCode: "other"}) { subscription { status } } }');
    await createCoupon({ code: 'basic50', name: 'Half basic', couponType: 'PERCENTAGE', percentageRate: '50', frequency: 'FOREVER', appliesTo: { planCodes: ['basic'] } });
    await applyCoupon({ externalCustomerId: 'c1', couponCode: 'basic50' });
    await server.advanceClock('2026-02-01T00:00:00Z');
    const byTotal = (await invoices()).map((i) => [i.feesAmountCents, i.couponsAmountCents]).sort();
    // s2 (basic, overridden to 2000): 1000 off; s3 (other): nothing.
    expect(byTotal).toEqual([
      ['1000', '0'],
      ['2000', '1000'],
    ]);
  });

  it('never on a draft: a grace period leaves the coupon for the finalization', async () => {
    await setup({ customer: { invoiceGracePeriod: 3 } });
    await createCoupon({ code: 'flat', name: 'Flat', couponType: 'FIXED_AMOUNT', amountCents: '1000', amountCurrency: 'EUR' });
    await applyCoupon({ externalCustomerId: 'c1', couponCode: 'flat' });
    await server.advanceClock('2026-02-01T00:00:00Z');
    const [draft] = await invoices();
    expect(draft).toMatchObject({ status: 'DRAFT', couponsAmountCents: '0', totalAmountCents: '3100', credits: [] });
    expect((await appliedCoupons())[0]!.creditedAmountCents).toBe('0');
    await server.advanceClock('2026-02-04T00:00:00Z');
    const [finalized] = await invoices();
    expect(finalized).toMatchObject({ status: 'FINALIZED', couponsAmountCents: '1000', totalAmountCents: '2100' });
  });

  it('a removed coupon credits nothing more', async () => {
    await setup();
    await createCoupon({ code: 'ten', name: 'Ten', couponType: 'PERCENTAGE', percentageRate: '10', frequency: 'FOREVER' });
    const applied = await applyCoupon({ externalCustomerId: 'c1', couponCode: 'ten' });
    await server.advanceClock('2026-02-01T00:00:00Z');
    await ok(`mutation { removeAppliedCoupon(input: {id: "${applied.id}"}) { appliedCoupon { status } } }`);
    await server.advanceClock('2026-03-01T00:00:00Z');
    expect((await invoices()).map((i) => i.couponsAmountCents)).toEqual(['310', '0']);
  });

  it('bad input: typed errors naming the field, nothing appended', async () => {
    await setup();
    const create = 'mutation($input: CreateCouponInput!) { createCoupon(input: $input) { coupon { code } } }';
    expect(await refused(create, { input: { code: 'x', name: 'X', couponType: 'FIXED_AMOUNT', amountCurrency: 'EUR' } })).toMatchObject({ code: 'VALIDATION', field: 'input.amountCents' });
    expect(await refused(create, { input: { code: 'x', name: 'X', couponType: 'PERCENTAGE', percentageRate: '120' } })).toMatchObject({ code: 'VALIDATION', field: 'input.percentageRate' });
    expect(await refused(create, { input: { code: 'x', name: 'X', couponType: 'PERCENTAGE', percentageRate: '5', frequency: 'RECURRING' } })).toMatchObject({ code: 'VALIDATION', field: 'input.frequencyDuration' });
    expect(await refused(create, { input: { code: 'x', name: 'X', couponType: 'PERCENTAGE', percentageRate: '5', appliesTo: { planCodes: ['nope'] } } })).toMatchObject({ code: 'VALIDATION', field: 'input.appliesTo.planCodes.0' });
    expect(await refused(create, { input: { code: 'x', name: 'X', couponType: 'PERCENTAGE', percentageRate: '5', appliesTo: { planCodes: ['basic'], billableMetricCodes: ['calls'] } } })).toMatchObject({ code: 'VALIDATION', field: 'input.appliesTo' });
    expect(await refused(create, { input: { code: 'x', name: 'X', couponType: 'PERCENTAGE', percentageRate: '5', expiration: 'TIME_LIMIT', expirationAt: '2025-01-01T00:00:00Z' } })).toMatchObject({ code: 'VALIDATION', field: 'input.expirationAt' });

    await createCoupon({ code: 'once', name: 'Once', couponType: 'PERCENTAGE', percentageRate: '5', reusable: false });
    await createCoupon({ code: 'usd', name: 'Dollars', couponType: 'FIXED_AMOUNT', amountCents: '100', amountCurrency: 'USD' });
    await applyCoupon({ externalCustomerId: 'c1', couponCode: 'once' });
    const apply = 'mutation($input: ApplyCouponInput!) { applyCoupon(input: $input) { appliedCoupon { id } } }';
    expect(await refused(apply, { input: { externalCustomerId: 'c1', couponCode: 'once' } })).toMatchObject({ code: 'VALIDATION', field: 'input.couponCode' });
    expect(await refused(apply, { input: { externalCustomerId: 'c1', couponCode: 'usd' } })).toMatchObject({ code: 'VALIDATION', field: 'input.amountCurrency' });
    expect(await refused(apply, { input: { externalCustomerId: 'c1', couponCode: 'missing' } })).toMatchObject({ code: 'VALIDATION', field: 'input.couponCode' });
    expect(await refused(apply, { input: { externalCustomerId: 'nobody', couponCode: 'usd' } })).toMatchObject({ code: 'VALIDATION', field: 'input.externalCustomerId' });
    await ok('mutation { terminateCoupon(input: {code: "usd"}) { coupon { status } } }');
    expect(await refused(apply, { input: { externalCustomerId: 'c1', couponCode: 'usd', amountCurrency: 'EUR' } })).toMatchObject({ code: 'VALIDATION', field: 'input.couponCode' });
    // Once applied, a coupon's terms are fixed (its name is not).
    const update = 'mutation($input: UpdateCouponInput!) { updateCoupon(input: $input) { coupon { name percentageRate } } }';
    expect(await refused(update, { input: { code: 'once', percentageRate: '50' } })).toMatchObject({ code: 'CONFLICT' });
    expect(await ok(update, { input: { code: 'once', name: 'Renamed' } })).toEqual({ updateCoupon: { coupon: { name: 'Renamed', percentageRate: '5' } } });
    expect(await refused(create, { input: { code: 'once', name: 'Again', couponType: 'PERCENTAGE', percentageRate: '5' } })).toMatchObject({ code: 'CONFLICT' });
  });

  it('a non-reusable coupon applied twice at once is applied once', async () => {
    await setup();
    await createCoupon({ code: 'once', name: 'Once', couponType: 'PERCENTAGE', percentageRate: '5', reusable: false });
    const apply = 'mutation($input: ApplyCouponInput!) { applyCoupon(input: $input) { appliedCoupon { id } } }';
    const results = await Promise.all(Array.from({ length: 5 }, () => server.gql(apply, { input: { externalCustomerId: 'c1', couponCode: 'once' } })));
    expect(results.filter((r) => r.errors === undefined)).toHaveLength(1);
    expect(results.filter((r) => r.errors?.[0]?.extensions?.code === 'VALIDATION')).toHaveLength(4);
    expect(await appliedCoupons()).toHaveLength(1);
  });
});

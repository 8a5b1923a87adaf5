import BigNumber from 'bignumber.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';

/**
 * For random plans and events: each in-arrears usage fee of the period-end invoice equals what `customerUsage`
 * showed for that charge at the last instant of the period, and every invoice total equals its fees plus taxes.
 */

const model = fc.constantFrom(
  { chargeModel: 'STANDARD', properties: { amount: '0.37' } },
  { chargeModel: 'PACKAGE', properties: { amount: '5', packageSize: 3, freeUnits: 1 } },
  {
    chargeModel: 'GRADUATED',
    properties: { graduatedRanges: [{ fromValue: 0, toValue: 5, perUnitAmount: '1.5', flatAmount: '2' }, { fromValue: 6, toValue: null, perUnitAmount: '0.25', flatAmount: '0' }] },
  },
  { chargeModel: 'VOLUME', properties: { volumeRanges: [{ fromValue: 0, toValue: 10, perUnitAmount: '0.9', flatAmount: '0' }, { fromValue: 11, toValue: null, perUnitAmount: '0.6', flatAmount: '3' }] } },
);

const scenario = fc.record({
  models: fc.array(model, { minLength: 1, maxLength: 3 }),
  sum: fc.boolean(),
  values: fc.array(fc.record({ day: fc.integer({ min: 1, max: 30 }), value: fc.integer({ min: 0, max: 40 }), metric: fc.nat(2) }), { maxLength: 25 }),
  taxRate: fc.constantFrom(null, '20', '5.5', '19.6'),
  timezone: fc.constantFrom('UTC', 'America/New_York', 'Asia/Kolkata'),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

async function run(server: TestServer, s: Scenario): Promise<void> {
  const ok = async <T = any>(query: string, variables: Record<string, unknown> = {}, key?: string): Promise<T> => {
    const result = await server.gql<T>(query, variables, key);
    expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
    return result.data as T;
  };
  if (s.taxRate !== null) await ok('mutation($rate: String!) { createTax(input: {code: "vat", name: "VAT", rate: $rate, appliedToOrganization: true}) { tax { code } } }', { rate: s.taxRate });
  const metrics = ['m0', 'm1', 'm2'];
  for (const code of metrics) {
    await ok('mutation($input: CreateBillableMetricInput!) { createBillableMetric(input: $input) { billableMetric { code } } }', {
      input: s.sum ? { code, name: code, aggregationType: 'SUM', fieldName: 'v' } : { code, name: code, aggregationType: 'COUNT' },
    });
  }
  await ok('mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { code } } }', {
    input: { code: 'p', name: 'P', interval: 'MONTHLY', amountCents: '1234', amountCurrency: 'EUR', charges: s.models.map((m, i) => ({ billableMetricCode: metrics[i]!, ...m })) },
  });
  await ok('mutation($tz: String!) { createCustomer(input: {externalId: "c", currency: "EUR", timezone: $tz}) { customer { externalId } } }', { tz: s.timezone });
  await ok('mutation { createSubscription(input: {externalId: "s", externalCustomerId: "c", planCode: "p"}) { subscription { currentBillingPeriodEndingAt } } }');
  const period = await ok<{ subscription: { currentBillingPeriodEndingAt: string } }>('{ subscription(externalId: "s") { currentBillingPeriodEndingAt } }');
  const end = period.subscription.currentBillingPeriodEndingAt;
  const events = s.values.map((v, i) => ({
    transactionId: `t${i}`,
    externalSubscriptionId: 's',
    code: metrics[v.metric % s.models.length]!,
    timestamp: new Date(Date.parse('2026-01-02T12:00:00Z') + (v.day - 1) * 86_400_000 * 0.95).toISOString(),
    properties: { v: String(v.value) },
  }));
  // Events may not be ahead of the clock: move it to the period's last instant first.
  await server.advanceClock(end);
  if (events.length > 0) await ok('mutation($events: [UsageEventInput!]!) { createEvents(input: {events: $events}) { acceptedCount } }', { events });
  const usage = await ok<{ customerUsage: { chargesUsage: { billableMetric: { code: string }; amountCents: string; units: string }[] } }>(
    '{ customerUsage(externalCustomerId: "c", externalSubscriptionId: "s", waitForEvents: true) { chargesUsage { billableMetric { code } amountCents units } } }',
  );
  await server.advanceClock(new Date(Date.parse(end) + 1).toISOString());
  const invoices = await ok<{ invoices: { edges: { node: any }[] } }>(
    '{ invoices { edges { node { feesAmountCents taxesAmountCents totalAmountCents subTotalIncludingTaxesAmountCents fees { feeType billableMetricCode amountCents taxesAmountCents units eventsCount } } } } }',
  );
  expect(invoices.invoices.edges).toHaveLength(1);
  const invoice = invoices.invoices.edges[0]!.node;
  for (const charge of usage.customerUsage.chargesUsage) {
    const fees = invoice.fees.filter((f: { billableMetricCode: string | null }) => f.billableMetricCode === charge.billableMetric.code);
    const billed = BigNumber.sum(0, ...fees.map((f: { amountCents: string }) => f.amountCents));
    expect(billed.toFixed(), `charge on ${charge.billableMetric.code}`).toBe(charge.amountCents);
  }
  const feesSum = BigNumber.sum(0, ...invoice.fees.map((f: { amountCents: string }) => f.amountCents));
  expect(invoice.feesAmountCents).toBe(feesSum.toFixed());
  expect(new BigNumber(invoice.totalAmountCents).toFixed()).toBe(new BigNumber(invoice.feesAmountCents).plus(invoice.taxesAmountCents).toFixed());
  // The invoice's tax is within a cent per two fees of the fees' own rounded taxes (reference §4.5).
  const feeTaxes = BigNumber.sum(0, ...invoice.fees.map((f: { taxesAmountCents: string }) => f.taxesAmountCents));
  expect(feeTaxes.minus(invoice.taxesAmountCents).abs().toNumber()).toBeLessThanOrEqual(Math.floor(invoice.fees.length / 2));
}

describe('invoice properties', () => {
  it('each usage fee equals current usage at the period’s last instant; totals are fees plus taxes', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const server = await startTestServer({ CLOCK: 'manual', CLOCK_START: '2026-01-01T12:00:00Z' });
        try {
          await run(server, s);
        } finally {
          await server.close();
        }
      }),
      { numRuns: process.env.SOAK ? 100 : 12 },
    );
  }, 120_000);
});

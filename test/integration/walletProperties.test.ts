import BigNumber from 'bignumber.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';

/**
 * For random usage and top-ups (reference §5.4, §4.4 step 7): once the events are folded, a wallet's ongoing balance
 * equals its balance minus the uninvoiced usage recomputed from the raw events (count × unit price, taxes included);
 * after the period is billed, no credit is applied twice: the balance is what was granted minus what invoices took,
 * each invoice took at most its total once, and the wallet's outbound transactions sum to exactly that.
 */

const scenario = fc.record({
  rate: fc.constantFrom('1', '0.5', '2.25'),
  grants: fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 3 }),
  events: fc.array(fc.record({ metric: fc.nat(1), count: fc.integer({ min: 1, max: 8 }), duplicate: fc.boolean() }), { maxLength: 8 }),
  taxRate: fc.constantFrom(null, '20', '5.5'),
});
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

const PRICES = ['1.5', '0.35'];

async function run(server: TestServer, s: Scenario): Promise<void> {
  const ok = async <T = any>(query: string, variables: Record<string, unknown> = {}): Promise<T> => {
    const result = await server.gql<T>(query, variables);
    expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
    return result.data as T;
  };
  if (s.taxRate !== null) await ok('mutation($rate: String!) { createTax(input: {code: "vat", name: "VAT", rate: $rate, appliedToOrganization: true}) { tax { code } } }', { rate: s.taxRate });
  for (const code of ['m0', 'm1']) await ok('mutation($code: String!) { createBillableMetric(input: {code: $code, name: $code, aggregationType: COUNT}) { billableMetric { code } } }', { code });
  await ok('mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { code } } }', {
    input: { code: 'p', name: 'P', interval: 'MONTHLY', amountCents: '0', amountCurrency: 'EUR', charges: PRICES.map((amount, i) => ({ billableMetricCode: `m${i}`, chargeModel: 'STANDARD', properties: { amount } })) },
  });
  await ok('mutation { createCustomer(input: {externalId: "c", currency: "EUR"}) { customer { externalId } } }');
  await ok('mutation { createSubscription(input: {externalId: "s", externalCustomerId: "c", planCode: "p"}) { subscription { status } } }');
  const created = await ok<{ createWallet: { wallet: { id: string } } }>('mutation($rate: String!, $g: String!) { createWallet(input: {externalCustomerId: "c", currency: "EUR", rateAmount: $rate, grantedCredits: $g}) { wallet { id } } }', {
    rate: s.rate,
    g: String(s.grants[0]),
  });
  const walletId = created.createWallet.wallet.id;
  for (const grant of s.grants.slice(1)) await ok('mutation($id: ID!, $g: String!) { createWalletTransaction(input: {walletId: $id, grantedCredits: $g}) { wallet { id } } }', { id: walletId, g: String(grant) });
  const counts = [0, 0];
  for (const [i, e] of s.events.entries()) {
    const events = Array.from({ length: e.count }, (_, j) => ({ transactionId: `t${i}-${j}`, externalSubscriptionId: 's', code: `m${e.metric}`, timestamp: '2026-01-01T00:00:00Z' }));
    // A replayed batch never counts twice.
    const batches = e.duplicate ? [events, events] : [events];
    for (const [n, batch] of batches.entries()) {
      const answer = await ok<{ createEvents: { acceptedCount: number } }>('mutation($events: [UsageEventInput!]!) { createEvents(input: {events: $events}) { acceptedCount } }', { events: batch });
      expect(answer.createEvents.acceptedCount).toBe(n === 0 ? e.count : 0);
    }
    counts[e.metric]! += e.count;
  }
  await server.settle();
  // Recomputed from the raw events: Σ round(count × price) per charge, taxes rounded per fee.
  const cents = counts.map((count, i) => new BigNumber(count).times(PRICES[i]!).times(100).integerValue(BigNumber.ROUND_HALF_UP));
  const taxes = cents.map((c) => (s.taxRate === null ? new BigNumber(0) : c.times(s.taxRate).div(100).integerValue(BigNumber.ROUND_HALF_UP)));
  const usage = BigNumber.sum(0, ...cents, ...taxes);
  // The invoice rounds its taxes once on their sum (§4.4 step 5), where current usage rounds each fee's.
  const unrounded = cents.map((c) => (s.taxRate === null ? new BigNumber(0) : c.times(s.taxRate).div(100)));
  const invoiced = BigNumber.sum(0, ...cents).plus(BigNumber.sum(0, ...unrounded).integerValue(BigNumber.ROUND_HALF_UP));
  const granted = BigNumber.sum(0, ...s.grants.map((g) => new BigNumber(g).times(s.rate).times(100).integerValue(BigNumber.ROUND_HALF_UP)));
  const WALLET = 'query($id: ID!) { wallet(id: $id) { balanceCents ongoingBalanceCents ongoingUsageBalanceCents transactions(first: 100) { edges { node { transactionType transactionStatus amountCents invoiceId } } } } }';
  const before = await ok<{ wallet: { balanceCents: string; ongoingBalanceCents: string; ongoingUsageBalanceCents: string } }>(WALLET, { id: walletId });
  expect(before.wallet.balanceCents).toBe(granted.toFixed());
  expect(before.wallet.ongoingUsageBalanceCents).toBe(usage.toFixed());
  expect(before.wallet.ongoingBalanceCents).toBe(granted.minus(usage).toFixed());

  await server.advanceClock('2026-02-01T00:00:00Z');
  // Twice: a second run at the same instant bills nothing more and debits nothing more.
  await server.advanceClock('2026-02-01T00:00:00.001Z');
  const after = await ok<{ wallet: { balanceCents: string; transactions: { edges: { node: { transactionType: string; transactionStatus: string; amountCents: string; invoiceId: string | null } }[] } } }>(WALLET, { id: walletId });
  const invoices = await ok<{ invoices: { edges: { node: { id: string; invoiceType: string; subTotalIncludingTaxesAmountCents: string; prepaidCreditAmountCents: string; totalAmountCents: string } }[] } }>(
    '{ invoices { edges { node { id invoiceType subTotalIncludingTaxesAmountCents prepaidCreditAmountCents totalAmountCents } } } }',
  );
  const billed = invoices.invoices.edges.map((e) => e.node).filter((i) => i.invoiceType === 'SUBSCRIPTION');
  expect(billed).toHaveLength(1);
  const invoice = billed[0]!;
  expect(invoice.subTotalIncludingTaxesAmountCents).toBe(invoiced.toFixed());
  const debits = after.wallet.transactions.edges.map((e) => e.node).filter((t) => t.transactionStatus === 'INVOICED');
  expect(debits.length).toBeLessThanOrEqual(1);
  const debited = BigNumber.sum(0, ...debits.map((t) => t.amountCents));
  expect(debited.toFixed()).toBe(BigNumber.min(granted, invoiced).toFixed());
  expect(invoice.prepaidCreditAmountCents).toBe(debited.toFixed());
  expect(new BigNumber(invoice.totalAmountCents).toFixed()).toBe(invoiced.minus(debited).toFixed());
  expect(after.wallet.balanceCents).toBe(granted.minus(debited).toFixed());
}

describe('wallet properties', () => {
  it('the ongoing balance is the balance minus the uninvoiced usage of the raw events; no credit is applied twice', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const server = await startTestServer({ CLOCK: 'manual', CLOCK_START: '2026-01-01T00:00:00Z' });
        try {
          await run(server, s);
        } finally {
          await server.close();
        }
      }),
      { numRuns: process.env.SOAK ? 100 : 10 },
    );
  }, 120_000);
});

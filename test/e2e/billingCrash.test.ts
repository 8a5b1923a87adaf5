import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, gql, kill9, startServer, type ServerProcess } from '../support/process.ts';

/** A billing run SIGKILLed midway: after a restart, every invoice due exists exactly once, with distinct numbers. */
describe('billing run killed midway', () => {
  let dir: string;
  let server: ServerProcess | undefined;
  afterEach(async () => {
    if (server) await kill9(server);
    rmSync(dir, { recursive: true, force: true });
  });

  it('restarts into no duplicate and no missing invoice', async () => {
    dir = mkdtempSync(join(tmpdir(), 'billing-crash-'));
    const env = { CLOCK: 'manual', CLOCK_START: '2026-01-01T00:00:00Z', BILLING_CLOCK_INTERVAL_MS: '60000' };
    server = await startServer(dir, env);
    const call = async (query: string, key = server!.key) => {
      const result = await gql(server!.port, key, query);
      expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
      return result.data!;
    };
    await call('mutation { createBillableMetric(input: {code: "calls", name: "Calls", aggregationType: COUNT}) { billableMetric { code } } }');
    await call('mutation { createPlan(input: {code: "p", name: "P", interval: MONTHLY, amountCents: "1000", amountCurrency: "EUR", charges: [{billableMetricCode: "calls", chargeModel: STANDARD, properties: {amount: "1"}}]}) { plan { code } } }');
    const subscriptions = 150;
    for (let i = 0; i < subscriptions; i += 1) {
      await call(`mutation { createCustomer(input: {externalId: "c${i}", currency: "EUR"}) { customer { externalId } } }`);
      await call(`mutation { createSubscription(input: {externalId: "s${i}", externalCustomerId: "c${i}", planCode: "p"}) { subscription { status } } }`);
    }
    await call(`mutation { createEvents(input: {events: [${Array.from({ length: subscriptions }, (_, i) => `{transactionId: "t${i}", externalSubscriptionId: "s${i}", code: "calls"}`).join(',')}]}) { acceptedCount } }`);
    const count = async () => ((await call('{ invoices(first: 1) { totalCount } }')) as { invoices: { totalCount: number } }).invoices.totalCount;

    // Two months due; the server is killed while it bills them.
    const advance = gql(server.port, ADMIN, 'mutation { advanceClock(input: {to: "2026-03-01T00:00:00Z"}) { now } }').catch(() => null);
    const deadline = Date.now() + 20_000;
    while ((await count()) < 40 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    await kill9(server);
    await advance;

    server = await startServer(dir, env);
    const before = await count();
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(subscriptions * 2);
    // The clock is already at (or before) March 1st: a tick at the same instant bills what is missing.
    await gql(server.port, ADMIN, 'mutation { advanceClock(input: {to: "2026-03-01T00:00:00Z"}) { now } }');
    const all = (await call('{ invoices(first: 500) { totalCount edges { node { number externalSubscriptionId chargesFromDatetime totalAmountCents } } } }')) as {
      invoices: { totalCount: number; edges: { node: { number: string; externalSubscriptionId: string; chargesFromDatetime: string; totalAmountCents: string } }[] };
    };
    expect(all.invoices.totalCount).toBe(subscriptions * 2);
    const keys = new Set(all.invoices.edges.map((e) => `${e.node.externalSubscriptionId}/${e.node.chargesFromDatetime}`));
    expect(keys.size).toBe(subscriptions * 2);
    const numbers = new Set(all.invoices.edges.map((e) => e.node.number));
    expect(numbers.size).toBe(subscriptions * 2);
    // January: 1000 + 1 call; February: 1000.
    const totals = all.invoices.edges.map((e) => `${e.node.chargesFromDatetime.slice(0, 7)}:${e.node.totalAmountCents}`);
    expect(totals.filter((t) => t === '2026-01:1100').length).toBe(subscriptions);
    expect(totals.filter((t) => t === '2026-02:1000').length).toBe(subscriptions);
  }, 120_000);
});

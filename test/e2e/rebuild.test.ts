import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CREATE_EVENTS, callEvents, gql, kill9, meteredSubscriptions, runRebuild, startServer, until, type ServerProcess } from '../support/process.ts';

const SUBSCRIPTIONS = 12;

const USAGE = `query($customer: String!, $subscription: String!) {
  customerUsage(externalCustomerId: $customer, externalSubscriptionId: $subscription, waitForEvents: true) {
    fromDatetime toDatetime amountCents totalAmountCents
    chargesUsage { billableMetric { code } units eventsCount amountCents }
  }
}`;

describe('rebuild script (worker threads over partitions of the log)', () => {
  let dataDir = '';
  let server: ServerProcess | undefined;
  afterEach(async () => {
    if (server) await kill9(server);
    server = undefined;
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('folds the log again into the usage every query answered before, across a catalog change', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'billing-rebuild-'));
    server = await startServer(dataDir);
    const { port, key } = server;
    await meteredSubscriptions(port, key, SUBSCRIPTIONS);
    const ok = async (query: string, variables: Record<string, unknown> = {}) => {
      const result = await gql(port, key, query, variables);
      expect(result.errors).toBeUndefined();
      return result.data!;
    };
    await ok('mutation { createBillableMetric(input: {code: "bytes", name: "Bytes", aggregationType: SUM, fieldName: "bytes"}) { billableMetric { code } } }');
    await ok('mutation { createBillableMetric(input: {code: "users", name: "Users", aggregationType: UNIQUE_COUNT, fieldName: "user"}) { billableMetric { code } } }');
    for (let i = 0; i < SUBSCRIPTIONS; i += 1) {
      const sub = `sub_${i}`;
      const calls = callEvents(sub, 'c', 50 + i * 7);
      const bytes = Array.from({ length: 40 }, (_, n) => ({ transactionId: `b-${n}`, externalSubscriptionId: sub, code: 'bytes', properties: { bytes: `${(n * 13) % 97}.25` } }));
      const users = Array.from({ length: 60 }, (_, n) => ({ transactionId: `u-${n}`, externalSubscriptionId: sub, code: 'users', properties: { user: `user-${n % (5 + i)}` } }));
      // Every event of the first batch again: duplicates, never counted twice.
      await ok(CREATE_EVENTS, { events: [...calls, ...bytes, ...users] });
      await ok(CREATE_EVENTS, { events: calls });
    }
    // A catalog change after the events: the plan now charges the other metrics too (the live server re-folds).
    await ok(`mutation { updatePlan(input: {code: "p", name: "P", interval: MONTHLY, amountCents: "0", amountCurrency: "EUR", charges: [
      {billableMetricCode: "calls", chargeModel: STANDARD, properties: {amount: "1"}},
      {billableMetricCode: "bytes", chargeModel: PACKAGE, properties: {amount: "2", packageSize: 10, freeUnits: 5}},
      {billableMetricCode: "users", chargeModel: GRADUATED, properties: {graduatedRanges: [{fromValue: 0, toValue: 3, perUnitAmount: "1", flatAmount: "0"}, {fromValue: 4, toValue: null, perUnitAmount: "0.5", flatAmount: "1"}]}}
    ]}) { plan { code } } }`);
    const usage = async () => {
      const all = [];
      for (let i = 0; i < SUBSCRIPTIONS; i += 1) all.push(await ok(USAGE, { customer: `cus_${i}`, subscription: `sub_${i}` }));
      return all;
    };
    // Read-your-writes across the catalog change: waitForEvents answers the re-folded usage at once.
    const before = await usage();
    expect(before.every((u) => u.customerUsage.chargesUsage.length === 3)).toBe(true);
    expect(before[3]!.customerUsage.chargesUsage.find((c: { billableMetric: { code: string } }) => c.billableMetric.code === 'users').units).toBe('8');

    const stopped = new Promise((resolve) => server!.child.once('exit', resolve));
    server.child.kill('SIGINT');
    await stopped;
    server = undefined;

    const rebuilt = await runRebuild(dataDir);
    expect(rebuilt.output).toMatch(/usage/);
    expect(rebuilt.code).toBe(0);

    server = await startServer(dataDir);
    await until('readiness after the rebuild', async () => (await fetch(`http://127.0.0.1:${server!.port}/ready`)).status === 200);
    const after = [];
    for (let i = 0; i < SUBSCRIPTIONS; i += 1) {
      const result = await gql(server.port, server.key, USAGE, { customer: `cus_${i}`, subscription: `sub_${i}` });
      expect(result.errors).toBeUndefined();
      after.push(result.data!);
    }
    expect(after).toEqual(before);
  }, 120_000);
});

import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN, gql, startServer } from '../support/process.ts';

describe('crash recovery (kill -9)', () => {
  let dataDir = '';
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill('SIGKILL');
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps every acknowledged event and a consistent read model after SIGKILL', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'billing-crash-'));
    const first = await startServer(dataDir);
    child = first.child;
    const org = (await gql(first.port, first.key, '{ organization { id } }')).data!.organization.id as string;

    // Fire appends continuously; kill the process while requests are still in flight.
    const acknowledged: string[] = [];
    let stop = false;
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; !stop; i += 1) {
        try {
          const result = await gql(first.port, ADMIN, `mutation { createApiKey(input: {organizationId: "${org}", name: "w${w}-${i}"}) { key } }`);
          if (result.data?.createApiKey) acknowledged.push(result.data.createApiKey.key as string);
        } catch {
          return; // the connection died with the process
        }
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 700));
    first.child.kill('SIGKILL');
    stop = true;
    await Promise.all(writers);
    if (first.child.exitCode === null && first.child.signalCode === null) await new Promise((resolve) => first.child.once('exit', resolve));
    expect(acknowledged.length).toBeGreaterThan(5);

    const second = await startServer(dataDir);
    child = second.child;
    expect(second.key).toBe(first.key);
    const listed = (await gql(second.port, first.key, '{ apiKeys(first: 500) { totalCount } }')).data!.apiKeys.totalCount as number;
    expect(listed).toBeGreaterThanOrEqual(acknowledged.length + 1);
    for (const key of acknowledged) {
      const seen = await gql(second.port, key, '{ organization { id } }');
      expect(seen.data?.organization.id).toBe(org);
    }
    const health = (await (await fetch(`http://127.0.0.1:${second.port}/ready`)).json()) as { ready: boolean };
    expect(health.ready).toBe(true);
  });

  it('loses no acknowledged usage event and counts none twice after SIGKILL during ingestion', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'billing-crash-'));
    const first = await startServer(dataDir);
    child = first.child;
    const setup = [
      'mutation { createBillableMetric(input: {code: "calls", name: "Calls", aggregationType: COUNT}) { billableMetric { code } } }',
      'mutation { createPlan(input: {code: "p", name: "P", interval: MONTHLY, amountCents: "0", amountCurrency: "EUR", charges: [{billableMetricCode: "calls", chargeModel: STANDARD, properties: {amount: "1"}}]}) { plan { code } } }',
      'mutation { createCustomer(input: {externalId: "c1", currency: "EUR"}) { customer { externalId } } }',
      'mutation { createSubscription(input: {externalId: "sub1", externalCustomerId: "c1", planCode: "p"}) { subscription { status } } }',
    ];
    for (const query of setup) expect((await gql(first.port, first.key, query)).errors).toBeUndefined();
    const mutation = (ids: string[]) =>
      `mutation { createEvents(input: {events: [${ids.map((id) => `{transactionId: "${id}", externalSubscriptionId: "sub1", code: "calls"}`).join(', ')}]}) { outcomes { transactionId status } } }`;

    const acknowledged: string[] = [];
    let stop = false;
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; !stop; i += 1) {
        const ids = Array.from({ length: 50 }, (_, j) => `w${w}-${i}-${j}`);
        try {
          const result = await gql(first.port, first.key, mutation(ids));
          for (const outcome of result.data?.createEvents.outcomes ?? []) if (outcome.status === 'ACCEPTED') acknowledged.push(outcome.transactionId);
        } catch {
          return;
        }
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 700));
    first.child.kill('SIGKILL');
    stop = true;
    await Promise.all(writers);
    if (first.child.exitCode === null && first.child.signalCode === null) await new Promise((resolve) => first.child.once('exit', resolve));
    expect(acknowledged.length).toBeGreaterThan(100);

    const second = await startServer(dataDir);
    child = second.child;
    for (let tries = 0; tries < 100; tries += 1) {
      if ((await fetch(`http://127.0.0.1:${second.port}/ready`)).status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Every stored event, counted through the event debugger (pages of 500 read from the log).
    const count = async () => {
      let total = 0;
      for (let after: string | null = null; ; ) {
        const page: { edges: unknown[]; pageInfo: { hasNextPage: boolean; endCursor: string } } = (await gql(second.port, first.key, `{ events(externalSubscriptionId: "sub1", first: 500${after ? `, after: "${after}"` : ''}) { edges { cursor } pageInfo { hasNextPage endCursor } } }`)).data!.events;
        total += page.edges.length;
        if (!page.pageInfo.hasNextPage) return total;
        after = page.pageInfo.endCursor;
      }
    };
    const stored = await count();
    expect(stored).toBeGreaterThanOrEqual(acknowledged.length);
    // The usage projection, killed mid-fold too, counts every stored event exactly once.
    const units = async () => {
      const result = await gql(second.port, first.key, '{ customerUsage(externalCustomerId: "c1", externalSubscriptionId: "sub1", waitForEvents: true) { chargesUsage { units } } }');
      return result.data!.customerUsage.chargesUsage[0].units as string;
    };
    expect(await units()).toBe(String(stored));
    // Every acknowledged event survived: re-sending each one is recognised as a duplicate, and adds nothing.
    for (let start = 0; start < acknowledged.length; start += 500) {
      const result = await gql(second.port, first.key, mutation(acknowledged.slice(start, start + 500)));
      expect(new Set(result.data!.createEvents.outcomes.map((o: { status: string }) => o.status))).toEqual(new Set(['DUPLICATE']));
    }
    expect(await count()).toBe(stored);
    expect(await units()).toBe(String(stored));
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/application/logger.ts';
import { composeSystem, type System } from '../../src/compose.ts';
import { loadConfig } from '../../src/config.ts';
import { createPlanWith } from '../support/catalog.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const USAGE = 'query($s: String!) { customerUsage(externalCustomerId: "cus_r", externalSubscriptionId: $s, waitForEvents: true) { chargesUsage { units eventsCount amountCents } } }';
type Usage = { customerUsage: { chargesUsage: { units: string; eventsCount: number; amountCents: string }[] } };

/**
 * The server deployment's split, on the embedded store: an API (`ROLE=api`, no projections) and a projection worker
 * (`ROLE=worker`) sharing one SQLite file, as two processes would. The API learns what the worker folded from the
 * stored checkpoints and the log.
 */
describe('API and projection worker as separate roles', () => {
  let dir: string;
  let worker: System;
  let api: TestServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'billing-roles-'));
    const databasePath = join(dir, 'billing.db');
    worker = await composeSystem(loadConfig({ DATA_DIR: dir, DATABASE_PATH: databasePath, ROLE: 'worker', LOG_LEVEL: 'silent' }), { logger: createLogger('silent') });
    api = await startTestServer({ DATA_DIR: dir, DATABASE_PATH: databasePath, ROLE: 'api' });
    expect(api.system.runner).toBeUndefined();
  });

  afterAll(async () => {
    await api.close();
    await worker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers mutations from read models the worker folded (read-your-writes), and usage once the worker holds the events', async () => {
    const created = await api.gql('mutation { createBillableMetric(input: {code: "calls", name: "Calls", aggregationType: COUNT}) { billableMetric { code } } }');
    expect(created.errors).toBeUndefined();
    await createPlanWith(api, 'split', [{ billableMetricCode: 'calls' }]);
    expect((await api.gql('mutation { createCustomer(input: {externalId: "cus_r", currency: "EUR"}) { customer { externalId } } }')).errors).toBeUndefined();
    const subscribed = await api.gql<{ createSubscription: { subscription: { status: string; plan: { code: string } } } }>(
      'mutation { createSubscription(input: {externalId: "sub_r", externalCustomerId: "cus_r", planCode: "split"}) { subscription { status plan { code } } } }',
    );
    expect(subscribed.data?.createSubscription.subscription).toEqual({ status: 'ACTIVE', plan: { code: 'split' } });

    const events = Array.from({ length: 30 }, (_, i) => ({ transactionId: `r${i}`, externalSubscriptionId: 'sub_r', code: 'calls', properties: {} }));
    const sent = await api.gql<{ createEvents: { acceptedCount: number } }>('mutation($events: [UsageEventInput!]!) { createEvents(input: {events: $events}) { acceptedCount } }', { events });
    expect(sent.data?.createEvents.acceptedCount).toBe(30);
    // No settle: the query itself waits until the worker's checkpoints hold every acknowledged event.
    const usage = await api.gql<Usage>(USAGE, { s: 'sub_r' });
    expect(usage.errors).toBeUndefined();
    expect(usage.data?.customerUsage.chargesUsage).toEqual([{ units: '30', eventsCount: 30, amountCents: '3000' }]);
  });

  it('pushes live usage from the API after events the worker folded', async () => {
    const client = api.ws(api.apiKey);
    const seen: number[] = [];
    const reached = new Promise<void>((resolve, reject) => {
      client.subscribe<{ customerUsageUpdated: { chargesUsage: { eventsCount: number }[] } }>(
        { query: 'subscription { customerUsageUpdated(externalCustomerId: "cus_r", externalSubscriptionId: "sub_r") { chargesUsage { eventsCount } } }' },
        {
          next: ({ data, errors }) => {
            if (errors) return reject(new Error(JSON.stringify(errors)));
            seen.push(data!.customerUsageUpdated.chargesUsage[0]!.eventsCount);
            if (seen.at(-1) === 35) resolve();
          },
          error: reject,
          complete: () => {},
        },
      );
    });
    await expect.poll(() => seen.length).toBeGreaterThan(0);
    const events = Array.from({ length: 5 }, (_, i) => ({ transactionId: `live${i}`, externalSubscriptionId: 'sub_r', code: 'calls', properties: {} }));
    await api.gql('mutation($events: [UsageEventInput!]!) { createEvents(input: {events: $events}) { acceptedCount } }', { events });
    await reached;
    expect(seen[0]).toBe(30);
    expect(seen.at(-1)).toBe(35);
  });
});

/**
 * Crash harness (issue 12, "Crash"): the real server process (`node src/main.ts`, projections in a worker thread)
 * ingests usage from clients and is SIGKILLed at random points, then restarted; the clients resend every batch
 * that was not acknowledged, with the same transaction ids, and go on. Batches have random sizes, random
 * transaction ids, and duplicates (events sent before, in this batch or another). After the last restart:
 *
 * - every acknowledged event is stored exactly once (counted per transaction id over the events query), and no
 *   event resent after a crash is stored twice;
 * - the usage read model counts each stored event once (units and amounts as computed by the client);
 * - the read models equal a fresh rebuild: the answers are captured, the server stopped, `scripts/rebuildProjection.ts
 *   all` run on the data directory, the server started again, and every answer compared.
 *
 * 5 trials in `npm test`, 20 with SOAK set. The PRNG seed is printed; CRASH_SEED replays the same choices (the
 * kill points also depend on timing).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gql, kill9, meteredSubscriptions, runRebuild, startServer, until, type ServerProcess } from '../support/process.ts';

const SOAK = Boolean(process.env.SOAK);
const TRIALS = SOAK ? 20 : 5;
const SEED = process.env.CRASH_SEED ? Number(process.env.CRASH_SEED) : Math.floor(Math.random() * 2 ** 31);
const SUBSCRIPTIONS = 3;
const WRITERS = 3;

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type UsageEvent = { transactionId: string; externalSubscriptionId: string; code: string; properties?: Record<string, string> };
const keyOf = (event: UsageEvent) => `${event.externalSubscriptionId}|${event.transactionId}`;

const CREATE_EVENTS = 'mutation($events: [UsageEventInput!]!) { createEvents(input: {events: $events}) { outcomes { index status errorCode } } }';
const USAGE = `query($customer: String!, $subscription: String!) {
  customerUsage(externalCustomerId: $customer, externalSubscriptionId: $subscription, waitForEvents: true) {
    fromDatetime toDatetime amountCents taxesAmountCents totalAmountCents currency
    chargesUsage { billableMetric { code } units eventsCount amountCents totalAggregatedUnits }
  }
}`;
const EVENTS_PAGE = `query($subscription: String!, $after: String) {
  events(externalSubscriptionId: $subscription, first: 500, after: $after) {
    edges { node { transactionId externalSubscriptionId code properties timestamp ingestedAt } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const CATALOG = `{
  customers(first: 100) { edges { node { externalId currency sequentialId } } }
  subscriptions(first: 100) { edges { node { externalId status planCode externalCustomerId currentBillingPeriodStartedAt } } }
  plans(first: 100) { edges { node { code charges { billableMetricCode chargeModel properties } } } }
  billableMetrics(first: 100) { edges { node { code aggregationType fieldName } } }
}`;

describe('crash harness: SIGKILL under ingestion at random points, restart, resend', () => {
  let dataDir = '';
  let server: ServerProcess | undefined;
  afterEach(async () => {
    if (server) await kill9(server);
    server = undefined;
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it(`keeps every acknowledged event exactly once over ${TRIALS} kills, and read models equal to a fresh rebuild`, async () => {
    console.log(`crash harness: seed ${SEED} (CRASH_SEED=${SEED} replays it), ${TRIALS} trials`);
    const random = prng(SEED);
    const between = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
    dataDir = mkdtempSync(join(tmpdir(), 'billing-crash-harness-'));
    server = await startServer(dataDir);
    const { key } = server;
    await meteredSubscriptions(server.port, key, SUBSCRIPTIONS);
    const setup = async (query: string) => expect((await gql(server!.port, key, query)).errors).toBeUndefined();
    await setup('mutation { createBillableMetric(input: {code: "bytes", name: "Bytes", aggregationType: SUM, fieldName: "bytes"}) { billableMetric { code } } }');
    await setup(`mutation { updatePlan(input: {code: "p", name: "P", interval: MONTHLY, amountCents: "0", amountCurrency: "EUR", charges: [
      {billableMetricCode: "calls", chargeModel: STANDARD, properties: {amount: "1"}},
      {billableMetricCode: "bytes", chargeModel: STANDARD, properties: {amount: "0.01"}}
    ]}) { plan { code } } }`);

    // The client's truth: every event sent (first version; a duplicate is sent identical), and what was acknowledged.
    const sent = new Map<string, UsageEvent>();
    const acknowledged = new Set<string>();
    const unacknowledged: UsageEvent[][] = [];
    let batches = 0;
    let duplicatesSent = 0;
    let resent = 0;
    /** Events of resent batches answered DUPLICATE and never acknowledged before: stored before the crash, unacknowledged. */
    let storedUnacknowledged = 0;

    const newBatch = (trial: number): UsageEvent[] => {
      const size = between(1, 80);
      const batch: UsageEvent[] = [];
      const known = [...sent.values()];
      for (let i = 0; i < size; i += 1) {
        const roll = random();
        if (roll < 0.08 && known.length > 0) {
          batch.push(known[Math.floor(random() * known.length)]!); // an event sent before, maybe acknowledged
          duplicatesSent += 1;
        } else if (roll < 0.12 && batch.length > 0) {
          batch.push(batch[Math.floor(random() * batch.length)]!); // twice in one batch
          duplicatesSent += 1;
        } else {
          let transactionId: string;
          const externalSubscriptionId = `sub_${between(0, SUBSCRIPTIONS - 1)}`;
          do transactionId = `t${trial}-${Math.floor(random() * 2 ** 48).toString(16)}`;
          while (sent.has(`${externalSubscriptionId}|${transactionId}`));
          const event: UsageEvent = random() < 0.5
            ? { transactionId, externalSubscriptionId, code: 'calls' }
            : { transactionId, externalSubscriptionId, code: 'bytes', properties: { bytes: String(between(0, 1000)) } };
          sent.set(keyOf(event), event);
          batch.push(event);
        }
      }
      return batch;
    };

    /** Sends batches (unacknowledged ones first) until `stop()` or the server dies; `drain` stops once none is left. */
    const ingest = async (port: number, trial: number, stopped: () => boolean, drain: boolean) => {
      const writer = async () => {
        while (!stopped()) {
          const retry = unacknowledged.shift();
          const isRetry = retry !== undefined;
          if (!retry && drain) return;
          const batch = retry ?? newBatch(trial);
          if (retry) resent += 1;
          batches += 1;
          let result: Awaited<ReturnType<typeof gql<Record<string, any>>>>;
          try {
            result = await gql(port, key, CREATE_EVENTS, { events: batch });
          } catch {
            unacknowledged.push(batch); // the connection died with the process: not acknowledged
            return;
          }
          const outcomes = result.data?.createEvents?.outcomes as { index: number; status: string; errorCode: string | null }[] | undefined;
          if (!outcomes) {
            // Refused as a whole (RATE_LIMITED while the projections catch up): not acknowledged, send it again.
            expect(result.errors?.[0]?.extensions?.code, JSON.stringify(result.errors)).toBe('RATE_LIMITED');
            unacknowledged.push(batch);
            await new Promise((resolve) => setTimeout(resolve, 50));
            continue;
          }
          expect(outcomes).toHaveLength(batch.length);
          for (const outcome of outcomes) {
            expect(outcome.status, JSON.stringify(outcome)).not.toBe('REJECTED');
            if (isRetry && outcome.status === 'DUPLICATE' && !acknowledged.has(keyOf(batch[outcome.index]!))) storedUnacknowledged += 1;
            acknowledged.add(keyOf(batch[outcome.index]!));
          }
        }
      };
      await Promise.all(Array.from({ length: WRITERS }, writer));
    };

    for (let trial = 0; trial < TRIALS; trial += 1) {
      if (trial > 0) server = await startServer(dataDir);
      const current = server!;
      // A random point: sometimes while the restarted server still catches up, sometimes well into ingestion.
      const delay = random() < 0.2 ? between(0, 100) : between(100, 1000);
      let stop = false;
      const writers = ingest(current.port, trial, () => stop, false);
      await new Promise((resolve) => setTimeout(resolve, delay));
      await kill9(current);
      stop = true;
      await writers;
      server = undefined;
    }

    // The last restart: every batch not acknowledged is sent again, then nothing more.
    server = await startServer(dataDir);
    const { port } = server;
    await until('readiness after the last restart', async () => (await fetch(`http://127.0.0.1:${port}/ready`)).status === 200);
    await ingest(port, TRIALS, () => false, true);
    expect(unacknowledged).toEqual([]);
    console.log(`crash harness: ${batches} batches (${resent} resent, ${storedUnacknowledged} of their events already stored), ${sent.size} distinct events, ${duplicatesSent} duplicates sent`);
    expect(acknowledged.size).toBe(sent.size);
    expect(sent.size).toBeGreaterThan(TRIALS * 10);

    // Every event stored exactly once, counted per transaction id from the log.
    const storedEvents = async (port: number) => {
      const all: Record<string, unknown>[] = [];
      for (let i = 0; i < SUBSCRIPTIONS; i += 1) {
        for (let after: string | null = null; ; ) {
          const result = await gql(port, key, EVENTS_PAGE, { subscription: `sub_${i}`, after });
          expect(result.errors).toBeUndefined();
          const page = result.data!.events as { edges: { node: Record<string, unknown> }[]; pageInfo: { hasNextPage: boolean; endCursor: string } };
          all.push(...page.edges.map((edge) => edge.node));
          if (!page.pageInfo.hasNextPage) break;
          after = page.pageInfo.endCursor;
        }
      }
      return all;
    };
    const stored = await storedEvents(port);
    const counts = new Map<string, number>();
    for (const event of stored) {
      const id = `${event.externalSubscriptionId}|${event.transactionId}`;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const twice = [...counts].filter(([, n]) => n > 1);
    const missing = [...acknowledged].filter((id) => !counts.has(id));
    const unknown = [...counts.keys()].filter((id) => !sent.has(id));
    expect({ twice, missing, unknown }).toEqual({ twice: [], missing: [], unknown: [] });
    expect(stored.length).toBe(sent.size);
    for (const event of stored) {
      const original = sent.get(`${event.externalSubscriptionId}|${event.transactionId}`)!;
      expect({ code: event.code, properties: event.properties }).toEqual({ code: original.code, properties: original.properties ?? {} });
    }

    // The usage read model, killed mid-fold too, counts each stored event once.
    const usage = async (port: number) => {
      const all = [];
      for (let i = 0; i < SUBSCRIPTIONS; i += 1) {
        const result = await gql(port, key, USAGE, { customer: `cus_${i}`, subscription: `sub_${i}` });
        expect(result.errors).toBeUndefined();
        all.push(result.data!.customerUsage);
      }
      return all;
    };
    const before = await usage(port);
    for (let i = 0; i < SUBSCRIPTIONS; i += 1) {
      const mine = [...sent.values()].filter((event) => event.externalSubscriptionId === `sub_${i}`);
      const calls = mine.filter((event) => event.code === 'calls').length;
      const bytes = mine.filter((event) => event.code === 'bytes').reduce((sum, event) => sum + Number(event.properties!.bytes), 0);
      const charges = before[i].chargesUsage as { billableMetric: { code: string }; units: string }[];
      expect(Object.fromEntries(charges.map((charge) => [charge.billableMetric.code, charge.units])), `sub_${i}`).toEqual({ calls: String(calls), bytes: String(bytes) });
    }
    const catalogBefore = await gql(port, key, CATALOG);
    expect(catalogBefore.errors).toBeUndefined();

    // A fresh rebuild of every read model from the log answers the same.
    const stopped = new Promise((resolve) => server!.child.once('exit', resolve));
    server.child.kill('SIGTERM');
    await stopped;
    server = undefined;
    const rebuilt = await runRebuild(dataDir);
    expect(rebuilt.code, rebuilt.output).toBe(0);
    server = await startServer(dataDir);
    const again = server.port;
    await until('readiness after the rebuild', async () => (await fetch(`http://127.0.0.1:${again}/ready`)).status === 200);
    expect(await usage(again)).toEqual(before);
    expect((await gql(again, key, CATALOG)).data).toEqual(catalogBefore.data);
    expect(await storedEvents(again)).toEqual(stored);
  }, SOAK ? 600_000 : 120_000);
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CREATE_EVENTS, callEvents, gql, kill9, meteredSubscriptions, startServer, type ServerProcess } from '../support/process.ts';

type Pushed = { customerUsageUpdated: { chargesUsage: { eventsCount: number; units: string }[] } };
const WATCH = (sub: string) => `subscription { customerUsageUpdated(externalCustomerId: "cus_${sub.slice(4)}", externalSubscriptionId: "${sub}") { chargesUsage { eventsCount units } } }`;

describe('live usage from the real server (projections in a worker thread, pushes on its commits)', () => {
  let dataDir = '';
  let server: ServerProcess | undefined;
  const clients: Client[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
    if (server) await kill9(server);
    server = undefined;
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('pushes every subscriber of a subscription, and only its own, the usage of each acknowledged batch', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'billing-live-'));
    server = await startServer(dataDir);
    const { port, key } = server;
    await meteredSubscriptions(port, key, 2);
    const seen = new Map<string, number[]>();
    const watch = (sub: string, name: string) =>
      new Promise<void>((resolve, reject) => {
        const client = createClient({ url: `ws://127.0.0.1:${port}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${key}` }, retryAttempts: 0 });
        clients.push(client);
        seen.set(name, []);
        client.subscribe<Pushed>(
          { query: WATCH(sub) },
          {
            next: ({ data, errors }) => {
              if (errors) return reject(new Error(JSON.stringify(errors)));
              seen.get(name)!.push(data!.customerUsageUpdated.chargesUsage[0]!.eventsCount);
              resolve();
            },
            error: reject,
            complete: () => {},
          },
        );
      });
    // Three subscribers on sub_0, one on sub_1; each gets the current usage first.
    await Promise.all([watch('sub_0', 'a'), watch('sub_0', 'b'), watch('sub_0', 'c'), watch('sub_1', 'other')]);
    for (const pushes of seen.values()) expect(pushes).toEqual([0]);

    for (const [round, count] of [[1, 40], [2, 25]] as const) {
      const result = await gql(port, key, CREATE_EVENTS, { events: callEvents('sub_0', `r${round}`, count) });
      expect(result.data?.createEvents.acceptedCount).toBe(count);
      const total = round === 1 ? 40 : 65;
      await expect.poll(() => ['a', 'b', 'c'].map((name) => seen.get(name)!.at(-1)), { timeout: 10_000 }).toEqual([total, total, total]);
    }
    // Pushes only ever move forward, and the other subscription was never pushed again.
    for (const name of ['a', 'b', 'c']) {
      const pushes = seen.get(name)!;
      expect([...pushes].sort((x, y) => x - y)).toEqual(pushes);
    }
    expect(seen.get('other')).toEqual([0]);
  }, 60_000);
});

/**
 * The live-usage watcher process (forked by realistic.ts): opens `watchers.length` graphql-ws subscriptions to
 * `customerUsageUpdated`, spread over `connections` websockets, and records every push (time, watcher, api_calls
 * eventsCount). "ready" once every watcher has had its first push (its baseline); "done" with all pushes on "stop".
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { parentChannel } from './children.ts';
import type { FromLive, LiveJob, ToLive } from './messages.ts';
import { USAGE_UPDATED, type UsageUpdated } from './queries.ts';
import { now } from './stats.ts';
import { withTimeout } from './wait.ts';
import { customerId, customerOfSubscription, subscriptionId } from './workload.ts';


/** api_calls' events in a push: its charge's eventsCount (summed, should the charge ever come as several entries). */
function apiCalls(data: UsageUpdated): number {
  return data.customerUsageUpdated.chargesUsage.filter((c) => c.billableMetric.code === 'api_calls').reduce((sum, c) => sum + c.eventsCount, 0);
}

const clients: Client[] = [];
const pushWatcher: number[] = [];
const pushT: number[] = [];
const pushCount: number[] = [];
const errors: string[] = [];

const channel = parentChannel<ToLive, FromLive>(async (message) => {
  if (message.type === 'start') channel.send(await open(message.job));
  else {
    await Promise.allSettled(clients.map((client) => client.dispose()));
    channel.send({
      type: 'done',
      pushes: { watcher: Uint32Array.from(pushWatcher), t: Float64Array.from(pushT), count: Float64Array.from(pushCount) },
      errors: errors.slice(0, 20),
    });
  }
});

async function open(job: LiveJob): Promise<FromLive> {
  const started = performance.now();
  for (let i = 0; i < job.connections; i += 1) {
    clients.push(createClient({ url: job.wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${job.key}` }, retryAttempts: 0, lazy: true }));
  }
  const baselines = new Array<number>(job.watchers.length).fill(-1);
  let waiting = job.watchers.length;
  let fail: (error: Error) => void = () => {};
  let allFirst: () => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    allFirst = resolve;
    fail = reject;
  });
  job.watchers.forEach((index, watcher) => {
    const client = clients[watcher % clients.length]!;
    const variables = { customer: customerId(customerOfSubscription(index)), subscription: subscriptionId(index) };
    client.subscribe<UsageUpdated>(
      { query: USAGE_UPDATED, variables },
      {
        next: (value) => {
          const t = now();
          if (value.errors?.length || !value.data) {
            errors.push(JSON.stringify(value.errors ?? 'push without data'));
            if (baselines[watcher] === -1) fail(new Error(`watcher ${watcher} (${variables.subscription}): ${errors.at(-1)}`));
            return;
          }
          const count = apiCalls(value.data);
          if (baselines[watcher] === -1) {
            baselines[watcher] = count;
            if (--waiting === 0) allFirst();
          }
          pushWatcher.push(watcher);
          pushT.push(t);
          pushCount.push(count);
        },
        error: (error) => {
          const text = error instanceof Error ? error.message : JSON.stringify(error);
          errors.push(text);
          if (baselines[watcher] === -1) fail(new Error(`watcher ${watcher} (${variables.subscription}): ${text}`));
        },
        complete: () => {},
      },
    );
  });
  await withTimeout(ready, job.subscribeTimeoutMs, `the first push of all ${job.watchers.length} watchers`).catch((error: unknown) => {
    throw new Error(`${error instanceof Error ? error.message : String(error)}; ${waiting} of ${job.watchers.length} watchers had no first push`);
  });
  return { type: 'ready', baselines, openMs: performance.now() - started };
}

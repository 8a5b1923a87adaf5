/**
 * The current-usage query process (forked by realistic.ts): sequential `customerUsage` requests for subscriptions
 * drawn with the workload's Zipf, `warmup` unmeasured ones first; posts back each measured latency (ms). Each part
 * stops at its time cap (with `floor`, `{ __typename }` instead: what the client and the HTTP path cost alone), so a server whose queries wait (read-your-writes behind a lagging projection) still ends.
 */
import { parentChannel } from './children.ts';
import { gql } from './gql.ts';
import type { FromQuery, ToQuery } from './messages.ts';
import { CUSTOMER_USAGE } from './queries.ts';
import { seededRandom } from './random.ts';
import { now } from './stats.ts';
import { customerId, customerOfSubscription, subscriptionId, subscriptionSampler } from './workload.ts';

const channel = parentChannel<ToQuery, FromQuery>(async (message) => {
  const { endpoint, shape, seed, warmup, requests, warmupCapMs, measureCapMs, floor } = message.job;
  const nextSubscription = subscriptionSampler(shape.subscriptions, seededRandom(seed));
  let last: unknown = null;
  let serverMs: number | null = null;
  const query = async () => {
    const index = nextSubscription();
    const variables = { customer: customerId(customerOfSubscription(index)), subscription: subscriptionId(index) };
    const answer = floor ? await gql(endpoint, '{ __typename }', {}, { timeoutMs: 30_000, lean: true }) : await gql(endpoint, CUSTOMER_USAGE, variables, { timeoutMs: 30_000, lean: true });
    last = answer.data;
    serverMs = answer.serverMs;
  };
  const warmupEnds = performance.now() + warmupCapMs;
  let warmedUp = 0;
  while (warmedUp < warmup && performance.now() < warmupEnds) {
    await query();
    warmedUp += 1;
  }
  const latencies = new Float64Array(requests);
  const inServer = new Float64Array(requests);
  const startedAt = now();
  const measureEnds = performance.now() + measureCapMs;
  let done = 0;
  while (done < requests && performance.now() < measureEnds) {
    const started = performance.now();
    await query();
    inServer[done] = serverMs ?? Number.NaN;
    latencies[done++] = performance.now() - started;
  }
  channel.send({ type: 'done', latencies: latencies.slice(0, done), inServer: inServer.slice(0, done), warmedUp, capped: done < requests, startedAt, endedAt: now(), last });
});

/**
 * The query probe of the billing benchmark (forked by billing.ts): sequential `customerUsage` requests (a
 * subscription drawn with the workload's Zipf) on one kept-alive connection until told to stop, and once a second
 * `{ invoices(first: 1) { totalCount } }` in between (how many invoices the read models show so far). Each answer's
 * time and latency is posted back at the end.
 */
import { parentChannel } from './children.ts';
import { gql, type Endpoint } from './gql.ts';
import { CUSTOMER_USAGE } from './queries.ts';
import { seededRandom } from './random.ts';
import { now } from './stats.ts';
import { customerId, customerOfSubscription, subscriptionId, subscriptionSampler, type Shape } from './workload.ts';

const INVOICE_COUNT = '{ invoices(first: 1) { totalCount } }';
const COUNT_EVERY_MS = 1_000;

export type ProbeJob = { endpoint: Endpoint; shape: Shape; seed: number };
/** One query: `kind` 0 customerUsage, 1 invoices totalCount, 2 failed (`count`: the total answered, else -1). */
export type ProbeSamples = { t: Float64Array; latencyMs: Float64Array; kind: Uint8Array; count: Float64Array; errors: string[] };
export type ToProbe = { type: 'start'; job: ProbeJob } | { type: 'go' } | { type: 'stop' };
export type FromProbe = { type: 'ready' } | { type: 'done'; samples: ProbeSamples };

let job: ProbeJob | null = null;
let stopRequested = false;

const channel = parentChannel<ToProbe, FromProbe>(async (message) => {
  if (message.type === 'start') {
    job = message.job;
    channel.send({ type: 'ready' });
  } else if (message.type === 'stop') {
    stopRequested = true;
  } else {
    if (!job) throw new Error('"go" before "start"');
    channel.send({ type: 'done', samples: await probe(job) });
  }
});

async function probe({ endpoint, shape, seed }: ProbeJob): Promise<ProbeSamples> {
  const nextSubscription = subscriptionSampler(shape.subscriptions, seededRandom(seed));
  const t: number[] = [];
  const latencyMs: number[] = [];
  const kind: number[] = [];
  const count: number[] = [];
  const errors: string[] = [];
  let countAt = 0;
  while (!stopRequested) {
    const started = performance.now();
    const usage = started < countAt;
    if (!usage) countAt = started + COUNT_EVERY_MS;
    let failed = false;
    try {
      if (usage) {
        const index = nextSubscription();
        await gql(endpoint, CUSTOMER_USAGE, { customer: customerId(customerOfSubscription(index)), subscription: subscriptionId(index) }, { lean: true, timeoutMs: 60_000 });
        count.push(-1);
      } else {
        const answer = await gql<{ invoices: { totalCount: number } }>(endpoint, INVOICE_COUNT, {}, { lean: true, timeoutMs: 60_000 });
        count.push(answer.data.invoices.totalCount);
      }
    } catch (error) {
      if (errors.length < 20) errors.push(error instanceof Error ? error.message : String(error));
      count.push(-1);
      failed = true;
    }
    latencyMs.push(performance.now() - started);
    t.push(now());
    kind.push(failed ? 2 : usage ? 0 : 1);
  }
  return { t: Float64Array.from(t), latencyMs: Float64Array.from(latencyMs), kind: Uint8Array.from(kind), count: Float64Array.from(count), errors };
}

/**
 * Phase `wallets` (issue 15): wallets' ongoing balance pushed live, and progressive billing, while one load client
 * ingests api_calls at a paced 10,000 events/s (the live phase's pacing: 100 events every 10 ms, ≤ 64 in flight).
 *
 * The phase adds customers of its own to the book (same id scheme, mixed timezones, 5 subscriptions each), on two
 * plans that charge api_calls STANDARD at 1 cent an event, so a usage amount in cents is an event count:
 * - `wallet_flat`: `walletCustomers` customers, each with a wallet (granted credits far beyond what the phase uses)
 *   and one `walletUpdated(walletId)` watcher in a client process. Latency per (acked batch, wallet of a customer
 *   the batch carried): the first push whose ongoingUsageBalanceCents reaches the watcher's baseline plus the
 *   customer's cumulative acked count at that ack, minus the ack time (≥ 0) — the live phase's method, per customer.
 * - `threshold_flat`: the same charge plus one recurring usage threshold of `T` cents, on `thresholdSubscriptions`
 *   subscriptions (`T`: about 4 crossings each in the second step at the target rate). One organization-wide
 *   `usageThresholdReached` in another client process. A subscription's next progressive invoice is due when its
 *   lifetime usage reaches (⌊previous invoice's feesAmountCents / T⌋ + 1) · T (Lago's CheckService with one recurring
 *   threshold); latency = push time − the ack whose cumulative count for that subscription first reached it.
 * A share (`SAMPLE_SHARE`) of the events goes uniformly to the phase's subscriptions; the rest follow the book's Zipf.
 *
 * Before the steps, one event on every subscription of the book and the phase, then until the server is quiet: the
 * first event of a subscription after a catalog change costs a threshold lookup; measured apart (`prewarmSeconds`).
 * Step 1, wallets: `walletWarmupSeconds` of load (not measured: first lookups of every subject), then
 * `walletSeconds` measured, every watcher connected; after the fold settles, a bounded wait until every watcher's
 * last push holds all its customer's events (what is still short then counts as never pushed); the watchers close.
 * Between them, one event per wallet customer (a closed watcher's customer stays watched until its next change) and
 * a wait until the server answers `{ __typename }` promptly again.
 * Step 2, progressive billing alone: the same load (a new client) for `thresholdSeconds`, no wallet watcher.
 * Invoices of crossings acked in either measured window are reported apart. The floor of each step, in the same
 * run: appended → folded, from /health samples every 25 ms (log head → usage checkpoint; no push can precede it).
 */
import { IpcChild } from '../children.ts';
import { pool } from '../catalog.ts';
import type { BenchContext } from '../context.ts';
import { gql } from '../gql.ts';
import { LoadRun } from '../ingest.ts';
import { HealthSampler, lagsOf, settle } from '../lag.ts';
import type { Ack, FromWallet, InvoicePush, ToWallet } from '../messages.ts';
import { CREATE_EVENTS } from '../queries.ts';
import { distribution, fixed, int, percentile, rate, type Distribution } from '../stats.ts';
import { sleep } from '../wait.ts';
import { customerId, subscriptionId, SUBSCRIPTIONS_PER_CUSTOMER, type ClientSpec } from '../workload.ts';
import { LIVE_BATCH, LIVE_INTERVAL_MS, pushLatencies } from './live.ts';

/** Share of the paced events sent (uniformly) to the phase's own subscriptions. */
export const SAMPLE_SHARE = 0.2;
/** Progressive invoices expected per threshold subscription in step 2 at the target rate (sets the threshold). */
const CROSSINGS = 4;
/** After the fold settles: at most this long for the last pushes (wallets, invoices), then a margin for strays. */
const TAIL_TIMEOUT_MS = 60_000;
const TAIL_MARGIN_MS = 1_000;
/** Events per subscription in the pre-warm (part of the threshold subscriptions' lifetime usage). */
const PREWARM_EVENTS = 1;
const TIMEZONES = ['UTC', 'America/New_York', 'Europe/Paris', 'Asia/Kolkata'];

export type Distribution95 = Distribution & { p95: number | null };
type Lag = Distribution95 & { unresolved: number; samples: number; meanIntervalMs: number | null };

/** One paced load step. */
export type WalletsStep = {
  warmupSeconds: number;
  seconds: number;
  /** Every event acked (warm-up included), and those acked after the warm-up with their rate up to the last ack. */
  events: number;
  measuredEvents: number;
  achievedRate: number | null;
  rejected: number;
  /** Batches re-sent because the server reset their connection. */
  resets: number;
  skippedTicks: number;
  ackLatency: Distribution95;
  /** Appended → folded (/health samples after the warm-up). */
  floor: Lag;
  walletEvents: number;
  thresholdEvents: number;
};

export type WalletsResult = {
  walletCustomers: number;
  walletSubscriptions: number;
  thresholdSubscriptions: number;
  thresholdCents: number;
  sampleShare: number;
  connections: number;
  targetRate: number;
  setupSeconds: number;
  /** One event on every subscription, until the server answered promptly again (the first-touch cost). */
  prewarmSeconds: number;
  canaryMs: number;
  withWallets: WalletsStep;
  alone: WalletsStep;
  wallet: {
    subscribeSeconds: number;
    pushes: number;
    pairs: number;
    missing: number;
    latency: Distribution95;
    /** After step 1's fold settled: until every watcher's last push held all its customer's events (bounded). */
    tailSeconds: number;
    /** After the watchers closed: one event per wallet customer, until `{ __typename }` answered promptly again. */
    flushSeconds: number;
    /** Watchers whose last push does not hold every event of their customer. */
    staleAtEnd: number;
    /** Pushes where ongoingBalanceCents ≠ balanceCents − ongoingUsageBalanceCents. */
    inconsistent: number;
    /** Pushes whose balanceCents differs from the watcher's first (nothing should move it). */
    balanceMoved: number;
    /** Pushes whose ongoingUsageBalanceCents is below the watcher's previous one. */
    decreasing: number;
    /** Pushes reflecting more events than the customer was ever sent. */
    overCounted: number;
  };
  progressive: {
    invoices: number;
    /** Crossing acked in step 2 (no wallet watcher) / in step 1's measured window (with them) → invoice pushed. */
    alone: Distribution95;
    withWallets: Distribution95;
    /** Invoices of crossings acked during the warm-up (not in either latency). */
    warmupInvoices: number;
    /** Threshold multiples passed in all (Σ ⌊final count / T⌋), and how many an invoice covered beyond its first. */
    multiples: number;
    merged: number;
    /** Subscriptions whose last invoice does not cover every multiple passed, and the multiples left. */
    uninvoicedSubscriptions: number;
    uninvoicedMultiples: number;
    /** Pushes whose fees did not move past the previous invoice's, or fall short of the threshold they cover. */
    duplicates: number;
    belowThreshold: number;
    notFinalized: number;
    /** Progressive invoices of the threshold customers listed by `invoices(externalCustomerId)` after the phase. */
    listed: number | null;
    listedNotPushed: number | null;
    pushedNotListed: number | null;
    tailSeconds: number;
  };
  /** /health requests of the bench's own waits left unanswered past 10 s (retried). */
  healthUnanswered: number;
  errors: string[];
};

function with95(values: readonly number[]): Distribution95 {
  const sorted = Float64Array.from(values).sort();
  return { ...distribution(sorted), p95: percentile(sorted, 95) };
}

export const latencies95 = (d: Distribution95) =>
  `p50 ${fixed(d.p50)} ms, p95 ${fixed(d.p95)} ms, p99 ${fixed(d.p99)} ms, max ${fixed(d.max)} ms (${int(d.count)} samples)`;

const PLAN = 'mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { code } } }';
const CUSTOMER = 'mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { externalId } } }';
const SUBSCRIPTION = 'mutation($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { status } } }';
const WALLET = 'mutation($input: CreateWalletInput!) { createWallet(input: $input) { wallet { id } } }';
const INVOICES =
  'query($customer: String!, $after: String) { invoices(externalCustomerId: $customer, first: 50, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id invoiceType } } } }';
type Invoices = { invoices: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: { id: string; invoiceType: string } }[] } };

/**
 * `settle`, retried: a server saturated by wallet computations can leave /health unanswered past its 10 s timeout
 * (seen at 10,000 subscriptions); each failure is counted and the wait goes on, up to `timeoutMs` in all.
 */
async function settleRetrying(url: string, unanswered: { count: number }, timeoutMs = 300_000): Promise<number | null> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      return await settle(url);
    } catch (error) {
      unanswered.count += 1;
      if (performance.now() > deadline) throw error;
      await sleep(1000);
    }
  }
}

/** Until three `{ __typename }` in a row are answered within 50 ms (at most `timeoutMs`; a slow server still goes on). */
async function quiet(endpoint: { url: string; key: string }, timeoutMs = 120_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let prompt = 0;
  while (prompt < 3 && performance.now() < deadline) {
    const started = performance.now();
    await gql(endpoint, '{ __typename }', {}, { lean: true, timeoutMs: 30_000 }).catch(() => null);
    prompt = performance.now() - started <= 50 ? prompt + 1 : 0;
    await sleep(200);
  }
}

const subscriptionIndex = (id: string | null) => (id !== null && /^sub_\d+$/.test(id) ? Number(id.slice(4)) : -1);

/** One paced load client on the workload above; its acks, its summary and the /health samples while it ran. */
async function pacedStep(ctx: BenchContext, client: number, sample: ClientSpec['sample'], warmupSeconds: number, seconds: number, watch: number[], unanswered: { count: number }) {
  const spec: ClientSpec = { client, idMode: 'ordered', codes: 'api_calls', duplicateRate: 0, sample };
  const sampler = new HealthSampler(ctx.server.healthUrl, 25);
  let load: LoadRun | null = null;
  try {
    load = await LoadRun.start({
      endpoint: ctx.server.endpoint,
      shape: ctx.shape,
      specs: [spec],
      batchSize: LIVE_BATCH,
      events: [null],
      pace: { intervalMs: LIVE_INTERVAL_MS, durationMs: (warmupSeconds + seconds) * 1000, maxInFlight: 64 },
      watch,
      // Seen at 10,000 subscriptions with the API thread saturated: the server reset an ingestion connection.
      retryResets: true,
    });
    const measureFrom = load.startedAt + warmupSeconds * 1000;
    // A saturated server acknowledged batches up to ~80 s late at 10,000 subscriptions: a generous bound.
    const result = await load.finished((warmupSeconds + seconds) * 1000 + 300_000);
    // Until the sampler itself has seen the fold reach the head (else the last samples look never folded).
    const head = await settleRetrying(ctx.server.healthUrl, unanswered);
    if (head !== null) await sampler.until(head, 60_000, 'the usage projection to fold the step').catch(() => null);
    await sampler.stop();
    const lag = lagsOf(sampler.samples.filter((s) => s.t >= measureFrom), result.lastAckAt);
    const measuredEvents = load.eventsBetween(measureFrom, Infinity);
    const step: WalletsStep = {
      warmupSeconds,
      seconds,
      events: result.events,
      measuredEvents,
      achievedRate: rate(measuredEvents, (result.lastAckAt - measureFrom) / 1000),
      rejected: result.rejected,
      resets: result.resets,
      skippedTicks: result.skippedTicks,
      ackLatency: with95(load.acks.filter((a) => a.t >= measureFrom).map((a) => a.latencyMs)),
      floor: { ...with95(lag.lags), unresolved: lag.unresolved, samples: sampler.samples.length, meanIntervalMs: sampler.meanIntervalMs(result.lastAckAt) },
      walletEvents: 0,
      thresholdEvents: 0,
    };
    return { acks: load.acks, step, measureFrom, endedAt: result.lastAckAt };
  } finally {
    load?.kill();
    await sampler.stop();
  }
}

export async function runWallets(ctx: BenchContext): Promise<WalletsResult> {
  const { walletCustomers, thresholdSubscriptions, walletConnections, walletWarmupSeconds, walletSeconds, thresholdSeconds } = ctx.options.sizes;
  const endpoint = ctx.server.endpoint;
  const targetRate = (LIVE_BATCH * 1000) / LIVE_INTERVAL_MS;
  // The phase's customers follow the book's (5 subscriptions each, `customerOfSubscription` holds for them).
  const per = SUBSCRIPTIONS_PER_CUSTOMER;
  const firstCustomer = Math.max(ctx.shape.customers, Math.ceil(ctx.shape.subscriptions / per));
  const walletFrom = firstCustomer * per;
  const walletSubscriptions = walletCustomers * per;
  const thresholdFrom = walletFrom + walletSubscriptions;
  const thresholdCustomers = Math.ceil(thresholdSubscriptions / per);
  const canaryCustomer = firstCustomer + walletCustomers + thresholdCustomers;
  const canary = canaryCustomer * per;
  const sampleCount = walletSubscriptions + thresholdSubscriptions;
  const sample = { from: walletFrom, count: sampleCount, share: SAMPLE_SHARE };
  const watch = Array.from({ length: sampleCount }, (_, i) => walletFrom + i);
  const perSubscription = (targetRate * SAMPLE_SHARE) / sampleCount;
  const T = Math.max(2, Math.round((perSubscription * thresholdSeconds) / CROSSINGS));
  console.log(
    `\n== wallets: ${walletCustomers} customers with a wallet and a walletUpdated watcher each (${walletSubscriptions} subscriptions) over ${walletConnections} websockets, ` +
      `${thresholdSubscriptions} subscriptions with a recurring usage threshold of ${T} cents (1 cent an event); api_calls at ${int(targetRate)} events/s, ` +
      `${SAMPLE_SHARE * 100} % of them uniformly over those ${int(sampleCount)} subscriptions (${fixed(perSubscription, 1)} events/s each), the rest Zipf over the book; ` +
      `${walletWarmupSeconds} s warm-up + ${walletSeconds} s with the wallet watchers, then ${thresholdSeconds} s without them`,
  );
  await settleRetrying(ctx.server.healthUrl, { count: 0 });

  // Setup: plans, customers, subscriptions, wallets.
  const setupStarted = performance.now();
  const charges = [{ billableMetricCode: 'api_calls', chargeModel: 'STANDARD', properties: { amount: '0.01' } }];
  const plan = { interval: 'MONTHLY', amountCents: '0', amountCurrency: 'EUR', charges };
  await gql(endpoint, PLAN, { input: { ...plan, code: 'wallet_flat', name: 'Wallet flat' } });
  await gql(endpoint, PLAN, { input: { ...plan, code: 'threshold_flat', name: 'Threshold flat', usageThresholds: [{ amountCents: String(T), recurring: true, thresholdDisplayName: 'bench' }] } });
  const customers = Array.from({ length: canaryCustomer - firstCustomer + 1 }, (_, i) => firstCustomer + i);
  await pool(customers, 16, (c) => gql(endpoint, CUSTOMER, { input: { externalId: customerId(c), currency: 'EUR', timezone: TIMEZONES[c % TIMEZONES.length] } }));
  const subscriptions = [
    ...Array.from({ length: walletSubscriptions }, (_, i) => ({ index: walletFrom + i, plan: 'wallet_flat' })),
    ...Array.from({ length: thresholdSubscriptions }, (_, i) => ({ index: thresholdFrom + i, plan: 'threshold_flat' })),
    { index: canary, plan: 'threshold_flat' },
  ];
  await pool(subscriptions, 16, (s) =>
    gql(endpoint, SUBSCRIPTION, { input: { externalId: subscriptionId(s.index), externalCustomerId: customerId(Math.floor(s.index / per)), planCode: s.plan } }),
  );
  await settleRetrying(ctx.server.healthUrl, { count: 0 });
  // Pre-warm: one event on every subscription (the book's and the phase's, not the canary), then until the server
  // is quiet. The first event of each subscription after a catalog change costs the API thread a lookup of its
  // thresholds (lifetimeUsage `watched`, a cache dropped at every catalog change): measured here, apart.
  const prewarmStarted = performance.now();
  const prewarm = [...Array.from({ length: ctx.shape.subscriptions }, (_, i) => i), ...watch];
  for (let i = 0; i < prewarm.length; i += 1000) {
    const events = prewarm.slice(i, i + 1000).map((index) => ({ transactionId: `prewarm-${index}`, externalSubscriptionId: subscriptionId(index), code: 'api_calls', properties: { region: 'eu' } }));
    await gql(endpoint, CREATE_EVENTS, { events });
  }
  await settleRetrying(ctx.server.healthUrl, { count: 0 });
  await quiet(endpoint, 300_000);
  const prewarmSeconds = (performance.now() - prewarmStarted) / 1000;
  console.log(`  pre-warm: one event on each of ${int(prewarm.length)} subscriptions, server quiet again after ${fixed(prewarmSeconds, 1)} s`);
  const walletIds = new Array<string>(walletCustomers);
  await pool(
    Array.from({ length: walletCustomers }, (_, k) => k),
    16,
    async (k) => {
      const input = { externalCustomerId: customerId(firstCustomer + k), currency: 'EUR', rateAmount: '1', grantedCredits: '100000000', name: 'bench' };
      walletIds[k] = (await gql<{ createWallet: { wallet: { id: string } } }>(endpoint, WALLET, { input })).data.createWallet.wallet.id;
    },
  );
  const setupSeconds = (performance.now() - setupStarted) / 1000;
  console.log(`  setup: 2 plans, ${customers.length} customers, ${subscriptions.length} subscriptions, ${walletCustomers} wallets in ${fixed(setupSeconds, 1)} s (pre-warm included)`);
  await settleRetrying(ctx.server.healthUrl, { count: 0 });

  const unanswered = { count: 0 };
  const walletChild = new IpcChild<ToWallet, FromWallet>('wallet client', new URL('../walletClient.ts', import.meta.url));
  const thresholdChild = new IpcChild<ToWallet, FromWallet>('threshold client', new URL('../walletClient.ts', import.meta.url));
  try {
    thresholdChild.send({ type: 'start', job: { kind: 'thresholds', wsUrl: ctx.server.wsUrl, key: endpoint.key, canary: subscriptionId(canary) } });
    walletChild.send({ type: 'start', job: { kind: 'wallets', wsUrl: ctx.server.wsUrl, key: endpoint.key, walletIds, connections: walletConnections, subscribeTimeoutMs: 120_000 } });
    await thresholdChild.waitFor('ready', 30_000);
    const ready = await walletChild.waitFor('ready', 130_000);
    console.log(`  ${walletCustomers} wallet watchers subscribed, first pushes in ${fixed(ready.openMs / 1000, 2)} s`);
    // The canary: T events on a threshold subscription outside the sample; its invoice proves the subscriber is live.
    const canaryEvents = Array.from({ length: T }, (_, i) => ({ transactionId: `canary-${i}`, externalSubscriptionId: subscriptionId(canary), code: 'api_calls', properties: { region: 'eu' } }));
    const canarySent = performance.now();
    await gql(endpoint, CREATE_EVENTS, { events: canaryEvents });
    await thresholdChild.waitFor('canary', 60_000);
    const canaryMs = performance.now() - canarySent;
    console.log(`  canary: ${T} events on ${subscriptionId(canary)} → its progressive invoice pushed in ${fixed(canaryMs)} ms (no load)`);

    // Step 1: with the wallet watchers.
    const first = await pacedStep(ctx, 4100, sample, walletWarmupSeconds, walletSeconds, watch, unanswered);
    // Per wallet customer and per threshold subscription: cumulative acked counts, in acknowledgement order.
    const lastOf = new Map<number, number>();
    const customerTotal = new Array<number>(walletCustomers).fill(0);
    const customerAcks: Ack[] = [];
    for (const ack of first.acks) {
      const touched = new Set<number>();
      for (const [index, cumulative] of ack.watched) {
        const added = cumulative - (lastOf.get(index) ?? 0);
        lastOf.set(index, cumulative);
        if (index >= thresholdFrom) continue;
        const k = Math.floor((index - walletFrom) / per);
        customerTotal[k] = customerTotal[k]! + added;
        touched.add(k);
      }
      if (touched.size > 0) customerAcks.push({ ...ack, watched: [...touched].map((k) => [k, customerTotal[k]!]) });
    }
    first.step.walletEvents = customerTotal.reduce((a, b) => a + b, 0);
    first.step.thresholdEvents = Array.from({ length: thresholdSubscriptions }, (_, j) => lastOf.get(thresholdFrom + j) ?? 0).reduce((a, b) => a + b, 0);
    const walletTailStarted = performance.now();
    walletChild.send({ type: 'expect', usage: customerTotal.map((total, k) => ready.baselines[k]! + total), timeoutMs: TAIL_TIMEOUT_MS });
    await walletChild.waitFor('reached', TAIL_TIMEOUT_MS + 10_000);
    const walletTailSeconds = (performance.now() - walletTailStarted) / 1000;
    await sleep(TAIL_MARGIN_MS);
    walletChild.send({ type: 'stop' });
    const walletsDone = await walletChild.waitFor('done', 30_000);
    walletChild.kill();
    printStep('with the wallet watchers', first.step, targetRate);

    // Between the steps: a closed walletUpdated subscription keeps its customer watched until that customer's next
    // change (its generator ends at its next push), so one event per wallet customer triggers that last computation
    // now rather than during step 2; then wait until the server answers `{ __typename }` promptly again.
    const flushStarted = performance.now();
    const flush = Array.from({ length: walletCustomers }, (_, k) => ({ transactionId: `flush-${k}`, externalSubscriptionId: subscriptionId(walletFrom + k * per), code: 'api_calls', properties: { region: 'eu' } }));
    await gql(endpoint, CREATE_EVENTS, { events: flush });
    await quiet(endpoint);
    await settleRetrying(ctx.server.healthUrl, unanswered);
    const flushSeconds = (performance.now() - flushStarted) / 1000;
    console.log(`  wallet watchers closed; their customers' last computations done and the server quiet again in ${fixed(flushSeconds, 2)} s`);

    // Step 2: progressive billing without the wallet watchers (their customers' subscriptions still get events).
    const second = await pacedStep(ctx, 4101, sample, 0, thresholdSeconds, watch, unanswered);
    // One ack stream over both steps: step 2's counts go on from step 1's.
    const base = new Map(lastOf);
    const acks: Ack[] = [...first.acks, ...second.acks.map((ack) => ({ ...ack, watched: ack.watched.map(([index, c]) => [index, (base.get(index) ?? 0) + c] as [number, number]) }))];
    // Lifetime usage (cents = events): the pre-warm event, then the acked counts.
    const thresholdTotal = new Array<number>(thresholdSubscriptions).fill(PREWARM_EVENTS);
    const crossAt: number[][] = Array.from({ length: thresholdSubscriptions }, () => []);
    for (const ack of acks) {
      for (const [index, cumulative] of ack.watched) {
        if (index < thresholdFrom) continue;
        const j = index - thresholdFrom;
        const lifetime = PREWARM_EVENTS + cumulative;
        thresholdTotal[j] = lifetime;
        while (lifetime >= (crossAt[j]!.length + 1) * T) crossAt[j]!.push(ack.t);
      }
    }
    second.step.thresholdEvents = thresholdTotal.reduce((a, b) => a + b, 0) - PREWARM_EVENTS * thresholdSubscriptions - first.step.thresholdEvents;
    second.step.walletEvents = sumWallet(second.acks, thresholdFrom);
    const thresholdTailStarted = performance.now();
    thresholdChild.send({ type: 'expect', fees: thresholdTotal.map((total, j) => [subscriptionId(thresholdFrom + j), Math.floor(total / T) * T] as [string, number]), timeoutMs: TAIL_TIMEOUT_MS });
    await thresholdChild.waitFor('reached', TAIL_TIMEOUT_MS + 10_000);
    const thresholdTailSeconds = (performance.now() - thresholdTailStarted) / 1000;
    await sleep(TAIL_MARGIN_MS);
    thresholdChild.send({ type: 'stop' });
    const thresholdsDone = await thresholdChild.waitFor('done', 30_000);
    printStep('progressive billing alone', second.step, targetRate);

    // Wallets: the live phase's matching, per customer, on step 1's measured acks.
    const identity = new Map(Array.from({ length: walletCustomers }, (_, k) => [k, [k]]));
    const w = walletsDone.wallets;
    const { values, missing } = pushLatencies(
      customerAcks.filter((a) => a.t >= first.measureFrom),
      identity,
      ready.baselines,
      { watcher: w.watcher, t: w.t, count: w.usage },
    );
    let inconsistent = 0;
    let balanceMoved = 0;
    let decreasing = 0;
    let overCounted = 0;
    const firstBalance = new Array<number>(walletCustomers).fill(NaN);
    const lastUsage = new Array<number>(walletCustomers).fill(NaN);
    for (let i = 0; i < w.t.length; i += 1) {
      const k = w.watcher[i]!;
      if (w.ongoing[i]! !== w.balance[i]! - w.usage[i]!) inconsistent += 1;
      if (Number.isNaN(firstBalance[k]!)) firstBalance[k] = w.balance[i]!;
      else if (w.balance[i]! !== firstBalance[k]) balanceMoved += 1;
      if (w.usage[i]! < lastUsage[k]!) decreasing += 1;
      if (w.usage[i]! - ready.baselines[k]! > customerTotal[k]!) overCounted += 1;
      lastUsage[k] = w.usage[i]!;
    }
    const staleAtEnd = customerTotal.filter((total, k) => lastUsage[k]! - ready.baselines[k]! !== total).length;

    // Progressive billing: each threshold subscription's invoices in push order.
    const threshold = thresholdsDone.invoices.filter((i) => {
      const index = subscriptionIndex(i.externalSubscriptionId);
      return index >= thresholdFrom && index < thresholdFrom + thresholdSubscriptions;
    });
    const bySubscription: InvoicePush[][] = Array.from({ length: thresholdSubscriptions }, () => []);
    for (const invoice of threshold) bySubscription[subscriptionIndex(invoice.externalSubscriptionId) - thresholdFrom]!.push(invoice);
    const alone: number[] = [];
    const withWallets: number[] = [];
    let warmupInvoices = 0;
    let merged = 0;
    let duplicates = 0;
    let belowThreshold = 0;
    let uninvoicedSubscriptions = 0;
    let uninvoicedMultiples = 0;
    let multiples = 0;
    bySubscription.forEach((invoices, j) => {
      let billed = 0;
      for (const invoice of invoices) {
        const k = Math.floor(billed / T) + 1;
        if (invoice.feesAmountCents <= billed) {
          duplicates += 1;
          continue;
        }
        const crossedAt = crossAt[j]![k - 1];
        // Below the next multiple, or for usage the load client never had acknowledged: wrong either way.
        if (invoice.feesAmountCents < k * T || crossedAt === undefined) belowThreshold += 1;
        else {
          const latency = Math.max(0, invoice.t - crossedAt);
          if (crossedAt >= second.measureFrom) alone.push(latency);
          else if (crossedAt >= first.measureFrom) withWallets.push(latency);
          else warmupInvoices += 1;
          merged += Math.floor(invoice.feesAmountCents / T) - k;
        }
        billed = invoice.feesAmountCents;
      }
      const passed = Math.floor(thresholdTotal[j]! / T);
      multiples += passed;
      if (passed > Math.floor(billed / T)) {
        uninvoicedSubscriptions += 1;
        uninvoicedMultiples += passed - Math.floor(billed / T);
      }
    });
    const notFinalized = threshold.filter((i) => i.status !== 'FINALIZED' || i.invoiceType !== 'PROGRESSIVE_BILLING').length;

    // What the API lists for the threshold customers (every invoice they have is progressive: no period ended).
    let listed: number | null = null;
    let listedNotPushed: number | null = null;
    let pushedNotListed: number | null = null;
    try {
      const ids = new Set<string>();
      for (let c = 0; c < thresholdCustomers; c += 1) {
        let after: string | null = null;
        for (;;) {
          const page: Invoices['invoices'] = (await gql<Invoices>(endpoint, INVOICES, { customer: customerId(firstCustomer + walletCustomers + c), after })).data.invoices;
          for (const edge of page.edges) if (edge.node.invoiceType === 'PROGRESSIVE_BILLING') ids.add(edge.node.id);
          if (!page.pageInfo.hasNextPage || page.pageInfo.endCursor === null) break;
          after = page.pageInfo.endCursor;
        }
      }
      const pushed = new Set(threshold.map((i) => i.id));
      listed = ids.size;
      listedNotPushed = [...ids].filter((id) => !pushed.has(id)).length;
      pushedNotListed = [...pushed].filter((id) => !ids.has(id)).length;
    } catch (error) {
      thresholdsDone.errors.push(`invoices query: ${error instanceof Error ? error.message : String(error)}`);
    }

    const out: WalletsResult = {
      walletCustomers,
      walletSubscriptions,
      thresholdSubscriptions,
      thresholdCents: T,
      sampleShare: SAMPLE_SHARE,
      connections: walletConnections,
      targetRate,
      setupSeconds,
      prewarmSeconds,
      canaryMs,
      withWallets: first.step,
      alone: second.step,
      wallet: {
        subscribeSeconds: ready.openMs / 1000,
        pushes: w.t.length - walletCustomers,
        pairs: values.length + missing,
        missing,
        latency: with95(values),
        tailSeconds: walletTailSeconds,
        flushSeconds,
        staleAtEnd,
        inconsistent,
        balanceMoved,
        decreasing,
        overCounted,
      },
      progressive: {
        invoices: threshold.length,
        alone: with95(alone),
        withWallets: with95(withWallets),
        warmupInvoices,
        multiples,
        merged,
        uninvoicedSubscriptions,
        uninvoicedMultiples,
        duplicates,
        belowThreshold,
        notFinalized,
        listed,
        listedNotPushed,
        pushedNotListed,
        tailSeconds: thresholdTailSeconds,
      },
      healthUnanswered: unanswered.count,
      errors: [...walletsDone.errors, ...thresholdsDone.errors],
    };
    printResults(out);
    return out;
  } finally {
    walletChild.kill();
    thresholdChild.kill();
  }
}

/** Events step 2 sent to the wallet customers' subscriptions (from its own cumulative counts). */
function sumWallet(acks: readonly Ack[], thresholdFrom: number): number {
  const last = new Map<number, number>();
  for (const ack of acks) for (const [index, c] of ack.watched) if (index < thresholdFrom) last.set(index, c);
  return [...last.values()].reduce((a, b) => a + b, 0);
}

function printStep(label: string, s: WalletsStep, targetRate: number): void {
  console.log(
    `  ${label}: ingestion after the warm-up ${int(s.achievedRate)} events/s of ${int(targetRate)} (${int(s.measuredEvents)} events; ${int(s.events)} with the warm-up, ${int(s.rejected)} rejected, ${int(s.resets)} re-sent after a connection reset, ` +
      `${int(s.skippedTicks)} ticks skipped with 64 batches in flight); ack ${latencies95(s.ackLatency)}`,
  );
  console.log(`    floor, appended → folded (/health every 25 ms, ${int(s.floor.meanIntervalMs)} ms apart on average): ${latencies95(s.floor)}${s.floor.unresolved ? `, ${s.floor.unresolved} never folded` : ''}`);
}

function printResults(r: WalletsResult): void {
  const p = r.progressive;
  const wl = r.wallet;
  console.log(`  wallets: ${int(wl.pushes)} pushes after the first; ack → ongoing balance pushed ${latencies95(wl.latency)}`);
  console.log(
    `    (batch, wallet) pairs: ${int(wl.pairs)}, never pushed: ${int(wl.missing)}; last pushes ${fixed(wl.tailSeconds, 2)} s after the fold settled, ${int(wl.staleAtEnd)} of ${int(r.walletCustomers)} still short; ` +
      `pushes with ongoing ≠ balance − usage: ${int(wl.inconsistent)}, balance moved: ${int(wl.balanceMoved)}, usage going down: ${int(wl.decreasing)}, more than sent: ${int(wl.overCounted)}`,
  );
  console.log(`  progressive billing: ${int(p.invoices)} invoices pushed; ack of the crossing event → invoice pushed:`);
  console.log(`    alone (step 2): ${latencies95(p.alone)}`);
  console.log(`    with the wallet watchers (step 1): ${latencies95(p.withWallets)}; ${int(p.warmupInvoices)} more for crossings in the warm-up`);
  console.log(
    `    threshold multiples passed: ${int(p.multiples)} (${int(p.merged)} billed together with an earlier one); left uninvoiced: ${int(p.uninvoicedMultiples)} on ${int(p.uninvoicedSubscriptions)} subscriptions ` +
      `(last invoices ${fixed(p.tailSeconds, 2)} s after the fold settled); duplicates: ${int(p.duplicates)}, below the threshold: ${int(p.belowThreshold)}, not FINALIZED: ${int(p.notFinalized)}; ` +
      `invoices() lists ${int(p.listed)} (${int(p.listedNotPushed)} never pushed, ${int(p.pushedNotListed)} pushed but not listed)`,
  );
  if (r.healthUnanswered) console.log(`  /health left unanswered past 10 s ${r.healthUnanswered} time(s) while the bench waited for the fold (retried)`);
  if (r.errors.length) console.log(`  errors: ${r.errors.slice(0, 3).join(' | ')}`);
}

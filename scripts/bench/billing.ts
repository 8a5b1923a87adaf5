/**
 * The billing-run benchmark: the realistic shape (10,000 subscriptions over 2,000 customers in 4 timezones, plans
 * charging 4 usage metrics — COUNT with a filter, SUM, UNIQUE_COUNT, MAX) on a server with the manual clock, ~20
 * usage events per subscription in January (Zipf over subscriptions), then one `advanceClock` past every timezone's
 * month end, timed end to end: it answers once every invoice due is billed and visible in the read models. While it
 * runs, a query probe (customerUsage back to back, invoices totalCount once a second) and an ingestion client
 * (batches of 100, back to back) keep going in other processes, and the server's RSS is sampled every 100 ms.
 * Then: exactly one finalized invoice per subscription, and a floor — as many invoice-sized rows (a real invoice
 * document, as the API answers it) inserted straight into node:sqlite, one transaction per row, as the store commits.
 *
 *   npm run bench:billing -- [--quick] [--subscriptions=N] [--events-per-subscription=N] [--no-load] [--profile] [--webhooks] [--out[=file.json]]
 */
import { execFileSync } from 'node:child_process';
import { fdatasyncSync, mkdirSync, mkdtempSync, openSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { FromProbe, ProbeSamples, ToProbe } from './billingProbe.ts';
import { createCatalog, organizationId, type SetupTimes } from './catalog.ts';
import { closeRegistry, IpcChild, stopAll } from './children.ts';
import { API_KEY } from './context.ts';
import { gql, type Endpoint } from './gql.ts';
import { clientSpecs, LoadRun, loadTimeoutMs, split } from './ingest.ts';
import { settle } from './lag.ts';
import { diskUsage, memoryOf } from './proc.ts';
import { printProfiles, summarizeProfiles, type ProfileSummary } from './profile.ts';
import { REPO, ServerProcess } from './server.ts';
import { bytes, distribution, fixed, int, latencies, now, rate, type Distribution } from './stats.ts';
import { sleep } from './wait.ts';
import { startWebhookReceiver, type WebhookReceiver } from './webhookReceiver.ts';
import { Webhook } from 'standardwebhooks';
import { SUBSCRIPTIONS_PER_CUSTOMER, subscriptionId, type Shape } from './workload.ts';

// Command line ----------------------------------------------------------------------------------------------------

const USAGE = `usage: npm run bench:billing -- [--quick] [--subscriptions=N] [--events-per-subscription=N] [--no-load] [--profile] [--webhooks] [--out[=file.json]]
  --quick                        1,000 subscriptions (200 customers) instead of 10,000 (2,000)
  --subscriptions=N              any size (customers: a fifth of it)
  --events-per-subscription=N    usage ingested in January, on average per subscription (default 20)
  --no-load                      no query probe and no ingestion during the billing run (the run alone)
  --profile                      restart the server with --cpu-prof after the setup, so that its profile covers the
                                 billing run; print the top functions by self time per thread
  --webhooks                     one webhook endpoint (in this process) takes every invoice.created: time to the
                                 last delivery, duplicates, signatures, and the floor (the same requests sent to it)
  --out[=file]                   every figure as JSON (bare --out: ./bench-billing.json; default: a file in the temp dir)`;

type Options = { quick: boolean; subscriptions: number; eventsPerSubscription: number; load: boolean; profile: boolean; webhooks: boolean; out: string | null };

function parseOptions(argv: readonly string[]): Options | string {
  const options: Options = { quick: false, subscriptions: 10_000, eventsPerSubscription: 20, load: true, profile: false, webhooks: false, out: null };
  let subscriptions: number | null = null;
  for (const arg of argv) {
    const at = arg.indexOf('=');
    const [flag, value] = at > 0 ? [arg.slice(0, at), arg.slice(at + 1)] : [arg, undefined];
    const count = () => {
      const n = Number(value?.replace(/_/g, ''));
      if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} takes a positive integer`);
      return n;
    };
    if (flag === '--quick' && value === undefined) options.quick = true;
    else if (flag === '--subscriptions') subscriptions = count();
    else if (flag === '--events-per-subscription') options.eventsPerSubscription = count();
    else if (flag === '--no-load' && value === undefined) options.load = false;
    else if (flag === '--profile' && value === undefined) options.profile = true;
    else if (flag === '--webhooks' && value === undefined) options.webhooks = true;
    else if (flag === '--out') options.out = value || 'bench-billing.json';
    else if (flag === '--help' || flag === '-h') return '';
    else return `unknown argument: ${arg}`;
  }
  options.subscriptions = subscriptions ?? (options.quick ? 1_000 : 10_000);
  return options;
}

let options: Options;
try {
  const parsed = parseOptions(process.argv.slice(2));
  if (typeof parsed === 'string') {
    if (parsed) console.error(`${parsed}\n${USAGE}`);
    else console.log(USAGE);
    process.exit(parsed ? 2 : 0);
  }
  options = parsed;
} catch (error) {
  console.error(`${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}

// The workload ----------------------------------------------------------------------------------------------------

/** The operator's key (advanceClock); 40 characters. */
const ADMIN_KEY = 'bench-billing-admin-key-0123456789abcdef';
const CLOCK_START = '2026-01-01T00:00:00Z';
/**
 * The catalog, the book and January's usage are created at this instant (the manual clock does not move meanwhile):
 * January 1st in every timezone of the book (America/New_York 00:00:10 … Asia/Kolkata 10:30:10). At 00:00:10Z, a
 * New York subscription would start on December 31st local and owe a second invoice, for that day, at
 * 2026-01-01T05:00Z — with January's usage on it.
 */
const SETUP_AT = '2026-01-01T05:00:10Z';
/** Past every timezone's end of January: Asia/Kolkata 2026-01-31T18:30Z … America/New_York 2026-02-01T05:00Z. */
const RUN_TO = '2026-02-01T12:00:00Z';
const SETUP_BATCH = 1_000;
const SETUP_CLIENTS = 4;
/** The ingestion client during the run: batches of 100, back to back. */
const RUN_BATCH = 100;
/** Background load before the clock moves: the latencies of the same clients on a server not billing. */
const BASELINE_MS = 3_000;

const TARGET_SECONDS = 10;
const ACCEPTABLE_SECONDS = 30;

const shape: Shape = { subscriptions: options.subscriptions, customers: Math.ceil(options.subscriptions / SUBSCRIPTIONS_PER_CUSTOMER) };
const setupEvents = shape.subscriptions * options.eventsPerSubscription;

const ADVANCE = 'mutation($input: AdvanceClockInput!) { advanceClock(input: $input) { mode now } }';
const PAGE =
  'query($after: String) { invoices(first: 250, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id externalSubscriptionId externalCustomerId status billingDate chargesToDatetime reason totalAmountCents fees { amountCents } } } } }';
type PageNode = { id: string; externalSubscriptionId: string; externalCustomerId: string; status: string; billingDate: string; chargesToDatetime: string | null; reason: string; totalAmountCents: string; fees: { amountCents: string }[] };
type Page = { invoices: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: PageNode }[] } };
const QUARANTINED = '{ quarantinedEvents(first: 5) { totalCount edges { node { projection position eventType documentId error } } } }';
/** One invoice as the API answers it, every field: the floor's row. */
const FULL_INVOICE = `query($id: ID!) { invoice(id: $id) {
  id number sequentialId organizationSequentialId invoiceType reason status paymentStatus currency externalCustomerId externalSubscriptionId
  planCode billingDate issuingDate paymentDueDate netPaymentTerm gracePeriodDays finalizesAt subscriptionFeeFromDatetime subscriptionFeeToDatetime
  chargesFromDatetime chargesToDatetime feesAmountCents couponsAmountCents subTotalExcludingTaxesAmountCents taxesAmountCents taxesRate
  subTotalIncludingTaxesAmountCents creditNotesAmountCents prepaidCreditAmountCents totalAmountCents usagePosition createdAt updatedAt finalizedAt voidedAt
  appliedTaxes { taxCode taxName taxRate amountCents feesAmountCents }
  fees { id feeType invoiceDisplayName chargeId chargeModel billableMetricCode chargeFilterValues groupedBy trueUp units eventsCount amountCents
    preciseAmountCents unitAmountCents preciseUnitAmount amountCurrency taxesAmountCents taxesRate fromDatetime toDatetime details
    appliedTaxes { taxCode taxName taxRate amountCents feesAmountCents } }
} }`;

// Run bookkeeping -------------------------------------------------------------------------------------------------

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));
const runStarted = performance.now();
const tmpRoot = mkdtempSync(join(tmpdir(), 'bench-billing-'));
const dataDir = join(tmpRoot, 'data');
mkdirSync(dataDir, { recursive: true });
const profileDir = options.profile ? mkdtempSync(join(tmpdir(), 'bench-profiles-')) : null;
let server: ServerProcess | null = null;
const failures: string[] = [];

let cleaning: Promise<void> | null = null;
const cleanup = () =>
  (cleaning ??= (async () => {
    closeRegistry();
    await server?.stop().catch((error: unknown) => console.error(`stopping the server: ${message(error)}`));
    await stopAll();
    if (process.env.BENCH_KEEP_DATA === '1') console.log(`data kept in ${tmpRoot}`);
    else rmSync(tmpRoot, { recursive: true, force: true });
  })());
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    console.error(`\n${signal}: stopping every child process and removing ${tmpRoot}`);
    void cleanup().finally(() => process.exit(130));
  });
}
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (error: unknown) => {
    console.error(`\n${event}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    void cleanup().finally(() => process.exit(1));
  });
}

const serverOptions = (profile: string | undefined) => ({
  dataDir,
  apiKey: API_KEY,
  profileDir: profile,
  env: { CLOCK: 'manual', CLOCK_START, ADMIN_API_KEY: ADMIN_KEY },
});

/** Stops the server; its CPU profiles (when profiling) summarized and printed. */
async function stopServer(label: string): Promise<ProfileSummary[]> {
  if (!server) return [];
  const stopped = server;
  server = null;
  await stopped.stop();
  const dir = stopped.options.profileDir;
  if (!dir) return [];
  const summaries = summarizeProfiles(dir, 20);
  printProfiles(label, summaries);
  return summaries;
}

/** The server's VmRSS every `intervalMs`. */
class RssSampler {
  readonly samples: { t: number; rss: number }[] = [];
  private readonly timer: NodeJS.Timeout;
  constructor(pid: number, intervalMs: number) {
    const sample = () => {
      const memory = memoryOf(pid);
      if (memory) this.samples.push({ t: now(), rss: memory.rssBytes });
    };
    sample();
    this.timer = setInterval(sample, intervalMs);
  }
  stop(): { startBytes: number | null; peakBytes: number | null; endBytes: number | null; samples: number } {
    clearInterval(this.timer);
    const s = this.samples;
    return { startBytes: s[0]?.rss ?? null, peakBytes: s.length ? Math.max(...s.map((x) => x.rss)) : null, endBytes: s.at(-1)?.rss ?? null, samples: s.length };
  }
}

/** Requests overlapping [from, to] (answered after `from`, sent before `to`). */
function overlapping(samples: ProbeSamples, kind: number, from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < samples.t.length; i += 1) {
    if (samples.kind[i] !== kind) continue;
    const end = samples.t[i]!;
    if (end >= from && end - samples.latencyMs[i]! <= to) out.push(samples.latencyMs[i]!);
  }
  return out;
}

type FloorResult = { rows: number; rowBytes: number; seconds: number; rate: number | null; durable: boolean };

/**
 * `rows` copies of `row` (an invoice document) under distinct unique keys into a fresh node:sqlite file as the
 * store opens it (WAL, synchronous=NORMAL), one transaction per row; `durable`: each commit followed by an
 * fdatasync of the WAL, as the store's append waits for (walSyncer) before it answers.
 */
function floor(dir: string, rows: number, row: string, organization: string, durable: boolean): FloorResult {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'floor.db');
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec('PRAGMA journal_size_limit = 67108864');
  db.exec('CREATE TABLE invoices (position INTEGER PRIMARY KEY, stream_id TEXT NOT NULL UNIQUE, data TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO invoices (stream_id, data) VALUES (?, ?)');
  const wal = durable ? openSync(`${path}-wal`, 'r') : null;
  const started = performance.now();
  for (let i = 0; i < rows; i += 1) {
    db.exec('BEGIN IMMEDIATE');
    insert.run(`invoice-${organization}-sub_${i}/${RUN_TO}`, row);
    db.exec('COMMIT');
    if (wal !== null) fdatasyncSync(wal);
  }
  const seconds = (performance.now() - started) / 1000;
  if (wal !== null) closeSync(wal);
  db.close();
  return { rows, rowBytes: Buffer.byteLength(row), seconds, rate: rate(rows, seconds), durable };
}

const FLOOR_REPEATS = 3;

/** The median run of `FLOOR_REPEATS` (each on a fresh file): one short run on a shared disk is noisy. */
function floorMedian(dir: string, rows: number, row: string, organization: string, durable: boolean): FloorResult {
  const runs = Array.from({ length: FLOOR_REPEATS }, (_, i) => floor(join(dir, String(i)), rows, row, organization, durable));
  return runs.sort((a, b) => a.seconds - b.seconds)[Math.floor(runs.length / 2)]!;
}

// The run ---------------------------------------------------------------------------------------------------------

console.log(
  `billing-run benchmark (${options.quick ? 'quick' : options.subscriptions === 10_000 ? 'full' : 'resized'}): ${int(shape.customers)} customers, ${int(shape.subscriptions)} subscriptions, ${int(setupEvents)} usage events (${options.eventsPerSubscription} per subscription on average); plans charge 4 metrics`,
);
function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}
// The engine under test: the commit, and whether src/ or projections/ differ from it (the server runs the work tree).
const commit = git(['rev-parse', '--short', 'HEAD']);
const dirty = Boolean(git(['status', '--porcelain', '--', 'src', 'projections']));
console.log(`node ${process.version}, commit ${commit ?? 'n/a'}${dirty ? ' + uncommitted changes in src/ or projections/' : ''}; server DATA_DIR ${dataDir}; CLOCK=manual from ${CLOCK_START}`);

type Report = Record<string, unknown>;
const report: Report = { options, shape, clock: { start: CLOCK_START, setupAt: SETUP_AT, runTo: RUN_TO } };
let setup: SetupTimes | null = null;

try {
  const t = performance.now();
  server = await ServerProcess.start(serverOptions(undefined));
  let endpoint = server.endpoint;
  let admin: Endpoint = { url: endpoint.url, key: ADMIN_KEY };
  console.log(`\n== setup: server pid ${server.pid} on port ${server.port} ready in ${fixed((performance.now() - t) / 1000, 2)} s`);
  const moved = await gql<{ advanceClock: { now: string } }>(admin, ADVANCE, { input: { to: SETUP_AT } });
  console.log(`  clock at ${moved.data.advanceClock.now}`);
  const organization = await organizationId(endpoint);
  setup = await createCatalog(endpoint, shape);
  console.log(
    `  catalog (4 metrics, 2 plans) ${fixed(setup.catalogSeconds, 2)} s; ${int(shape.customers)} customers ${fixed(setup.customersSeconds, 2)} s; ${int(shape.subscriptions)} subscriptions ${fixed(setup.subscriptionsSeconds, 2)} s`,
  );

  const specs = clientSpecs(7000, SETUP_CLIENTS);
  const perClient = split(setupEvents, SETUP_BATCH, specs.length);
  const ingestStarted = performance.now();
  const setupLoad = await LoadRun.start({ endpoint, shape, specs, batchSize: SETUP_BATCH, events: perClient });
  const ingested = await setupLoad.finished(loadTimeoutMs(Math.max(...perClient)));
  const ackedSeconds = (performance.now() - ingestStarted) / 1000;
  await settle(server.healthUrl);
  const foldedSeconds = (performance.now() - ingestStarted) / 1000;
  console.log(
    `  usage: ${int(ingested.events)} events (${int(ingested.accepted)} accepted, ${int(ingested.duplicates)} duplicates, ${int(ingested.rejected)} rejected) from ${SETUP_CLIENTS} clients in batches of ${SETUP_BATCH}: acked in ${fixed(ackedSeconds, 1)} s, folded in ${fixed(foldedSeconds, 1)} s`,
  );
  if (ingested.rejected > 0) failures.push(`${ingested.rejected} usage events rejected during the setup`);
  report.setup = { ...setup, events: ingested.events, accepted: ingested.accepted, duplicates: ingested.duplicates, rejected: ingested.rejected, ackedSeconds, foldedSeconds };

  if (options.profile) {
    await stopServer('setup');
    server = await ServerProcess.start(serverOptions(join(profileDir!, 'run')));
    await settle(server.healthUrl);
    console.log(`  restarted with --cpu-prof (pid ${server.pid}) for the billing run`);
    endpoint = server.endpoint;
    admin = { url: endpoint.url, key: ADMIN_KEY };
  }
  const live = server;

  // Webhooks: one endpoint (this process) takes every `invoice.created`; delivery is timed from the run's start.
  let receiver: WebhookReceiver | null = null;
  let webhookSecret = '';
  if (options.webhooks) {
    receiver = await startWebhookReceiver();
    const created = await gql<{ createWebhookEndpoint: { webhookEndpoint: { signingSecret: string } } }>(
      endpoint,
      'mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { webhookEndpoint { signingSecret } } }',
      { input: { url: receiver.url, eventTypes: ['invoice.created'] } },
    );
    webhookSecret = created.data.createWebhookEndpoint.webhookEndpoint.signingSecret;
    receiver.verifyWith(webhookSecret);
    console.log(`  webhook endpoint ${receiver.url} for invoice.created (signatures verified on arrival)`);
  }

  // The billing run, with the probes around it.
  console.log(`\n== billing run: advanceClock to ${RUN_TO}${options.load ? `, while a query probe and an ingestion client (batches of ${RUN_BATCH}, back to back) run` : ', nothing else running'}`);
  let probe: IpcChild<ToProbe, FromProbe> | null = null;
  let load: LoadRun | null = null;
  let baselineFrom = 0;
  if (options.load) {
    probe = new IpcChild<ToProbe, FromProbe>('query probe', new URL('./billingProbe.ts', import.meta.url));
    probe.send({ type: 'start', job: { endpoint, shape, seed: 4242 } });
    await probe.waitFor('ready', 30_000);
    load = await LoadRun.start({ endpoint, shape, specs: clientSpecs(8000, 1), batchSize: RUN_BATCH, events: [null] });
    probe.send({ type: 'go' });
    baselineFrom = now();
    await sleep(BASELINE_MS);
  }
  const rss = new RssSampler(live.pid, 100);
  const runFrom = now();
  // node:http (lean): fetch (undici) gives up on a response whose headers take over 300 s, whatever the timeout.
  const advanced = await gql<{ advanceClock: { now: string } }>(admin, ADVANCE, { input: { to: RUN_TO } }, { timeoutMs: 3_600_000, lean: true });
  const runTo = now();
  const memory = rss.stop();
  const runSeconds = (runTo - runFrom) / 1000;
  let samples: ProbeSamples | null = null;
  let ingestion: Record<string, unknown> | null = null;
  let queries: Record<string, unknown> | null = null;
  if (probe && load) {
    probe.send({ type: 'stop' });
    load.stop();
    samples = (await probe.waitFor('done', 120_000)).samples;
    const result = await load.finished(120_000);
    const during = load.acks.filter((a) => a.t >= runFrom && a.t - a.latencyMs <= runTo);
    const before = load.acks.filter((a) => a.t >= baselineFrom && a.t < runFrom);
    const acked = load.acks.filter((a) => a.t >= runFrom && a.t <= runTo).reduce((sum, a) => sum + a.events, 0);
    ingestion = {
      eventsDuringRun: acked,
      rateDuringRun: rate(acked, runSeconds),
      ackDuringRun: distribution(during.map((a) => a.latencyMs)),
      retriesDuringRun: during.reduce((sum, a) => sum + a.retries, 0),
      rejected: result.rejected,
      rateBefore: rate(load.eventsBetween(baselineFrom, runFrom), (runFrom - baselineFrom) / 1000),
      ackBefore: distribution(before.map((a) => a.latencyMs)),
    };
    const visible = (fraction: number) => {
      for (let i = 0; i < samples!.t.length; i += 1) if (samples!.kind[i] === 1 && samples!.count[i]! >= fraction * shape.subscriptions && samples!.t[i]! >= runFrom) return (samples!.t[i]! - runFrom) / 1000;
      return null;
    };
    queries = {
      usageDuringRun: distribution(overlapping(samples, 0, runFrom, runTo)),
      countDuringRun: distribution(overlapping(samples, 1, runFrom, runTo)),
      usageBefore: distribution(overlapping(samples, 0, baselineFrom, runFrom - 1)),
      countBefore: distribution(overlapping(samples, 1, baselineFrom, runFrom - 1)),
      failed: samples.kind.reduce((n, k) => n + (k === 2 ? 1 : 0), 0),
      errors: samples.errors,
      progress: Array.from(samples.t.keys())
        .filter((i) => samples!.kind[i] === 1 && samples!.t[i]! >= runFrom && samples!.t[i]! - samples!.latencyMs[i]! <= runTo)
        .map((i) => ({ seconds: Number(((samples!.t[i]! - runFrom) / 1000).toFixed(2)), invoices: samples!.count[i]! })),
      firstInvoiceVisibleSeconds: visible(1 / shape.subscriptions),
      halfVisibleSeconds: visible(0.5),
    };
  }
  console.log(`  advanceClock answered (clock at ${advanced.data.advanceClock.now}) after ${fixed(runSeconds, 2)} s`);
  console.log(`  server RSS (every 100 ms, ${memory.samples} samples): ${bytes(memory.startBytes)} at the start, peak ${bytes(memory.peakBytes)}, ${bytes(memory.endBytes)} at the end`);
  let webhooks: Record<string, unknown> | null = null;
  if (receiver) {
    const expected = shape.subscriptions;
    const giveUp = now() + 600_000;
    while (receiver.arrivals.length < expected && now() < giveUp) await sleep(50);
    await sleep(2_000); // anything sent twice would arrive now
    const arrivals = receiver.arrivals;
    const ids = new Set(arrivals.map((a) => a.id));
    const first = arrivals[0]?.t ?? null;
    const last = arrivals[arrivals.length - 1]?.t ?? null;
    const sample = (await gql<{ webhooks: { edges: { node: { id: string; payload: string } }[] } }>(endpoint, '{ webhooks(first: 1) { edges { node { id payload } } } }')).data.webhooks.edges[0]?.node;
    const floor = sample ? await receiver.floor(arrivals.length, sample.payload, { 'webhook-id': sample.id, 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': new Webhook(webhookSecret).sign(sample.id, new Date(), sample.payload) }, 8) : null;
    const deliveredRate = first !== null && last !== null && last > first ? (arrivals.length - 1) / ((last - first) / 1000) : null;
    webhooks = {
      expected,
      received: arrivals.length,
      unique: ids.size,
      duplicates: arrivals.length - ids.size,
      badSignatures: receiver.badSignatures(),
      types: [...new Set(arrivals.map((a) => a.type))],
      firstAfterRunStartSeconds: first === null ? null : (first - runFrom) / 1000,
      lastAfterRunStartSeconds: last === null ? null : (last - runFrom) / 1000,
      lastAfterAnswerSeconds: last === null ? null : (last - runTo) / 1000,
      deliveredPerSecond: deliveredRate,
      floor,
      payloadBytes: sample ? Buffer.byteLength(sample.payload) : null,
    };
    console.log(
      `  webhooks: ${int(arrivals.length)} of ${int(expected)} invoice.created received (${int(ids.size)} distinct ids, ${int(arrivals.length - ids.size)} twice, ${receiver.badSignatures()} bad signatures); first ${fixed(webhooks.firstAfterRunStartSeconds as number | null, 2)} s after the run started, last ${fixed(webhooks.lastAfterRunStartSeconds as number | null, 2)} s (${fixed(webhooks.lastAfterAnswerSeconds as number | null, 2)} s after advanceClock answered); ${int(deliveredRate)} webhooks/s between the first and the last`,
    );
    if (floor) console.log(`  floor: the same ${int(arrivals.length)} requests (${int(webhooks.payloadBytes as number)} B bodies) straight to the receiver, 8 at a time (the engine's limit per endpoint): ${int(floor.rate)} requests/s`);
    if (arrivals.length !== expected || ids.size !== arrivals.length || receiver.badSignatures() > 0) failures.push(`webhooks: expected ${expected} distinct, correctly signed invoice.created, got ${arrivals.length} (${ids.size} distinct, ${receiver.badSignatures()} bad signatures)`);
    await receiver.close();
  }
  if (queries && ingestion) {
    const d = (key: string, from: Record<string, unknown>) => from[key] as Distribution;
    console.log(`  customerUsage during the run: ${latencies(d('usageDuringRun', queries))}; before it: ${latencies(d('usageBefore', queries))}`);
    console.log(`  invoices totalCount during the run: ${latencies(d('countDuringRun', queries))}; before it: ${latencies(d('countBefore', queries))}`);
    console.log(`  invoices visible (the probe's totalCount): the first after ${fixed(queries.firstInvoiceVisibleSeconds as number | null, 2)} s, half after ${fixed(queries.halfVisibleSeconds as number | null, 2)} s`);
    console.log(`    over time: ${(queries.progress as { seconds: number; invoices: number }[]).map((p) => `${fixed(p.seconds, 1)} s ${int(p.invoices)}`).join(', ')}`);
    if (queries.failed) console.log(`  ${queries.failed as number} probe queries failed: ${(queries.errors as string[]).slice(0, 3).join(' | ')}`);
    console.log(
      `  ingestion during the run: ${int(ingestion.eventsDuringRun as number)} events acked = ${int(ingestion.rateDuringRun as number)} events/s; ack ${latencies(d('ackDuringRun', ingestion))}; ${int(ingestion.retriesDuringRun as number)} rate-limited retries`,
    );
    console.log(`  ingestion before it: ${int(ingestion.rateBefore as number)} events/s; ack ${latencies(d('ackBefore', ingestion))}`);
  }

  // The checks below page through every invoice: when profiling, the profile stops here (a fresh server answers them).
  let profiles: ProfileSummary[] = [];
  if (options.profile) {
    profiles = await stopServer('billing run (server restarted after the setup, with --cpu-prof)');
    server = await ServerProcess.start(serverOptions(undefined));
    endpoint = server.endpoint;
    await settle(server.healthUrl);
  }

  // One invoice per subscription, each finalized.
  const perSubscription = new Map<string, number>();
  const byBillingAt = new Map<string, number>();
  let statuses = new Map<string, number>();
  let nonZero = 0;
  let totalCount = 0;
  let fees = 0;
  const feeCounts: { id: string; fees: number }[] = [];
  for (let after: string | null = null; ; ) {
    const page: Page = (await gql<Page>(endpoint, PAGE, { after })).data;
    totalCount = page.invoices.totalCount;
    for (const { node } of page.invoices.edges) {
      perSubscription.set(node.externalSubscriptionId, (perSubscription.get(node.externalSubscriptionId) ?? 0) + 1);
      const at = `${node.reason} ${node.chargesToDatetime ?? node.billingDate}`;
      byBillingAt.set(at, (byBillingAt.get(at) ?? 0) + 1);
      statuses.set(node.status, (statuses.get(node.status) ?? 0) + 1);
      if (node.totalAmountCents !== '0') nonZero += 1;
      fees += node.fees.length;
      feeCounts.push({ id: node.id, fees: node.fees.length });
    }
    if (!page.invoices.pageInfo.hasNextPage) break;
    after = page.invoices.pageInfo.endCursor;
  }
  statuses = new Map([...statuses].sort());
  const listed = [...perSubscription.values()].reduce((a, b) => a + b, 0);
  const missing = shape.subscriptions - perSubscription.size;
  const doubled = [...perSubscription.values()].filter((n) => n > 1).length;
  const oneEach = totalCount === shape.subscriptions && listed === totalCount && missing === 0 && doubled === 0 && statuses.get('FINALIZED') === totalCount;
  console.log(
    `  invoices: totalCount ${int(totalCount)} for ${int(shape.subscriptions)} subscriptions (${[...statuses].map(([s, n]) => `${int(n)} ${s}`).join(', ')}; ${int(nonZero)} with a non-zero total; ${fixed(fees / Math.max(1, listed), 1)} fees each on average)`,
  );
  console.log(`    by billing instant: ${[...byBillingAt].sort().map(([k, n]) => `${k} × ${int(n)}`).join('; ')}`);
  if (oneEach) console.log('    exactly one finalized invoice per subscription: ok');
  else {
    const text = `expected exactly one finalized invoice per subscription: totalCount ${totalCount}, ${missing} subscriptions without one, ${doubled} with more than one`;
    failures.push(text);
    console.log(`    FAILED: ${text}`);
    // Which ones, whether they show up a little later (answered too early) or never, and what the projections skipped.
    const without = Array.from({ length: shape.subscriptions }, (_, i) => subscriptionId(i)).filter((id) => !perSubscription.has(id));
    const twice = [...perSubscription].filter(([, n]) => n > 1).map(([id]) => id);
    console.log(`    without an invoice: ${without.slice(0, 10).join(', ') || 'none'}; with more than one: ${twice.slice(0, 10).join(', ') || 'none'}`);
    await sleep(10_000);
    const later = (await gql<{ invoices: { totalCount: number } }>(endpoint, '{ invoices(first: 1) { totalCount } }')).data.invoices.totalCount;
    const quarantined = (await gql<{ quarantinedEvents: { totalCount: number; edges: { node: Record<string, unknown> }[] } }>(endpoint, QUARANTINED)).data.quarantinedEvents;
    console.log(`    10 s later: totalCount ${int(later)}; quarantined events: ${quarantined.totalCount}${quarantined.edges.length ? ` (${JSON.stringify(quarantined.edges.map((e) => e.node))})` : ''}`);
    report.checkFailure = { without: without.slice(0, 100), twice: twice.slice(0, 100), totalCountLater: later, quarantined };
  }
  // The floor's row: an invoice with the median number of fees, every field as the API answers it.
  const typical = feeCounts.sort((a, b) => a.fees - b.fees || a.id.localeCompare(b.id))[Math.floor(feeCounts.length / 2)];
  const invoice = typical ? (await gql<{ invoice: Record<string, unknown> }>(endpoint, FULL_INVOICE, { id: typical.id })).data.invoice : null;
  const row = JSON.stringify(invoice ?? {});
  const disk = diskUsage(dataDir);

  await stopServer('checks');

  // The floor, with the server stopped.
  const rows = Math.max(1, totalCount);
  console.log(`\n== floor: ${int(rows)} invoice documents (${int(Buffer.byteLength(row))} B of JSON each, ${Array.isArray(invoice?.fees) ? invoice.fees.length : 0} fees) into a bare node:sqlite table, unique key, one transaction per row`);
  const plain = floorMedian(join(tmpRoot, 'floor-normal'), rows, row, organization, false);
  console.log(`  WAL, synchronous=NORMAL: ${int(plain.rate)} invoices/s (${fixed(plain.seconds, 2)} s; median of ${FLOOR_REPEATS} runs, each on a fresh file)`);
  const durable = floorMedian(join(tmpRoot, 'floor-durable'), rows, row, organization, true);
  console.log(`  the same + fdatasync of the WAL after each commit (what the store's append waits for): ${int(durable.rate)} invoices/s (${fixed(durable.seconds, 2)} s)`);

  const invoicesPerSecond = rate(totalCount, runSeconds);
  Object.assign(report, {
    run: { seconds: runSeconds, invoices: totalCount, invoicesPerSecond, oneEach, statuses: Object.fromEntries(statuses), byBillingAt: Object.fromEntries(byBillingAt), nonZero, feesPerInvoice: fees / Math.max(1, listed) },
    memory,
    rssSamples: rss.samples,
    queries,
    ingestion,
    floor: { normal: plain, durable, ratio: invoicesPerSecond && plain.rate ? invoicesPerSecond / plain.rate : null, durableRatio: invoicesPerSecond && durable.rate ? invoicesPerSecond / durable.rate : null },
    invoiceSample: invoice,
    webhooks,
    disk: { totalBytes: disk.totalBytes, walBytes: disk.walBytes },
    profiles,
  });

  // Summary.
  const q = queries as Record<string, Distribution> | null;
  const ing = ingestion as (Record<string, number> & { ackDuringRun: Distribution }) | null;
  const table: [string, string, string, string][] = [];
  const add = (figure: string, value: string, target = '—', mark = '') => table.push([figure, value, target, mark]);
  add('subscriptions (customers)', `${int(shape.subscriptions)} (${int(shape.customers)})`);
  add('usage events ingested in January (accepted)', `${int(ingested.events)} (${int(ingested.accepted)})`);
  add(`charges per plan (usage metrics)`, '4 (≥ 3 asked)');
  const mark = runSeconds <= TARGET_SECONDS ? 'ok' : runSeconds <= ACCEPTABLE_SECONDS ? 'acceptable (target missed)' : 'MISSED';
  add(`billing run, advanceClock end to end${options.load ? ' (with the probes)' : ' (alone)'}`, `${fixed(runSeconds, 2)} s`, `≤ ${TARGET_SECONDS} s (≤ ${ACCEPTABLE_SECONDS} s acceptable)`, mark);
  add('invoices issued and visible / s', `${int(invoicesPerSecond)} invoices/s`);
  add('floor: invoice rows, 1 transaction each, synchronous=NORMAL', `${int(plain.rate)} invoices/s`);
  add('engine / floor', fixed(invoicesPerSecond && plain.rate ? invoicesPerSecond / plain.rate : null, 3));
  add('floor + fdatasync per row (the store’s durable append)', `${int(durable.rate)} invoices/s`);
  add('engine / durable floor', fixed(invoicesPerSecond && durable.rate ? invoicesPerSecond / durable.rate : null, 3));
  add('one finalized invoice per subscription', oneEach ? 'yes' : 'NO', 'exactly one each', oneEach ? 'ok' : 'FAILED');
  add('server RSS: start / peak / end of the run', `${bytes(memory.startBytes)} / ${bytes(memory.peakBytes)} / ${bytes(memory.endBytes)}`, 'bounded', '');
  if (q && ing) {
    add('customerUsage p50 / p99 during the run', `${fixed(q.usageDuringRun!.p50, 1)} / ${fixed(q.usageDuringRun!.p99, 1)} ms`, 'keeps answering', q.usageDuringRun!.count > 0 && !queries!.failed ? 'ok' : 'MISSED');
    add('  before the run (same probe)', `${fixed(q.usageBefore!.p50, 1)} / ${fixed(q.usageBefore!.p99, 1)} ms`);
    add('invoices totalCount p50 / p99 during the run', `${fixed(q.countDuringRun!.p50, 1)} / ${fixed(q.countDuringRun!.p99, 1)} ms`);
    add('ingestion during the run: acked events/s, ack p99', `${int(ing.rateDuringRun)} ev/s, ${fixed(ing.ackDuringRun.p99, 1)} ms`, 'keeps answering', ing.ackDuringRun.count > 0 ? 'ok' : 'MISSED');
    add('  before the run (same client)', `${int(ing.rateBefore)} ev/s, ${fixed((ingestion!.ackBefore as Distribution).p99, 1)} ms`);
  }
  if (webhooks) {
    const wh = webhooks as { received: number; unique: number; lastAfterAnswerSeconds: number | null; deliveredPerSecond: number | null; floor: { rate: number } | null };
    add('webhooks: invoice.created received once each', `${int(wh.unique)} of ${int(shape.subscriptions)}`, 'one each', wh.unique === shape.subscriptions && wh.received === wh.unique ? 'ok' : 'FAILED');
    add('  delivered / s (first to last); last after the answer', `${int(wh.deliveredPerSecond)} /s; ${fixed(wh.lastAfterAnswerSeconds, 2)} s`);
    add('  floor: the same requests straight to the receiver, 8 at a time', `${int(wh.floor?.rate ?? null)} /s`);
  }
  const w = [0, 1, 2].map((i) => Math.max(...table.map((r) => r[i]!.length)));
  console.log('\n== summary');
  for (const r of table) console.log(`  ${r[0].padEnd(w[0]!)}  ${r[1].padStart(w[1]!)}  ${r[2].padEnd(w[2]!)}  ${r[3]}`.trimEnd());
  report.summary = table;
} catch (error) {
  failures.push(message(error));
  console.error(`\n!! ${message(error)}${server && !server.running ? ' (the server has exited)' : ''}`);
}

await stopServer('billing run').catch((error: unknown) => failures.push(`shutdown: ${message(error)}`));
const totalSeconds = (performance.now() - runStarted) / 1000;
report.meta = { node: process.version, commit, uncommittedChanges: dirty, startedAt: new Date(Date.now() - totalSeconds * 1000).toISOString(), totalSeconds };
report.failures = failures;
const out = options.out ? resolve(options.out) : join(tmpdir(), `bench-billing-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
console.log(`\nall figures: ${out}${profileDir ? `\nCPU profiles kept in ${profileDir}` : ''}`);
console.log(`total ${fixed(totalSeconds, 1)} s${failures.length ? `; ${failures.length} failure(s):\n  ${failures.join('\n  ')}` : ''}`);
await cleanup();
process.exit(failures.length ? 1 : 0);

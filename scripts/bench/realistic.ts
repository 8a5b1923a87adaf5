/**
 * The realistic metering benchmark: a billing server as a child process under the realistic shape (2,000 customers,
 * 10,000 subscriptions, 4 metrics, Zipf-distributed traffic, random and ordered transaction ids, 2 % duplicates),
 * driven by client processes. Phases (default all, always in this order): matrix, sustained, floor, currentUsage,
 * live, rebuild, wallets. See options.ts for the command line; each phase is in phases/.
 *
 *   npx node --max-semi-space-size=8 scripts/bench/realistic.ts [--quick] [--phases=a,b,c] [--out=file.json] [--profile]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createCatalog, organizationId, type SetupTimes } from './catalog.ts';
import { closeRegistry, stopAll } from './children.ts';
import { BenchContext } from './context.ts';
import { parseOptions, USAGE, UsageError, type Options, type PhaseName } from './options.ts';
import { runCurrentUsage } from './phases/currentUsage.ts';
import { runFloor } from './phases/floor.ts';
import { runLive } from './phases/live.ts';
import { runMatrix } from './phases/matrix.ts';
import { runRebuild } from './phases/rebuild.ts';
import { runSustained } from './phases/sustained.ts';
import { runWallets } from './phases/wallets.ts';
import { REPO } from './server.ts';
import { fixed, int } from './stats.ts';
import { printSummary, summaryRows, type Results } from './summary.ts';
import { sleep } from './wait.ts';

let options: Options;
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  if (error.message) console.error(`${error.message}\n${USAGE}`);
  else console.log(USAGE);
  process.exit(error.message ? 2 : 0);
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));
const runStarted = performance.now();
const tmpRoot = mkdtempSync(join(tmpdir(), 'bench-realistic-'));
const profileDir = options.profile ? mkdtempSync(join(tmpdir(), 'bench-profiles-')) : null;
const ctx = new BenchContext(options, tmpRoot, profileDir);
const results: Results = {};
const failures: { phase: string; error: string }[] = [];
const phaseSeconds: Partial<Record<PhaseName | 'setup', number>> = {};
let setup: SetupTimes | null = null;

let cleaning: Promise<void> | null = null;
let interrupted = false;
const cleanup = () =>
  (cleaning ??= (async () => {
    closeRegistry();
    await ctx.stopServer().catch((error: unknown) => console.error(`stopping the server: ${message(error)}`));
    await stopAll();
    // BENCH_KEEP_DATA=1 keeps the server's files for a look afterwards (diagnostics).
    if (process.env.BENCH_KEEP_DATA === '1') console.log(`data kept in ${tmpRoot}`);
    else rmSync(tmpRoot, { recursive: true, force: true });
  })());

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    interrupted = true;
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

const commit = git(['rev-parse', '--short', 'HEAD']);
const dirty = git(['status', '--porcelain', '--', 'src', 'projections']);
console.log(`realistic metering benchmark (${options.quick ? 'quick' : 'full'}): ${int(ctx.shape.customers)} customers, ${int(ctx.shape.subscriptions)} subscriptions; phases ${options.phases.join(', ')}`);
console.log(`node ${process.version}, commit ${commit ?? 'n/a'}${dirty ? ' + uncommitted changes in src/ or projections/' : ''}; server DATA_DIR ${ctx.dataDir}`);

try {
  if (options.phases.some((p) => p !== 'floor')) {
    const setupStarted = performance.now();
    const server = await ctx.startServer();
    console.log(`\n== setup: server pid ${server.pid} on port ${server.port} ready in ${fixed((performance.now() - setupStarted) / 1000, 2)} s`);
    ctx.organizationId = await organizationId(server.endpoint);
    setup = await createCatalog(server.endpoint, ctx.shape);
    phaseSeconds.setup = (performance.now() - setupStarted) / 1000;
    console.log(`  catalog (4 metrics, 2 plans) ${fixed(setup.catalogSeconds, 2)} s; ${int(ctx.shape.customers)} customers ${fixed(setup.customersSeconds, 2)} s; ${int(ctx.shape.subscriptions)} subscriptions ${fixed(setup.subscriptionsSeconds, 2)} s (16 in flight): ${fixed(setup.totalSeconds, 2)} s`);
  }
  for (const phase of options.phases) {
    if (interrupted) break;
    const started = performance.now();
    try {
      if (phase !== 'floor' && !ctx.serverRunning) throw new Error('the server is not running (it exited or failed to start earlier)');
      switch (phase) {
        case 'matrix':
          results.matrix = await runMatrix(ctx);
          break;
        case 'sustained':
          results.sustained = await runSustained(ctx);
          break;
        case 'floor':
          results.floor = await runFloor(ctx, results.sustained);
          break;
        case 'currentUsage':
          results.currentUsage = await runCurrentUsage(ctx);
          break;
        case 'live':
          results.live = await runLive(ctx);
          break;
        case 'rebuild':
          results.rebuild = await runRebuild(ctx, true);
          break;
        case 'wallets':
          results.wallets = await runWallets(ctx);
          break;
      }
    } catch (error) {
      await sleep(200);
      const exited = phase !== 'floor' && !interrupted && ctx.serverExit ? ` (the server has exited: ${ctx.serverExit})` : '';
      failures.push({ phase, error: `${message(error)}${exited}` });
      console.error(`\n!! phase ${phase} failed: ${message(error)}${exited}`);
    } finally {
      await stopAll('client');
    }
    phaseSeconds[phase] = (performance.now() - started) / 1000;
    console.log(`  (${phase}: ${fixed(phaseSeconds[phase], 1)} s)`);
  }
} catch (error) {
  failures.push({ phase: 'setup', error: message(error) });
  console.error(`\n!! setup failed: ${message(error)}`);
}

await ctx.stopServer().catch((error: unknown) => failures.push({ phase: 'shutdown', error: message(error) }));
const rows = summaryRows(results, ctx.serverPeakHwmBytes);
printSummary(rows);
const totalSeconds = (performance.now() - runStarted) / 1000;
const report = {
  meta: { mode: options.quick ? 'quick' : 'full', phases: options.phases, node: process.version, commit, uncommittedChanges: Boolean(dirty), startedAt: new Date(Date.now() - totalSeconds * 1000).toISOString(), totalSeconds },
  sizes: options.sizes,
  setup,
  phaseSeconds,
  results,
  serverPeakHwmBytes: ctx.serverPeakHwmBytes,
  profiles: ctx.profiles,
  summary: rows,
  failures,
};
const out = options.out ? resolve(options.out) : join(tmpdir(), `bench-realistic-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
console.log(`\nall figures: ${out}${profileDir ? `\nCPU profiles kept in ${profileDir} (open in Chrome DevTools)` : ''}`);
console.log(`total ${fixed(totalSeconds, 1)} s${failures.length ? `; ${failures.length} failure(s): ${failures.map((f) => f.phase).join(', ')}` : ''}`);
await cleanup();
process.exit(failures.length ? 1 : 0);

/**
 * Phase `rebuild`: the server stopped, `scripts/rebuildProjection.ts all` timed as a child on the same DATA_DIR
 * (VmRSS polled every 200 ms for its peak); then the server started again, and the current usage of the hottest
 * subscriptions compared with what it answered before the rebuild.
 */
import { spawn } from 'node:child_process';
import { exitOf, register, stderrTail } from '../children.ts';
import type { BenchContext } from '../context.ts';
import { gql } from '../gql.ts';
import { settle } from '../lag.ts';
import { memoryOf } from '../proc.ts';
import { CUSTOMER_USAGE } from '../queries.ts';
import { health, REPO, serverEnv } from '../server.ts';
import { bytes, fixed, int, rate } from '../stats.ts';
import { withTimeout } from '../wait.ts';
import { customerId, customerOfSubscription, subscriptionByRank, subscriptionId } from '../workload.ts';

export type RebuildResult = {
  eventsStored: number | null;
  seconds: number;
  reportedMs: number | null;
  rate: number | null;
  peakRssBytes: number | null;
  hwmBytes: number | null;
  usageUnchanged: boolean | null;
  restartSeconds: number | null;
};

async function hottestUsage(ctx: BenchContext): Promise<string> {
  const byRank = subscriptionByRank(ctx.shape.subscriptions);
  const answers = [];
  for (const index of Array.from(byRank.slice(0, 3))) {
    const variables = { customer: customerId(customerOfSubscription(index)), subscription: subscriptionId(index) };
    answers.push((await gql(ctx.server.endpoint, CUSTOMER_USAGE, variables)).data);
  }
  return JSON.stringify(answers);
}

export async function runRebuild(ctx: BenchContext, restart: boolean): Promise<RebuildResult> {
  await settle(ctx.server.healthUrl);
  const eventsStored = (await health(ctx.server.healthUrl)).head;
  console.log(`\n== rebuild: scripts/rebuildProjection.ts all over ${int(eventsStored)} events (server stopped)`);
  const before = restart ? await hottestUsage(ctx) : null;
  await ctx.stopServer();

  const started = performance.now();
  const child = register(spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'scripts/rebuildProjection.ts', 'all'], { cwd: REPO, env: serverEnv(ctx.dataDir), stdio: ['ignore', 'pipe', 'pipe'] }), 'client');
  const tail = stderrTail(child);
  let stdout = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => (stdout += chunk));
  let peakRss = 0;
  let hwm = 0;
  const poll = setInterval(() => {
    const memory = memoryOf(child.pid!);
    if (memory) {
      peakRss = Math.max(peakRss, memory.rssBytes);
      hwm = Math.max(hwm, memory.hwmBytes);
    }
  }, 200);
  let exit: { code: number | null; signal: NodeJS.Signals | null };
  try {
    exit = await withTimeout(exitOf(child), 60_000 + (eventsStored ?? 0) / 2, 'scripts/rebuildProjection.ts to finish');
  } finally {
    clearInterval(poll);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  const seconds = (performance.now() - started) / 1000;
  if (exit.code !== 0) throw new Error(`scripts/rebuildProjection.ts exited (${exit.signal ?? `code ${exit.code}`}):\n${tail()}\n${stdout.slice(-2000)}`);
  // `… in 12.3 s (…)` today, `… in 12345 ms` before.
  const reported = /\bin (\d+(?:\.\d+)?) (ms|s)\b/.exec(stdout);

  let usageUnchanged: boolean | null = null;
  let restartSeconds: number | null = null;
  if (restart) {
    const restartStarted = performance.now();
    await ctx.startServer();
    await settle(ctx.server.healthUrl);
    restartSeconds = (performance.now() - restartStarted) / 1000;
    usageUnchanged = (await hottestUsage(ctx)) === before;
  }
  const result: RebuildResult = {
    eventsStored,
    seconds,
    reportedMs: reported ? Number(reported[1]) * (reported[2] === 's' ? 1000 : 1) : null,
    rate: eventsStored === null ? null : rate(eventsStored, seconds),
    peakRssBytes: peakRss || null,
    hwmBytes: hwm || null,
    usageUnchanged,
    restartSeconds,
  };
  console.log(`  ${int(result.rate)} events/s: ${fixed(seconds, 2)} s for the process (it reports ${int(result.reportedMs)} ms folding); peak VmRSS ${bytes(result.peakRssBytes)} (VmHWM ${bytes(result.hwmBytes)})`);
  if (restart) console.log(`  server restarted and caught up in ${fixed(restartSeconds, 2)} s; usage of the 3 hottest subscriptions ${usageUnchanged ? 'identical to before the rebuild' : 'DIFFERS from before the rebuild'}`);
  return result;
}

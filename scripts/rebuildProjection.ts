/**
 * Rebuilds read models from zero: `npm run projections:rebuild -- <name|all>`. Drops the projections' collections
 * and checkpoints, then folds the whole log again with a progress bar, however long it takes (no time cap). Uses
 * the server's configuration (DATA_DIR, DATABASE_PATH, EVENTSTORE_URL, MONGODB_URL). Stop the server first: it
 * would otherwise keep folding into the collections being rebuilt.
 *
 * Two stages: the catalog read models first (they read only domain events), then usage, folded with that final
 * catalog — so no re-fold is ever needed on the way. On the embedded store, usage is split by external
 * subscription id across one worker thread per core (each reads only its own share of the log).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { SingleBar, Presets } from 'cli-progress';
import { allProjections, collectionNames, findProjection } from '../projections/index.ts';
import { isStateful } from '../projections/projection.ts';
import { ProjectionRunner, ensureCollections } from '../projections/runner.ts';
import { usageProjection } from '../projections/usage.ts';
import { createLogger } from '../src/application/logger.ts';
import { openStores } from '../src/compose.ts';
import { optimize } from '../src/infrastructure/sqlite/database.ts';
import { loadConfig } from '../src/config.ts';
import type { PartitionJob, PartitionProgress } from './rebuildPartition.ts';

const name = process.argv[2] ?? 'all';
const selected = name === 'all' ? allProjections : [findProjection(name)].filter((p) => p !== undefined);
if (selected.length === 0) {
  console.error(`unknown projection "${name}"; known: ${allProjections.map((p) => p.name).join(', ')}`);
  process.exit(2);
}

const config = loadConfig();
const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
const stores = await openStores(config, logger);
const { eventStore, readModels } = stores;
for (const projection of selected) await readModels.reset(projection.name, collectionNames(projection));
await ensureCollections(readModels, selected);
const head = (await eventStore.headPosition()) ?? 0n;
const started = performance.now();
const bar = new SingleBar({ format: '{stage} {bar} {percentage}% | {value}/{total} positions | {rate} positions/s | eta {eta_formatted}', etaBuffer: 50 }, Presets.shades_classic);
const show = (stage: string, done: bigint) => bar.update(Number(done), { stage, rate: Math.round(Number(done) / ((performance.now() - started) / 1000)) });
bar.start(Number(head), 0, { stage: 'catalog', rate: 0 });

/** Runs a runner until it has folded `until`, with no time cap, reporting its lowest checkpoint. */
async function runUntil(runner: ProjectionRunner, until: bigint, stage: string): Promise<void> {
  const lowest = () => [...runner.checkpoints().values()].reduce((min, p) => (p < min ? p : min), until);
  const progress = setInterval(() => show(stage, lowest()), 250);
  await runner.start();
  for (;;) {
    try {
      await runner.waitFor(until, 60_000);
      break;
    } catch {
      // not there yet
    }
  }
  while (runner.stale().length > 0) await new Promise((resolve) => setTimeout(resolve, 100));
  await runner.stop();
  clearInterval(progress);
}

const catalog = selected.filter((p) => !isStateful(p));
const usage = selected.some(isStateful);
const options = { logger, batchSize: 5_000, commitIntervalMs: 5_000, maxUncommitted: 250_000 };
const embedded = stores.embedded !== null && !config.mongodbUrl && config.databasePath !== ':memory:';
if (catalog.length > 0) {
  if (embedded) {
    // The catalog read models need no usage event: read only the domain part of the log, up to its last event.
    const last = stores.db!.prepare('SELECT MAX(position) AS position FROM events WHERE position <= ?').get(head) as { position: number | bigint | null };
    await runUntil(new ProjectionRunner(eventStore, readModels, catalog, { ...options, log: 'none' }), BigInt(last.position ?? 0), 'catalog');
    await readModels.commit([], catalog.map((p) => ({ name: p.name, position: head })));
  } else {
    await runUntil(new ProjectionRunner(eventStore, readModels, catalog, options), head, 'catalog');
  }
}

if (usage) {
  const cores = Math.max(1, Math.min(availableParallelism(), 8));
  if (embedded && cores > 1) {
    await partitioned(cores);
  } else {
    await runUntil(new ProjectionRunner(eventStore, readModels, [usageProjection], { ...options, fromEmpty: true }), head, 'usage');
  }
}
bar.update(Number(head), { stage: 'done', rate: Math.round(Number(head) / ((performance.now() - started) / 1000)) });
bar.stop();
const seconds = (performance.now() - started) / 1000;
console.log(`rebuilt ${selected.map((p) => p.name).join(', ')} up to position ${head} in ${seconds.toFixed(1)} s (${Math.round(Number(head) / seconds)} positions/s)`);
await eventStore.close();
await readModels.close();
stores.closeDb();

/** Usage across `count` worker threads, one share of the external subscription ids each; then one checkpoint. */
async function partitioned(count: number): Promise<void> {
  const db = stores.db!;
  const progress = new Map<number, bigint>();
  const jobs = Array.from({ length: count }, (_, partition) => {
    const last = db.prepare('SELECT MAX(position) AS position FROM usage_events WHERE position <= ? AND subject % ? = ?').get(head, count, partition) as { position: number | bigint | null };
    return { databasePath: config.databasePath, readModelsPath: config.readModelsPath, partition, of: count, last: String(last.position ?? 0), checkpoint: `usage#${partition}` } satisfies PartitionJob;
  });
  const shares = jobs.map(
    (job) =>
      new Promise<void>((resolve, reject) => {
        const worker = new Worker(new URL('./rebuildPartition.ts', import.meta.url), { workerData: job });
        worker.on('message', (message: PartitionProgress) => {
          if (message.type === 'progress') progress.set(job.partition, BigInt(message.position));
          else resolve();
        });
        worker.once('error', reject);
        worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`usage share ${job.partition} exited with ${code}`))));
      }),
  );
  // Each share's checkpoint is the last event of its own share: progress is the lowest over shares.
  const timer = setInterval(() => show('usage', [...progress.values()].reduce((min, p) => (p < min ? p : min), head)), 250);
  await Promise.all(shares);
  clearInterval(timer);
  await readModels.commit([], [{ name: usageProjection.name, position: head }]);
  optimize(stores.viewsDb!);
  for (const job of jobs) await readModels.reset(job.checkpoint, []);
}

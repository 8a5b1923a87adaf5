/**
 * Rebuilds read models from zero: `npm run projections:rebuild -- <name|all>`. Drops the projections' collections
 * and checkpoints, then folds the whole log again with a progress bar, however long it takes (no time cap). Uses
 * the server's configuration (DATA_DIR, DATABASE_PATH, EVENTSTORE_URL, MONGODB_URL). Stop the server first: it
 * would otherwise keep folding into the collections being rebuilt.
 */
import { SingleBar, Presets } from 'cli-progress';
import { allProjections, collectionNames, findProjection } from '../projections/index.ts';
import { ProjectionRunner, ensureCollections } from '../projections/runner.ts';
import { createLogger } from '../src/application/logger.ts';
import { openStores } from '../src/compose.ts';
import { loadConfig } from '../src/config.ts';

const name = process.argv[2] ?? 'all';
const selected = name === 'all' ? allProjections : [findProjection(name)].filter((p) => p !== undefined);
if (selected.length === 0) {
  console.error(`unknown projection "${name}"; known: ${allProjections.map((p) => p.name).join(', ')}`);
  process.exit(2);
}

const config = loadConfig();
const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
const { eventStore, readModels, closeDb } = await openStores(config, logger);
for (const projection of selected) await readModels.reset(projection.name, collectionNames(projection));
await ensureCollections(readModels, selected);
const head = (await eventStore.headPosition()) ?? 0n;
// Big pages and rare commits: a rebuild has no reader waiting, only throughput matters.
const runner = new ProjectionRunner(eventStore, readModels, selected, { logger, batchSize: 5_000, commitIntervalMs: 1_000, maxUncommitted: 100_000 });
const started = performance.now();
const bar = new SingleBar({ format: 'rebuilding {bar} {percentage}% | {value}/{total} positions | {rate} events/s | eta {eta_formatted}', etaBuffer: 50 }, Presets.shades_classic);
bar.start(Number(head), 0, { rate: 0 });
const lowest = () => [...runner.checkpoints().values()].reduce((min, p) => (p < min ? p : min), head);
const progress = setInterval(() => {
  const done = Number(lowest());
  bar.update(done, { rate: Math.round(done / ((performance.now() - started) / 1000)) });
}, 250);
await runner.start();
// No time cap: wait for the head in slices, however long the log.
for (;;) {
  try {
    await runner.waitFor(head, 60_000);
    break;
  } catch {
    // not there yet
  }
}
// Re-folds the replay started (catalog changes met on the way) finish in the background: wait for them too.
while (runner.stale().length > 0) await new Promise((resolve) => setTimeout(resolve, 100));
await runner.stop();
clearInterval(progress);
bar.update(Number(head), { rate: Math.round(Number(head) / ((performance.now() - started) / 1000)) });
bar.stop();
const seconds = (performance.now() - started) / 1000;
console.log(`rebuilt ${selected.map((p) => p.name).join(', ')} up to position ${head} in ${seconds.toFixed(1)} s (${Math.round(Number(head) / seconds)} positions/s)`);
await eventStore.close();
await readModels.close();
closeDb();

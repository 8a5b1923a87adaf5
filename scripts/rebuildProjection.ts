/**
 * Rebuilds read models from zero: `npm run projections:rebuild -- <name|all>`. Drops the projection's collections
 * and checkpoint, then folds the whole log again (uses the same configuration as the server: DATA_DIR,
 * EVENTSTORE_URL, MONGODB_URL). Stop the projection worker first; the API keeps serving the old documents until
 * the drop.
 */
import { allProjections, findProjection } from '../projections/index.ts';
import { ProjectionRunner } from '../projections/runner.ts';
import { composeSystem } from '../src/compose.ts';
import { loadConfig } from '../src/config.ts';

const name = process.argv[2] ?? 'all';
const selected = name === 'all' ? allProjections : [findProjection(name)].filter((p) => p !== undefined);
if (selected.length === 0) {
  console.error(`unknown projection "${name}"; known: ${allProjections.map((p) => p.name).join(', ')}`);
  process.exit(2);
}

const system = await composeSystem({ ...loadConfig(), role: 'api' });
const { eventStore, readModels } = system.app.deps;
for (const projection of selected) await readModels.reset(projection.name, [projection.collection]);
const runner = new ProjectionRunner(eventStore, readModels, selected, { logger: system.logger, batchSize: 1000 });
const started = Date.now();
await runner.start();
const head = await eventStore.headPosition();
if (head !== null) await runner.waitFor(head, 10 * 60_000);
await runner.stop();
console.log(`rebuilt ${selected.map((p) => p.name).join(', ')} up to position ${head ?? 0n} in ${Date.now() - started} ms`);
await system.close();

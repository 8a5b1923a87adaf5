/**
 * One share of a usage rebuild (a worker thread of `rebuildProjection.ts`): the usage events of the external
 * subscription ids in partition `partition` of `of`, folded with the catalog read models as rebuilt already (so
 * at the head of the log), into the shared usage collections under a checkpoint of its own. Posts its progress.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../src/application/logger.ts';
import { createSqliteEventStore } from '../src/infrastructure/eventStore/sqlite.ts';
import { createSqliteReadModelStore } from '../src/infrastructure/readModels/sqlite.ts';
import { openDatabase } from '../src/infrastructure/sqlite/database.ts';
import { ProjectionRunner } from '../projections/runner.ts';
import { usageProjection } from '../projections/usage.ts';

export type PartitionJob = { databasePath: string; readModelsPath: string; partition: number; of: number; last: string; checkpoint: string };
export type PartitionProgress = { type: 'progress'; position: string } | { type: 'done' };

const job = workerData as PartitionJob;
// The log does not move during a rebuild (the server is stopped): read models need no wait for its fsync.
const logDb = openDatabase(job.databasePath, { synchronous: 'NORMAL' });
const db = job.readModelsPath === job.databasePath ? logDb : openDatabase(job.readModelsPath, { synchronous: 'NORMAL' });
const eventStore = createSqliteEventStore(logDb, { readOnly: true, pageSize: 5_000 });
const readModels = createSqliteReadModelStore(db);
const projection = { ...usageProjection, name: job.checkpoint };
const runner = new ProjectionRunner(eventStore, readModels, [projection], {
  logger: createLogger('warn'),
  batchSize: 5_000,
  commitIntervalMs: 5_000,
  maxUncommitted: 250_000,
  log: { partition: job.partition, of: job.of },
  fromEmpty: true,
});
const report = setInterval(() => parentPort!.postMessage({ type: 'progress', position: (runner.checkpoints().get(job.checkpoint) ?? 0n).toString() } satisfies PartitionProgress), 250);
await runner.start();
const last = BigInt(job.last);
for (;;) {
  try {
    await runner.waitFor(last, 60_000);
    break;
  } catch {
    // not there yet: no time cap
  }
}
await runner.stop();
clearInterval(report);
if (db !== logDb) db.close();
logDb.close();
parentPort!.postMessage({ type: 'done' } satisfies PartitionProgress);

/**
 * The projection worker thread (embedded store): its own connection to the database file, the projection runner,
 * and messages to the thread that serves the API: commits out, appends, waits and watches in. See workerHost.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger, type LogLevel } from '../src/application/logger.ts';
import { createSqliteEventStore } from '../src/infrastructure/eventStore/sqlite.ts';
import { createSqliteReadModelStore } from '../src/infrastructure/readModels/sqlite.ts';
import { openDatabase, refreshStatistics, STATISTICS_INTERVAL_MS, walSyncer } from '../src/infrastructure/sqlite/database.ts';
import { allProjections } from './index.ts';
import { ProjectionRunner, type ProjectionRunnerOptions } from './runner.ts';

export type WorkerData = { databasePath: string; readModelsPath: string; logLevel: LogLevel; runner: Omit<ProjectionRunnerOptions, 'logger'> };

/** Main → worker. */
export type ToWorker =
  | { type: 'appended'; position: string }
  | { type: 'want'; position: string }
  | { type: 'watch'; subject: string; delta: 1 | -1 }
  | { type: 'stop' };

/** Worker → main. */
export type FromWorker =
  | { type: 'commit'; checkpoints: [string, string][]; changed: string[]; stale: string[]; quarantined: number; failure: string | null; catalog: string }
  | { type: 'stopped' };

const port = parentPort!;
const data = workerData as WorkerData;
const logger = createLogger(data.logLevel);
// The log, read only (the API thread appends), and the read models, in their own file unless they share the log's.
const logDb = openDatabase(data.databasePath, { synchronous: 'NORMAL' });
const separate = data.readModelsPath !== data.databasePath;
// Read models can be rebuilt from the log: their commits need not wait for the disk (the log's appends do).
const db = separate ? openDatabase(data.readModelsPath, { synchronous: 'NORMAL' }) : logDb;
// Checkpoints once a second (below), or past 40 MB of WAL: each writes a page back once however often it changed,
// and its fsyncs do not queue behind the API thread's on every few commits.
db.exec('PRAGMA wal_autocheckpoint = 10000');
const eventStore = createSqliteEventStore(logDb, { readOnly: true, pollIntervalMs: 250 });
// A commit waits until the log events it folded are durable (the API thread may not have fsynced them yet).
const readModels = createSqliteReadModelStore(db, separate ? { beforeCommit: walSyncer(data.databasePath) } : {});
const connections = separate ? [logDb, db] : [db];
const runner = new ProjectionRunner(eventStore, readModels, allProjections, { ...data.runner, logger });

let walTimer: NodeJS.Timeout | undefined;
let statsTimer: NodeJS.Timeout | undefined;
const post = (message: FromWorker) => port.postMessage(message);
const report = () =>
  post({
    type: 'commit',
    checkpoints: [...runner.checkpoints()].map(([name, position]) => [name, position.toString()]),
    changed: [],
    stale: runner.stale(),
    quarantined: runner.quarantined(),
    failure: runner.lastFailure(),
    catalog: runner.catalogPosition().toString(),
  });

runner.commits.on('commit', (info) =>
  post({
    type: 'commit',
    checkpoints: [...info.checkpoints].map(([name, position]) => [name, position.toString()]),
    changed: info.changed,
    stale: info.stale,
    quarantined: info.quarantined,
    failure: null,
    catalog: info.catalog.toString(),
  }),
);

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'appended':
      eventStore.notifyAppended(BigInt(message.position));
      break;
    case 'want':
      runner.want(BigInt(message.position));
      break;
    case 'watch':
      runner.watch(message.subject, message.delta);
      break;
    case 'stop':
      clearInterval(walTimer);
      clearInterval(statsTimer);
      void runner.stop().finally(() => {
        for (const connection of connections) connection.close();
        post({ type: 'stopped' });
        // The message listener would keep this thread alive: close the port so that it ends.
        port.close();
      });
      break;
  }
});

await runner.start();
report();
// The API thread leaves WAL checkpoints to this one (they would stall its requests); besides the automatic ones
// after this thread's commits, one a second keeps the WAL short while only the API appends.
walTimer = setInterval(() => connections.forEach((connection) => connection.exec('PRAGMA wal_checkpoint(PASSIVE)')), 1_000);
walTimer.unref();
// Planner statistics follow the read models as they grow (cheap when current: ~0.01 ms at 50,000 rows), published to
// the API thread's connection when they change (refreshStatistics). Only this thread's own file: the log's are taken
// at start by the API thread, which holds its write lock (see optimizeIfFree).
statsTimer = setInterval(() => refreshStatistics(db), STATISTICS_INTERVAL_MS);
statsTimer.unref();
// A commit that keeps failing is visible to the API's health check.
setInterval(() => runner.lastFailure() !== null && report(), 1_000).unref();

import { randomUUID } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import { allProjections, migrateReadModels } from '../projections/index.ts';
import { InlineHost, PollingHost } from '../projections/hosts.ts';
import { ProjectionRunner, ensureCollections, type ProjectionRunnerOptions } from '../projections/runner.ts';
import { WorkerHost } from '../projections/workerHost.ts';
import { createApp, type App } from './application/app.ts';
import { createTurns, type Turns } from './application/turns.ts';
import type { AppDeps } from './application/context.ts';
import { createLogger, type Logger } from './application/logger.ts';
import type { Clock } from './application/ports/clock.ts';
import type { EventStore } from './application/ports/eventStore.ts';
import type { ProjectionHost } from './application/ports/projectionHost.ts';
import type { ReadModelStore } from './application/ports/readModelStore.ts';
import { UsageWrites } from './application/usageWrites.ts';
import type { Config } from './config.ts';
import { createManualClock, systemClock } from './infrastructure/clock.ts';
import { createSqliteEventStore, type SqliteEventStore } from './infrastructure/eventStore/sqlite.ts';
import { createSqliteReadModelStore } from './infrastructure/readModels/sqlite.ts';
import { openDatabase, optimize, walSyncer } from './infrastructure/sqlite/database.ts';

export interface SystemHealth {
  /** Every projection has committed the head of the log, and runs. */
  ready: boolean;
  /** The projections run (false: stopped, crashed, or a commit keeps failing). */
  live: boolean;
  head: string;
  lag: string;
  projections: { name: string; checkpoint: string; head: string; caughtUp: boolean }[];
  refolding: number;
  quarantined: number;
  failure: string | null;
}

export interface System {
  app: App;
  /** Where the projections run, seen from here. */
  projections: ProjectionHost;
  /** The runner itself when it runs in this thread (tests, scripts). */
  runner: ProjectionRunner | undefined;
  logger: Logger;
  health(): Promise<SystemHealth>;
  close(): Promise<void>;
}

/** The event store and read-model store the configuration names (embedded: one SQLite file). */
export async function openStores(config: Config, logger: Logger, turns?: Turns) {
  let db: DatabaseSync | undefined;
  const file = config.databasePath !== ':memory:';
  // Commits go to the OS at once; the event store makes them durable off the event loop (walSyncer).
  const sqlite = () => (db ??= openDatabase(config.databasePath, { synchronous: file ? 'NORMAL' : 'FULL' }));
  let eventStore: EventStore;
  let embedded: SqliteEventStore | null = null;
  if (config.eventStoreUrl) {
    const { createEsdbEventStore } = await import('./infrastructure/eventStore/esdb.ts');
    eventStore = await createEsdbEventStore(config.eventStoreUrl);
    logger.info('event store: EventStoreDB');
  } else {
    eventStore = embedded = createSqliteEventStore(sqlite(), { ...(file ? { durable: walSyncer(config.databasePath) } : {}), ...(turns ? { schedule: turns.run } : {}) });
    logger.info('event store: embedded SQLite', { path: config.databasePath });
  }
  let readModels: ReadModelStore;
  if (config.mongodbUrl) {
    const { createMongoReadModelStore } = await import('./infrastructure/readModels/mongo.ts');
    readModels = await createMongoReadModelStore(config.mongodbUrl, { dbName: config.mongodbDb });
    logger.info('read models: MongoDB');
  } else {
    readModels = createSqliteReadModelStore(sqlite());
    logger.info('read models: embedded SQLite', { path: config.databasePath });
  }
  return { eventStore, embedded, readModels, db, closeDb: () => db?.close() };
}

/**
 * Where projections run: another process (`ROLE=api`); a worker thread when both stores are the embedded file (the
 * folds get the second core); else this thread (`:memory:` databases, server stores, `PROJECTIONS=inline`).
 */
function projectionHost(config: Config, stores: Awaited<ReturnType<typeof openStores>>, logger: Logger, runnerOptions: Omit<ProjectionRunnerOptions, 'logger'>): ProjectionHost {
  const names = allProjections.map((p) => p.name);
  if (config.role === 'api') return new PollingHost(stores.readModels, stores.eventStore, names, logger);
  const embeddedFile = stores.embedded !== null && !config.mongodbUrl && config.databasePath !== ':memory:';
  if (embeddedFile && config.projections === 'thread') {
    // WAL checkpoints run on the projection thread (worker.ts): never on this one, where they would stall requests.
    stores.db?.exec('PRAGMA wal_autocheckpoint = 0');
    return new WorkerHost(stores.embedded!, { databasePath: config.databasePath, logLevel: config.logLevel, logger, runner: runnerOptions });
  }
  return new InlineHost(new ProjectionRunner(stores.eventStore, stores.readModels, allProjections, { ...runnerOptions, logger }));
}

/** Composition root: configuration → adapters → projections → application. */
export interface SystemOverrides {
  clock?: Clock;
  logger?: Logger;
  /** Wraps the read-model store (tests: a store that fails on purpose). */
  wrapReadModels?: (store: ReadModelStore) => ReadModelStore;
}

export async function composeSystem(config: Config, overrides: SystemOverrides = {}): Promise<System> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  // Ingestion works in turns on this thread, so queries arriving meanwhile are answered first (turns.ts).
  const turns = createTurns();
  const opened = await openStores(config, logger, turns);
  const stores = overrides.wrapReadModels ? { ...opened, readModels: overrides.wrapReadModels(opened.readModels) } : opened;
  const { eventStore, readModels } = stores;
  const clock = overrides.clock ?? (config.clock === 'manual' ? await createManualClock(eventStore) : systemClock);
  // This thread reads the read models too: it must know their collections and indexes before anything folds.
  await migrateReadModels(readModels);
  await ensureCollections(readModels, allProjections);
  if (stores.db !== undefined && config.role !== 'api') optimize(stores.db);
  const host = projectionHost(config, stores, logger, { commitIntervalMs: config.usageCommitIntervalMs, refoldPage: config.usageRefoldPage });
  const everyProjection = allProjections.map((p) => p.name);
  const withoutUsage = everyProjection.filter((name) => name !== 'usage');
  const usageWrites = new UsageWrites((await eventStore.headPosition()) ?? 0n);
  // Every domain event appended here moves the floor usage queries wait for (UsageWrites.changed).
  const appending: EventStore = Object.assign(Object.create(eventStore) as EventStore, {
    append: async (...args: Parameters<EventStore['append']>) => {
      const result = await eventStore.append(...args);
      usageWrites.changed(result.position);
      return result;
    },
  });
  const deps: AppDeps = {
    eventStore: appending,
    readModels,
    clock,
    logger,
    newId: randomUUID,
    projections: host,
    waitForProjections: (position, options = {}) => host.waitFor(position, { names: options.usage === false ? withoutUsage : everyProjection }),
    // Another API process may append for any subject: then only the head of the log is a safe bound.
    usagePosition: config.role === 'api' ? async () => (await eventStore.headPosition()) ?? 0n : async (subject) => usageWrites.required(subject),
    usageWritten: (subject, position) => usageWrites.record(subject, position),
    turns,
  };
  await host.start();
  const app = createApp(deps, {
    adminApiKey: config.adminApiKey,
    ingestion: { lateWindowDays: config.eventsLateWindowDays, futureToleranceMs: 5 * 60_000, maxLag: BigInt(config.ingestMaxLagEvents), maxInFlight: config.ingestMaxInFlight },
  });

  return {
    app,
    projections: host,
    runner: host instanceof InlineHost ? host.runner : undefined,
    logger,
    async health() {
      const head = (await eventStore.headPosition()) ?? 0n;
      const status = host.status();
      const projections = everyProjection.map((name) => {
        const checkpoint = status.checkpoints.get(name) ?? 0n;
        return { name, checkpoint: checkpoint.toString(), head: head.toString(), caughtUp: checkpoint >= head };
      });
      const lowest = projections.reduce((min, p) => (BigInt(p.checkpoint) < min ? BigInt(p.checkpoint) : min), head);
      const live = status.running && status.failure === null;
      return {
        ready: live && projections.every((p) => p.caughtUp),
        live,
        head: head.toString(),
        lag: (head - lowest).toString(),
        projections,
        refolding: status.stale.size,
        quarantined: status.quarantined,
        failure: status.failure,
      };
    },
    async close() {
      await host.stop();
      await eventStore.close();
      await readModels.close();
      stores.closeDb();
    },
  };
}

import { randomUUID } from 'node:crypto';
import type { DatabaseSync } from 'node:sqlite';
import { allProjections } from '../projections/index.ts';
import { usageProjection } from '../projections/usage.ts';
import { ProjectionRunner } from '../projections/runner.ts';
import { createApp, type App } from './application/app.ts';
import type { AppDeps } from './application/context.ts';
import { createLogger, type Logger } from './application/logger.ts';
import type { Clock } from './application/ports/clock.ts';
import type { EventStore } from './application/ports/eventStore.ts';
import type { ReadModelStore } from './application/ports/readModelStore.ts';
import type { Config } from './config.ts';
import { createManualClock, systemClock } from './infrastructure/clock.ts';
import { createSqliteEventStore } from './infrastructure/eventStore/sqlite.ts';
import { createSqliteReadModelStore } from './infrastructure/readModels/sqlite.ts';
import { openDatabase } from './infrastructure/sqlite/database.ts';

export interface System {
  app: App;
  runner: ProjectionRunner | undefined;
  logger: Logger;
  /** Readiness: projection checkpoints against the head of the log. */
  health(): Promise<{ ready: boolean; [key: string]: unknown }>;
  close(): Promise<void>;
}

async function openStores(config: Config, logger: Logger) {
  let db: DatabaseSync | undefined;
  const sqlite = () => (db ??= openDatabase(config.databasePath));
  let eventStore: EventStore;
  if (config.eventStoreUrl) {
    const { createEsdbEventStore } = await import('./infrastructure/eventStore/esdb.ts');
    eventStore = await createEsdbEventStore(config.eventStoreUrl);
    logger.info('event store: EventStoreDB');
  } else {
    eventStore = createSqliteEventStore(sqlite());
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
  return { eventStore, readModels, closeDb: () => db?.close() };
}

/** Polls stored checkpoints: how an API process without its own projector waits for read-your-writes. */
function pollCheckpoints(readModels: ReadModelStore, names: string[]) {
  return async (position: bigint, timeoutMs = 5_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const checkpoints = await Promise.all(names.map((name) => readModels.getCheckpoint(name)));
      if (checkpoints.every((checkpoint) => (checkpoint ?? 0n) >= position)) return;
      if (Date.now() > deadline) throw new Error(`read models did not reach position ${position} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
}

/** Composition root: configuration → adapters → projections → application. */
export async function composeSystem(config: Config, overrides: { clock?: Clock; logger?: Logger } = {}): Promise<System> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const { eventStore, readModels, closeDb } = await openStores(config, logger);
  const clock = overrides.clock ?? (config.clock === 'manual' ? await createManualClock(eventStore) : systemClock);
  const runner = config.role === 'api' ? undefined : new ProjectionRunner(eventStore, readModels, allProjections, { logger });
  const everyProjection = allProjections.map((p) => p.name);
  const withoutUsage = everyProjection.filter((name) => name !== usageProjection.name);
  const deps: AppDeps = {
    eventStore,
    readModels,
    clock,
    logger,
    newId: randomUUID,
    waitForProjections: (position, options = {}) => {
      const names = options.usage === false ? withoutUsage : everyProjection;
      return runner ? runner.waitFor(position, undefined, names) : pollCheckpoints(readModels, names)(position);
    },
  };
  await runner?.start();
  const app = createApp(deps, {
    adminApiKey: config.adminApiKey,
    runner,
    ingestion: { lateWindowDays: config.eventsLateWindowDays, futureToleranceMs: 5 * 60_000 },
  });

  return {
    app,
    runner,
    logger,
    async health() {
      const head = (await eventStore.headPosition()) ?? 0n;
      const projections = await Promise.all(
        allProjections.map(async (p) => {
          const checkpoint = (await readModels.getCheckpoint(p.name)) ?? 0n;
          return { name: p.name, checkpoint: checkpoint.toString(), head: head.toString(), caughtUp: checkpoint >= head };
        }),
      );
      return { ready: projections.every((p) => p.caughtUp), projections };
    },
    async close() {
      await runner?.stop();
      await eventStore.close();
      await readModels.close();
      closeDb();
    },
  };
}

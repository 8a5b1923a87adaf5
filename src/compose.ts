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
import { openDatabase, optimize, refreshStatistics, STATISTICS_INTERVAL_MS, walSyncer } from './infrastructure/sqlite/database.ts';
import { createMetrics, type Metrics } from './infrastructure/metrics.ts';
import { createWebhookDelivery, type WebhookDelivery } from './application/webhookDelivery.ts';
import { createWebhookDispatcher, type WebhookDispatcher } from './application/webhookDispatcher.ts';
import { signatureHeaders } from './infrastructure/webhookSigning.ts';

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
  /** Behind the log without advancing since (ISO instant), or null: past HEALTH_STALL_MS, not live. */
  stalledSince: string | null;
}

export interface System {
  app: App;
  /** Prometheus metrics of this process (`GET /metrics`). */
  metrics: Metrics;
  /** Where the projections run, seen from here. */
  projections: ProjectionHost;
  /** The runner itself when it runs in this thread (tests, scripts). */
  runner: ProjectionRunner | undefined;
  logger: Logger;
  /** Where webhooks are made and sent: where the billing clock runs (not in `ROLE=api`). */
  webhooks: { dispatcher: WebhookDispatcher; delivery: WebhookDelivery } | undefined;
  health(): Promise<SystemHealth>;
  close(): Promise<void>;
}

/**
 * The event store and read-model store the configuration names. Embedded: the log in one SQLite file and the read
 * models in another beside it (`READ_MODELS_PATH`), so that appends (the API thread) and read-model commits (the
 * projection thread) never wait for each other's write lock; an in-memory log keeps both in one connection.
 */
export async function openStores(config: Config, logger: Logger, turns?: Turns) {
  let db: DatabaseSync | undefined;
  let viewsDb: DatabaseSync | undefined;
  const file = config.databasePath !== ':memory:';
  const separate = config.readModelsPath !== config.databasePath;
  // Commits go to the OS at once; the event store makes them durable off the event loop (walSyncer).
  const sqlite = () => (db ??= openDatabase(config.databasePath, { synchronous: file ? 'NORMAL' : 'FULL' }));
  // Read models can be rebuilt from the log: their commits need not wait for the disk.
  const views = () => (separate ? (viewsDb ??= openDatabase(config.readModelsPath, { synchronous: 'NORMAL' })) : sqlite());
  const logSync = file ? walSyncer(config.databasePath) : undefined;
  let eventStore: EventStore;
  let embedded: SqliteEventStore | null = null;
  if (config.eventStoreUrl) {
    const { createEsdbEventStore } = await import('./infrastructure/eventStore/esdb.ts');
    eventStore = await createEsdbEventStore(config.eventStoreUrl);
    logger.info('event store: KurrentDB');
  } else {
    eventStore = embedded = createSqliteEventStore(sqlite(), { ...(logSync ? { durable: logSync } : {}), ...(turns ? { schedule: turns.run } : {}) });
    logger.info('event store: embedded SQLite', { path: config.databasePath });
  }
  let readModels: ReadModelStore;
  if (config.mongodbUrl) {
    const { createMongoReadModelStore } = await import('./infrastructure/readModels/mongo.ts');
    readModels = await createMongoReadModelStore(config.mongodbUrl, { dbName: config.mongodbDb });
    logger.info('read models: MongoDB');
  } else {
    if (embedded !== null && separate) dropReadModelsFromLog(sqlite(), logger);
    readModels = createSqliteReadModelStore(views(), embedded !== null && separate && logSync ? { beforeCommit: logSync } : {});
    logger.info('read models: embedded SQLite', { path: config.readModelsPath });
  }
  return {
    eventStore,
    embedded,
    readModels,
    /** The log's connection (embedded). */
    db,
    /** The read models' connection (embedded; the log's when they share one). */
    viewsDb: viewsDb ?? (config.mongodbUrl ? undefined : db),
    closeDb: () => {
      viewsDb?.close();
      db?.close();
    },
  };
}

/**
 * Earlier versions kept the read models in the log's file: once they live in their own, those tables are dropped
 * (they are rebuilt from the log into the new file, as on a first start).
 */
function dropReadModelsFromLog(db: DatabaseSync, logger: Logger): void {
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND (substr(name, 1, 3) = 'rm_' OR name = 'checkpoints')").all() as { name: string }[]).map((row) => row.name);
  if (tables.length === 0) return;
  logger.info('read models now have their own file: dropping their old tables from the log file', { tables: tables.length });
  for (const table of tables) db.exec(`DROP TABLE IF EXISTS "${table}"`);
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
    return new WorkerHost(stores.embedded!, { databasePath: config.databasePath, readModelsPath: config.readModelsPath, logLevel: config.logLevel, logger, runner: runnerOptions });
  }
  return new InlineHost(new ProjectionRunner(stores.eventStore, stores.readModels, allProjections, { ...runnerOptions, logger }));
}

/** Composition root: configuration → adapters → projections → application. */
export interface SystemOverrides {
  clock?: Clock;
  logger?: Logger;
  /** Wraps the read-model store (tests: a store that fails on purpose). */
  wrapReadModels?: (store: ReadModelStore) => ReadModelStore;
  /** Wraps the event store (tests: one that drops subscriptions); the embedded worker thread keeps its own. */
  wrapEventStore?: (store: EventStore) => EventStore;
}

export async function composeSystem(config: Config, overrides: SystemOverrides = {}): Promise<System> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  // Ingestion works in turns on this thread, so queries arriving meanwhile are answered first (turns.ts).
  const turns = createTurns();
  const opened = await openStores(config, logger, turns);
  const wrapped = overrides.wrapReadModels ? { ...opened, readModels: overrides.wrapReadModels(opened.readModels) } : opened;
  const stores = overrides.wrapEventStore ? { ...wrapped, eventStore: overrides.wrapEventStore(wrapped.eventStore) } : wrapped;
  const { eventStore, readModels } = stores;
  const clock = overrides.clock ?? (config.clock === 'manual' ? await createManualClock(eventStore, config.clockStart) : systemClock);
  // This thread reads the read models too: it must know their collections and indexes before anything folds.
  await migrateReadModels(readModels);
  await ensureCollections(readModels, allProjections);
  if (config.role !== 'api') for (const db of new Set([stores.db, stores.viewsDb])) if (db !== undefined) optimize(db);
  const host = projectionHost(config, stores, logger, { commitIntervalMs: config.usageCommitIntervalMs, refoldPage: config.usageRefoldPage });
  const everyProjection = allProjections.map((p) => p.name);
  const withoutUsage = everyProjection.filter((name) => name !== 'usage');
  const usageWrites = new UsageWrites((await eventStore.headPosition()) ?? 0n);
  // Health is read when /metrics is scraped (the lag per projection); `system` is defined below.
  const metrics = createMetrics(() => system.health());
  // Every catalog event appended here moves the floor usage queries wait for (UsageWrites.changed). Invoices, their
  // numbers and fees, coupons, add-ons, and the manual clock change nothing usage is folded with: a billing run appending thousands of
  // invoices must not make each next invoice wait for the usage projection to fold past the previous one.
  const outsideCatalog = (streamId: string) => /^(invoice|numbering|inAdvanceFee|clock|coupon|appliedCoupon|addOn|creditNote|wallet|lifetimeUsage|alert|webhook|webhookEndpoint)-/.test(streamId);
  const appending: EventStore = Object.assign(Object.create(eventStore) as EventStore, {
    append: async (...args: Parameters<EventStore['append']>) => {
      const result = await eventStore.append(...args);
      if (!outsideCatalog(args[0])) usageWrites.changed(result.position);
      return result;
    },
    appendMany: async (...args: Parameters<EventStore['appendMany']>) => {
      const result = await eventStore.appendMany(...args);
      if (args[0].some((entry) => entry.events.length > 0 && !outsideCatalog(entry.streamId))) usageWrites.changed(result.position);
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
    metrics: metrics.sink,
  };
  await host.start();
  // Folding in this thread: its planner statistics follow the read models as they grow, as the projection thread's do.
  const viewsDb = host instanceof InlineHost && config.role !== 'api' ? stores.viewsDb : undefined;
  const statisticsTimer = viewsDb ? setInterval(() => refreshStatistics(viewsDb), STATISTICS_INTERVAL_MS) : undefined;
  statisticsTimer?.unref();
  const app = createApp(deps, {
    adminApiKey: config.adminApiKey,
    ingestion: { lateWindowDays: config.eventsLateWindowDays, futureToleranceMs: 5 * 60_000, maxLag: BigInt(config.ingestMaxLagEvents), maxInFlight: config.ingestMaxInFlight },
  });

  // Threshold top-ups follow usage where the billing clock runs (API instances check too for their subscribers;
  // a crossing tops up once whichever checks).
  if (config.role !== 'api') {
    await app.walletMonitor.start();
    await app.alerts.start();
    app.lifetimeUsage.start();
  }
  // Webhooks are made and sent in one process: the one where the billing clock runs.
  let webhooks: System['webhooks'];
  if (config.role !== 'api') {
    let dispatcher: WebhookDispatcher | undefined;
    const delivery = createWebhookDelivery(deps, { ...config.webhooks, endpoint: (id) => dispatcher?.endpoint(id) ?? null, sign: signatureHeaders });
    dispatcher = createWebhookDispatcher(deps, delivery);
    void dispatcher.start();
    webhooks = { dispatcher, delivery };
  }

  /** The lowest checkpoint seen by health checks, and since when it has not moved. */
  let progress = { lowest: -1n, sinceMs: Date.now() };
  /** The head as last read: a health check answers from it while the store cannot be read (never throws). */
  let lastHead = 0n;
  const system: System = {
    app,
    metrics,
    projections: host,
    runner: host instanceof InlineHost ? host.runner : undefined,
    logger,
    webhooks,
    async health() {
      const head = await eventStore.headPosition().then(
        (position) => (lastHead = position ?? 0n),
        (error: unknown) => (logger.warn('health: reading the head of the log failed', { error: String(error) }), lastHead),
      );
      const nowMs = Date.now();
      const status = host.status();
      const projections = everyProjection.map((name) => {
        const checkpoint = status.checkpoints.get(name) ?? 0n;
        return { name, checkpoint: checkpoint.toString(), head: head.toString(), caughtUp: checkpoint >= head };
      });
      const lowest = projections.reduce((min, p) => (BigInt(p.checkpoint) < min ? BigInt(p.checkpoint) : min), head);
      // A runner that still runs but no longer advances (a subscription dropped silently, a commit that never
      // returns) fails the liveness check once it has been behind without progress for HEALTH_STALL_MS.
      if (lowest >= head || lowest > progress.lowest) progress = { lowest, sinceMs: nowMs };
      const stalled = lowest < head && config.healthStallMs > 0 && nowMs - progress.sinceMs > config.healthStallMs;
      const live = status.running && status.failure === null && !stalled;
      return {
        ready: live && projections.every((p) => p.caughtUp),
        live,
        head: head.toString(),
        lag: (head - lowest).toString(),
        projections,
        refolding: status.stale.size,
        quarantined: status.quarantined,
        failure: status.failure ?? (stalled ? `projections behind the log without progress for ${nowMs - progress.sinceMs} ms` : null),
        stalledSince: lowest < head ? new Date(progress.sinceMs).toISOString() : null,
      };
    },
    async close() {
      app.organizations.revocations.close();
      await webhooks?.delivery.close();
      await webhooks?.dispatcher.close();
      await app.alerts.close();
      await app.walletMonitor.close();
      app.lifetimeUsage.close();
      clearInterval(statisticsTimer);
      await host.stop();
      await eventStore.close();
      await readModels.close();
      stores.closeDb();
    },
  };
  return system;
}

import { join } from 'node:path';
import { z } from 'zod';
import { isLogLevel, type LogLevel } from './application/logger.ts';
import { MIN_PRESET_KEY_LENGTH } from './application/organizations.ts';

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('0.0.0.0'),
  DATA_DIR: z.string().default('./data'),
  DATABASE_PATH: z.string().optional(),
  READ_MODELS_PATH: z.string().optional(),
  EVENTSTORE_URL: z.string().optional(),
  MONGODB_URL: z.string().optional(),
  MONGODB_DB: z.string().default('billing'),
  CLOCK: z.enum(['system', 'manual']).default('system'),
  // Where the manual clock starts on a fresh log (an ISO instant, e.g. 2026-01-01T00:00:00Z); ignored once it moved.
  CLOCK_START: z.string().refine((v) => /^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(Date.parse(v)), 'must be an ISO instant such as 2026-01-01T00:00:00Z').optional(),
  // Preset keys are secrets an operator chose: at least 32 characters (generated ones are 256-bit).
  API_KEY: z.string().min(MIN_PRESET_KEY_LENGTH, `must be at least ${MIN_PRESET_KEY_LENGTH} characters`).optional(),
  ADMIN_API_KEY: z.string().min(MIN_PRESET_KEY_LENGTH, `must be at least ${MIN_PRESET_KEY_LENGTH} characters`).optional(),
  LOG_LEVEL: z.string().refine(isLogLevel, 'LOG_LEVEL must be debug, info, warn, error or silent').default('info'),
  ROLE: z.enum(['all', 'api', 'worker']).default('all'),
  BILLING_CLOCK_INTERVAL_MS: z.coerce.number().int().min(100).default(5_000),
  EVENTS_LATE_WINDOW_DAYS: z.coerce.number().int().min(0).max(3650).default(35),
  PROJECTIONS: z.enum(['thread', 'inline']).default('thread'),
  USAGE_COMMIT_INTERVAL_MS: z.coerce.number().int().min(1).max(60_000).default(200),
  USAGE_REFOLD_PAGE: z.coerce.number().int().min(10).max(100_000).default(2_000),
  INGEST_MAX_LAG_EVENTS: z.coerce.number().int().min(1_000).default(10_000),
  INGEST_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(10_000).default(64),
  // Browser origins allowed to call the API (comma-separated; `*` any, without credentials). Unset: none.
  CORS_ORIGINS: z.string().optional(),
  // /health fails when the projections are behind the log and have not advanced for this long (0: never).
  HEALTH_STALL_MS: z.coerce.number().int().min(0).default(60_000),
  // On SIGTERM: how long requests in flight and websockets get to finish before they are cut.
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  // A websocket opened without a key is closed (4401) unless an operation brings a valid one within this long.
  WS_KEYLESS_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
  // Schema introspection (GraphiQL's docs, code generators): on by default; `false` refuses __schema / __type.
  INTROSPECTION: z.enum(['true', 'false']).default('true'),
  // Webhooks: attempts per round, the first retry's wait (each next one 4× longer, at most 6 h), the request
  // timeout, and requests in flight at once.
  WEBHOOK_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(8),
  WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(30_000),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
  // OpenTelemetry tracing (the standard variable): an OTLP/HTTP collector's base URL; unset, no tracing at all.
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://localhost:4318' }).optional(),
});

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databasePath: string;
  /** The embedded read models' SQLite file: beside the log, so that folds never wait for the log's write lock. */
  readModelsPath: string;
  eventStoreUrl: string | undefined;
  mongodbUrl: string | undefined;
  mongodbDb: string;
  clock: 'system' | 'manual';
  /** The manual clock's first instant on a fresh log (default: the system time at first start). */
  clockStart: Date | undefined;
  apiKey: string | undefined;
  adminApiKey: string | undefined;
  logLevel: LogLevel;
  role: 'all' | 'api' | 'worker';
  billingClockIntervalMs: number;
  eventsLateWindowDays: number;
  /** `thread`: projections in a worker thread when the store is an embedded file; `inline`: in the API's thread. */
  projections: 'thread' | 'inline';
  usageCommitIntervalMs: number;
  /** Events a background re-fold reads (and commits) per step. */
  usageRefoldPage: number;
  /** Ingestion answers RATE_LIMITED while the projections lag the log by more events than this. */
  ingestMaxLagEvents: number;
  /** …or while this many ingestion requests are already being handled. */
  ingestMaxInFlight: number;
  /** Browser origins allowed by CORS (`*`: any, without credentials); empty: no cross-origin calls. */
  corsOrigins: string[];
  /** /health fails once the projections are behind and have not advanced for this long (0: never). */
  healthStallMs: number;
  /** On SIGTERM, how long requests in flight and websockets get before they are cut. */
  shutdownGraceMs: number;
  /** A websocket opened without a key is closed unless an operation brings a valid one within this long. */
  wsKeylessTimeoutMs: number;
  /** Whether the schema can be introspected (`__schema`, `__type`). */
  introspection: boolean;
  /** An OTLP/HTTP collector's base URL (traces go to `<url>/v1/traces`); undefined: no tracing. */
  otlpEndpoint: string | undefined;
  /** Webhook delivery: attempts per round, first retry wait, request timeout, requests in flight. */
  webhooks: { attempts: number; retryBaseMs: number; timeoutMs: number; concurrency: number };
}

/** Reads the configuration from the environment; every setting is listed in the README. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const blankless = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = schema.safeParse(blankless);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`configuration: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  const e = parsed.data;
  const databasePath = e.DATABASE_PATH ?? join(e.DATA_DIR, 'billing.db');
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: e.DATA_DIR,
    databasePath,
    readModelsPath: e.READ_MODELS_PATH ?? readModelsBeside(databasePath),
    eventStoreUrl: e.EVENTSTORE_URL,
    mongodbUrl: e.MONGODB_URL,
    mongodbDb: e.MONGODB_DB,
    clock: e.CLOCK,
    clockStart: e.CLOCK_START === undefined ? undefined : new Date(e.CLOCK_START),
    apiKey: e.API_KEY,
    adminApiKey: e.ADMIN_API_KEY,
    logLevel: e.LOG_LEVEL as LogLevel,
    role: e.ROLE,
    billingClockIntervalMs: e.BILLING_CLOCK_INTERVAL_MS,
    eventsLateWindowDays: e.EVENTS_LATE_WINDOW_DAYS,
    projections: e.PROJECTIONS,
    usageCommitIntervalMs: e.USAGE_COMMIT_INTERVAL_MS,
    usageRefoldPage: e.USAGE_REFOLD_PAGE,
    ingestMaxLagEvents: e.INGEST_MAX_LAG_EVENTS,
    ingestMaxInFlight: e.INGEST_MAX_IN_FLIGHT,
    healthStallMs: e.HEALTH_STALL_MS,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    wsKeylessTimeoutMs: e.WS_KEYLESS_TIMEOUT_MS,
    introspection: e.INTROSPECTION === 'true',
    otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT,
    webhooks: { attempts: e.WEBHOOK_ATTEMPTS, retryBaseMs: e.WEBHOOK_RETRY_BASE_MS, timeoutMs: e.WEBHOOK_TIMEOUT_MS, concurrency: e.WEBHOOK_CONCURRENCY },
    corsOrigins: (e.CORS_ORIGINS ?? '').split(',').map((o) => o.trim()).filter((o) => o !== ''),
  };
}

/** `billing.db` → `billing.read-models.db`; an in-memory log keeps its read models in the same connection. */
function readModelsBeside(databasePath: string): string {
  if (databasePath === ':memory:') return databasePath;
  return databasePath.endsWith('.db') ? `${databasePath.slice(0, -3)}.read-models.db` : `${databasePath}.read-models.db`;
}

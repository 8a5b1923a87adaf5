import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { createLogger } from '../../src/application/logger.ts';
import { ensureDefaultOrganization } from '../../src/bootstrap.ts';
import { composeSystem, type System, type SystemOverrides } from '../../src/compose.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { createHttpServer } from '../../src/graphql/server.ts';
import { startTracing } from '../../src/infrastructure/tracing.ts';

export const ADMIN_KEY = 'admin-key-for-tests-0123456789abcdef';

export interface TestServer {
  url: string;
  wsUrl: string;
  system: System;
  config: Config;
  /** The default organization's key, created at start like `npm start` does. */
  apiKey: string;
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, key?: string | null): Promise<GqlResult<T>>;
  ws(key: string | null): Client;
  /** Moves the manual clock (`CLOCK=manual`) with the admin key, the operator's; fails on any error. */
  advanceClock(to: string): Promise<void>;
  /** Waits until every read model has folded the whole log, re-folds included (ingestion acknowledges first). */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export interface GqlResult<T> {
  status: number;
  data: T | null | undefined;
  errors: { message: string; extensions?: { code?: string; field?: string } }[] | undefined;
}

/**
 * Starts the real server (embedded store, in-memory SQLite unless `env` says otherwise) on a free port; silent unless
 * `overrides.logger` is given (and traced, as `npm start` is, when `env` has OTEL_EXPORTER_OTLP_ENDPOINT).
 */
export async function startTestServer(env: Record<string, string> = {}, overrides: SystemOverrides = {}): Promise<TestServer> {
  const config = loadConfig({ DATABASE_PATH: ':memory:', DATA_DIR: `/tmp/billing-test-${process.pid}-${Date.now()}`, ADMIN_API_KEY: ADMIN_KEY, LOG_LEVEL: 'silent', PORT: '0', ...env });
  const system = await composeSystem(config, { ...overrides, logger: overrides.logger ?? createLogger('silent') });
  const apiKey = (await ensureDefaultOrganization(system, config))!;
  const tracing = config.otlpEndpoint === undefined ? undefined : await startTracing(config.otlpEndpoint);
  const http = createHttpServer(system.app, () => system.health(), { corsOrigins: config.corsOrigins, metrics: system.metrics, introspection: config.introspection, keylessSocketMs: config.wsKeylessTimeoutMs, plugins: tracing ? [tracing.plugin] : [] });
  const port = await http.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}`;
  const clients: Client[] = [];
  return {
    url,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    system,
    config,
    apiKey,
    async gql(query, variables, key = apiKey) {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data?: never; errors?: never };
      return { status: response.status, data: body.data, errors: body.errors };
    },
    async settle() {
      const head = await system.app.deps.eventStore.headPosition();
      if (head !== null) await system.app.deps.waitForProjections(head, { usage: true });
      // Re-folds started on the way finish in the background: wait for them too.
      const deadline = Date.now() + 10_000;
      while (system.projections.status().stale.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    },
    async advanceClock(this: TestServer, to: string) {
      const result = await this.gql('mutation($to: DateTime!) { advanceClock(input: {to: $to}) { now } }', { to }, ADMIN_KEY);
      if (result.errors) throw new Error(`advanceClock(${to}): ${JSON.stringify(result.errors)}`);
    },
    ws(key) {
      const client = createClient({
        url: `ws://127.0.0.1:${port}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: key ? { authorization: `Bearer ${key}` } : {},
        retryAttempts: 0,
        lazy: true,
      });
      clients.push(client);
      return client;
    },
    async close() {
      await Promise.all(clients.map((client) => client.dispose()));
      await http.close();
      await tracing?.shutdown();
      await system.close();
    },
  };
}

/** Collects the first `count` results of a subscription (or rejects with the first error). */
export function take<T>(client: Client, query: string, count: number, variables?: Record<string, unknown>) {
  const results: T[] = [];
  let onStarted!: () => void;
  const started = new Promise<void>((resolve) => (onStarted = resolve));
  const done = new Promise<T[]>((resolve, reject) => {
    const unsubscribe = client.subscribe<T>(
      { query, ...(variables ? { variables } : {}) },
      {
        next: (value) => {
          if (value.errors) return reject(Object.assign(new Error(value.errors[0]?.message), { errors: value.errors }));
          results.push(value.data as T);
          if (results.length === count) {
            unsubscribe();
            resolve(results);
          }
        },
        error: (error) => reject(error),
        complete: () => resolve(results),
      },
    );
    client.on('connected', () => setTimeout(onStarted, 50));
  });
  return { started, done };
}

/** Reads until `done` holds or `timeoutMs` passes, every 20 ms; answers the last value read (the test asserts it). */
export async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

import './memory.ts';
import { startBillingClock } from './application/billingClock.ts';
import { bootstrapDefaultOrganization, describeDefaultKey } from './bootstrap.ts';
import { composeSystem } from './compose.ts';
import { loadConfig, type Config } from './config.ts';
import { createHttpServer } from './graphql/server.ts';
import { startTracing, type Tracing } from './infrastructure/tracing.ts';

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  // A bad setting (a short API_KEY, an unknown ROLE, …) is the operator's to fix: its message, not a stack trace.
  console.error(`${(error as Error).message}; see the configuration table in README.md`);
  process.exit(1);
}
const system = await composeSystem(config);
const { logger } = system;

// The billing clock runs where projections run (one process embedded; the worker in a server deployment).
const billingClock = config.role === 'api' ? undefined : startBillingClock(system.app, config.billingClockIntervalMs);

const shutdown = async (signal: string) => {
  logger.info('shutting down', { signal });
  billingClock?.stop();
  // Requests in flight finish and websockets are told to reconnect elsewhere; then the projections commit.
  await http?.close(config.shutdownGraceMs);
  await tracing?.shutdown();
  await system.close();
  process.exit(0);
};

let http: ReturnType<typeof createHttpServer> | undefined;
let tracing: Tracing | undefined;
if (config.role === 'worker') {
  logger.info('projection worker running', { projections: [...(system.runner?.checkpoints().keys() ?? [])] });
} else {
  const key = await bootstrapDefaultOrganization(system, config);
  tracing = config.otlpEndpoint === undefined ? undefined : await startTracing(config.otlpEndpoint);
  http = createHttpServer(system.app, () => system.health(), { corsOrigins: config.corsOrigins, metrics: system.metrics, introspection: config.introspection, keylessSocketMs: config.wsKeylessTimeoutMs, plugins: tracing ? [tracing.plugin] : [] });
  const port = await http.listen(config.port, config.host);
  console.log(`GraphQL API: http://localhost:${port}/graphql (GraphiQL in a browser; websockets on the same path)`);
  console.log(describeDefaultKey(key));
  console.log(`Clock: ${config.clock}; role: ${config.role}`);
}

process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

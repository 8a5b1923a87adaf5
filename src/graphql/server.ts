import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { GraphQLError } from 'graphql';
import { createYoga } from 'graphql-yoga';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { App } from '../application/app.ts';
import type { SystemHealth } from '../compose.ts';
import { DomainError } from '../domain/shared/errors.ts';
import type { GraphQLContext } from './builder.ts';
import { maskError, useValidationCodes } from './errors.ts';
import { createLoaders } from './loaders.ts';
import { schema } from './schema.ts';

type ServerContext = { req?: IncomingMessage; connectionParams?: Record<string, unknown> };

function authorizationFrom(context: ServerContext & { request?: Request }): string | null {
  const fromParams = context.connectionParams?.authorization ?? context.connectionParams?.Authorization;
  if (typeof fromParams === 'string') return fromParams;
  return context.request?.headers.get('authorization') ?? null;
}

export interface HttpServer {
  server: Server;
  listen(port: number, host?: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * HTTP + websocket server on one port: GraphQL (and GraphiQL) at /graphql, graphql-ws subscriptions on the same
 * path through Yoga's envelop (same auth, context and validation), `GET /health` and `GET /ready`.
 */
/** Back-pressure at the door: requests (and request bytes) being handled at once before new ones get 429. */
export interface HttpLimits {
  maxInFlight?: number;
  maxBytesInFlight?: number;
}

/** Yoga's own cap on one request body (25 MB): what a request without a length is counted as. */
const MAX_BODY = 25_000_000;

export function createHttpServer(app: App, health: () => Promise<SystemHealth>, limits: HttpLimits = {}): HttpServer {
  const maxInFlight = limits.maxInFlight ?? 256;
  const maxBytesInFlight = limits.maxBytesInFlight ?? 256_000_000;
  let inFlight = 0;
  let bytesInFlight = 0;
  const yoga = createYoga<ServerContext, GraphQLContext>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: { subscriptionsProtocol: 'WS', title: 'Billing engine' },
    maskedErrors: { maskError: maskError((error) => app.deps.logger.error('unexpected error', { error: String((error as Error)?.stack ?? error) })) },
    plugins: [useValidationCodes()],
    context: async (context) => {
      const principal = await app.organizations.authenticate(authorizationFrom(context));
      return { app, principal, correlationId: randomUUID(), loaders: createLoaders(app.deps.readModels, principal.organizationId) };
    },
    logging: false,
  });

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET' && (req.url === '/health' || req.url === '/ready')) {
      // Liveness: the projections run (a stopped or crashed worker, or commits that keep failing, fail it).
      // Readiness: they also hold the head of the log.
      const status = await health();
      const ok = req.url === '/health' ? status.live : status.ready;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.url === '/health' ? { status: status.live ? 'ok' : 'failing', ...status } : status));
      return;
    }
    const length = Number(req.headers['content-length'] ?? (req.method === 'POST' ? MAX_BODY : 0)) || 0;
    if (inFlight >= maxInFlight || bytesInFlight + length > maxBytesInFlight) {
      // Refused before the body is read: memory stays bounded whatever the offered load.
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1', connection: 'close' });
      res.end(JSON.stringify({ errors: [{ message: 'too many requests in flight; retry shortly', extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 1 } }] }));
      req.resume();
      return;
    }
    inFlight += 1;
    bytesInFlight += length;
    try {
      await yoga(req, res);
    } finally {
      inFlight -= 1;
      bytesInFlight -= length;
    }
  });

  const wss = new WebSocketServer({ server, path: yoga.graphqlEndpoint });
  useServer<Record<string, unknown>>(
    {
      execute: (args) => (args.rootValue as { execute: typeof import('graphql').execute }).execute(args),
      subscribe: (args) => (args.rootValue as { subscribe: typeof import('graphql').subscribe }).subscribe(args),
      onConnect: async (ctx) => {
        // A socket without a valid key is closed at once (4403), before any operation runs.
        try {
          await app.organizations.authenticate(authorizationFrom({ connectionParams: ctx.connectionParams ?? {} }));
          return true;
        } catch {
          return false;
        }
      },
      onSubscribe: async (ctx, _id, params) => {
        const { schema: enveloped, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
        });
        const document = parse(params.query);
        const errors = validate(enveloped, document);
        if (errors.length > 0) return errors as GraphQLError[];
        let contextValue: unknown;
        try {
          contextValue = await contextFactory();
        } catch (error) {
          if (error instanceof DomainError) return [maskError(() => {})(error) as GraphQLError];
          throw error;
        }
        return {
          schema: enveloped,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue,
          rootValue: { execute, subscribe },
        };
      },
    },
    wss,
  );

  return {
    server,
    listen: (port, host = '0.0.0.0') =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          const address = server.address();
          resolve(typeof address === 'object' && address ? address.port : port);
        });
      }),
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { GraphQLError } from 'graphql';
import { createYoga } from 'graphql-yoga';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { Kind, NoSchemaIntrospectionCustomRule, type DocumentNode, type OperationDefinitionNode, type SelectionNode } from 'graphql';
import type { App } from '../application/app.ts';
import type { Metrics } from '../infrastructure/metrics.ts';
import type { SystemHealth } from '../compose.ts';
import { DomainError } from '../domain/shared/errors.ts';
import { BODY_LIMITS } from '../domain/shared/limits.ts';
import type { GraphQLContext } from './builder.ts';
import { domainToGraphQL, forSocket, maskError, requestError, useRequestErrors, useValidationCodes } from './errors.ts';
import { createLoaders } from './loaders.ts';
import { useRequestLimits } from './requestLimits.ts';
import { beginRequest, noteErrorCode, REQUEST_ID_HEADER, requestIdOf, useRequestLog } from './requestLog.ts';
import { graphiqlOptions, renderOfflineGraphiQL } from './graphiql.ts';
import { useRevocation } from './revocation.ts';
import { authorizationOfMessage, closeOnRevocation, REFUSED_CLOSE_CODE, refusalReason } from './socketAuth.ts';
import { schema } from './schema.ts';

type ServerContext = { req?: IncomingMessage; connectionParams?: Record<string, unknown> };

function authorizationFrom(context: ServerContext & { request?: Request; params?: unknown }): string | null {
  const fromParams = context.connectionParams?.authorization ?? context.connectionParams?.Authorization;
  if (typeof fromParams === 'string') return fromParams;
  // A websocket opened without a key: each subscribe message brings its own in `extensions.headers` (GraphiQL's
  // Headers tab). Never over HTTP, where headers are headers.
  if (context.request === undefined) return authorizationOfMessage(context.params);
  return context.request.headers.get('authorization') ?? null;
}

/**
 * Back-pressure before the expensive part: when ingestion is full or behind, an ingestion request is refused right
 * after its body is read, before validation and variable coercion (most of a large batch's cost), so a flood
 * costs the server little and everything else (health checks, queries) keeps being answered.
 */
function useIngestionAdmission(app: App): import('graphql-yoga').Plugin {
  return {
    onParams: async ({ params, setResult }) => {
      if (typeof params.query !== 'string' || !params.query.includes('createEvent')) return;
      const refused = app.ingestion.refusal();
      if (refused !== null) return setResult({ errors: [domainToGraphQL(refused)] });
      // Variable coercion (the next piece of a batch's work) waits for its turn: queries first (turns.ts).
      await app.deps.turns?.take();
    },
  };
}

/** `/graphql`, with or without a query string (GET requests carry the operation there). */
const isGraphQLPath = (url: string | undefined) => url === '/graphql' || url?.startsWith('/graphql?') === true;

export interface HttpServer {
  server: Server;
  listen(port: number, host?: string): Promise<number>;
  /**
   * Graceful: stops accepting connections, lets the requests in flight finish (their connections closed after the
   * answer), closes websockets with 1001 "server shutting down" (graphql-ws clients reconnect), and after `graceMs`
   * (default 10 s) cuts whatever is still open.
   */
  close(graceMs?: number): Promise<void>;
}

/** How long an idle kept-alive HTTP connection stays open. */
export const KEEP_ALIVE_MS = 65_000;

/** A socket opened without a key none of whose operations brought a valid one in time. */
export const KEYLESS_CLOSE_CODE = 4401;
export const KEYLESS_CLOSE_REASON = 'Unauthorized: no operation brought a valid API key';

/** Code and reason websockets are closed with on shutdown: "going away", which graphql-ws clients retry. */
export const SHUTDOWN_CLOSE_CODE = 1001;
export const SHUTDOWN_CLOSE_REASON = 'server shutting down';

/**
 * HTTP + websocket server on one port: GraphQL (and GraphiQL) at /graphql, graphql-ws subscriptions on the same
 * path through Yoga's envelop (same auth, context and validation), `GET /health` and `GET /ready`.
 */
/**
 * Back-pressure at the door: request bodies being processed at once, counted in bytes (what a request costs is
 * mostly parsing and checking its body). A request over the budget waits, unread (its bytes stay in the socket),
 * until earlier ones are done; past `maxQueued` waiting, or `maxWaitMs` of waiting, it gets 429. So memory stays
 * bounded and the work under way stays small enough for health checks and small queries to be answered at once.
 */
export interface HttpLimits {
  maxBytesInFlight?: number;
  maxQueued?: number;
  maxWaitMs?: number;
  /** Browser origins allowed by CORS (`*`: any origin, without credentials); none by default. */
  corsOrigins?: readonly string[];
  /** Where requests and websocket connections are counted, and what `GET /metrics` serves. */
  metrics?: Metrics;
  /** Schema introspection allowed (default true); false refuses `__schema` / `__type` with VALIDATION. */
  introspection?: boolean;
  /** A socket opened without a key is closed after this long unless one of its operations brought a valid key (default 60 s). */
  keylessSocketMs?: number;
  /** More Yoga plugins (OpenTelemetry tracing, when an OTLP endpoint is configured). */
  plugins?: import('graphql-yoga').Plugin[];
}

/** Refuses introspection queries (graphql-js's `NoSchemaIntrospectionCustomRule`), on HTTP and websockets alike. */
function useNoIntrospection(): import('graphql-yoga').Plugin {
  return { onValidate: ({ addValidationRule }) => addValidationRule(NoSchemaIntrospectionCustomRule) };
}

/**
 * Counts every executed GraphQL operation and its execution time, labelled by its type and first root field (a
 * bounded set, unlike client-chosen operation names): `query:customerUsage`, `mutation:createEvents`.
 */
function useOperationMetrics(metrics: Metrics): import('graphql-yoga').Plugin {
  return {
    onExecute({ args }) {
      const started = performance.now();
      const document = args.document as DocumentNode;
      const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && (args.operationName == null || d.name?.value === args.operationName));
      const root = operation?.selectionSet.selections.find((s: SelectionNode) => s.kind === Kind.FIELD);
      const label = `${operation?.operation ?? 'unknown'}:${root?.kind === Kind.FIELD ? root.name.value : 'unknown'}`;
      return {
        onExecuteDone({ result }) {
          const failed = 'errors' in result && Array.isArray(result.errors) && result.errors.length > 0;
          metrics.request(label, failed ? 'error' : 'ok', (performance.now() - started) / 1000);
        },
      };
    },
  };
}

/**
 * CORS from an allow-list (`CORS_ORIGINS`): an origin on it gets its own origin back, with credentials; `*` allows
 * any origin without credentials; any other origin gets no CORS headers, so a browser refuses the cross-origin
 * call. Same-origin calls (GraphiQL at /graphql) need none.
 */
function corsFor(origins: readonly string[]) {
  const any = origins.includes('*');
  return (request: Request) => {
    const origin = request.headers.get('origin');
    if (origin === null) return false as const;
    if (origins.includes(origin)) return { origin: [origin], credentials: true, methods: ['GET', 'POST', 'OPTIONS'], allowedHeaders: ['content-type', 'authorization'], exposedHeaders: [REQUEST_ID_HEADER] };
    if (any) return { origin: [origin], credentials: false, methods: ['GET', 'POST', 'OPTIONS'], allowedHeaders: ['content-type', 'authorization'], exposedHeaders: [REQUEST_ID_HEADER] };
    return false as const;
  };
}

/**
 * `Server-Timing: app;dur=<ms>` on every response: the time from the request's arrival to its response headers, as
 * the server saw it (a client's own latency adds its network and its own scheduling).
 */
function timed(res: ServerResponse): void {
  const arrived = performance.now();
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  res.writeHead = ((...args: unknown[]) => {
    if (!res.headersSent) res.setHeader('server-timing', `app;dur=${(performance.now() - arrived).toFixed(2)}`);
    return writeHead(...args);
  }) as ServerResponse['writeHead'];
}

/**
 * A response written before its request's body was read to its end (a body without a length cut at the cap) closes
 * the connection after it: the unread rest must not be taken for the next request on a kept-alive socket.
 */
function closedIfUnread(req: IncomingMessage, res: ServerResponse): void {
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  res.writeHead = ((...args: unknown[]) => {
    if (!req.complete && !res.headersSent) res.setHeader('connection', 'close');
    return writeHead(...args);
  }) as ServerResponse['writeHead'];
}

/** The cap on one request body (also what a request without a length is counted as); past it, 413. */
const MAX_BODY = BODY_LIMITS.bodyBytes;
/** A body this large is an ingestion batch more often than not (1,000 events are ~100 KB). */
const LARGE_BODY = 64_000;

export function createHttpServer(app: App, health: () => Promise<SystemHealth>, limits: HttpLimits = {}): HttpServer {
  const maxBytesInFlight = limits.maxBytesInFlight ?? 4_000_000;
  const maxQueued = limits.maxQueued ?? 256;
  const maxWaitMs = limits.maxWaitMs ?? 10_000;
  let inFlight = 0;
  let bytesInFlight = 0;
  type Waiting = { start: () => void; refuse: () => void; length: number; timer: NodeJS.Timeout };
  const queue: Waiting[] = [];
  const fits = (length: number) => inFlight === 0 || bytesInFlight + length <= maxBytesInFlight;
  const drain = () => {
    while (queue.length > 0 && fits(queue[0]!.length)) {
      const next = queue.shift()!;
      clearTimeout(next.timer);
      next.start();
    }
  };
  /** An error answered before Yoga (its body drained, unread). */
  const answer = (req: IncomingMessage, res: ServerResponse, error: ReturnType<typeof requestError>) => {
    noteErrorCode(req, error.body.extensions.code);
    res.writeHead(error.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ errors: [error.body] }));
    req.resume();
  };
  const refuse = (req: IncomingMessage, res: ServerResponse) => {
    noteErrorCode(req, 'RATE_LIMITED');
    res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
    res.end(JSON.stringify({ errors: [{ message: 'too many requests in flight; retry shortly', extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 1 } }] }));
    req.resume();
  };
  let largeInFlight = 0;
  const handle = async (req: IncomingMessage, res: ServerResponse, length: number) => {
    timed(res);
    closedIfUnread(req, res);
    const large = length > LARGE_BODY;
    inFlight += 1;
    bytesInFlight += length;
    if (large) largeInFlight += 1;
    try {
      await yoga(req, res);
    } finally {
      inFlight -= 1;
      bytesInFlight -= length;
      if (large) largeInFlight -= 1;
      drain();
    }
  };
  const yoga = createYoga<ServerContext, GraphQLContext>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: graphiqlOptions,
    renderGraphiQL: renderOfflineGraphiQL,
    maskedErrors: { maskError: maskError((error) => app.deps.logger.error('unexpected error', { error: String((error as Error)?.stack ?? error) })) },
    maxRequestBodySize: MAX_BODY,
    cors: corsFor(limits.corsOrigins ?? []),
    plugins: [useValidationCodes(), useRequestErrors(), ...useRequestLimits(), useIngestionAdmission(app), useRevocation(), ...(limits.metrics ? [useOperationMetrics(limits.metrics)] : []), ...(limits.introspection === false ? [useNoIntrospection()] : []), useRequestLog(), ...(limits.plugins ?? [])],
    context: async (context) => {
      const principal = await app.organizations.authenticate(authorizationFrom(context));
      return { app, principal, correlationId: requestIdOf(context.req), loaders: createLoaders(app.deps.readModels, principal.organizationId) };
    },
    logging: false,
  });

  const keylessTimers = new WeakMap<object, NodeJS.Timeout>();
  type SocketOperation = { started: number; requestId: string; operation: string | null; operationName: string | null; fields: string[]; organizationId: string | null };
  const socketOperations = new WeakMap<object, Map<string, SocketOperation>>();
  const operationsOf = (socket: object) => {
    let operations = socketOperations.get(socket);
    if (operations === undefined) socketOperations.set(socket, (operations = new Map()));
    return operations;
  };
  const logOperation = (socket: object, id: string, errorCodes: string[]) => {
    const operation = operationsOf(socket).get(id);
    operationsOf(socket).delete(id);
    app.deps.logger.info('websocket operation', {
      requestId: operation?.requestId ?? null,
      operation: operation?.operation ?? null,
      operationName: operation?.operationName ?? null,
      fields: operation?.fields ?? [],
      organizationId: operation?.organizationId ?? null,
      durationMs: operation === undefined ? 0 : Math.round((performance.now() - operation.started) * 100) / 100,
      ...(errorCodes.length > 0 ? { errorCodes } : {}),
    });
  };
  /** Answers not yet finished, so a shutdown can let them finish and close their connections after them. */
  const answering = new Set<ServerResponse>();
  let draining = false;
  const endAfter = (res: ServerResponse) => {
    if (!res.headersSent) res.setHeader('connection', 'close');
    res.once('finish', () => res.socket?.end());
  };
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    answering.add(res);
    res.once('close', () => answering.delete(res));
    if (draining) endAfter(res);
    if (req.method === 'GET' && req.url === '/metrics' && limits.metrics !== undefined) {
      const { body, contentType } = await limits.metrics.scrape();
      res.writeHead(200, { 'content-type': contentType });
      res.end(body);
      return;
    }
    if (req.method === 'GET' && (req.url === '/health' || req.url === '/ready')) {
      // Liveness: the projections run (a stopped or crashed worker, or commits that keep failing, fail it).
      // Readiness: they also hold the head of the log.
      const status = await health();
      const ok = req.url === '/health' ? status.live : status.ready;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.url === '/health' ? { status: status.live ? 'ok' : 'failing', ...status } : status));
      return;
    }
    // From here on, every answer carries `x-request-id` and is logged (one line per request, requestLog.ts).
    beginRequest(req, res, app.deps.logger);
    if (!isGraphQLPath(req.url)) return answer(req, res, requestError('NOT_FOUND', 404, 'not found: the API is at /graphql (and /health, /ready)'));
    const length = Number(req.headers['content-length'] ?? (req.method === 'POST' ? MAX_BODY : 0)) || 0;
    // Past the body cap: refused at once, unread (a body without a length is cut at the cap while read).
    if (length > MAX_BODY) return answer(req, res, requestError('REQUEST_ENTITY_TOO_LARGE', 413, `request body too large: at most ${MAX_BODY} bytes`));
    // A large body is almost surely an ingestion batch: no more of them are read and parsed at once than ingestion
    // takes, and none while it refuses work (refused unread, at no cost).
    const large = length > LARGE_BODY;
    if (large && (largeInFlight >= app.ingestion.capacity() || app.ingestion.refusal() !== null)) return refuse(req, res);
    if (fits(length) && queue.length === 0) return handle(req, res, length);
    if (queue.length >= maxQueued) return refuse(req, res);
    const waiting: Waiting = {
      length,
      start: () => void handle(req, res, length),
      refuse: () => refuse(req, res),
      timer: setTimeout(() => {
        const at = queue.indexOf(waiting);
        if (at >= 0) queue.splice(at, 1);
        waiting.refuse();
      }, maxWaitMs),
    };
    queue.push(waiting);
    // A client that gives up while waiting is not served.
    req.once('close', () => {
      const at = queue.indexOf(waiting);
      if (at < 0) return;
      queue.splice(at, 1);
      clearTimeout(waiting.timer);
    });
  });

  const wss = new WebSocketServer({ server, path: yoga.graphqlEndpoint });
  useServer<Record<string, unknown>>(
    {
      execute: (args) => (args.rootValue as { execute: typeof import('graphql').execute }).execute(args),
      subscribe: (args) => (args.rootValue as { subscribe: typeof import('graphql').subscribe }).subscribe(args),
      onConnect: async (ctx) => {
        // A key in connectionParams is checked here: a bad one closes the socket at once (4403, with the reason),
        // before any operation runs. A socket without one is accepted, and each operation authenticates with its
        // own message's `extensions.headers` (onSubscribe), as GraphiQL sends them.
        const { socket } = ctx.extra;
        const authorization = authorizationFrom({ connectionParams: ctx.connectionParams ?? {} });
        let principal: Awaited<ReturnType<typeof app.organizations.authenticate>> | null = null;
        if (authorization !== null) {
          try {
            principal = await app.organizations.authenticate(authorization);
          } catch (error) {
            // Closed here for a readable reason; graphql-ws's own close ("Forbidden") then finds it closing.
            socket.close(REFUSED_CLOSE_CODE, refusalReason(error));
            return false;
          }
        }
        if (limits.metrics !== undefined) {
          const metrics = limits.metrics;
          metrics.socketOpened();
          socket.once('close', () => metrics.socketClosed());
        }
        // Revoking the key closes the socket (4403 "API key revoked"), here or from another API instance (revocation.ts).
        if (principal !== null) closeOnRevocation(socket, principal.keyId, app.organizations.revocations);
        // Without a key, the socket has a while for an operation to bring one; otherwise it is not held open forever.
        if (principal === null) {
          const timer = setTimeout(() => socket.close(KEYLESS_CLOSE_CODE, KEYLESS_CLOSE_REASON), limits.keylessSocketMs ?? 60_000);
          keylessTimers.set(socket, timer);
          socket.once('close', () => clearTimeout(timer));
        }
        return true;
      },
      onSubscribe: async (ctx, _id, params) => {
        const { schema: enveloped, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
        });
        // A syntax error or a limit passed (requestLimits.ts) is answered as an error of this operation, with its
        // documented code, rather than closing the socket.
        let document: ReturnType<typeof parse>;
        try {
          document = parse(params.query);
          const errors = validate(enveloped, document);
          if (errors.length > 0) return (errors as readonly GraphQLError[]).map((error) => forSocket(maskError(() => {})(error) as GraphQLError));
        } catch (error) {
          if (error instanceof GraphQLError) return [forSocket(maskError(() => {})(error) as GraphQLError)];
          throw error;
        }
        let contextValue: unknown;
        try {
          contextValue = await contextFactory();
        } catch (error) {
          // No valid key, from the connection or this message: UNAUTHENTICATED on this operation; the socket stays.
          // (Yoga's masked errors hand the context's error over wrapped in a GraphQLError, already masked.)
          if (error instanceof DomainError || error instanceof GraphQLError) return [forSocket(maskError(() => {})(error) as GraphQLError)];
          throw error;
        }
        // A key this operation brought itself is watched like a connection's: its revocation closes the socket.
        closeOnRevocation(ctx.extra.socket, (contextValue as GraphQLContext).principal.keyId, app.organizations.revocations);
        clearTimeout(keylessTimers.get(ctx.extra.socket));
        keylessTimers.delete(ctx.extra.socket);
        const definition = (document as DocumentNode).definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
        operationsOf(ctx.extra.socket).set(_id, {
          started: performance.now(),
          requestId: (contextValue as GraphQLContext).correlationId,
          operation: definition?.operation ?? null,
          operationName: params.operationName ?? definition?.name?.value ?? null,
          fields: definition?.selectionSet.selections.flatMap((selection: SelectionNode) => (selection.kind === Kind.FIELD ? [selection.name.value] : [])).slice(0, 10) ?? [],
          organizationId: (contextValue as GraphQLContext).principal.organizationId,
        });
        return {
          schema: enveloped,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue,
          rootValue: { execute, subscribe },
        };
      },
      // One log line per websocket operation when it ends (completed, or ended by an error), as per HTTP request.
      onComplete: (ctx, id) => logOperation(ctx.extra.socket, id, []),
      onError: (ctx, id, _payload, errors) => logOperation(ctx.extra.socket, id, errors.map((error) => String(error.extensions?.code ?? 'INTERNAL'))),
    },
    wss,
  );
  // Kept-alive connections outlive a load balancer's idle timeout (60 s on common ones): a server that closes first
  // races the balancer's next request on that connection, which the client then sees as a reset (Node's 5 s default).
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.headersTimeout = KEEP_ALIVE_MS + 1_000;

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
    close: async (graceMs = 10_000) => {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      for (const res of answering) endAfter(res);
      for (const client of wss.clients) client.close(SHUTDOWN_CLOSE_CODE, SHUTDOWN_CLOSE_REASON);
      const cut = setTimeout(() => {
        for (const client of wss.clients) client.terminate();
        server.closeAllConnections();
      }, graceMs);
      await closed;
      clearTimeout(cut);
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ZodError, type ZodType } from 'zod';
import { DomainError, RateLimitedError, ValidationError } from '../domain/shared/errors.ts';

// Only a refused key and back-pressure change the HTTP status; other errors are GraphQL results (200), as
// GraphQL-over-HTTP says.
const HTTP_STATUS: Record<string, number> = { UNAUTHENTICATED: 401, RATE_LIMITED: 429 };

export function domainToGraphQL(error: DomainError, path?: readonly (string | number)[]): GraphQLError {
  const status = HTTP_STATUS[error.code];
  const retryAfter = error instanceof RateLimitedError ? error.retryAfterSeconds : undefined;
  return new GraphQLError(error.message, {
    ...(path ? { path } : {}),
    extensions: {
      code: error.code,
      ...(error.field ? { field: error.field } : {}),
      ...(retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}),
      ...(status ? { http: { status, ...(retryAfter !== undefined ? { headers: { 'retry-after': String(retryAfter) } } : {}) } } : {}),
    },
  });
}

/**
 * Errors about the request itself rather than its input, as Yoga, the parser or our limits raise them, and the
 * documented code and HTTP status each one is answered with (README "Errors"): a request that cannot be read as
 * one GraphQL operation is BAD_REQUEST, one asking for too much work QUERY_TOO_COMPLEX, a body past the cap
 * REQUEST_ENTITY_TOO_LARGE. Always that status, whatever the client accepts.
 */
const REQUEST_ERRORS: Record<string, { code: string; status: number }> = {
  BAD_REQUEST: { code: 'BAD_REQUEST', status: 400 },
  GRAPHQL_PARSE_FAILED: { code: 'BAD_REQUEST', status: 400 },
  OPERATION_RESOLUTION_FAILURE: { code: 'BAD_REQUEST', status: 400 },
  QUERY_TOO_COMPLEX: { code: 'QUERY_TOO_COMPLEX', status: 400 },
  REQUEST_ENTITY_TOO_LARGE: { code: 'REQUEST_ENTITY_TOO_LARGE', status: 413 },
};

/** One of the request errors above, with only what a client needs: message, code, status (no `originalError`). */
function requestLevel(error: GraphQLError, rawCode: string): GraphQLError | null {
  const known = REQUEST_ERRORS[rawCode];
  if (!known) return null;
  const http = error.extensions?.http as { status?: number; headers?: Record<string, string> } | undefined;
  // Yoga's own 4xx (405 for a mutation over GET) is kept; anything else is the code's status.
  const status = http?.status !== undefined && http.status >= 400 && http.status < 500 ? http.status : known.status;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    extensions: { code: known.code, http: { status, ...(http?.headers ? { headers: http.headers } : {}) } },
  });
}

/** An error as a websocket sends it: the HTTP status (which Yoga strips from HTTP answers) left out. */
export function forSocket(error: GraphQLError): GraphQLError {
  if (!error.extensions?.http) return error;
  const { http: _http, ...extensions } = error.extensions;
  return new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, path: error.path, extensions });
}

/** A request error answered before Yoga sees the request (unknown path, body past the cap, no parser for it). */
export function requestError(code: string, status: number, message: string) {
  return { status, body: { message, extensions: { code } } };
}

/**
 * A request Yoga has no parser for (another content type, another method) gets a JSON error with a documented
 * code instead of Yoga's empty 415.
 */
export function useRequestErrors(): Plugin {
  return {
    onRequestParse({ request, requestParser, endResponse, fetchAPI }) {
      if (requestParser) return;
      const readable = request.method === 'GET' || request.method === 'POST';
      const error = readable
        ? requestError('BAD_REQUEST', 415, 'unsupported content type: send application/json (or a GET with the query in the URL)')
        : requestError('BAD_REQUEST', 405, `method ${request.method} not allowed: use POST (or GET for queries)`);
      const headers: Record<string, string> = { 'content-type': 'application/json', ...(readable ? {} : { allow: 'GET, POST' }) };
      endResponse(new fetchAPI.Response(JSON.stringify({ errors: [error.body] }), { status: error.status, headers }));
    },
  };
}

/**
 * Yoga's error mask: typed domain errors keep their message and get `extensions.code`; request errors get their
 * documented code and status (above); everything else becomes a generic INTERNAL error with no stack or message
 * leak (the original is logged).
 */
export function maskError(log: (error: unknown) => void) {
  return (error: unknown): Error => {
    const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
    if (original instanceof DomainError) {
      return domainToGraphQL(original, error instanceof GraphQLError ? error.path : undefined);
    }
    // A GraphQLError is about the request itself (parse, validation, variable or scalar coercion, possibly
    // wrapping the scalar's own GraphQLError): bad input, never an internal failure.
    if (original instanceof GraphQLError) {
      const code = original.extensions?.code;
      const syntax = code === undefined && original.message.startsWith('Syntax Error:');
      const request = requestLevel(original, syntax ? 'GRAPHQL_PARSE_FAILED' : typeof code === 'string' ? code : '');
      if (request) return request;
      if (original.extensions?.code && original.extensions.code !== 'BAD_USER_INPUT') return original;
      return withCode(error instanceof GraphQLError ? error : original, 'VALIDATION');
    }
    log(original);
    return new GraphQLError('Unexpected error.', {
      ...(error instanceof GraphQLError && error.path ? { path: error.path } : {}),
      extensions: { code: 'INTERNAL' },
    });
  };
}

function withCode(error: GraphQLError, code: string): GraphQLError {
  if (error.extensions?.code && error.extensions.code !== 'BAD_USER_INPUT') return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code },
  });
}

/** Parse/validation/variable-coercion errors carry `extensions.code: VALIDATION` like every other bad input. */
export function useValidationCodes(): Plugin {
  return {
    onValidate: () => ({ result, setResult }) => {
      if (result.length > 0) setResult(result.map((e) => withCode(e, 'VALIDATION')));
    },
    onExecute: () => ({
      onExecuteDone: ({ result, setResult }) => {
        if ('errors' in result && result.errors && !('data' in result && result.data)) {
          setResult({ ...result, errors: result.errors.map((e) => withCode(e, 'VALIDATION')) });
        }
      },
    }),
  };
}

/** Validates input with zod; the first issue becomes a VALIDATION error naming the field. */
export function parseInput<T>(schema: ZodType<T>, input: unknown, prefix = 'input'): T {
  try {
    return schema.parse(input);
  } catch (error) {
    if (!(error instanceof ZodError)) throw error;
    const issue = error.issues[0];
    const field = [prefix, ...(issue?.path ?? [])].join('.');
    throw new ValidationError(`${field}: ${issue?.message ?? 'invalid'}`, field);
  }
}

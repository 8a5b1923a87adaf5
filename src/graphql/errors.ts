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
 * Yoga's error mask: typed domain errors keep their message and get `extensions.code`; everything else becomes
 * a generic INTERNAL error with no stack or message leak (the original is logged).
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

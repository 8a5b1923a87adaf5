/**
 * Typed domain errors. The GraphQL edge maps each to an `extensions.code`; anything else is masked.
 */
export class DomainError extends Error {
  readonly code: string;
  readonly field: string | undefined;
  constructor(code: string, message: string, field?: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.field = field;
  }
}

/** Bad input: the command is refused and nothing is appended. `field` names the offending input path. */
export class ValidationError extends DomainError {
  constructor(message: string, field?: string) {
    super('VALIDATION', message, field);
  }
}

/** The aggregate exists but is in a state where the command makes no sense (e.g. terminated). */
export class IllegalStateError extends DomainError {
  constructor(message: string) {
    super('CONFLICT', message);
  }
}

export class NotFoundError extends DomainError {
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}

/** Optimistic concurrency: the stream moved since it was read. Handlers retry; clients see CONFLICT. */
export class ConcurrencyError extends DomainError {
  readonly streamId: string;
  constructor(streamId: string, expected: string, actual: string) {
    super('CONFLICT', `stream ${streamId}: expected revision ${expected}, found ${actual}`);
    this.streamId = streamId;
  }
}

export class UnauthenticatedError extends DomainError {
  constructor(message = 'a valid API key is required: Authorization: Bearer <key>') {
    super('UNAUTHENTICATED', message);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message: string) {
    super('FORBIDDEN', message);
  }
}

/** Back-pressure: the engine is behind or busy; retry after `retryAfterSeconds` (HTTP 429, `Retry-After`). */
export class RateLimitedError extends DomainError {
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds = 1) {
    super('RATE_LIMITED', message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

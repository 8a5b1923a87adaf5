import type { WebSocket } from 'ws';
import type { Revocations } from '../application/revocations.ts';
import { DomainError } from '../domain/shared/errors.ts';
import { REVOKED_CLOSE_CODE, REVOKED_CLOSE_REASON } from './revocation.ts';

/** graphql-ws's Forbidden: a socket whose connection presented a key that is not one. */
export const REFUSED_CLOSE_CODE = 4403;

/** Websocket close reasons are at most 123 bytes (RFC 6455). */
const MAX_REASON_BYTES = 123;

/**
 * The `authorization` header a subscribe message carries in `extensions.headers` (any case, as GraphiQL sends its
 * Headers tab), or null. The payload is the client's: anything not a string there counts as no header.
 */
export function authorizationOfMessage(params: unknown): string | null {
  const extensions = (params as { extensions?: unknown } | null | undefined)?.extensions;
  const headers = typeof extensions === 'object' && extensions !== null ? (extensions as { headers?: unknown }).headers : undefined;
  if (typeof headers !== 'object' || headers === null) return null;
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === 'authorization' && typeof value === 'string') return value;
  }
  return null;
}

/** Why a connection's key was refused, as its close reason says it: `Forbidden: <the error's message>`. */
export function refusalReason(error: unknown): string {
  if (!(error instanceof DomainError)) return 'Forbidden';
  let reason = `Forbidden: ${error.message}`;
  while (Buffer.byteLength(reason) > MAX_REASON_BYTES) reason = reason.slice(0, -1);
  return reason;
}

const watched = new WeakMap<WebSocket, Set<string>>();

/**
 * Closes `socket` with REVOKED_CLOSE_CODE once `keyId` is revoked: the key it connected with, or a key one of its
 * operations authenticated with (a socket opened without a key, as GraphiQL's). Each key is watched once per socket,
 * until the socket closes.
 */
export function closeOnRevocation(socket: WebSocket, keyId: string | null, revocations: Revocations): void {
  if (keyId === null || socket.readyState !== socket.OPEN) return;
  let keys = watched.get(socket);
  if (keys === undefined) watched.set(socket, (keys = new Set()));
  if (keys.has(keyId)) return;
  keys.add(keyId);
  const unwatch = revocations.watch(keyId, () => socket.close(REVOKED_CLOSE_CODE, REVOKED_CLOSE_REASON));
  socket.once('close', unwatch);
}

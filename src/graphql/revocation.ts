import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Revocations } from '../application/revocations.ts';
import type { GraphQLContext } from './builder.ts';

/** The websocket close code and reason a socket of a revoked key is closed with (graphql-ws's 4403 Forbidden). */
export const REVOKED_CLOSE_CODE = 4403;
export const REVOKED_CLOSE_REASON = 'API key revoked';

const isAsyncIterable = (value: unknown): value is AsyncIterable<ExecutionResult> =>
  typeof value === 'object' && value !== null && Symbol.asyncIterator in value;

/**
 * `source` until `keyId` is revoked: every push asks first (a set lookup), and a revocation ends a stream waiting
 * for its next push at once. A plain iterator rather than an async generator, so that `return()` (the client
 * unsubscribed, the socket closed) reaches the source at once even while a push is awaited.
 */
export function untilRevoked<T>(source: AsyncIterable<T>, keyId: string, revocations: Revocations): AsyncIterableIterator<T> {
  const iterator = source[Symbol.asyncIterator]();
  const done: IteratorReturnResult<undefined> = { value: undefined, done: true };
  let ended = false;
  let wake: ((result: IteratorResult<T>) => void) | null = null;
  let unwatch = () => {};
  const end = (): IteratorReturnResult<undefined> => {
    if (!ended) {
      ended = true;
      unwatch();
      void Promise.resolve(iterator.return?.()).catch(() => {});
    }
    const waiting = wake;
    wake = null;
    waiting?.(done);
    return done;
  };
  unwatch = revocations.watch(keyId, end);
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      if (ended || revocations.isRevoked(keyId)) return end();
      const revoked = new Promise<IteratorResult<T>>((resolve) => (wake = resolve));
      const next = await Promise.race([iterator.next(), revoked]);
      wake = null;
      if (next.done) {
        if (!ended) {
          ended = true;
          unwatch();
        }
        return done;
      }
      // Checked again once the value is there: a key revoked while it was computed gets nothing more.
      if (ended || revocations.isRevoked(keyId)) return end();
      return next;
    },
    async return() {
      return end();
    },
    async throw(error: unknown) {
      end();
      throw error;
    },
  };
}

/**
 * Every subscription stream of an organization key (over websockets or server-sent events) ends when the key is
 * revoked, here or in another API instance (revocations.ts). Websockets are also closed, with
 * REVOKED_CLOSE_CODE (server.ts).
 */
export function useRevocation(): Plugin<Record<string, unknown>> {
  return {
    onSubscribe: ({ args }) => ({
      onSubscribeResult: ({ result, setResult }) => {
        const context = args.contextValue as unknown as Partial<GraphQLContext>;
        const keyId = context.principal?.keyId;
        if (!keyId || !context.app || !isAsyncIterable(result)) return;
        setResult(untilRevoked(result, keyId, context.app.organizations.revocations));
      },
    }),
  };
}

import type { Logger } from './logger.ts';

/**
 * Revoked API keys, as this process knows them, for what outlives one request: open websockets and subscription
 * streams. A request authenticates against the read model (a revoked key is refused at once); a live stream asks
 * `isRevoked` before every push (a set lookup, no I/O) and is told the moment its key is revoked.
 *
 * How a revocation is learned: at once when this process revoked the key (`revoked`); from the read models
 * otherwise (another API instance revoked it), by a check every `intervalMs` of the keys open streams use, only while
 * there are any. So an open stream of a revoked key ends within about `intervalMs` of the revocation in every
 * process.
 */
export interface Revocations {
  /** Whether `keyId` is known here to be revoked (cheap: once per push). */
  isRevoked(keyId: string): boolean;
  /** `keyId` was revoked (by this process): every watcher of it is told now. */
  revoked(keyId: string): void;
  /**
   * Calls `onRevoked` once when `keyId` is revoked (soon, if it already is); the key is checked against the read
   * models meanwhile. Answers the function that stops watching.
   */
  watch(keyId: string, onRevoked: () => void): () => void;
  /** Stops the checks (watchers are kept; nothing is told any more). */
  close(): void;
}

export interface RevocationOptions {
  /** The ids among `keyIds` that are revoked (read models). */
  findRevoked(keyIds: readonly string[]): Promise<readonly string[]>;
  logger: Logger;
  /** How often watched keys are checked against the read models. */
  intervalMs?: number;
}

/** Keys checked per read-model query. */
const CHECK_CHUNK = 500;

export function createRevocations(options: RevocationOptions): Revocations {
  const intervalMs = options.intervalMs ?? 250;
  const known = new Set<string>();
  const watchers = new Map<string, Set<() => void>>();
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  function revoked(keyId: string): void {
    known.add(keyId);
    const told = watchers.get(keyId);
    watchers.delete(keyId);
    for (const onRevoked of told ?? []) {
      try {
        onRevoked();
      } catch (error) {
        options.logger.warn('a revocation watcher failed', { error: String(error) });
      }
    }
  }

  function schedule(): void {
    if (timer !== null || closed || watchers.size === 0) return;
    timer = setTimeout(() => void check(), intervalMs);
    // Never what keeps a process alive.
    timer.unref();
  }

  async function check(): Promise<void> {
    const keyIds = [...watchers.keys()];
    try {
      for (let at = 0; at < keyIds.length; at += CHECK_CHUNK) {
        for (const keyId of await options.findRevoked(keyIds.slice(at, at + CHECK_CHUNK))) revoked(keyId);
      }
    } catch (error) {
      options.logger.warn('checking open streams for revoked keys failed; retrying', { error: String(error) });
    } finally {
      timer = null;
      schedule();
    }
  }

  return {
    isRevoked: (keyId) => known.has(keyId),
    revoked,
    watch(keyId, onRevoked) {
      // A fresh function per watch: the same listener may watch twice, and each stop removes only its own.
      const entry = () => onRevoked();
      if (known.has(keyId)) {
        let active = true;
        queueMicrotask(() => active && entry());
        return () => (active = false);
      }
      let entries = watchers.get(keyId);
      if (entries === undefined) watchers.set(keyId, (entries = new Set()));
      entries.add(entry);
      schedule();
      return () => {
        const current = watchers.get(keyId);
        current?.delete(entry);
        if (current?.size === 0) watchers.delete(keyId);
      };
    },
    close() {
      closed = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}

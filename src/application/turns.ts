/**
 * Turns: how the API thread shares itself between ingestion and everything else.
 *
 * A batch is throughput; a query, a health check or a websocket push is someone waiting. Node runs every callback to
 * completion, so a query that arrives while four batches of 1,000 events are being coerced, validated and appended
 * waits for all of them (tens of milliseconds). Ingestion therefore does its work in pieces, and a piece starts only
 * at its turn: one piece per event-loop iteration, run after that iteration has read the sockets (a request that
 * arrived meanwhile is answered first: answering one is a single callback with its microtasks). A query then waits
 * for at most the piece under way, a few milliseconds, however many batches are queued. Throughput is unchanged:
 * the pieces are the same work, run in order.
 */
export interface Turns {
  /** Resolves at the caller's turn. */
  take(): Promise<void>;
  /** Runs `work` at its turn. */
  run(work: () => void): void;
  /** Pieces waiting for their turn. */
  waiting(): number;
}

/** Turns on the event loop: each granted from a `setImmediate` callback, the next one queued from it (next iteration). */
export function createTurns(): Turns {
  const queue: (() => void)[] = [];
  let head = 0;
  let scheduled = false;

  const schedule = () => {
    if (scheduled || head === queue.length) return;
    scheduled = true;
    setImmediate(grant);
  };

  function grant(): void {
    scheduled = false;
    const work = queue[head]!;
    queue[head++] = undefined as never;
    if (head > 1024 && head * 2 > queue.length) queue.splice(0, head), (head = 0);
    schedule();
    work();
  }

  return {
    take: () => new Promise<void>((resolve) => (queue.push(resolve), schedule())),
    run: (work) => (queue.push(work), schedule()),
    waiting: () => queue.length - head,
  };
}

/** No turns: every piece goes on at once (tests and tools that call the services directly). */
export const immediateTurns: Turns = {
  take: () => Promise.resolve(),
  run: (work) => work(),
  waiting: () => 0,
};

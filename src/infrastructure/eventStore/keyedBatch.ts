import type { DedupedOutcome, NewEvent } from '../../application/ports/eventStore.ts';

/** One event to append at most once: to a stream of its own (`keyStream`), which must not exist yet. */
export type KeyedEvent = { keyStream: string; event: NewEvent };

/** The appender found these key streams already written: nothing of the request was appended. */
export class KeyStreamsExist extends Error {
  readonly streams: readonly string[];
  constructor(streams: readonly string[]) {
    super(`key streams already exist: ${streams.slice(0, 3).join(', ')}${streams.length > 3 ? ', …' : ''}`);
    this.streams = streams;
  }
}

/** The request was larger than the server takes: nothing was appended; it is sent again in halves. */
export class RequestTooLarge extends Error {}

/**
 * Appends every event of `events` atomically (one request), each to its key stream, on the condition that none of
 * those streams exists; resolves with the position of the last event written, or rejects with KeyStreamsExist
 * naming (at least one of) the streams that do, having written nothing.
 */
export type AppendAllOrNothing = (events: readonly KeyedEvent[]) => Promise<bigint>;

export interface KeyedBatchOptions {
  /** Events per request (the server caps a request's size). */
  chunk?: number;
}

/**
 * Permanent, batched deduplication on a store with atomic multi-stream appends and no unique index: each event is
 * appended to a stream named from its key, on the condition that the stream does not exist, and a whole batch goes
 * in one request. A key already written makes the server refuse the whole request: the streams it names are
 * duplicates, and the rest is sent again (each round removes at least one event, so this ends; with 2 % duplicates
 * and a server that names every violation, a batch takes two requests).
 *
 * Atomicity: each request is all or nothing, so after a crash a re-sent batch reports what was written as
 * duplicates, and never half an event. Every event a request wrote gets that request's last position (a later bound,
 * which is what read-your-writes needs). Two events of the batch with the same key: the first is appended, the
 * others are duplicates. A request never holds two stream names that differ only by case (KurrentDB would take
 * them as one stream): such an event waits for the next request. A request larger than the server takes is sent in
 * halves (events with large properties).
 */
export async function appendOncePerKey(events: readonly KeyedEvent[], appendAll: AppendAllOrNothing, options: KeyedBatchOptions = {}): Promise<DedupedOutcome[]> {
  const chunk = Math.max(1, options.chunk ?? 1_000);
  const outcomes: DedupedOutcome[] = events.map(() => ({ status: 'duplicate' }));
  const seen = new Set<string>();
  let pending: number[] = [];
  events.forEach(({ keyStream }, index) => {
    if (seen.has(keyStream)) return;
    seen.add(keyStream);
    pending.push(index);
  });
  while (pending.length > 0) {
    // The next request: up to `chunk` events whose names are distinct ignoring case; the others wait.
    const names = new Set<string>();
    const request: number[] = [];
    const later: number[] = [];
    for (const index of pending) {
      const name = events[index]!.keyStream.toLowerCase();
      if (request.length < chunk && !names.has(name)) {
        names.add(name);
        request.push(index);
      } else {
        later.push(index);
      }
    }
    await send(request);
    pending = later;
  }
  return outcomes;

  async function send(request: number[]): Promise<void> {
    let sending = request;
    while (sending.length > 0) {
      try {
        const position = await appendAll(sending.map((index) => events[index]!));
        for (const index of sending) outcomes[index] = { status: 'appended', position };
        return;
      } catch (error) {
        if (error instanceof RequestTooLarge && sending.length > 1) {
          const half = Math.ceil(sending.length / 2);
          await send(sending.slice(0, half));
          await send(sending.slice(half));
          return;
        }
        if (!(error instanceof KeyStreamsExist)) throw error;
        const existing = new Set(error.streams);
        const rest = sending.filter((index) => !existing.has(events[index]!.keyStream));
        // A refusal that names none of what was sent would loop forever: it is not a duplicate, it is a failure.
        if (rest.length === sending.length) throw new Error('append refused without naming any stream it was sent', { cause: error });
        sending = rest;
      }
    }
  }
}

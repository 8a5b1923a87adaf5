import { createHash, randomUUID } from 'node:crypto';
import {
  ANY,
  AppendConsistencyViolationError,
  BACKWARDS,
  END,
  FORWARDS,
  KurrentDBClient,
  MaxAppendSizeExceededError,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  STREAM_STATE,
  StreamNotFoundError,
  TransactionMaxSizeExceededError,
  UnsupportedError,
  WrongExpectedVersionError,
  eventTypeFilter,
  excludeSystemEvents,
  jsonEvent,
} from '@kurrent/kurrentdb-client';
import type {
  AllStreamResolvedEvent,
  AppendRecordInput,
  AppendRecordsResult,
  AppendStreamState,
  ConsistencyCheck,
  CurrentStreamState,
  JSONType,
  ReadPosition,
  ResolvedEvent,
} from '@kurrent/kurrentdb-client';
import type {
  AppendManyResult,
  AppendResult,
  DedupedOutcome,
  EventMetadata,
  EventStore,
  ExpectedRevision,
  LogPart,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  StreamAppend,
  StreamHead,
  Subscription,
  UsageBatch,
  UsageReadOptions,
} from '../../application/ports/eventStore.ts';
import { usageDedupKey, usageStream } from '../../domain/usage/keys.ts';

/** One usage event as this adapter appends it: a stream of its own, named from its dedup key. */
type DedupedEvent = { streamId: string; dedupKey: string; event: NewEvent };

/** The stream holding the usage event with this key: the subscription's usage stream, `~`, a hash of the key. */
const keyStreamOf = (streamId: string, dedupKey: string) => `${streamId}~${createHash('sha256').update(dedupKey).digest('hex').slice(0, 40)}`;
import { ConcurrencyError } from '../../domain/shared/errors.ts';
import { appendOncePerKey, KeyStreamsExist, RequestTooLarge, type KeyedEvent } from './keyedBatch.ts';

/**
 * Position reported for an event whose commit position the server did not send. Only stream reads on servers
 * older than 22.6 lack it ($all reads and subscriptions always carry it); callers of `readStream` use `revision`.
 */
export const UNKNOWN_POSITION = -1n;

/** Raw events read per round trip by `readAll` (system events are dropped client-side, so pages are refilled). */
const READ_ALL_PAGE = 1_000;
/** Raw events read per round trip by `headPosition`'s fallback, walking back over trailing system events. */
const HEAD_PAGE = 256;
/** Largest commit position taken at face value: older servers send 2^64-1 (or 0) to mean "no position". */
const MAX_POSITION = (1n << 63n) - 1n;

/** Deduplicated appends in flight at once, on a server without AppendRecords (each is its own request). */
const DEDUP_CONCURRENCY = 64;
/** Usage events per AppendRecords request (a batch of 1,000 events is ~0.5 MB, well under the server's request cap). */
const KEYED_CHUNK = 1_000;

type AnyResolved = ResolvedEvent | AllStreamResolvedEvent;

/**
 * KurrentDB (formerly EventStoreDB) event store over gRPC, with @kurrent/kurrentdb-client. `url` is a connection
 * string, `kurrentdb://host:2113?tls=false` (the client still accepts `esdb://`, with a deprecation warning).
 *
 * Events are stored as JSON. `append` (appendToStream) keeps our metadata object as the event's JSON custom
 * metadata; `appendMany` (appendRecords) can only send string properties, so it sends the same object as one JSON
 * string property and reads decode it back (see `METADATA_PROPERTY`): `RecordedEvent.metadata` is the same either
 * way. `position` is the event's commit position in `$all`: gRPC appends (single- and multi-stream) are implicit
 * transactions whose events are each self-committed, so every event has its own commit position (commit ==
 * prepare) and the pair `{ commit: p, prepare: p }` addresses exactly that event. System events (`$`-prefixed
 * types or streams) are invisible through this port.
 *
 * Server version: everything but `appendMany` works on any KurrentDB; `appendMany` needs AppendRecords (KurrentDB
 * 26.1, or 26.0.3 on the 26.0 LTS line) and fails, writing nothing, on older servers.
 */
export async function createEsdbEventStore(url: string): Promise<EventStore> {
  const client = KurrentDBClient.connectionString(url);
  let closed = false;

  async function append(
    streamId: string,
    events: NewEvent[],
    options: { expectedRevision?: ExpectedRevision } = {},
  ): Promise<AppendResult> {
    if (events.length === 0) throw new Error('append needs at least one event');
    const expected = options.expectedRevision ?? 'any';
    try {
      const result = await client.appendToStream(
        streamId,
        events.map((event) =>
          jsonEvent({
            id: event.id ?? randomUUID(),
            type: event.type,
            // JSON-serialisable by contract; the client JSON.stringifies it.
            data: (event.data ?? null) as JSONType,
            metadata: event.metadata,
          }),
        ),
        { streamState: toClientExpected(expected) },
      );
      // Only reachable with `throwOnAppendFailure=false` in the connection string.
      if (!result.success) throw new ConcurrencyError(streamId, describe(expected), 'a different revision');
      // The append's position is the commit position of the last event written.
      const position = result.position?.commit ?? (await lastPositionOf(streamId));
      return { nextExpectedRevision: result.nextExpectedRevision, position };
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        throw new ConcurrencyError(streamId, describe(expected), describe(error.actualState));
      }
      throw error;
    }
  }

  /**
   * One atomic append with KurrentDB's AppendRecords (`client.appendRecords`): every event as a record of its
   * stream, in entry order then event order (the log keeps the request's order), and every entry's expected
   * revision as a consistency check that the server evaluates in the same commit. A check may name a stream that
   * the request does not write to: that is exactly a condition-only entry (`events: []`), checked and left
   * untouched. If any check fails the server writes nothing and reports the violated checks
   * (AppendConsistencyViolationError), mapped to ConcurrencyError naming the first violated entry's stream.
   *
   * Why not `multiStreamAppend` (AppendSession, KurrentDB 25.1): its AppendRequest must carry at least one record
   * (the server's AppendRequestValidator refuses an empty one with INVALID_ARGUMENT, in every version up to now),
   * so a condition-only entry could only be expressed by appending a marker event to the checked stream: readers
   * of a guard (src/application/consistency.ts) would become its writers and conflict with each other, the
   * stream's revision would move although nothing was "appended", and the markers would have to be hidden from
   * every read. Checks in AppendRecords have none of these costs.
   *
   * The result's position is the commit position of the last record written (the transaction's last prepare),
   * the same number `readAll`/`subscribeToAll` report for that event.
   */
  async function appendMany(entries: StreamAppend[]): Promise<AppendManyResult> {
    if (!entries.some((entry) => entry.events.length > 0)) throw new Error('appendMany needs at least one event');
    if (new Set(entries.map((entry) => entry.streamId)).size !== entries.length) throw new Error('appendMany: a stream appears twice');
    // Inside one request the server indexes streams by name ignoring case: two names differing only by case would
    // be taken for one stream (their checks refused as duplicates). Refuse them here, plainly.
    if (new Set(entries.map((entry) => entry.streamId.toUpperCase())).size !== entries.length) {
      throw new Error('appendMany: two streams differ only by case (KurrentDB cannot append to both in one request)');
    }
    const records: AppendRecordInput[] = entries.flatMap((entry) =>
      entry.events.map((event) => ({ streamName: entry.streamId, record: toRecord(event) })),
    );
    // `any` checks nothing: a written stream without a check is appended at any revision.
    const checks: ConsistencyCheck[] = entries
      .filter((entry) => entry.expectedRevision !== 'any')
      .map((entry) => ({ type: STREAM_STATE, streamName: entry.streamId, expectedState: toClientExpected(entry.expectedRevision) }));
    let result: AppendRecordsResult;
    try {
      result = await client.appendRecords(records, checks);
    } catch (error) {
      if (error instanceof AppendConsistencyViolationError) {
        // Violations carry the index of their check (checks are in entry order): name the first failing entry.
        const [first] = [...error.violations].sort((a, b) => a.checkIndex - b.checkIndex);
        if (!first) throw new ConcurrencyError(checks[0]?.streamName ?? entries[0]!.streamId, 'the checked revisions', 'a different revision');
        throw new ConcurrencyError(first.streamName, describe(first.expectedState), describe(first.actualState));
      }
      if (error instanceof WrongExpectedVersionError) {
        throw new ConcurrencyError(error.streamName, describe(error.expectedState), describe(error.actualState));
      }
      if (error instanceof UnsupportedError) {
        throw new Error('appendMany needs KurrentDB 26.1 or later (26.0.3 or later on the 26.0 LTS line): the server has no AppendRecords', { cause: error });
      }
      throw error;
    }
    // Revisions come back for the written streams only, in no guaranteed order. A condition-only entry's revision
    // is the one it was checked at; `stream_exists` / `any` name none, and neither does the server: read it (after
    // the commit, so possibly newer). The append has succeeded: nothing below may turn it into a failure.
    const written = new Map(result.responses.map((response) => [response.streamName, response.revision]));
    const readRevision = (streamId: string) => streamHead(streamId).then((head) => head?.revision ?? null, () => null);
    const streams: AppendManyResult['streams'] = [];
    for (const { streamId, events, expectedRevision } of entries) {
      let revision = written.get(streamId) ?? null;
      if (revision === null && events.length === 0 && typeof expectedRevision === 'bigint') revision = expectedRevision;
      else if (revision === null && !(events.length === 0 && expectedRevision === 'no_stream')) revision = await readRevision(streamId);
      streams.push({ streamId, nextExpectedRevision: revision });
    }
    return { position: result.position, streams };
  }

  async function streamHead(streamId: string): Promise<StreamHead | null> {
    try {
      for await (const resolved of client.readStream(streamId, { direction: BACKWARDS, fromRevision: END, maxCount: 1 })) {
        const event = toRecorded(resolved);
        if (!event) continue;
        // A server that sends no position for stream reads: the head of the log is a safe (later) bound.
        const position = event.position === UNKNOWN_POSITION ? ((await headPosition()) ?? UNKNOWN_POSITION) : event.position;
        return { revision: event.revision, position };
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return null;
      throw error;
    }
    return null;
  }

  /**
   * KurrentDB has no side table to remember keys in, so each deduplicated event gets a stream of its own, named from
   * its key and written on the condition that it does not exist (NO_STREAM): the server refuses a second one forever,
   * with no race. A batch is one AppendRecords request (appendOncePerKey: the streams it names as existing are the
   * duplicates, the rest is sent again), so ingestion costs a round trip per batch, not per event, and each request
   * is atomic. The stream keeps the category of `streamId` (`usage-…`), so `$ce-usage` still sees every usage event.
   * On a server without AppendRecords (before 26.0.3), one append per event, 64 at a time, as before (not atomic per
   * batch: after a crash mid-batch, re-sending it reports the written part as duplicates).
   */
  let keyedBatches = true;
  async function appendDeduplicated(events: DedupedEvent[]): Promise<DedupedOutcome[]> {
    const keyed = events.map(({ streamId, dedupKey, event }) => ({ keyStream: keyStreamOf(streamId, dedupKey), event }));
    if (keyedBatches) {
      try {
        return await appendOncePerKey(keyed, appendKeyed, { chunk: KEYED_CHUNK });
      } catch (error) {
        if (!(error instanceof UnsupportedError)) throw error;
        keyedBatches = false;
      }
    }
    return appendEachOnce(keyed);
  }

  /** One AppendRecords request: each event to its key stream, checked NO_STREAM; existing ones named, nothing written. */
  async function appendKeyed(events: readonly KeyedEvent[]): Promise<bigint> {
    const records: AppendRecordInput[] = events.map(({ keyStream, event }) => ({ streamName: keyStream, record: toRecord(event) }));
    const checks: ConsistencyCheck[] = events.map(({ keyStream }) => ({ type: STREAM_STATE, streamName: keyStream, expectedState: NO_STREAM }));
    try {
      return (await client.appendRecords(records, checks)).position;
    } catch (error) {
      if (error instanceof AppendConsistencyViolationError) throw new KeyStreamsExist(error.violations.map((violation) => violation.streamName));
      if (error instanceof MaxAppendSizeExceededError || error instanceof TransactionMaxSizeExceededError) throw new RequestTooLarge(error.message, { cause: error });
      throw error;
    }
  }

  async function appendEachOnce(events: KeyedEvent[]): Promise<DedupedOutcome[]> {
    const first = new Map<string, number>();
    events.forEach((item, index) => first.has(item.keyStream) || first.set(item.keyStream, index));
    const outcomes: DedupedOutcome[] = events.map(() => ({ status: 'duplicate' }));
    const indexes = [...first.values()];
    for (let start = 0; start < indexes.length; start += DEDUP_CONCURRENCY) {
      await Promise.all(
        indexes.slice(start, start + DEDUP_CONCURRENCY).map(async (index) => {
          const { keyStream, event } = events[index]!;
          try {
            const result = await append(keyStream, [event], { expectedRevision: 'no_stream' });
            outcomes[index] = { status: 'appended', position: result.position };
          } catch (error) {
            if (!(error instanceof ConcurrencyError)) throw error;
          }
        }),
      );
    }
    return outcomes;
  }

  async function appendUsage(batch: UsageBatch): Promise<DedupedOutcome[]> {
    const ingestedAt = batch.metadata.recordedAt;
    return appendDeduplicated(
      batch.events.map((event) => ({
        streamId: usageStream(batch.organizationId, event.externalSubscriptionId),
        dedupKey: usageDedupKey(batch.organizationId, event.externalSubscriptionId, event.transactionId),
        event: { type: 'UsageEventIngested', data: { organizationId: batch.organizationId, ...event, ingestedAt }, metadata: batch.metadata },
      })),
    );
  }

  /**
   * NOTE: KurrentDB keeps each usage event in a stream of its own, with no index by subscription: this reads
   * the whole of $all and keeps that subscription's events. Correct, but O(log) per call (server-mode re-folds and
   * the event debugger; see the README's known limits).
   */
  async function readUsage(organizationId: string, externalSubscriptionId: string, options: UsageReadOptions = {}): Promise<RecordedEvent[]> {
    const prefix = `${usageStream(organizationId, externalSubscriptionId)}~`;
    const max = options.maxCount ?? Number.POSITIVE_INFINITY;
    const found: RecordedEvent[] = [];
    for (let after = options.after; ; ) {
      const page = await readAll({ ...(after === undefined ? {} : { after }), maxCount: READ_ALL_PAGE });
      for (const event of page) {
        if (options.before !== undefined && event.position >= options.before) break;
        if (event.streamId.startsWith(prefix)) found.push(event);
      }
      const last = page.at(-1);
      if (page.length < READ_ALL_PAGE || last === undefined || (options.before !== undefined && last.position >= options.before)) break;
      after = last.position;
    }
    const ordered = options.direction === 'backwards' ? found.reverse() : found;
    return ordered.slice(0, max === Number.POSITIVE_INFINITY ? undefined : max);
  }

  /** NOTE: a scan of $all from its start (see `readUsage`); the newest `maxCount` before `before` are kept. */
  async function scanUsage(organizationId: string, options: { before?: bigint; maxCount: number; scanLimit: number; code?: string }): Promise<{ events: RecordedEvent[]; next: bigint | null }> {
    const kept: RecordedEvent[] = [];
    for (let after: bigint | undefined; ; ) {
      const page = await readAll({ ...(after === undefined ? {} : { after }), maxCount: READ_ALL_PAGE });
      for (const event of page) {
        if (options.before !== undefined && event.position >= options.before) break;
        const data = event.data as { organizationId?: string; code?: string };
        if (event.type !== 'UsageEventIngested' || data.organizationId !== organizationId || (options.code !== undefined && data.code !== options.code)) continue;
        kept.push(event);
        if (kept.length > options.maxCount) kept.shift();
      }
      const last = page.at(-1);
      if (page.length < READ_ALL_PAGE || last === undefined || (options.before !== undefined && last.position >= options.before)) break;
      after = last.position;
    }
    return { events: kept.reverse(), next: null };
  }

  /** With the external subscription id: one read of the key's own stream. Without: a scan of $all (see above). */
  async function findUsage(organizationId: string, transactionId: string, externalSubscriptionId?: string): Promise<RecordedEvent[]> {
    if (externalSubscriptionId !== undefined) {
      const stream = keyStreamOf(usageStream(organizationId, externalSubscriptionId), usageDedupKey(organizationId, externalSubscriptionId, transactionId));
      return readStream(stream);
    }
    const found: RecordedEvent[] = [];
    for (let after: bigint | undefined; ; ) {
      const page = await readAll({ ...(after === undefined ? {} : { after }), maxCount: READ_ALL_PAGE });
      for (const event of page) {
        const data = event.data as { organizationId?: string; transactionId?: string };
        if (event.type === 'UsageEventIngested' && data.organizationId === organizationId && data.transactionId === transactionId) found.push(event);
      }
      if (page.length < READ_ALL_PAGE) break;
      after = page.at(-1)!.position;
    }
    return found.reverse();
  }

  /** Fallback when a server does not report the append position: the stream's last event. */
  async function lastPositionOf(streamId: string): Promise<bigint> {
    try {
      const read = client.readStream(streamId, { direction: BACKWARDS, fromRevision: END, maxCount: 1 });
      for await (const resolved of read) return positionOf(resolved) ?? UNKNOWN_POSITION;
    } catch {
      // the append succeeded; a missing position must not turn it into a failure
    }
    return UNKNOWN_POSITION;
  }

  async function readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    if (options.maxCount !== undefined && options.maxCount <= 0) return [];
    const events: RecordedEvent[] = [];
    try {
      const read = client.readStream(streamId, {
        direction: FORWARDS,
        fromRevision: options.fromRevision ?? START,
        ...(options.maxCount === undefined ? {} : { maxCount: options.maxCount }),
      });
      for await (const resolved of read) {
        const event = toRecorded(resolved);
        if (event) events.push(event);
      }
    } catch (error) {
      // Documented way to detect a missing stream: the read fails with StreamNotFoundError while iterating.
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }

  async function readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    if (options.usage !== undefined && options.usage !== 'all') throw new Error('KurrentDB: reading part of the log is not supported');
    const limit = options.maxCount ?? Number.POSITIVE_INFINITY;
    const events: RecordedEvent[] = [];
    // `cursor` is exclusive. A forward read from {commit: p, prepare: p} is inclusive, so the event at p comes
    // back first and is dropped; system events are dropped too, so keep paging until `limit` user events or the
    // end of the log (a page shorter than asked for).
    let cursor = options.after;
    while (events.length < limit) {
      const want = Math.min(READ_ALL_PAGE, limit - events.length) + 1;
      let received = 0;
      let lastRaw: bigint | undefined;
      const read = client.readAll({ direction: FORWARDS, fromPosition: toReadPosition(cursor), maxCount: want });
      for await (const resolved of read) {
        received += 1;
        const position = positionOf(resolved);
        if (position !== undefined) lastRaw = position;
        const event = toUserEvent(resolved);
        if (!event || (cursor !== undefined && event.position <= cursor)) continue;
        if (events.length < limit) events.push(event);
      }
      if (received < want || lastRaw === undefined || (cursor !== undefined && lastRaw <= cursor)) break;
      cursor = lastRaw;
    }
    return events;
  }

  function subscribeToAll(options: { after?: bigint; usage?: LogPart } = {}): Subscription {
    if (typeof options.usage === 'object') throw new Error('KurrentDB: reading part of the log is not supported');
    const after = options.after;
    const withoutUsage = options.usage === 'none';
    // Server-side filter drops `$`-typed events (and usage events for `usage: 'none'`: the log followers that want
    // domain events only); the checks below catch the rest.
    const filter = withoutUsage ? eventTypeFilter({ regex: '^(?!\\$)(?!UsageEventIngested$)' }) : excludeSystemEvents();
    const source = client.subscribeToAll({ fromPosition: toReadPosition(after), filter });
    // Errors surface through iteration. This listener keeps an un-iterated subscription from crashing the process
    // with an unhandled 'error' event, and keeps an error emitted before iteration began (the client emits it, it
    // does not destroy the stream) from being missed: the iteration would then wait forever.
    let early: { error: unknown } | null = null;
    source.on('error', (error) => (early ??= { error }));
    let stopped: Promise<void> | undefined;
    let cancelled = false;
    const stop = (): Promise<void> => {
      cancelled = true;
      stopped ??= (async () => {
        try {
          await source.unsubscribe();
        } catch {
          // already gone (connection failed or client disposed)
        }
        source.destroy();
      })();
      return stopped;
    };

    async function* iterate(): AsyncGenerator<RecordedEvent> {
      try {
        if (early !== null) throw early.error;
        // Async iteration pulls from the client's Readable on demand: while the consumer is busy, the Readable's
        // buffer fills, the gRPC stream is paused and HTTP/2 flow control holds the server back.
        for await (const resolved of source) {
          if (cancelled) return;
          const event = toUserEvent(resolved);
          if (!event || (after !== undefined && event.position <= after) || (withoutUsage && event.type === 'UsageEventIngested')) continue;
          yield event;
        }
        // A drop (leader change, "consumer too slow", a lost connection: gRPC keep-alives detect a silent one)
        // reaches the loop above as the Readable's error; a call the server ends without one is a drop too. Either
        // way the caller resubscribes (application/logFollower.ts).
        if (!cancelled && !closed) throw new Error('KurrentDB ended the subscription to $all');
      } catch (error) {
        if (cancelled || closed) return;
        throw error;
      } finally {
        await stop();
      }
    }

    const iterator = iterate();
    return {
      [Symbol.asyncIterator]: () => iterator,
      async close() {
        await stop();
        await iterator.return(undefined);
      },
    };
  }

  /**
   * One event read backwards from the end of $all, system events filtered out by the server (readAll's `filter`,
   * client 1.0+): what every usage query in `ROLE=api` and every health check costs. Only when that event is still
   * a system one (a non-`$` type in a `$` stream) does it walk back page by page.
   */
  async function headPosition(): Promise<bigint | null> {
    for await (const resolved of client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1, filter: excludeSystemEvents() })) {
      const event = toUserEvent(resolved);
      if (event) return event.position;
      const position = positionOf(resolved);
      return walkBackFrom(position === undefined ? END : { commit: position, prepare: position });
    }
    // The filter matched nothing: no user event in the log.
    return null;
  }

  /** Walks backwards from `from` until the first user event; system events are skipped. */
  async function walkBackFrom(start: ReadPosition): Promise<bigint | null> {
    let from: ReadPosition = start;
    for (;;) {
      let received = 0;
      let lastRaw: bigint | undefined;
      let found: bigint | undefined;
      for await (const resolved of client.readAll({ direction: BACKWARDS, fromPosition: from, maxCount: HEAD_PAGE })) {
        received += 1;
        const position = positionOf(resolved);
        if (position !== undefined) lastRaw = position;
        if (found === undefined && toUserEvent(resolved)) found = position;
      }
      if (found !== undefined) return found;
      if (received < HEAD_PAGE || lastRaw === undefined) return null;
      from = { commit: lastRaw, prepare: lastRaw };
    }
  }

  return {
    append,
    appendMany,
    // One AppendRecords request: checks and writes commit together or not at all.
    atomicMultiStreamAppend: true,
    streamHead,
    appendUsage,
    readUsage,
    scanUsage,
    findUsage,
    readStream,
    readAll,
    subscribeToAll,
    headPosition,
    async close() {
      closed = true;
      await client.dispose();
    },
  };
}

function toClientExpected(expected: ExpectedRevision): AppendStreamState {
  switch (expected) {
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    case 'any':
      return ANY;
    default:
      return expected;
  }
}

function describe(revision: ExpectedRevision | CurrentStreamState | AppendStreamState): string {
  if (typeof revision === 'bigint') return revision.toString();
  return revision.replace('_', ' ');
}

/** `after` as a read position: the event at `after` itself comes back first (forward reads are inclusive). */
function toReadPosition(after: bigint | undefined): ReadPosition {
  // 0 (the runner's "no checkpoint yet") is before every event: read from the start of $all.
  return after === undefined || after <= 0n ? START : { commit: after, prepare: after };
}

/** Commit position of a read or subscribed event, when the server sent a real one. */
function positionOf(resolved: AnyResolved): bigint | undefined {
  const candidates = [resolved.commitPosition, resolved.event?.position?.commit];
  for (const position of candidates) {
    if (position !== undefined && position > 0n && position <= MAX_POSITION) return position;
  }
  return undefined;
}

/**
 * appendRecords takes metadata as a map of string properties only (the client refuses anything else), so
 * `appendMany` sends our metadata object as one property holding its JSON. Reading such a record, the server
 * rebuilds a JSON object from its properties and adds `$schema.name` / `$schema.format` (KurrentDB's
 * EventRecord.SynthesizeMetadataFromProperties); `metadataOf` takes our object back out of it.
 */
const METADATA_PROPERTY = 'metadata-json';

/** An event as an appendRecords record: JSON data, metadata packed into one string property. */
function toRecord(event: NewEvent): AppendRecordInput['record'] {
  return jsonEvent({
    id: event.id ?? randomUUID(),
    type: event.type,
    data: (event.data ?? null) as JSONType,
    metadata: { [METADATA_PROPERTY]: JSON.stringify(event.metadata) },
  });
}

/** Our metadata from a read event: as appended by `append` (the object itself) or by `appendMany` (packed). */
function metadataOf(metadata: unknown): EventMetadata {
  if (metadata !== null && typeof metadata === 'object' && !(metadata instanceof Uint8Array)) {
    const packed = (metadata as Record<string, unknown>)[METADATA_PROPERTY];
    if (typeof packed === 'string') {
      try {
        return JSON.parse(packed) as EventMetadata;
      } catch {
        // not ours after all: return what the server sent
      }
    }
  }
  return (metadata ?? {}) as EventMetadata;
}

function toRecorded(resolved: AnyResolved): RecordedEvent | null {
  const event = resolved.event;
  if (!event) return null;
  return {
    id: event.id,
    streamId: event.streamId,
    type: event.type,
    data: event.data,
    metadata: metadataOf(event.metadata),
    revision: event.revision,
    position: positionOf(resolved) ?? UNKNOWN_POSITION,
  };
}

/** A non-system event of $all, or null (system event, link to a deleted event, or no position). */
function toUserEvent(resolved: AnyResolved): RecordedEvent | null {
  const event = toRecorded(resolved);
  if (!event || event.type.startsWith('$') || event.streamId.startsWith('$')) return null;
  if (event.position === UNKNOWN_POSITION) return null;
  return event;
}

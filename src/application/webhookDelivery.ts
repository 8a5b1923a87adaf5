import type { AppDeps } from './context.ts';
import type { StreamAppend } from './ports/eventStore.ts';
import { ConcurrencyError } from '../domain/shared/errors.ts';
import type { WebhookAttemptOutcome, WebhookAttempted, WebhookSignatureAlgorithm } from '../domain/webhook/events.ts';
import { webhookStream } from './webhooks.ts';
import { WEBHOOKS, type WebhookDocument } from '../../projections/webhooks.ts';

/** Where and how an endpoint is sent to, as the dispatcher knows it now (null: deleted or unknown). */
export type EndpointTarget = { url: string; secret: string; signatureAlgorithm: WebhookSignatureAlgorithm; deleted: boolean };

export interface WebhookDeliveryOptions {
  /** Attempts per round (a new webhook's, or one `retryWebhook` started) before it is FAILED. */
  attempts: number;
  /** The wait before attempt n+1 is `retryBaseMs × 4^(n−1)`, at most `maxRetryDelayMs`. */
  retryBaseMs: number;
  maxRetryDelayMs?: number;
  /** Each request is abandoned after this long (an attempt that failed with `timeout`). */
  timeoutMs: number;
  /** Requests in flight at once, in all, and to one endpoint. */
  concurrency: number;
  perEndpoint?: number;
  /** The endpoint a webhook goes to. */
  endpoint(webhookEndpointId: string): EndpointTarget | null;
  /** The signature headers of one attempt (infrastructure/webhookSigning.ts). */
  sign(algorithm: WebhookSignatureAlgorithm, secret: string, webhookId: string, body: string, at: Date): Record<string, string>;
  /** Wall-clock milliseconds (tests: a fixed one); webhook timestamps are real time, never the billing clock. */
  now?: () => number;
}

/** A webhook due at `dueAt`, folded at or before `position` (its document is read once the read models hold it). */
export type DueWebhook = {
  webhookId: string;
  organizationId: string;
  webhookEndpointId: string | null;
  position: bigint;
  dueAt: number;
  /** A webhook just made, with what its first attempt needs (no read of its document); dropped when many wait. */
  fresh?: { webhookType: string; payload: string; sourceEventId: string } | undefined;
};

/** At most this many queued webhooks keep their body in memory (the others read it when sent). */
const FRESH_LIMIT = 1_000;

const RESPONSE_LIMIT = 1_000;
/** Attempt records appended together: at most this many, waiting at most this long. */
const RECORD_BATCH = 100;
const RECORD_WINDOW_MS = 5;

/**
 * Delivers webhooks at least once. Each attempt POSTs the webhook's stored body, signed, to its endpoint's current
 * URL, and records what it decided as `WebhookAttempted` (appended at the stream revision it read: two deliverers
 * never record the same attempt twice). A 2xx answer is SUCCEEDED; anything else (another status, a redirect, a
 * refused connection, a timeout) is retried `retryBaseMs × 4^(n−1)` later until the round's attempts are spent,
 * then FAILED (`retryWebhook` starts a new round). An attempt cut by a crash or a shutdown is not recorded: the
 * webhook is still due and is sent again after the restart — with the same `webhook-id`, so receivers deduplicate.
 *
 * Due webhooks wait in a heap ordered by due time, one timer for the earliest; at most `concurrency` requests run at
 * once and `perEndpoint` (half of them) to one endpoint, so a slow endpoint cannot hold back the others. Memory per queued webhook
 * is its id and due time: bodies are read from the read model when sent.
 */
export function createWebhookDelivery(deps: AppDeps, options: WebhookDeliveryOptions) {
  const now = options.now ?? Date.now;
  const perEndpoint = options.perEndpoint ?? Math.max(1, Math.ceil(options.concurrency / 2));
  const maxDelay = options.maxRetryDelayMs ?? 6 * 3_600_000;
  const heap: DueWebhook[] = [];
  const queued = new Set<string>();
  const inFlight = new Map<string, number>();
  /** Webhooks waiting for their endpoint to have a free slot. */
  const blocked = new Map<string, DueWebhook[]>();
  const closing = new AbortController();
  const running = new Set<Promise<void>>();
  const recordings = new Set<Promise<void>>();
  let active = 0;
  /** Queued webhooks that keep their body (`fresh`). */
  let fresh = 0;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  const push = (item: DueWebhook) => {
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.dueAt <= heap[i]!.dueAt) break;
      [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
      i = parent;
    }
  };
  const pop = (): DueWebhook | undefined => {
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last !== undefined) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && heap[l]!.dueAt < heap[m]!.dueAt) m = l;
        if (r < heap.length && heap[r]!.dueAt < heap[m]!.dueAt) m = r;
        if (m === i) break;
        [heap[m], heap[i]] = [heap[i]!, heap[m]!];
        i = m;
      }
    }
    return top;
  };

  function arm(): void {
    if (closed) return;
    if (timer !== null) clearTimeout(timer);
    timer = null;
    const top = heap[0];
    if (top === undefined || active >= options.concurrency) return;
    const wait = Math.max(0, top.dueAt - now());
    timer = setTimeout(pump, Math.min(wait, 2 ** 31 - 1));
    timer.unref();
  }

  function pump(): void {
    timer = null;
    while (!closed && active < options.concurrency && heap.length > 0 && heap[0]!.dueAt <= now()) {
      const item = pop()!;
      const endpoint = item.webhookEndpointId;
      if (endpoint !== null && (inFlight.get(endpoint) ?? 0) >= perEndpoint) {
        blocked.set(endpoint, [...(blocked.get(endpoint) ?? []), item]);
        continue;
      }
      start(item);
    }
    arm();
  }

  function start(item: DueWebhook): void {
    active += 1;
    const endpoint = item.webhookEndpointId;
    if (endpoint !== null) inFlight.set(endpoint, (inFlight.get(endpoint) ?? 0) + 1);
    const run = attempt(item)
      .catch((error: unknown) => {
        if (closed) return;
        // The store could not be read or appended to: the webhook stays due, and is tried again a little later.
        deps.logger.warn('webhook delivery failed to run; trying again', { webhookId: item.webhookId, error: String(error) });
        queued.add(item.webhookId);
        push({ ...item, fresh: undefined, dueAt: now() + 1_000 });
      })
      .finally(() => {
        active -= 1;
        running.delete(run);
        if (endpoint !== null) {
          const left = (inFlight.get(endpoint) ?? 1) - 1;
          if (left === 0) inFlight.delete(endpoint);
          else inFlight.set(endpoint, left);
          const waiting = blocked.get(endpoint);
          const next = waiting?.shift();
          if (waiting !== undefined && waiting.length === 0) blocked.delete(endpoint);
          if (next !== undefined) push({ ...next, dueAt: Math.min(next.dueAt, now()) });
        }
        pump();
      });
    running.add(run);
  }

  /**
   * Attempts are recorded together: those that end within the same few milliseconds are appended in one atomic
   * append, each at the revision its attempt read (a burst of deliveries costs a few appends, not one each). When
   * one of them finds its stream moved, the others are appended one by one; that one answers null.
   */
  let pending: { entry: StreamAppend; resolve: (position: bigint | null) => void; reject: (error: unknown) => void }[] = [];
  let flushTimer: NodeJS.Timeout | null = null;
  function record(entry: StreamAppend): Promise<bigint | null> {
    return new Promise((resolve, reject) => {
      pending.push({ entry, resolve, reject });
      if (pending.length >= RECORD_BATCH) void flush();
      else flushTimer ??= setTimeout(() => void flush(), RECORD_WINDOW_MS);
    });
  }
  async function flush(): Promise<void> {
    if (flushTimer !== null) clearTimeout(flushTimer);
    flushTimer = null;
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    try {
      const result = await deps.eventStore.appendMany(batch.map((p) => p.entry));
      for (const p of batch) p.resolve(result.position);
      return;
    } catch (error) {
      if (!(error instanceof ConcurrencyError) || batch.length === 1) {
        for (const p of batch) error instanceof ConcurrencyError ? p.resolve(null) : p.reject(error);
        return;
      }
    }
    for (const p of batch) {
      try {
        p.resolve((await deps.eventStore.append(p.entry.streamId, p.entry.events, { expectedRevision: p.entry.expectedRevision })).position);
      } catch (error) {
        if (error instanceof ConcurrencyError) p.resolve(null);
        else p.reject(error);
      }
    }
  }

  /** The index after which this round's attempts count: the last FAILED attempt (a retry started a new round). */
  function roundBase(doc: WebhookDocument): number {
    for (let i = doc.history.length - 1; i >= 0; i--) if (doc.history[i]!.outcome === 'FAILED') return doc.history[i]!.attempt;
    return 0;
  }

  /** What the first attempt of a webhook just made needs, as its document would say it. */
  const freshDocument = (item: DueWebhook & { fresh: NonNullable<DueWebhook['fresh']> }): WebhookDocument =>
    ({
      _id: item.webhookId,
      organizationId: item.organizationId,
      webhookEndpointId: item.webhookEndpointId,
      webhookType: item.fresh.webhookType,
      payload: item.fresh.payload,
      sourceEventId: item.fresh.sourceEventId,
      status: 'PENDING',
      attempts: 0,
      nextAttemptAt: null,
      revision: '0',
      history: [],
    }) as unknown as WebhookDocument;

  async function attempt(item: DueWebhook): Promise<void> {
    queued.delete(item.webhookId);
    if (item.fresh !== undefined) fresh -= 1;
    let doc: WebhookDocument | null;
    if (item.fresh !== undefined && item.webhookEndpointId !== null) doc = freshDocument(item as DueWebhook & { fresh: NonNullable<DueWebhook['fresh']> });
    else {
      await deps.waitForProjections(item.position, { usage: false });
      doc = await deps.readModels.collection<WebhookDocument>(WEBHOOKS).findOne({ _id: item.webhookId });
    }
    if (doc === null || (doc.status !== 'PENDING' && doc.status !== 'RETRYING')) return;
    // A retry or a restart found it due again later than this item thought: wait for its own time.
    const due = doc.nextAttemptAt === null ? now() : Date.parse(doc.nextAttemptAt);
    if (due > now() + 5) {
      schedule({ ...item, fresh: undefined, webhookEndpointId: doc.webhookEndpointId, dueAt: due });
      return;
    }
    const number = doc.attempts + 1;
    const inRound = number - roundBase(doc);
    const target = options.endpoint(doc.webhookEndpointId);
    const startedAt = now();
    let httpStatus: number | null = null;
    let error: string | null = null;
    let response: string | null = null;
    if (target === null || target.deleted) {
      error = 'the webhook endpoint was deleted';
    } else {
      const result = await post(target, doc);
      if (closed) return; // cut by a shutdown: not recorded, sent again after the restart
      ({ httpStatus, error, response } = result);
    }
    const durationMs = Math.max(0, now() - startedAt);
    const deleted = target === null || target.deleted;
    const outcome: WebhookAttemptOutcome = error === null ? 'SUCCEEDED' : !deleted && inRound < options.attempts ? 'RETRYING' : 'FAILED';
    const attemptedAt = new Date(startedAt).toISOString();
    const nextAt = outcome === 'RETRYING' ? startedAt + durationMs + Math.min(maxDelay, options.retryBaseMs * 4 ** (inRound - 1)) : null;
    const event: WebhookAttempted = {
      type: 'WebhookAttempted',
      data: {
        organizationId: doc.organizationId,
        webhookId: doc._id,
        attempt: number,
        outcome,
        httpStatus,
        error,
        response,
        durationMs,
        attemptedAt,
        nextAttemptAt: nextAt === null ? null : new Date(nextAt).toISOString(),
      },
    };
    // Recorded in the background: the endpoint's slot is free for its next webhook as soon as this one is answered.
    const recording = record({
      streamId: webhookStream(doc.organizationId, doc._id),
      events: [{ type: event.type, data: event.data, metadata: { organizationId: doc.organizationId, recordedAt: new Date(now()).toISOString(), causationId: doc.sourceEventId } }],
      expectedRevision: BigInt(doc.revision),
    }).then(
      (position) => {
        // Another deliverer recorded this attempt first (or a retry was requested meanwhile): it is theirs.
        if (position === null) return;
        deps.metrics?.webhookDelivered(outcome, durationMs / 1000);
        if (outcome !== 'SUCCEEDED') deps.logger.info('webhook delivery failed', { webhookId: doc._id, webhookType: doc.webhookType, attempt: number, outcome, httpStatus, error });
        if (nextAt !== null) schedule({ webhookId: doc._id, organizationId: doc.organizationId, webhookEndpointId: doc.webhookEndpointId, position, dueAt: nextAt });
      },
      (failure: unknown) => {
        if (closed) return;
        // Not recorded: the webhook is still due as the log says, and is attempted again a little later.
        deps.logger.warn('webhook attempt could not be recorded; attempting it again', { webhookId: doc._id, error: String(failure) });
        schedule({ webhookId: doc._id, organizationId: doc.organizationId, webhookEndpointId: doc.webhookEndpointId, position: item.position, dueAt: now() + 1_000 });
      },
    );
    recordings.add(recording);
    void recording.finally(() => recordings.delete(recording));
  }

  async function post(target: EndpointTarget, doc: WebhookDocument): Promise<{ httpStatus: number | null; error: string | null; response: string | null }> {
    const headers = { 'content-type': 'application/json', 'user-agent': 'billing-engine-webhooks/1', ...options.sign(target.signatureAlgorithm, target.secret, doc._id, doc.payload, new Date(now())) };
    const timeout = AbortSignal.timeout(options.timeoutMs);
    try {
      const answer = await fetch(target.url, { method: 'POST', headers, body: doc.payload, redirect: 'manual', signal: AbortSignal.any([timeout, closing.signal]) });
      const response = await readLimited(answer, RESPONSE_LIMIT).catch(() => null);
      const ok = answer.status >= 200 && answer.status < 300;
      return { httpStatus: answer.status, error: ok ? null : `HTTP ${answer.status}`, response };
    } catch (failure) {
      if (timeout.aborted) return { httpStatus: null, error: `timeout after ${options.timeoutMs} ms`, response: null };
      const cause = (failure as { cause?: { code?: string; message?: string } }).cause;
      return { httpStatus: null, error: cause?.code ?? cause?.message ?? (failure instanceof Error ? failure.message : String(failure)), response: null };
    }
  }

  /** Queues a webhook (once: a webhook already queued keeps its place). */
  function schedule(given: DueWebhook): void {
    if (closed || queued.has(given.webhookId)) return;
    const item = given.fresh !== undefined && fresh >= FRESH_LIMIT ? { ...given, fresh: undefined } : given;
    if (item.fresh !== undefined) fresh += 1;
    queued.add(item.webhookId);
    push(item);
    if (heap[0] === item) arm();
    if (item.dueAt <= now()) pump();
  }

  return {
    schedule,
    /** Queues every webhook still due in the read models (at start), a page at a time. */
    async loadDue(position: bigint): Promise<number> {
      let loaded = 0;
      for (const status of ['PENDING', 'RETRYING'] as const) {
        let after: { nextAttemptAt: string; _id: string } | null = null;
        for (;;) {
          const filter: Record<string, unknown> =
            after === null ? { status } : { status, $or: [{ nextAttemptAt: { $gt: after.nextAttemptAt } }, { nextAttemptAt: after.nextAttemptAt, _id: { $gt: after._id } }] };
          const page = await deps.readModels.collection<WebhookDocument>(WEBHOOKS).find(filter, { sort: { status: 1, nextAttemptAt: 1, _id: 1 }, limit: 500 });
          for (const doc of page) {
            schedule({ webhookId: doc._id, organizationId: doc.organizationId, webhookEndpointId: doc.webhookEndpointId, position, dueAt: doc.nextAttemptAt === null ? now() : Date.parse(doc.nextAttemptAt) });
            loaded += 1;
          }
          if (page.length < 500 || closed) break;
          const last = page[page.length - 1]!;
          after = { nextAttemptAt: last.nextAttemptAt ?? '', _id: last._id };
        }
      }
      return loaded;
    },
    /** Webhooks queued or in flight (tests, health). */
    size: () => heap.length + active + [...blocked.values()].reduce((n, list) => n + list.length, 0),
    /** Stops: requests in flight are cut and not recorded (they are sent again after a restart). */
    async close(): Promise<void> {
      closed = true;
      if (timer !== null) clearTimeout(timer);
      closing.abort();
      await Promise.allSettled([...running]);
      await flush();
      await Promise.allSettled([...recordings]);
    },
  };
}

export type WebhookDelivery = ReturnType<typeof createWebhookDelivery>;

/** At most `limit` characters of a response body; the rest is not read. */
async function readLimited(response: Response, limit: number): Promise<string | null> {
  if (response.body === null) return null;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    void reader.cancel().catch(() => {});
  }
  return text === '' ? null : text.slice(0, limit);
}

import type { AppDeps } from './context.ts';
import { immediateTurns } from './turns.ts';
import { RateLimitedError, ValidationError } from '../domain/shared/errors.ts';
import { BODY_LIMITS } from '../domain/shared/limits.ts';
import { subjectKey } from '../../projections/usageStore.ts';
import { isRejection, validateUsageEvent, type UsageEventInput, type ValidUsageEvent } from '../domain/usage/validateEvent.ts';
import type { BillableMetricDocument } from '../../projections/billableMetrics.ts';
import type { SubscriptionDocument } from '../../projections/subscriptions.ts';
import { INVOICES, type InvoiceDocument } from '../../projections/invoices.ts';

export const MAX_BATCH = BODY_LIMITS.eventsPerBatch;
/** How long an ingestion request waits for usage to come within the lag bound before RATE_LIMITED. */
const LAG_WAIT_MS = 2_000;
/** Events validated per turn. */
const VALIDATION_PIECE = 2_000;

export type EventWarning = { code: 'METRIC_NOT_FOUND' | 'SUBSCRIPTION_NOT_FOUND' | 'PERIOD_ALREADY_INVOICED'; message: string };
export type EventOutcome = {
  index: number;
  transactionId: string | null;
  status: 'ACCEPTED' | 'DUPLICATE' | 'REJECTED';
  errorCode: string | null;
  message: string | null;
  warnings: EventWarning[];
};

export type IngestionOptions = {
  lateWindowDays: number;
  futureToleranceMs: number;
  /** Refuse (RATE_LIMITED) while the usage projection lags the log by more events than this. */
  maxLag?: bigint;
  /** Refuse (RATE_LIMITED) while this many ingestion requests are being handled. */
  maxInFlight?: number;
};

/**
 * Ingestion: validates each event on its own, appends the valid ones in one deduplicated batch (no read before
 * write), and reports every event's outcome. Events for a metric or subscription that does not exist yet are
 * accepted with a warning — matching is by code and external subscription id, as in Lago.
 */
export function createIngestionService(deps: AppDeps, options: IngestionOptions) {
  const turns = deps.turns ?? immediateTurns;
  let inFlight = 0;
  const maxInFlight = options.maxInFlight ?? Number.POSITIVE_INFINITY;
  const maxLag = options.maxLag ?? null;

  /** The highest position of the log seen here (measured by `paced`, or appended by this service). */
  let knownHead = 0n;
  const usageCheckpoint = () => deps.projections.status().checkpoints.get('usage') ?? 0n;

  /** A request waited a whole LAG_WAIT_MS in vain: the fold has stalled, not just fallen behind the acks. */
  let stalled = false;

  /**
   * Why a new ingestion request would be refused now, without any I/O (null: it would be admitted): too many in
   * flight, or usage far behind for longer than one wait already (it reopens as soon as usage has caught up).
   */
  function refusal(): RateLimitedError | null {
    if (inFlight >= maxInFlight) return new RateLimitedError(`${inFlight} ingestion requests are being handled; retry shortly`);
    if (maxLag !== null && stalled && knownHead - usageCheckpoint() > maxLag) return behind(knownHead - usageCheckpoint());
    return null;
  }

  const behind = (lag: bigint) => new RateLimitedError(`usage is ${lag} events behind the log (limit ${maxLag}); retry shortly`, 2);

  /**
   * Back-pressure on the fold (the request counted in flight already): while usage is more than `maxLag` events
   * behind, wait (at most LAG_WAIT_MS, holding no more than the request) for it to come within the
   * bound, so acknowledgements never outrun the fold by more than that; refuse when it does not.
   */
  async function paced(): Promise<void> {
    if (maxLag === null) return;
    const head = (await deps.eventStore.headPosition()) ?? 0n;
    if (head > knownHead) knownHead = head;
    if (knownHead - usageCheckpoint() <= maxLag) {
      stalled = false;
      return;
    }
    try {
      await deps.projections.waitFor(knownHead - maxLag, { names: ['usage'], timeoutMs: LAG_WAIT_MS, quiet: true });
      stalled = false;
    } catch {
      stalled = true;
      throw behind(knownHead - usageCheckpoint());
    }
  }

  const metrics = () => deps.readModels.collection<BillableMetricDocument>('billableMetrics');
  const subscriptions = () => deps.readModels.collection<SubscriptionDocument>('subscriptions');
  const invoices = () => deps.readModels.collection<InvoiceDocument>(INVOICES);
  /** Live metrics per organization, as of the metrics read model's checkpoint (reloaded once it moves). */
  const metricCache = new Map<string, { checkpoint: bigint; byCode: Map<string, BillableMetricDocument> }>();
  /** External subscription ids known to exist, per organization: a subscription never leaves the read model. */
  let knownSubscriptions = new Map<string, Set<string>>();
  let known = 0;

  async function liveMetrics(organizationId: string): Promise<Map<string, BillableMetricDocument>> {
    const checkpoint = deps.projections.status().checkpoints.get('billableMetrics') ?? 0n;
    const cached = metricCache.get(organizationId);
    if (cached !== undefined && cached.checkpoint === checkpoint) return cached.byCode;
    const byCode = new Map((await metrics().find({ organizationId, deletedAt: null })).map((m) => [m.code, m]));
    if (metricCache.size > 10_000) metricCache.clear();
    metricCache.set(organizationId, { checkpoint, byCode });
    return byCode;
  }

  /** Which of these external ids have a subscription (for the SUBSCRIPTION_NOT_FOUND warning): one query for the unknown ones. */
  async function existing(organizationId: string, externalIds: readonly string[]): Promise<Set<string>> {
    let set = knownSubscriptions.get(organizationId);
    const unknown = externalIds.filter((id) => !set?.has(id));
    if (unknown.length > 0) {
      const found = await subscriptions().find({ organizationId, externalId: { $in: unknown } });
      if (known > 200_000) {
        knownSubscriptions = new Map();
        known = 0;
        set = undefined;
      }
      if (set === undefined) knownSubscriptions.set(organizationId, (set = new Set()));
      for (const sub of found) if (!set.has(sub.externalId)) (set.add(sub.externalId), (known += 1));
    }
    return set ?? new Set();
  }

  /**
   * How far each external subscription id is invoiced (the latest `periodInvoicedTo` of its finalized or voided
   * invoices: pay-in-advance and progressive-billing invoices close no period),
   * per organization, valid while the invoices read model stays at one checkpoint. Most events are later than the
   * organization's latest invoiced instant: they are told apart with one number, without a lookup.
   */
  const invoicedCache = new Map<string, { checkpoint: bigint; latest: string; bySubscription: Map<string, string> }>();
  /** `latest`: the organization's latest invoiced instant (ISO, '' when none); `check` looks one subscription up. */
  async function invoicedThrough(organizationId: string) {
    const checkpoint = deps.projections.status().checkpoints.get('invoices') ?? 0n;
    let cached = invoicedCache.get(organizationId);
    if (cached === undefined || cached.checkpoint !== checkpoint) {
      // Equality and $in on indexed fields, sorted on an indexed one: answered by SQLite from the index, one row
      // (an invoice without charges has a null chargesTo, sorted last).
      const [last] = await invoices().find({ organizationId, status: { $in: ['FINALIZED', 'VOIDED'] } }, { sort: { periodInvoicedTo: -1 }, limit: 1 });
      if (invoicedCache.size > 10_000) invoicedCache.clear();
      invoicedCache.set(organizationId, (cached = { checkpoint, latest: last?.periodInvoicedTo ?? '', bySubscription: new Map() }));
    }
    const entry = cached;
    return {
      latest: entry.latest,
      async check(externalSubscriptionId: string, timestamp: string): Promise<boolean> {
        let through = entry.bySubscription.get(externalSubscriptionId);
        if (through === undefined) {
          const [last] = await invoices().find({ organizationId, externalSubscriptionId, status: { $in: ['FINALIZED', 'VOIDED'] } }, { sort: { periodInvoicedTo: -1 }, limit: 1 });
          through = last?.periodInvoicedTo ?? '';
          entry.bySubscription.set(externalSubscriptionId, through);
        }
        return timestamp <= through;
      },
    };
  }

  async function lookups(organizationId: string, inputs: UsageEventInput[]) {
    // An ill-formed id is rejected by its event's validation (INVALID_FIELD): it is never looked up.
    const externalIds = [...new Set(inputs.map((e) => e.externalSubscriptionId).filter((c): c is string => typeof c === 'string' && c.isWellFormed()))];
    const [metricsByCode, subscriptionIds] = await Promise.all([liveMetrics(organizationId), existing(organizationId, externalIds)]);
    return { metrics: metricsByCode, subscriptions: subscriptionIds };
  }

  return {
    /** Why an ingestion request would be refused right now (checked before its body is even validated), or null. */
    refusal,
    /** How many ingestion requests are handled at once. */
    capacity: () => maxInFlight,
    /**
     * `signal`: the client's request. Work for a client that has gone away is not done (nothing is appended for
     * it). `correlationId`: the request's id, kept in the batch's metadata.
     */
    async ingest(organizationId: string, actor: string, inputs: UsageEventInput[], request: { signal?: AbortSignal | undefined; correlationId?: string } = {}): Promise<EventOutcome[]> {
      if (inputs.length === 0) throw new ValidationError('input.events: at least one event is required', 'input.events');
      if (inputs.length > MAX_BATCH) throw new ValidationError(`input.events: at most ${MAX_BATCH} events per batch`, 'input.events');
      const refused = refusal();
      if (refused !== null) throw refused;
      inFlight += 1;
      try {
        await paced();
        return await ingestBatch(organizationId, actor, inputs, request);
      } finally {
        inFlight -= 1;
      }
    },
  };

  async function ingestBatch(organizationId: string, actor: string, inputs: UsageEventInput[], { signal, correlationId }: { signal?: AbortSignal | undefined; correlationId?: string }): Promise<EventOutcome[]> {
    // In pieces, each at its turn (turns.ts): variable coercion before this, validation, the append, the answer.
    await turns.take();
    const now = deps.clock.now();
    const found = await lookups(organizationId, inputs);
    const invoiced = await invoicedThrough(organizationId);
    const window = { now, lateWindowDays: options.lateWindowDays, futureToleranceMs: options.futureToleranceMs };
    const metadata = { organizationId, actor, recordedAt: now.toISOString(), ...(correlationId === undefined ? {} : { correlationId }) };
    const outcomes: EventOutcome[] = [];
    const batch: ValidUsageEvent[] = [];
    const batchIndex: number[] = [];
    for (let index = 0; index < inputs.length; index += 1) {
      if (index > 0 && index % VALIDATION_PIECE === 0) await turns.take();
      const input = inputs[index]!;
      const metric = typeof input.code === 'string' ? (found.metrics.get(input.code) ?? null) : null;
      const valid = validateUsageEvent(input, metric, window);
      const transactionId = typeof input.transactionId === 'string' ? input.transactionId : null;
      if (isRejection(valid)) {
        outcomes.push({ index, transactionId, status: 'REJECTED', errorCode: valid.code, message: valid.message, warnings: [] });
        continue;
      }
      const warnings: EventWarning[] = [];
      if (!metric) warnings.push({ code: 'METRIC_NOT_FOUND', message: `no billable metric with code ${valid.code} yet: the event is counted once it exists` });
      if (!found.subscriptions.has(valid.externalSubscriptionId)) {
        warnings.push({ code: 'SUBSCRIPTION_NOT_FOUND', message: `no subscription ${valid.externalSubscriptionId} yet: the event is counted once it exists` });
      }
      // Timestamps are normalized UTC ISO strings: compared as strings, with no lookup for the usual (recent) event.
      if (valid.timestamp <= invoiced.latest && (await invoiced.check(valid.externalSubscriptionId, valid.timestamp))) {
        warnings.push({ code: 'PERIOD_ALREADY_INVOICED', message: 'its period is already invoiced: the event is stored and counted in usage, the finalized invoice does not change' });
      }
      outcomes.push({ index, transactionId, status: 'ACCEPTED', errorCode: null, message: null, warnings });
      batchIndex.push(index);
      batch.push(valid);
    }
    if (signal?.aborted) throw new ValidationError('the client closed the request: nothing was appended');
    const appended = await deps.eventStore.appendUsage({ organizationId, metadata, events: batch });
    // Acknowledged = durably appended. Read models catch up asynchronously: the hot path never waits on them.
    appended.forEach((result, i) => {
      if (result.status === 'appended') {
        if (result.position > knownHead) knownHead = result.position;
        deps.usageWritten(subjectKey(organizationId, batch[i]!.externalSubscriptionId), result.position);
        return;
      }
      Object.assign(outcomes[batchIndex[i]!]!, { status: 'DUPLICATE', warnings: [], message: 'this transactionId was already ingested for this subscription; not counted again' });
    });
    // The answer (completing and serializing an outcome per event) is a piece too.
    await turns.take();
    if (deps.metrics !== undefined) {
      const counts = { accepted: 0, duplicate: 0, rejected: 0 };
      for (const o of outcomes) counts[o.status === 'ACCEPTED' ? 'accepted' : o.status === 'DUPLICATE' ? 'duplicate' : 'rejected'] += 1;
      deps.metrics.ingested(counts);
    }
    return outcomes;
  }
}

export type IngestionService = ReturnType<typeof createIngestionService>;

import type { AppDeps } from './context.ts';
import type { DedupedEvent } from './ports/eventStore.ts';
import { ValidationError } from '../domain/shared/errors.ts';
import { usageDedupKey, usageStream } from '../domain/usage/keys.ts';
import { isRejection, validateUsageEvent, type UsageEventInput } from '../domain/usage/validateEvent.ts';
import type { BillableMetricDocument } from '../../projections/billableMetrics.ts';
import type { SubscriptionDocument } from '../../projections/subscriptions.ts';

export const MAX_BATCH = 10_000;

export type EventWarning = { code: 'METRIC_NOT_FOUND' | 'SUBSCRIPTION_NOT_FOUND'; message: string };
export type EventOutcome = {
  index: number;
  transactionId: string | null;
  status: 'ACCEPTED' | 'DUPLICATE' | 'REJECTED';
  errorCode: string | null;
  message: string | null;
  warnings: EventWarning[];
};

export type IngestionOptions = { lateWindowDays: number; futureToleranceMs: number };

/**
 * Ingestion: validates each event on its own, appends the valid ones in one deduplicated batch (no read before
 * write), and reports every event's outcome. Events for a metric or subscription that does not exist yet are
 * accepted with a warning — matching is by code and external subscription id, as in Lago.
 */
export function createIngestionService(deps: AppDeps, options: IngestionOptions) {
  const metrics = () => deps.readModels.collection<BillableMetricDocument>('billableMetrics');
  const subscriptions = () => deps.readModels.collection<SubscriptionDocument>('subscriptions');

  async function lookups(organizationId: string, inputs: UsageEventInput[]) {
    const codes = [...new Set(inputs.map((e) => e.code).filter((c): c is string => typeof c === 'string'))];
    const externalIds = [...new Set(inputs.map((e) => e.externalSubscriptionId).filter((c): c is string => typeof c === 'string'))];
    const [metricDocs, subscriptionDocs] = await Promise.all([
      metrics().find({ organizationId, deletedAt: null, code: { $in: codes } }),
      subscriptions().find({ organizationId, externalId: { $in: externalIds } }),
    ]);
    return { metrics: new Map(metricDocs.map((m) => [m.code, m])), subscriptions: new Set(subscriptionDocs.map((s) => s.externalId)) };
  }

  return {
    async ingest(organizationId: string, actor: string, inputs: UsageEventInput[]): Promise<EventOutcome[]> {
      if (inputs.length === 0) throw new ValidationError('input.events: at least one event is required', 'input.events');
      if (inputs.length > MAX_BATCH) throw new ValidationError(`input.events: at most ${MAX_BATCH} events per batch`, 'input.events');
      const now = deps.clock.now();
      const found = await lookups(organizationId, inputs);
      const window = { now, lateWindowDays: options.lateWindowDays, futureToleranceMs: options.futureToleranceMs };
      const metadata = { organizationId, actor, recordedAt: now.toISOString() };
      const outcomes: EventOutcome[] = [];
      const batch: DedupedEvent[] = [];
      const batchIndex: number[] = [];
      inputs.forEach((input, index) => {
        const metric = typeof input.code === 'string' ? (found.metrics.get(input.code) ?? null) : null;
        const valid = validateUsageEvent(input, metric, window);
        const transactionId = typeof input.transactionId === 'string' ? input.transactionId : null;
        if (isRejection(valid)) {
          outcomes.push({ index, transactionId, status: 'REJECTED', errorCode: valid.code, message: valid.message, warnings: [] });
          return;
        }
        const warnings: EventWarning[] = [];
        if (!metric) warnings.push({ code: 'METRIC_NOT_FOUND', message: `no billable metric with code ${valid.code} yet: the event is counted once it exists` });
        if (!found.subscriptions.has(valid.externalSubscriptionId)) {
          warnings.push({ code: 'SUBSCRIPTION_NOT_FOUND', message: `no subscription ${valid.externalSubscriptionId} yet: the event is counted once it exists` });
        }
        outcomes.push({ index, transactionId, status: 'ACCEPTED', errorCode: null, message: null, warnings });
        batchIndex.push(index);
        batch.push({
          streamId: usageStream(organizationId, valid.externalSubscriptionId),
          dedupKey: usageDedupKey(organizationId, valid.externalSubscriptionId, valid.transactionId),
          event: { type: 'UsageEventIngested', data: { organizationId, ...valid, ingestedAt: now.toISOString() }, metadata },
        });
      });
      const appended = await deps.eventStore.appendDeduplicated(batch);
      // Acknowledged = durably appended. Read models catch up asynchronously: the hot path never waits on them.
      appended.forEach((result, i) => {
        if (result.status !== 'duplicate') return;
        Object.assign(outcomes[batchIndex[i]!]!, { status: 'DUPLICATE', warnings: [], message: 'this transactionId was already ingested for this subscription; not counted again' });
      });
      return outcomes;
    },
  };
}

export type IngestionService = ReturnType<typeof createIngestionService>;

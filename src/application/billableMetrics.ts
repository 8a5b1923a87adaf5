import type { Actor, AppDeps } from './context.ts';
import { executeGuarded, guardKeys } from './consistency.ts';
import { billableMetricDecider, type BillableMetricCommand, type BillableMetricFields } from '../domain/billableMetric/index.ts';
import { NotFoundError } from '../domain/shared/errors.ts';
import { streamName } from '../domain/shared/streams.ts';
import type { BillableMetricDocument } from '../../projections/billableMetrics.ts';

/** The part of a `plans` read-model document this service reads (the plans area owns the collection). */
type PlanUsingMetric = { _id: string; code?: string };

/** Keyed by code: the event store's `no_stream` append makes codes unique per organization without a race. */
export function billableMetricStream(organizationId: string, code: string): string {
  return streamName('billableMetric', organizationId, code);
}

/** The live (not deleted) metric with this code, or null. */
export function getBillableMetricByCode(deps: AppDeps, organizationId: string, code: string): Promise<BillableMetricDocument | null> {
  return deps.readModels.collection<BillableMetricDocument>('billableMetrics').findOne({ organizationId, code, deletedAt: null });
}

export function createBillableMetricService(deps: AppDeps) {
  const metrics = () => deps.readModels.collection<BillableMetricDocument>('billableMetrics');
  const metadata = () => ({ now: deps.clock.now().toISOString() });
  // Plans decide on the metric (it exists, its aggregation and filters): every change of it is a writer of its key.
  const run = (actor: Actor, code: string, prepare: () => Promise<BillableMetricCommand>) =>
    executeGuarded(deps, actor, billableMetricStream(actor.organizationId, code), billableMetricDecider, { writes: [guardKeys.metric(code)] }, prepare);
  const byId = async (metricId: string) => {
    const document = await metrics().findOne({ _id: metricId });
    if (!document) throw new NotFoundError(`billable metric ${metricId} not found`);
    return document;
  };

  return {
    async create(actor: Actor, input: { code: string } & BillableMetricFields): Promise<BillableMetricDocument> {
      const metricId = deps.newId();
      const data = { ...input, organizationId: actor.organizationId, metricId };
      await run(actor, input.code, async () => ({ type: 'CreateBillableMetric', data, metadata: metadata() }));
      return byId(metricId);
    },

    async update(actor: Actor, input: { code: string } & BillableMetricFields): Promise<BillableMetricDocument> {
      const { state } = await run(actor, input.code, async () => ({ type: 'UpdateBillableMetric', data: input, metadata: metadata() }));
      if (state.status === 'none') throw new NotFoundError(`billable metric "${input.code}" not found`);
      return byId(state.metricId);
    },

    /** Refused (CONFLICT) while a live plan charges the metric; answers the deleted metric. */
    async delete(actor: Actor, code: string): Promise<BillableMetricDocument> {
      const { organizationId } = actor;
      // A plan charging the metric is a reader of its key: one created meanwhile makes this append fail and retry,
      // and the retry reads the plans after it (consistency.ts).
      const { state } = await run(actor, code, async () => {
        const plans = await deps.readModels
          .collection<PlanUsingMetric>('plans')
          .find({ organizationId, deletedAt: null, 'charges.billableMetricCode': code }, { sort: { code: 1 } });
        const usedByPlanCodes = plans.map((plan) => plan.code ?? plan._id);
        return { type: 'DeleteBillableMetric', data: { code, usedByPlanCodes }, metadata: metadata() };
      });
      if (state.status === 'none') throw new NotFoundError(`billable metric "${code}" not found`);
      return byId(state.metricId);
    },

    get: (organizationId: string, code: string) => getBillableMetricByCode(deps, organizationId, code),
  };
}

export type BillableMetricService = ReturnType<typeof createBillableMetricService>;

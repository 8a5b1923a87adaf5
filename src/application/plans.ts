import type { Actor, AppDeps } from './context.ts';
import { executeGuarded, guardKeys, type Guards } from './consistency.ts';
import { execute } from './execute.ts';
import { planDecider, type MetricRef, type PlanCommand, type PlanInput, type PlanLookups } from '../domain/plan/index.ts';
import { NotFoundError } from '../domain/shared/errors.ts';
import { streamName } from '../domain/shared/streams.ts';
import type { PlanDocument } from '../../projections/plans.ts';

/** The fields of a `billableMetrics` / `taxes` document this service reads (those areas own the collections). */
type MetricDocument = { _id: string; code: string; aggregationType: string; recurring?: boolean; filters?: { key: string; values: string[] }[] };
type TaxDocument = { _id: string; code: string };

/** The plan stream is keyed by code: the event store's `no_stream` append keeps codes unique per organization. */
export function planStream(organizationId: string, code: string): string {
  return streamName('plan', organizationId, code);
}

const unique = (values: readonly unknown[]): string[] => [...new Set(values.filter((v): v is string => typeof v === 'string'))];

function metricRef(doc: MetricDocument): MetricRef {
  return {
    id: doc._id,
    code: doc.code,
    aggregationType: String(doc.aggregationType).toUpperCase(),
    recurring: doc.recurring === true,
    filters: (doc.filters ?? []).map((filter) => ({ key: filter.key, values: [...filter.values] })),
  };
}

/** Plans: commands look up the metrics and taxes they name, then answer from the `plans` read model. */
export function createPlanService(deps: AppDeps) {
  const plans = () => deps.readModels.collection<PlanDocument>('plans');
  const now = () => ({ now: deps.clock.now().toISOString() });

  /** The metric and tax codes the input names. */
  function codesOf(input: PlanInput): { metricCodes: string[]; taxCodes: string[] } {
    const charges = Array.isArray(input.charges) ? input.charges : [];
    const listed = (codes: unknown): unknown[] => (Array.isArray(codes) ? codes : []);
    return {
      metricCodes: unique(charges.map((charge) => charge?.billableMetricCode)),
      taxCodes: unique([...listed(input.taxCodes), ...listed(input.minimumCommitment?.taxCodes), ...charges.flatMap((c) => listed(c?.taxCodes))]),
    };
  }

  /** The plan decides on the metrics it charges and the taxes it carries: a reader of their keys (consistency.ts). */
  function guardsOf(input: PlanInput): Guards {
    const { metricCodes, taxCodes } = codesOf(input);
    return { reads: [...metricCodes.map(guardKeys.metric), ...taxCodes.map(guardKeys.tax)] };
  }

  /** The metrics and live tax codes the input names, for the decider to check they exist. */
  async function lookupsFor(organizationId: string, input: PlanInput): Promise<PlanLookups> {
    const { metricCodes, taxCodes } = codesOf(input);
    const [metrics, taxes] = await Promise.all([
      deps.readModels.collection<MetricDocument>('billableMetrics').find({ organizationId, code: { $in: metricCodes }, deletedAt: null }),
      deps.readModels.collection<TaxDocument>('taxes').find({ organizationId, code: { $in: taxCodes }, deletedAt: null }),
    ]);
    return { metrics: Object.fromEntries(metrics.map((doc) => [doc.code, metricRef(doc)])), taxCodes: taxes.map((tax) => tax.code) };
  }

  async function run(actor: Actor, code: string, command: PlanCommand | { guards: Guards; prepare: () => Promise<PlanCommand> }): Promise<PlanDocument> {
    const stream = planStream(actor.organizationId, code);
    const { state } =
      'guards' in command ? await executeGuarded(deps, actor, stream, planDecider, command.guards, command.prepare) : await execute(deps, actor, stream, planDecider, command);
    if (state.status === 'none') throw new NotFoundError(`plan "${code}" not found`);
    const doc = await plans().findOne({ _id: state.planId, organizationId: actor.organizationId });
    if (!doc) throw new NotFoundError(`plan "${code}" not found`);
    return doc;
  }

  return {
    async create(actor: Actor, input: PlanInput): Promise<PlanDocument> {
      const chargeIds = (input.charges ?? []).map(() => deps.newId());
      const planId = deps.newId();
      const prepare = async (): Promise<PlanCommand> => {
        const lookups = await lookupsFor(actor.organizationId, input);
        return { type: 'CreatePlan', data: { planId, organizationId: actor.organizationId, input, chargeIds, lookups }, metadata: now() };
      };
      return run(actor, input.code, { guards: guardsOf(input), prepare });
    },

    /** Full replacement of the updatable fields (Lago's PUT); the code is immutable and names the plan. */
    async update(actor: Actor, input: PlanInput): Promise<PlanDocument> {
      const chargeIds = (input.charges ?? []).map(() => deps.newId());
      const prepare = async (): Promise<PlanCommand> => ({ type: 'UpdatePlan', data: { input, chargeIds, lookups: await lookupsFor(actor.organizationId, input) }, metadata: now() });
      return run(actor, input.code, { guards: guardsOf(input), prepare });
    },

    /** Soft delete; the answer is the deleted plan. Subscriptions on it are the subscriptions area's concern. */
    delete: (actor: Actor, code: string): Promise<PlanDocument> => run(actor, code, { type: 'DeletePlan', data: { code }, metadata: now() }),

    /** A live plan by code, or `null`. */
    get: (organizationId: string, code: string) => plans().findOne({ organizationId, code, deletedAt: null }),
  };
}

export type PlanService = ReturnType<typeof createPlanService>;

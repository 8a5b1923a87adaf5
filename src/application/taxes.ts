import type { Actor, AppDeps } from './context.ts';
import { executeGuarded, guardKeys } from './consistency.ts';
import { execute } from './execute.ts';
import { NotFoundError } from '../domain/shared/errors.ts';
import { streamName } from '../domain/shared/streams.ts';
import { taxDecider, type TaxCommand, type TaxFields } from '../domain/tax/index.ts';
import { ADD_ONS, type AddOnDocument } from '../../projections/addOns.ts';
import type { CustomerDocument } from '../../projections/customers.ts';
import type { TaxDocument } from '../../projections/taxes.ts';

/** The part of a `plans` read-model document this service reads (the plans area owns the collection). */
type PlanUsingTax = { _id: string; code?: string };

/** Keyed by code: the event store's `no_stream` append makes codes unique per organization without a race. */
export function taxStream(organizationId: string, code: string): string {
  return streamName('tax', organizationId, code);
}

/** The live taxes among `codes` (for commands that reference tax codes). */
export function findLiveTaxes(deps: AppDeps, organizationId: string, codes: readonly string[]): Promise<TaxDocument[]> {
  if (codes.length === 0) return Promise.resolve([]);
  return deps.readModels.collection<TaxDocument>('taxes').find({ organizationId, deletedAt: null, code: { $in: [...codes] } });
}

export function createTaxService(deps: AppDeps) {
  const taxes = () => deps.readModels.collection<TaxDocument>('taxes');
  const metadata = () => ({ now: deps.clock.now().toISOString() });
  const run = (actor: Actor, code: string, command: TaxCommand) => execute(deps, actor, taxStream(actor.organizationId, code), taxDecider, command);
  // Customers, plans and add-ons decide on whether the tax exists: its creation and deletion are writers of its key.
  const runGuarded = (actor: Actor, code: string, prepare: () => Promise<TaxCommand>) =>
    executeGuarded(deps, actor, taxStream(actor.organizationId, code), taxDecider, { writes: [guardKeys.tax(code)] }, prepare);
  const byId = async (taxId: string) => {
    const document = await taxes().findOne({ _id: taxId });
    if (!document) throw new NotFoundError(`tax ${taxId} not found`);
    return document;
  };

  return {
    async create(actor: Actor, input: { code: string } & TaxFields): Promise<TaxDocument> {
      const taxId = deps.newId();
      await runGuarded(actor, input.code, async () => ({ type: 'CreateTax', data: { ...input, organizationId: actor.organizationId, taxId }, metadata: metadata() }));
      return byId(taxId);
    },

    async update(actor: Actor, input: { code: string } & TaxFields): Promise<TaxDocument> {
      const { state } = await run(actor, input.code, { type: 'UpdateTax', data: input, metadata: metadata() });
      if (state.status === 'none') throw new NotFoundError(`tax "${input.code}" not found`);
      return byId(state.taxId);
    },

    /** Refused (CONFLICT) while a live customer, plan (plan, charge or commitment level) or add-on carries the code. */
    async delete(actor: Actor, code: string): Promise<TaxDocument> {
      const { organizationId } = actor;
      // Customers, plans and add-ons carrying the code are readers of its key: one created meanwhile makes this append fail
      // and retry, and the retry reads them after it (consistency.ts).
      const { state } = await runGuarded(actor, code, async () => {
        const customers = await deps.readModels
          .collection<CustomerDocument>('customers')
          .find({ organizationId, deletedAt: null, taxCodes: code }, { sort: { externalId: 1 } });
        const usedByCustomerExternalIds = customers.map((customer) => customer.externalId);
        const plans = await deps.readModels
          .collection<PlanUsingTax>('plans')
          .find({ organizationId, deletedAt: null, $or: [{ taxCodes: code }, { 'charges.taxCodes': code }, { 'minimumCommitment.taxCodes': code }] }, { sort: { code: 1 } });
        const usedByPlanCodes = plans.map((plan) => plan.code ?? plan._id);
        const addOns = await deps.readModels.collection<AddOnDocument>(ADD_ONS).find({ organizationId, deletedAt: null, taxCodes: code }, { sort: { code: 1 } });
        const usedByAddOnCodes = addOns.map((addOn) => addOn.code);
        return { type: 'DeleteTax', data: { code, usedByCustomerExternalIds, usedByPlanCodes, usedByAddOnCodes }, metadata: metadata() };
      });
      if (state.status === 'none') throw new NotFoundError(`tax "${code}" not found`);
      return byId(state.taxId);
    },

    get: (organizationId: string, code: string) => taxes().findOne({ organizationId, code, deletedAt: null }),
  };
}

export type TaxService = ReturnType<typeof createTaxService>;

import type { Actor, AppDeps } from './context.ts';
import { executeGuarded, guardKeys } from './consistency.ts';
import { execute } from './execute.ts';
import { findLiveTaxes } from './taxes.ts';
import { addOnDecider, type AddOnCommand, type AddOnFields } from '../domain/addOn/index.ts';
import { NotFoundError } from '../domain/shared/errors.ts';
import { streamName } from '../domain/shared/streams.ts';
import { ADD_ONS, type AddOnDocument } from '../../projections/addOns.ts';

/** Keyed by code: the event store's `no_stream` append makes codes unique per organization without a race. */
export function addOnStream(organizationId: string, code: string): string {
  return streamName('addOn', organizationId, code);
}

type AddOnInput = { code: string } & AddOnFields;

/** The tax codes an input names (none when it leaves them unsaid). */
const taxCodesOf = (input: AddOnInput): string[] => (Array.isArray(input.taxCodes) ? [...new Set(input.taxCodes.filter((code): code is string => typeof code === 'string'))] : []);

/** Add-ons (Lago's `add_on`): commands look up the taxes they name, then answer from the `addOns` read model. */
export function createAddOnService(deps: AppDeps) {
  const addOns = () => deps.readModels.collection<AddOnDocument>(ADD_ONS);
  const metadata = () => ({ now: deps.clock.now().toISOString() });
  // An add-on decides on whether the taxes it carries exist: a reader of their keys, as a plan is (consistency.ts).
  const runGuarded = (actor: Actor, input: AddOnInput, command: (existingTaxCodes: string[]) => AddOnCommand) => {
    const taxCodes = taxCodesOf(input);
    return executeGuarded(deps, actor, addOnStream(actor.organizationId, input.code), addOnDecider, { reads: taxCodes.map(guardKeys.tax) }, async () =>
      command((await findLiveTaxes(deps, actor.organizationId, taxCodes)).map((tax) => tax.code)),
    );
  };
  const byId = async (addOnId: string) => {
    const document = await addOns().findOne({ _id: addOnId });
    if (!document) throw new NotFoundError(`add-on ${addOnId} not found`);
    return document;
  };

  return {
    async create(actor: Actor, input: AddOnInput): Promise<AddOnDocument> {
      const addOnId = deps.newId();
      await runGuarded(actor, input, (existingTaxCodes) => ({
        type: 'CreateAddOn',
        data: { ...input, organizationId: actor.organizationId, addOnId, existingTaxCodes },
        metadata: metadata(),
      }));
      return byId(addOnId);
    },

    /** Omitted fields keep their value; the code is immutable and names the add-on. */
    async update(actor: Actor, input: AddOnInput): Promise<AddOnDocument> {
      const { state } = await runGuarded(actor, input, (existingTaxCodes) => ({ type: 'UpdateAddOn', data: { ...input, existingTaxCodes }, metadata: metadata() }));
      if (state.status === 'none') throw new NotFoundError(`add-on "${input.code}" not found`);
      return byId(state.addOnId);
    },

    /** Soft delete; the answer is the deleted add-on, and its code can be used again. */
    async delete(actor: Actor, code: string): Promise<AddOnDocument> {
      const { state } = await execute(deps, actor, addOnStream(actor.organizationId, code), addOnDecider, { type: 'DeleteAddOn', data: { code }, metadata: metadata() });
      if (state.status === 'none') throw new NotFoundError(`add-on "${code}" not found`);
      return byId(state.addOnId);
    },

    /** A live add-on by code, or `null`. */
    get: (organizationId: string, code: string) => addOns().findOne({ organizationId, code, deletedAt: null }),
  };
}

export type AddOnService = ReturnType<typeof createAddOnService>;

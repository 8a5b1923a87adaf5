import type { Actor, AppDeps } from './context.ts';
import { executeGuarded, guardKeys } from './consistency.ts';
import { findLiveTaxes } from './taxes.ts';
import { customerDecider, type CustomerCommand, type CustomerFields } from '../domain/customer/index.ts';
import { NotFoundError } from '../domain/shared/errors.ts';
import { streamName } from '../domain/shared/streams.ts';
import type { CustomerDocument } from '../../projections/customers.ts';

/** The part of a `subscriptions` read-model document this service reads (the subscriptions area owns it). */
type SubscriptionOfCustomer = { _id: string; externalCustomerId: string; planId: string; createdAt: string };
/** The part of a `plans` document this service reads (the plans area owns it). */
type PlanCurrency = { _id: string; amountCurrency: string };

/** Keyed by external id: an upsert is one stream, and two customers can never share an external id. */
export function customerStream(organizationId: string, externalId: string): string {
  return streamName('customer', organizationId, externalId);
}

/** The live (not deleted) customer with this external id, or null. For other areas (subscriptions, usage). */
export function getCustomerByExternalId(deps: AppDeps, organizationId: string, externalId: string): Promise<CustomerDocument | null> {
  return deps.readModels.collection<CustomerDocument>('customers').findOne({ organizationId, externalId, deletedAt: null });
}

export function createCustomerService(deps: AppDeps) {
  const customers = () => deps.readModels.collection<CustomerDocument>('customers');
  const metadata = () => ({ now: deps.clock.now().toISOString() });
  /**
   * A customer and its subscriptions decide on each other (its currency; whether it has a subscription, exists):
   * every customer command and every subscription creation is a writer of the customer's key; the taxes it carries
   * are read (consistency.ts).
   */
  const run = (actor: Actor, externalId: string, taxCodes: readonly string[], prepare: () => Promise<CustomerCommand>) =>
    executeGuarded(
      deps,
      actor,
      customerStream(actor.organizationId, externalId),
      customerDecider,
      { writes: [guardKeys.customer(externalId)], reads: taxCodes.map(guardKeys.tax) },
      prepare,
    );
  /**
   * Whether the customer has subscriptions, and their currencies (their plans'). Subscriptions of an earlier
   * customer with the same external id (deleted, then re-created) do not count.
   */
  const subscriptionsOf = async (customer: CustomerDocument): Promise<{ hasSubscriptions: boolean; subscriptionCurrencies: string[] }> => {
    const subscriptions = await deps.readModels
      .collection<SubscriptionOfCustomer>('subscriptions')
      .find({ organizationId: customer.organizationId, externalCustomerId: customer.externalId, createdAt: { $gte: customer.createdAt } });
    if (subscriptions.length === 0) return { hasSubscriptions: false, subscriptionCurrencies: [] };
    const planIds = [...new Set(subscriptions.map((subscription) => subscription.planId))];
    const plans = await deps.readModels.collection<PlanCurrency>('plans').find({ organizationId: customer.organizationId, _id: { $in: planIds } });
    return { hasSubscriptions: true, subscriptionCurrencies: [...new Set(plans.map((plan) => plan.amountCurrency))].sort() };
  };
  const byId = async (customerId: string) => {
    const document = await customers().findOne({ _id: customerId });
    if (!document) throw new NotFoundError(`customer ${customerId} not found`);
    return document;
  };

  return {
    /** Lago's `POST /customers`: creates on the first call for an external id, updates on later ones. */
    async upsert(actor: Actor, input: { externalId: string } & CustomerFields): Promise<CustomerDocument> {
      const { organizationId } = actor;
      const customerId = deps.newId();
      const taxCodes = Array.isArray(input.taxCodes) ? input.taxCodes.filter((code): code is string => typeof code === 'string') : [];
      const { state } = await run(actor, input.externalId, taxCodes, async () => {
        const existing = await getCustomerByExternalId(deps, organizationId, input.externalId);
        // NOTE: the sequential id is 1 + every customer the organization ever had (deleted ones keep their number,
        // like Lago's `sequenced … with_discarded`), counted in the read model and passed in the command. Known
        // limit: two creations racing in the same instant can get the same number; a per-organization counter
        // stream would close that if per-customer invoice numbering ever needs it to be strict.
        const sequentialId = existing?.sequentialId ?? (await customers().count({ organizationId })) + 1;
        const existingTaxCodes = (await findLiveTaxes(deps, organizationId, taxCodes)).map((tax) => tax.code);
        const subscriptions = existing === null ? { hasSubscriptions: false, subscriptionCurrencies: [] } : await subscriptionsOf(existing);
        const data = { ...input, organizationId, customerId, sequentialId, existingTaxCodes, ...subscriptions };
        return { type: 'UpsertCustomer', data, metadata: metadata() };
      });
      return byId(state.status === 'none' ? customerId : state.customerId);
    },

    /** Answers the deleted customer. */
    async delete(actor: Actor, externalId: string): Promise<CustomerDocument> {
      const { state } = await run(actor, externalId, [], async () => ({ type: 'DeleteCustomer', data: { externalId }, metadata: metadata() }));
      if (state.status === 'none') throw new NotFoundError(`customer "${externalId}" not found`);
      return byId(state.customerId);
    },

    get: (organizationId: string, externalId: string) => getCustomerByExternalId(deps, organizationId, externalId),
  };
}

export type CustomerService = ReturnType<typeof createCustomerService>;

import type { Actor, AppDeps } from './context.ts';
import { eventMetadata } from './context.ts';
import { executeGuarded, guardKeys } from './consistency.ts';
import { keyedQueue } from './keyedQueue.ts';
import { createNumbering, type CustomerNumberAssigned, type Numbers } from './numbering.ts';
import type { StreamAppend } from './ports/eventStore.ts';
import { findLiveTaxes } from './taxes.ts';
import { customerDecider, type CustomerCommand, type CustomerEvent, type CustomerFields } from '../domain/customer/index.ts';
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
  const run = (actor: Actor, externalId: string, taxCodes: readonly string[], prepare: () => Promise<CustomerCommand>, also?: (events: CustomerEvent[]) => StreamAppend[]) =>
    executeGuarded(
      deps,
      actor,
      customerStream(actor.organizationId, externalId),
      customerDecider,
      { writes: [guardKeys.customer(externalId)], reads: taxCodes.map(guardKeys.tax) },
      prepare,
      also,
    );
  const numbering = createNumbering(deps);
  /** Creations of one organization, one after the other in this process: they all take a number from one counter. */
  const serialized = keyedQueue();
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
      let numbers: Numbers | null = null;
      const prepare = async (): Promise<CustomerCommand> => {
        const existing = await getCustomerByExternalId(deps, organizationId, input.externalId);
        // A new customer's sequential id is taken from the organization's counter (numbering.ts), appended with the
        // creation: two creations racing never share one. Deleted customers keep theirs (Lago's `with_discarded`);
        // an organization whose customers predate the counter continues from their count.
        numbers = existing === null ? await numbering.read(organizationId) : null;
        const sequentialId = existing?.sequentialId ?? (numbers!.customers > 0 ? numbers!.customers : await customers().count({ organizationId })) + 1;
        const existingTaxCodes = (await findLiveTaxes(deps, organizationId, taxCodes)).map((tax) => tax.code);
        const subscriptions = existing === null ? { hasSubscriptions: false, subscriptionCurrencies: [] } : await subscriptionsOf(existing);
        const data = { ...input, organizationId, customerId, sequentialId, existingTaxCodes, ...subscriptions };
        return { type: 'UpsertCustomer', data, metadata: metadata() };
      };
      const also = (events: CustomerEvent[]): StreamAppend[] => {
        const created = events.find((e) => e.type === 'CustomerCreated');
        if (created === undefined || numbers === null) return [];
        const data: CustomerNumberAssigned = { organizationId, customerId: created.data.customerId, sequentialId: created.data.sequentialId };
        return [numbering.entry(organizationId, numbers, { type: 'CustomerNumberAssigned', data, metadata: eventMetadata(deps, actor) })];
      };
      const upsert = () => run(actor, input.externalId, taxCodes, prepare, also);
      const known = await getCustomerByExternalId(deps, organizationId, input.externalId);
      const { state } = await (known === null ? serialized(organizationId, upsert) : upsert());
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

import type { Actor, AppDeps } from './context.ts';
import { execute } from './execute.ts';
import { findLiveTaxes } from './taxes.ts';
import { customerDecider, type CustomerCommand, type CustomerFields } from '../domain/customer/index.ts';
import { NotFoundError } from '../domain/shared/errors.ts';
import { streamName } from '../domain/shared/streams.ts';
import type { CustomerDocument } from '../../projections/customers.ts';

/** The part of a `subscriptions` read-model document this service reads (the subscriptions area owns it). */
type SubscriptionOfCustomer = { _id: string; externalCustomerId: string; createdAt: string };

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
  const run = (actor: Actor, externalId: string, command: CustomerCommand) =>
    execute(deps, actor, customerStream(actor.organizationId, externalId), customerDecider, command);
  // Subscriptions of an earlier customer with the same external id (deleted, then re-created) do not count.
  const hasSubscription = async (customer: CustomerDocument) =>
    (await deps.readModels
      .collection<SubscriptionOfCustomer>('subscriptions')
      .count({ organizationId: customer.organizationId, externalCustomerId: customer.externalId, createdAt: { $gte: customer.createdAt } })) > 0;
  const byId = async (customerId: string) => {
    const document = await customers().findOne({ _id: customerId });
    if (!document) throw new NotFoundError(`customer ${customerId} not found`);
    return document;
  };

  return {
    /** Lago's `POST /customers`: creates on the first call for an external id, updates on later ones. */
    async upsert(actor: Actor, input: { externalId: string } & CustomerFields): Promise<CustomerDocument> {
      const { organizationId } = actor;
      const existing = await getCustomerByExternalId(deps, organizationId, input.externalId);
      // NOTE: the sequential id is 1 + every customer the organization ever had (deleted ones keep their number,
      // like Lago's `sequenced … with_discarded`), counted in the read model and passed in the command. Known
      // limit: two creations racing in the same instant can get the same number; a per-organization counter
      // stream would close that if per-customer invoice numbering ever needs it to be strict.
      const sequentialId = existing?.sequentialId ?? (await customers().count({ organizationId })) + 1;
      const existingTaxCodes = (await findLiveTaxes(deps, organizationId, input.taxCodes ?? [])).map((tax) => tax.code);
      const hasSubscriptions = existing !== null && (await hasSubscription(existing));
      const customerId = deps.newId();
      const data = { ...input, organizationId, customerId, sequentialId, existingTaxCodes, hasSubscriptions };
      const { state } = await run(actor, input.externalId, { type: 'UpsertCustomer', data, metadata: metadata() });
      return byId(state.status === 'none' ? customerId : state.customerId);
    },

    /** Answers the deleted customer. */
    async delete(actor: Actor, externalId: string): Promise<CustomerDocument> {
      const { state } = await run(actor, externalId, { type: 'DeleteCustomer', data: { externalId }, metadata: metadata() });
      if (state.status === 'none') throw new NotFoundError(`customer "${externalId}" not found`);
      return byId(state.customerId);
    },

    get: (organizationId: string, externalId: string) => getCustomerByExternalId(deps, organizationId, externalId),
  };
}

export type CustomerService = ReturnType<typeof createCustomerService>;

import { NotFoundError, ValidationError } from '../shared/errors.ts';
import type { CustomerEvent } from './events.ts';
import { profileOf, type CustomerState } from './state.ts';
import { resolveProfile, type CustomerFields } from './validate.ts';

export type CustomerCommand =
  | {
      /** Lago's `POST /customers`: creates the customer on first call, updates it afterwards. */
      type: 'UpsertCustomer';
      data: {
        organizationId: string;
        externalId: string;
        /** Used only when this call creates the customer. */
        customerId: string;
        /** Used only when this call creates the customer: 1 + customers ever created in the organization. */
        sequentialId: number;
        /** Which of the requested `taxCodes` exist as live taxes, looked up by the application. */
        existingTaxCodes: string[];
        /** Whether the customer has any subscription: its currency is then fixed (Lago's `editable?`). */
        hasSubscriptions: boolean;
        /**
         * The currencies of its subscriptions' plans. A customer without a currency took its first plan's: it may
         * then be set only to that one.
         */
        subscriptionCurrencies?: readonly string[];
      } & CustomerFields;
      metadata: { now: string };
    }
  | { type: 'DeleteCustomer'; data: { externalId: string }; metadata: { now: string } };

export function decide(command: CustomerCommand, state: CustomerState): CustomerEvent[] {
  const now = command.metadata.now;
  switch (command.type) {
    case 'UpsertCustomer': {
      const { organizationId, externalId, customerId, sequentialId, existingTaxCodes, hasSubscriptions, subscriptionCurrencies = [], ...fields } = command.data;
      if (externalId.trim() === '') throw new ValidationError('externalId: must not be empty', 'externalId');
      if (state.status !== 'active') {
        const profile = profileOf(resolveProfile(null, fields, existingTaxCodes));
        return [{ type: 'CustomerCreated', data: { organizationId, customerId, externalId, sequentialId, ...profile, createdAt: now } }];
      }
      const profile = profileOf(resolveProfile(state.profile, fields, existingTaxCodes));
      if (hasSubscriptions && state.profile.currency !== null && profile.currency !== state.profile.currency) {
        throw new ValidationError(`currency: stays ${state.profile.currency} once the customer has a subscription`, 'currency');
      }
      if (hasSubscriptions && state.profile.currency === null && profile.currency !== null && subscriptionCurrencies.some((currency) => currency !== profile.currency)) {
        throw new ValidationError(`currency: must be ${subscriptionCurrencies.join(', ')}, the currency of the customer's subscriptions`, 'currency');
      }
      if (JSON.stringify(profile) === JSON.stringify(profileOf(state.profile))) return [];
      const identity = { organizationId: state.organizationId, customerId: state.customerId, externalId: state.externalId };
      return [{ type: 'CustomerUpdated', data: { ...identity, ...profile, updatedAt: now } }];
    }
    case 'DeleteCustomer': {
      if (state.status !== 'active') throw new NotFoundError(`customer "${command.data.externalId}" not found`);
      const { organizationId, customerId, externalId } = state;
      return [{ type: 'CustomerDeleted', data: { organizationId, customerId, externalId, deletedAt: now } }];
    }
    default: {
      const unknownCommand: never = command;
      return unknownCommand;
    }
  }
}

import type { BillingTime, OnTerminationCreditNote, OnTerminationInvoice, PlanOverrides } from './events.ts';
import type { OverrideLookups } from '../plan/index.ts';
import type { SubscriptionPlan } from './plan.ts';

/** The customer as the application found it; `timezone` is the applicable one (customer → organization → UTC). */
export type SubscriptionCustomer = {
  _id: string;
  externalId: string;
  currency: string | null;
  timezone: string;
  deletedAt?: string | null;
};

type Metadata = { now: string };

export type CreateSubscription = {
  type: 'CreateSubscription';
  data: {
    organizationId: string;
    subscriptionId: string;
    externalId: string;
    externalCustomerId: string;
    planCode: string;
    name?: string | null;
    billingTime?: BillingTime | null;
    subscriptionAt?: string | null;
    endingAt?: string | null;
    planOverrides?: PlanOverrides | null;
    /** Lookups by the application: the requested plan, the customer, and the active subscription's base plan. */
    plan: SubscriptionPlan | null;
    customer: SubscriptionCustomer | null;
    currentPlan: SubscriptionPlan | null;
    /** The organization's live tax codes and the plan's metrics, to validate overrides (see `OverrideLookups`). */
    overrideLookups?: OverrideLookups;
  };
  metadata: Metadata;
};

/** `undefined` leaves a field unchanged; `null` clears it. */
export type UpdateSubscription = {
  type: 'UpdateSubscription';
  data: {
    organizationId: string;
    externalId: string;
    name?: string | null;
    endingAt?: string | null;
    planOverrides?: PlanOverrides | null;
    /** The base plan of the subscription being updated (needed to validate overrides). */
    plan: SubscriptionPlan | null;
    overrideLookups?: OverrideLookups;
  };
  metadata: Metadata;
};

export type TerminateSubscription = {
  type: 'TerminateSubscription';
  data: { organizationId: string; externalId: string; status?: 'ACTIVE' | 'PENDING' | null; onTerminationInvoice: OnTerminationInvoice; onTerminationCreditNote?: OnTerminationCreditNote };
  metadata: Metadata;
};

/** Run by the billing clock: activations, downgrade switches and `endingAt` terminations due at `now`. */
export type ActivateDueSubscriptions = {
  type: 'ActivateDueSubscriptions';
  data: { organizationId: string; externalId: string };
  metadata: Metadata;
};

export type SubscriptionCommand = CreateSubscription | UpdateSubscription | TerminateSubscription | ActivateDueSubscriptions;

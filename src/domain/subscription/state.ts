import type { BillingTime, PlanOverrides, SubscriptionEvent, SubscriptionStatus, TerminationReason } from './events.ts';

/** One subscription of the stream: an external id holds its successive subscriptions (plan changes). */
export type SubscriptionRecord = {
  id: string;
  externalCustomerId: string;
  customerId: string;
  planId: string;
  planCode: string;
  name: string | null;
  status: SubscriptionStatus;
  billingTime: BillingTime;
  subscriptionAt: string;
  startedAt: string | null;
  endingAt: string | null;
  terminatedAt: string | null;
  terminationReason: TerminationReason | null;
  canceledAt: string | null;
  trialPeriod: number;
  trialEndsAt: string | null;
  planOverrides: PlanOverrides | null;
  previousSubscriptionId: string | null;
  nextSubscriptionId: string | null;
  downgradePlanDate: string | null;
};

/** The history of one external id, oldest first. */
export type SubscriptionState = { organizationId: string | null; externalId: string | null; subscriptions: SubscriptionRecord[] };

export const initialState = (): SubscriptionState => ({ organizationId: null, externalId: null, subscriptions: [] });

function update(state: SubscriptionState, id: string, patch: Partial<SubscriptionRecord>): SubscriptionState {
  return { ...state, subscriptions: state.subscriptions.map((s) => (s.id === id ? { ...s, ...patch } : s)) };
}

export function evolve(state: SubscriptionState, event: SubscriptionEvent): SubscriptionState {
  const { subscriptionId: id } = event.data;
  switch (event.type) {
    case 'SubscriptionCreated': {
      const d = event.data;
      const record: SubscriptionRecord = {
        id,
        externalCustomerId: d.externalCustomerId,
        customerId: d.customerId,
        planId: d.planId,
        planCode: d.planCode,
        name: d.name,
        status: d.status,
        billingTime: d.billingTime,
        subscriptionAt: d.subscriptionAt,
        startedAt: d.startedAt,
        endingAt: d.endingAt,
        terminatedAt: null,
        terminationReason: null,
        canceledAt: null,
        trialPeriod: d.trialPeriod,
        trialEndsAt: d.trialEndsAt,
        planOverrides: d.planOverrides,
        previousSubscriptionId: d.previousSubscriptionId,
        nextSubscriptionId: null,
        downgradePlanDate: d.downgradePlanDate,
      };
      return { organizationId: d.organizationId, externalId: d.externalId, subscriptions: [...state.subscriptions, record] };
    }
    case 'SubscriptionActivated':
      return update(state, id, { status: 'ACTIVE', startedAt: event.data.startedAt, trialEndsAt: event.data.trialEndsAt });
    case 'SubscriptionTerminated':
      return update(state, id, {
        status: 'TERMINATED',
        terminatedAt: event.data.terminatedAt,
        terminationReason: event.data.reason,
        nextSubscriptionId: event.data.nextSubscriptionId,
      });
    case 'SubscriptionCanceled': {
      const canceled = update(state, id, { status: 'CANCELED', canceledAt: event.data.canceledAt });
      const previous = event.data.previousSubscriptionId;
      return previous ? update(canceled, previous, { nextSubscriptionId: null, downgradePlanDate: null }) : canceled;
    }
    case 'SubscriptionDowngradeScheduled':
      return update(state, id, { nextSubscriptionId: event.data.nextSubscriptionId, downgradePlanDate: event.data.downgradePlanDate });
    case 'SubscriptionUpdated': {
      const { name, endingAt, planOverrides, trialPeriod, trialEndsAt } = event.data;
      return update(state, id, { name, endingAt, planOverrides, trialPeriod, trialEndsAt });
    }
    default: {
      const unknownEvent: never = event;
      return unknownEvent;
    }
  }
}

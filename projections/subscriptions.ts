import { SUBSCRIPTION_EVENT_TYPES, type SubscriptionEvent } from '../src/domain/subscription/index.ts';
import type { BillingTime, OnTerminationCreditNote, OnTerminationInvoice, PlanOverrides, SubscriptionStatus, TerminationReason } from '../src/domain/subscription/index.ts';
import { defineProjection } from './projection.ts';

/** One document per subscription (an external id has one per plan change). */
export type SubscriptionDocument = {
  _id: string;
  organizationId: string;
  externalId: string;
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
  onTerminationInvoice: OnTerminationInvoice;
  /** Absent on documents folded before it existed: CREDIT. */
  onTerminationCreditNote?: OnTerminationCreditNote;
  trialPeriod: number;
  trialEndsAt: string | null;
  planOverrides: PlanOverrides | null;
  previousSubscriptionId: string | null;
  previousPlanCode: string | null;
  nextSubscriptionId: string | null;
  nextPlanCode: string | null;
  downgradePlanDate: string | null;
  /** While pending: when the billing clock activates it (`downgradePlanDate` for a downgrade, else `subscriptionAt`). */
  activatesAt: string | null;
  createdAt: string;
  updatedAt: string;
};

function created(e: Extract<SubscriptionEvent, { type: 'SubscriptionCreated' }>): SubscriptionDocument {
  const d = e.data;
  return {
    _id: d.subscriptionId,
    organizationId: d.organizationId,
    externalId: d.externalId,
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
    onTerminationInvoice: 'GENERATE',
    trialPeriod: d.trialPeriod,
    trialEndsAt: d.trialEndsAt,
    planOverrides: d.planOverrides,
    previousSubscriptionId: d.previousSubscriptionId,
    previousPlanCode: d.previousPlanCode,
    nextSubscriptionId: null,
    nextPlanCode: null,
    downgradePlanDate: d.downgradePlanDate,
    activatesAt: d.status === 'PENDING' ? (d.downgradePlanDate ?? d.subscriptionAt) : null,
    createdAt: d.createdAt,
    updatedAt: d.createdAt,
  };
}

function applyTo(doc: SubscriptionDocument, e: SubscriptionEvent, id: string, at: string): SubscriptionDocument {
  switch (e.type) {
    case 'SubscriptionActivated':
      return { ...doc, status: 'ACTIVE', startedAt: e.data.startedAt, trialEndsAt: e.data.trialEndsAt, activatesAt: null, downgradePlanDate: null, updatedAt: at };
    case 'SubscriptionTerminated': {
      const { terminatedAt, reason, onTerminationInvoice, nextSubscriptionId, nextPlanCode } = e.data;
      return { ...doc, status: 'TERMINATED', terminatedAt, terminationReason: reason, onTerminationInvoice, onTerminationCreditNote: e.data.onTerminationCreditNote ?? 'CREDIT', nextSubscriptionId, nextPlanCode, downgradePlanDate: null, updatedAt: at };
    }
    case 'SubscriptionCanceled':
      // The same event clears the scheduled change on the subscription the canceled one was to replace.
      if (id !== e.data.subscriptionId) return { ...doc, nextSubscriptionId: null, nextPlanCode: null, downgradePlanDate: null, updatedAt: at };
      return { ...doc, status: 'CANCELED', canceledAt: e.data.canceledAt, activatesAt: null, updatedAt: at };
    case 'SubscriptionDowngradeScheduled': {
      const { nextSubscriptionId, nextPlanCode, downgradePlanDate } = e.data;
      return { ...doc, nextSubscriptionId, nextPlanCode, downgradePlanDate, updatedAt: at };
    }
    case 'SubscriptionUpdated': {
      const { name, endingAt, planOverrides, trialPeriod, trialEndsAt, updatedAt } = e.data;
      return { ...doc, name, endingAt, planOverrides, trialPeriod, trialEndsAt, updatedAt };
    }
    default:
      return doc;
  }
}

export const subscriptionsProjection = defineProjection<SubscriptionDocument>({
  name: 'subscriptions',
  collection: 'subscriptions',
  indexes: [
    { name: 'byExternalId', keys: { organizationId: 1, externalId: 1 } },
    { name: 'byCustomer', keys: { organizationId: 1, externalCustomerId: 1 } },
    { name: 'byStatus', keys: { organizationId: 1, status: 1 } },
    { name: 'byOrganizationCreated', keys: { organizationId: 1, createdAt: 1, _id: 1 } },
    // The billing clock's scans, across organizations.
    { name: 'dueActivations', keys: { status: 1, activatesAt: 1 } },
    { name: 'dueEndings', keys: { status: 1, endingAt: 1 } },
    // The invoicing step reads only the subscriptions changed since its last tick.
    { name: 'byUpdatedAt', keys: { updatedAt: 1 } },
  ],
  handles: SUBSCRIPTION_EVENT_TYPES,
  documentIds(event) {
    const data = event.data as { subscriptionId: string; previousSubscriptionId?: string | null };
    return event.type === 'SubscriptionCanceled' && data.previousSubscriptionId ? [data.subscriptionId, data.previousSubscriptionId] : [data.subscriptionId];
  },
  fold(doc, event, id) {
    const e = event as unknown as SubscriptionEvent;
    if (e.type === 'SubscriptionCreated') return created(e);
    return doc ? applyTo(doc, e, id, event.metadata.recordedAt) : doc;
  },
});

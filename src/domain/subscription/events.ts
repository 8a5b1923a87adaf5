import type { DomainEvent } from '../shared/decider.ts';

export type SubscriptionStatus = 'PENDING' | 'ACTIVE' | 'TERMINATED' | 'CANCELED';
export type BillingTime = 'CALENDAR' | 'ANNIVERSARY';
export type OnTerminationInvoice = 'GENERATE' | 'SKIP';
/** What the unused part of an in-advance fee becomes at a termination (Lago's `on_termination_credit_note`). */
export type OnTerminationCreditNote = 'CREDIT' | 'REFUND' | 'OFFSET' | 'SKIP';
/** Why a subscription ended: asked for, reached its `endingAt`, or replaced by a plan change. */
export type TerminationReason = 'REQUESTED' | 'ENDING_AT' | 'UPGRADED' | 'DOWNGRADED';
/** Why a pending subscription was canceled before it started. */
export type CancelationReason = 'REQUESTED' | 'REPLACED' | 'PREVIOUS_TERMINATED';
/** Plan overrides as given (JSON); validated against the plan when given, replayed as is. */
export type PlanOverrides = Record<string, unknown>;

/** Every event names its organization, stream key (`externalId`) and subscription, so projections need no lookup. */
type Keys = { organizationId: string; externalId: string; subscriptionId: string };

export type SubscriptionCreated = DomainEvent<
  'SubscriptionCreated',
  Keys & {
    externalCustomerId: string;
    /** The customer document's id: an external id can be reused after a customer is deleted. */
    customerId: string;
    planId: string;
    planCode: string;
    name: string | null;
    billingTime: BillingTime;
    subscriptionAt: string;
    endingAt: string | null;
    status: 'PENDING' | 'ACTIVE';
    startedAt: string | null;
    /** Effective trial length in days (after overrides); `trialEndsAt` is computed from the initial start. */
    trialPeriod: number;
    trialEndsAt: string | null;
    planOverrides: PlanOverrides | null;
    previousSubscriptionId: string | null;
    previousPlanCode: string | null;
    /** For a downgrade: the next period start, when the pending subscription replaces the current one. */
    downgradePlanDate: string | null;
    createdAt: string;
  }
>;

export type SubscriptionActivated = DomainEvent<'SubscriptionActivated', Keys & { startedAt: string; trialEndsAt: string | null }>;

export type SubscriptionTerminated = DomainEvent<
  'SubscriptionTerminated',
  Keys & {
    terminatedAt: string;
    reason: TerminationReason;
    onTerminationInvoice: OnTerminationInvoice;
    /** Absent in events recorded before it existed: CREDIT. */
    onTerminationCreditNote?: OnTerminationCreditNote;
    nextSubscriptionId: string | null;
    nextPlanCode: string | null;
  }
>;

export type SubscriptionCanceled = DomainEvent<
  'SubscriptionCanceled',
  Keys & { canceledAt: string; reason: CancelationReason; previousSubscriptionId: string | null }
>;

/** The current subscription will be replaced by a cheaper plan at `downgradePlanDate`. */
export type SubscriptionDowngradeScheduled = DomainEvent<
  'SubscriptionDowngradeScheduled',
  Keys & { nextSubscriptionId: string; nextPlanCode: string; downgradePlanDate: string }
>;

/** The full new values of the updatable fields. */
export type SubscriptionUpdated = DomainEvent<
  'SubscriptionUpdated',
  Keys & {
    name: string | null;
    endingAt: string | null;
    planOverrides: PlanOverrides | null;
    trialPeriod: number;
    trialEndsAt: string | null;
    updatedAt: string;
  }
>;

export type SubscriptionEvent =
  | SubscriptionCreated
  | SubscriptionActivated
  | SubscriptionTerminated
  | SubscriptionCanceled
  | SubscriptionDowngradeScheduled
  | SubscriptionUpdated;

/** Event types this aggregate emits, for projections' `handles`. */
export const SUBSCRIPTION_EVENT_TYPES = [
  'SubscriptionCreated',
  'SubscriptionActivated',
  'SubscriptionTerminated',
  'SubscriptionCanceled',
  'SubscriptionDowngradeScheduled',
  'SubscriptionUpdated',
] as const satisfies readonly SubscriptionEvent['type'][];

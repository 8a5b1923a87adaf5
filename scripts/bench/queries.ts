/** The GraphQL documents the bench clients send. */
export const CREATE_EVENTS =
  'mutation($events: [UsageEventInput!]!) { createEvents(input: {events: $events}) { acceptedCount duplicateCount rejectedCount } }';
export type CreatedEvents = { createEvents: { acceptedCount: number; duplicateCount: number; rejectedCount: number } };

export const CUSTOMER_USAGE =
  'query($customer: String!, $subscription: String!) { customerUsage(externalCustomerId: $customer, externalSubscriptionId: $subscription) { amountCents chargesUsage { billableMetric { code } units eventsCount amountCents } } }';

export const USAGE_UPDATED =
  'subscription($customer: String!, $subscription: String!) { customerUsageUpdated(externalCustomerId: $customer, externalSubscriptionId: $subscription) { chargesUsage { billableMetric { code } eventsCount } } }';
export type UsageUpdated = { customerUsageUpdated: { chargesUsage: { billableMetric: { code: string }; eventsCount: number }[] } };

export const WALLET_UPDATED =
  'subscription($wallet: ID!) { walletUpdated(walletId: $wallet) { balanceCents ongoingBalanceCents ongoingUsageBalanceCents } }';
export type WalletUpdated = { walletUpdated: { balanceCents: string; ongoingBalanceCents: string; ongoingUsageBalanceCents: string } };

export const USAGE_THRESHOLD_REACHED =
  'subscription { usageThresholdReached { id externalSubscriptionId invoiceType status feesAmountCents appliedUsageThresholds { amountCents } } }';
export type UsageThresholdReached = {
  usageThresholdReached: { id: string; externalSubscriptionId: string | null; invoiceType: string; status: string; feesAmountCents: string; appliedUsageThresholds: { amountCents: string }[] };
};

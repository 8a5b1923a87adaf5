/** The GraphQL documents the bench clients send. */
export const CREATE_EVENTS =
  'mutation($events: [UsageEventInput!]!) { createEvents(input: {events: $events}) { acceptedCount duplicateCount rejectedCount } }';
export type CreatedEvents = { createEvents: { acceptedCount: number; duplicateCount: number; rejectedCount: number } };

export const CUSTOMER_USAGE =
  'query($customer: String!, $subscription: String!) { customerUsage(externalCustomerId: $customer, externalSubscriptionId: $subscription) { amountCents chargesUsage { billableMetric { code } units eventsCount amountCents } } }';

export const USAGE_UPDATED =
  'subscription($customer: String!, $subscription: String!) { customerUsageUpdated(externalCustomerId: $customer, externalSubscriptionId: $subscription) { chargesUsage { billableMetric { code } eventsCount } } }';
export type UsageUpdated = { customerUsageUpdated: { chargesUsage: { billableMetric: { code: string }; eventsCount: number }[] } };

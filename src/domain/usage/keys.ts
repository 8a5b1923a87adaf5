import { streamName } from '../shared/streams.ts';

/** The stream every usage event of one external subscription is appended to. */
export function usageStream(organizationId: string, externalSubscriptionId: string): string {
  return streamName('usage', organizationId, externalSubscriptionId);
}

/** `transactionId` is unique per (organization, external subscription), forever; JSON keeps the parts apart. */
export function usageDedupKey(organizationId: string, externalSubscriptionId: string, transactionId: string): string {
  return JSON.stringify([organizationId, externalSubscriptionId, transactionId]);
}

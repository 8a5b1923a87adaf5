import { usageDedupKey } from '../src/domain/usage/keys.ts';
import type { IngestedUsageEvent } from '../src/billing/usage/types.ts';
import { defineProjection } from './projection.ts';

/** One document per accepted usage event: what the event debugger (`events`, `event`) lists. */
export type UsageEventDocument = IngestedUsageEvent & { _id: string; position: string };

export const usageEventsProjection = defineProjection<UsageEventDocument>({
  name: 'usageEvents',
  collection: 'usageEvents',
  indexes: [
    { name: 'byOrganizationIngestedAt', keys: { organizationId: 1, ingestedAt: 1 } },
    { name: 'byTransaction', keys: { organizationId: 1, transactionId: 1 } },
    // The usage projection recomputes an external subscription id from its events.
    { name: 'bySubscription', keys: { organizationId: 1, externalSubscriptionId: 1 } },
  ],
  handles: ['UsageEventIngested'],
  documentIds: (event) => {
    const data = event.data as IngestedUsageEvent;
    return [usageDedupKey(data.organizationId, data.externalSubscriptionId, data.transactionId)];
  },
  // A key is appended once (the store deduplicates), so the first fold wins and a replay changes nothing.
  fold: (doc, event, id) => doc ?? { ...(event.data as IngestedUsageEvent), _id: id, position: event.position.toString() },
});

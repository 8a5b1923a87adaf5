import type { IngestedUsageEvent } from '../src/billing/usage/types.ts';
import { defineProjection } from './projection.ts';

/** One document per accepted usage event: what the event debugger (`events`, `event`) lists. */
export type UsageEventDocument = IngestedUsageEvent & { _id: string; position: string };

/**
 * A debugger document's id: its log position, zero-padded so ids sort in log order. Ids (and so the primary-key
 * index) then grow at the end whatever the client's transaction ids look like; keyed by the dedup key, random UUID
 * transaction ids scattered every insert across the index (about one page written per event).
 */
const usageEventId = (position: bigint): string => position.toString().padStart(20, '0');

export const usageEventsProjection = defineProjection<UsageEventDocument>({
  name: 'usageEvents',
  collection: 'usageEvents',
  indexes: [
    { name: 'byOrganizationIngestedAt', keys: { organizationId: 1, ingestedAt: 1 } },
    { name: 'byTransaction', keys: { organizationId: 1, transactionId: 1 } },
    // The usage projection recomputes an external subscription id from its events, a page at a time in log order.
    { name: 'bySubscriptionLog', keys: { organizationId: 1, externalSubscriptionId: 1, _id: 1 } },
  ],
  handles: ['UsageEventIngested'],
  documentIds: (event) => [usageEventId(event.position)],
  // The store appends a dedup key once, so each event has its own position; a replay finds its document and keeps it.
  fold: (doc, event, id) => doc ?? { ...(event.data as IngestedUsageEvent), _id: id, position: event.position.toString() },
});

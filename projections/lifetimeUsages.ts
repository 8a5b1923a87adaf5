import { LIFETIME_USAGE_EVENT_TYPES, type LifetimeUsageEvent } from '../src/domain/lifetimeUsage/index.ts';
import { defineProjection } from './projection.ts';

/** A subscription's settable historical usage (the rest of its lifetime usage is computed when read). */
export type LifetimeUsageDocument = { _id: string; organizationId: string; externalSubscriptionId: string; historicalUsageAmountCents: string; updatedAt: string };

export const LIFETIME_USAGES = 'lifetimeUsages';
export const lifetimeUsageId = (organizationId: string, externalSubscriptionId: string) => JSON.stringify([organizationId, externalSubscriptionId]);

export const lifetimeUsagesProjection = defineProjection<LifetimeUsageDocument>({
  name: 'lifetimeUsages',
  collection: LIFETIME_USAGES,
  indexes: [{ name: 'byOrganizationSubscription', keys: { organizationId: 1, externalSubscriptionId: 1 } }],
  handles: LIFETIME_USAGE_EVENT_TYPES,
  catalog: false,
  documentIds: (event) => {
    const data = event.data as { organizationId: string; externalSubscriptionId: string };
    return [lifetimeUsageId(data.organizationId, data.externalSubscriptionId)];
  },
  fold(_doc, recorded, id) {
    const event = recorded as unknown as LifetimeUsageEvent;
    const { organizationId, externalSubscriptionId, historicalUsageAmountCents, setAt } = event.data;
    return { _id: id, organizationId, externalSubscriptionId, historicalUsageAmountCents, updatedAt: setAt };
  },
});

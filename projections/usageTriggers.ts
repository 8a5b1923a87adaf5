import type { RecordedEvent } from '../src/application/ports/eventStore.ts';
import type { ReadModelStore } from '../src/application/ports/readModelStore.ts';
import type { SubscriptionPlan } from '../src/domain/subscription/plan.ts';
import { SUBSCRIPTION_EVENT_TYPES } from '../src/domain/subscription/index.ts';
import type { SubscriptionDocument } from './subscriptions.ts';
import { usageKeyOf, type UsageKey } from './usageCatalog.ts';

const SUBSCRIPTION_EVENTS = new Set<string>(SUBSCRIPTION_EVENT_TYPES);

/**
 * The external subscription ids whose usage a catalog event may change, read from the catalog as committed
 * (the runner commits the batch's catalog changes first). Over-approximating is safe: an id whose fingerprint did
 * not change is left alone.
 */
export async function keysTouchedBy(events: readonly RecordedEvent[], readModels: ReadModelStore): Promise<Map<string, UsageKey>> {
  const keys = new Map<string, UsageKey>();
  const add = (organizationId: string, externalSubscriptionId: string) => keys.set(usageKeyOf({ organizationId, externalSubscriptionId }), { organizationId, externalSubscriptionId });
  const subscriptions = readModels.collection<SubscriptionDocument>('subscriptions');
  const addSubscriptions = async (filter: Record<string, unknown>) => {
    for (const sub of await subscriptions.find(filter)) add(sub.organizationId, sub.externalId);
  };
  for (const event of events) {
    const data = event.data as Record<string, unknown> & { organizationId: string };
    const organizationId = data.organizationId;
    if (SUBSCRIPTION_EVENTS.has(event.type)) add(organizationId, String(data.externalId));
    else if (event.type === 'CustomerUpdated' || event.type === 'CustomerDeleted') await addSubscriptions({ organizationId, externalCustomerId: data.externalId });
    else if (event.type === 'OrganizationUpdated') await addSubscriptions({ organizationId });
    else if (event.type === 'PlanUpdated' || event.type === 'PlanDeleted') await addSubscriptions({ organizationId, planId: data.planId });
    else if (event.type.startsWith('BillableMetric')) {
      const plans = await readModels.collection<SubscriptionPlan & { organizationId: string }>('plans').find({ organizationId });
      const planIds = plans.filter((p) => p.charges.some((c) => c.billableMetricCode === data.code)).map((p) => p._id);
      if (planIds.length > 0) await addSubscriptions({ organizationId, planId: { $in: planIds } });
    }
  }
  return keys;
}

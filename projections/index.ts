import type { Projection } from './projection.ts';
import { apiKeysProjection } from './apiKeys.ts';
import { organizationsProjection } from './organizations.ts';
import { catalogProjections } from './catalog.ts';
import { plansProjection } from './plans.ts';
import { subscriptionsProjection } from './subscriptions.ts';
import { usageEventsProjection } from './usageEvents.ts';

/** Every read model the engine maintains. */
export const allProjections: Projection[] = [organizationsProjection, apiKeysProjection, ...catalogProjections, plansProjection, subscriptionsProjection, usageEventsProjection];

export function findProjection(name: string): Projection | undefined {
  return allProjections.find((projection) => projection.name === name);
}

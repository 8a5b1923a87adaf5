import type { AnyProjection } from './projection.ts';
import { apiKeysProjection } from './apiKeys.ts';
import { organizationsProjection } from './organizations.ts';
import { catalogProjections } from './catalog.ts';
import { plansProjection } from './plans.ts';
import { subscriptionsProjection } from './subscriptions.ts';
import { usageEventsProjection } from './usageEvents.ts';
import { usageProjection } from './usage.ts';

/** Every read model the engine maintains. */
export const allProjections: AnyProjection[] = [
  organizationsProjection,
  apiKeysProjection,
  ...catalogProjections,
  plansProjection,
  subscriptionsProjection,
  usageEventsProjection,
  usageProjection,
];

export function findProjection(name: string): AnyProjection | undefined {
  return allProjections.find((projection) => projection.name === name);
}

import type { Projection } from './projection.ts';
import { apiKeysProjection } from './apiKeys.ts';
import { organizationsProjection } from './organizations.ts';

/** Every read model the engine maintains. */
export const allProjections: Projection[] = [organizationsProjection, apiKeysProjection];

export function findProjection(name: string): Projection | undefined {
  return allProjections.find((projection) => projection.name === name);
}

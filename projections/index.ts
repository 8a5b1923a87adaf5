import type { ReadModelStore } from '../src/application/ports/readModelStore.ts';
import { collectionsOf, type AnyProjection } from './projection.ts';
import { apiKeysProjection } from './apiKeys.ts';
import { organizationsProjection } from './organizations.ts';
import { catalogProjections } from './catalog.ts';
import { plansProjection } from './plans.ts';
import { subscriptionsProjection } from './subscriptions.ts';
import { usageProjection } from './usage.ts';
import { invoicesProjection } from './invoices.ts';
import { inAdvanceFeesProjection } from './inAdvanceFees.ts';
import { appliedCouponsProjection, couponsProjection } from './coupons.ts';
import { creditNotesProjection } from './creditNotes.ts';
import { addOnsProjection } from './addOns.ts';
import { walletsProjection, walletTransactionsProjection } from './wallets.ts';
import { alertsProjection, triggeredAlertsProjection } from './alerts.ts';
import { lifetimeUsagesProjection } from './lifetimeUsages.ts';
import { webhookEndpointsProjection, webhooksProjection } from './webhooks.ts';
import { BUCKETS, METERS, VALUES } from './usageStore.ts';

/** Every read model the engine maintains. */
export const allProjections: AnyProjection[] = [
  organizationsProjection,
  apiKeysProjection,
  ...catalogProjections,
  plansProjection,
  subscriptionsProjection,
  usageProjection,
  invoicesProjection,
  inAdvanceFeesProjection,
  couponsProjection,
  appliedCouponsProjection,
  addOnsProjection,
  creditNotesProjection,
  walletsProjection,
  walletTransactionsProjection,
  alertsProjection, triggeredAlertsProjection,
  lifetimeUsagesProjection,
  webhookEndpointsProjection, webhooksProjection,
];

export function findProjection(name: string): AnyProjection | undefined {
  return allProjections.find((projection) => projection.name === name);
}

/** The collections of a projection (what a rebuild drops). */
export function collectionNames(projection: AnyProjection): string[] {
  return collectionsOf(projection).map((c) => c.name);
}

/**
 * Read models an earlier version kept that this one drops or keeps differently, each reset once (its checkpoints
 * and collections), so it is rebuilt from the log. `usage-v2`: usage moved from one document per period (`usage`)
 * to meters, buckets and values; the event debugger's copy of every event (`usageEvents`) is gone. `invoices-v2`:
 * invoices gained `periodInvoicedTo` (and its indexes, in place of `chargesTo`'s).
 */
const MIGRATIONS = [
  { id: 'usage-v2', checkpoints: ['usage', 'usageEvents'], collections: ['usage', 'usageEvents', METERS, BUCKETS, VALUES] },
  { id: 'invoices-v2', checkpoints: ['invoices'], collections: ['invoices'] },
];
const APPLIED = 'readModelMigrations';

export async function migrateReadModels(readModels: ReadModelStore): Promise<void> {
  const applied = new Set((await readModels.collection(APPLIED).find({})).map((doc) => doc._id));
  for (const migration of MIGRATIONS) {
    if (applied.has(migration.id)) continue;
    const [first, ...others] = migration.checkpoints;
    await readModels.reset(first!, migration.collections);
    for (const checkpoint of others) await readModels.reset(checkpoint, []);
    await readModels.commit([{ collection: APPLIED, id: migration.id, doc: { _id: migration.id, at: new Date().toISOString() }, position: 0n }], []);
  }
}

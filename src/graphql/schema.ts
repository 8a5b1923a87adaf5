import { lexicographicSortSchema, printSchema } from 'graphql';
import { builder } from './builder.ts';
import './organizations.ts';
import './catalog.ts';
import './plans.ts';
import './subscriptions.ts';
import './usage.ts';
import './usageUpdates.ts';
import './invoices.ts';
import './coupons.ts';
import './creditNotes.ts';
import './addOns.ts';
import './wallets.ts';
import './alerts.ts';
import './webhooks.ts';
import './lifetimeUsage.ts';
import './events.ts';
import './system.ts';
import { requireWellFormedInput } from './wellFormed.ts';

/** The executable schema, assembled from one file per area; every root field refuses ill-formed strings (wellFormed.ts). */
export const schema = requireWellFormedInput(builder.toSchema());

/** The committed `schema.graphql`: sorted so diffs show real changes only. */
export function printSortedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}

import type { RecordedEvent } from '../src/application/ports/eventStore.ts';
import { defineProjection } from './projection.ts';

/** A catalog document that is created, updated and soft-deleted (kept for history, hidden by `deletedAt`). */
export type CatalogItemDocument<Definition> = {
  _id: string;
  organizationId: string;
  code: string;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
} & Definition;

/**
 * One projection for the create / update / soft-delete lifecycle shared by billable metrics, taxes and add-ons.
 * Events carry the document id in `idField`; created/updated events carry the fields, deleted ones `deletedAt`.
 * `catalog: false` for a read model current usage reads nothing from (projection.ts).
 */
export function catalogItemProjection<Definition>(options: {
  name: string;
  idField: string;
  events: { created: string; updated: string; deleted: string };
  catalog?: boolean;
}) {
  const { idField, events } = options;
  return defineProjection<CatalogItemDocument<Definition>>({
    name: options.name,
    collection: options.name,
    // Lists page by (createdAt, _id) within an organization: this index returns them in that order.
    indexes: [{ name: 'byOrganizationCode', keys: { organizationId: 1, code: 1 } }, { name: 'byOrganizationCreated', keys: { organizationId: 1, createdAt: 1, _id: 1 } }],
    handles: [events.created, events.updated, events.deleted],
    ...(options.catalog === false ? { catalog: false } : {}),
    documentIds: (event: RecordedEvent) => [String((event.data as Record<string, unknown>)[idField])],
    fold(doc, event, id) {
      const { [idField]: _id, ...fields } = event.data as Record<string, unknown>;
      switch (event.type) {
        case events.created: {
          const createdAt = String(fields.createdAt);
          return { ...fields, _id: id, createdAt, updatedAt: createdAt, deletedAt: null } as CatalogItemDocument<Definition>;
        }
        case events.updated:
          return doc ? { ...doc, ...fields } : doc;
        case events.deleted: {
          const deletedAt = String(fields.deletedAt);
          return doc ? { ...doc, deletedAt, updatedAt: deletedAt } : doc;
        }
        default:
          return doc;
      }
    },
  });
}

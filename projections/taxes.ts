import type { TaxDefinition } from '../src/domain/tax/index.ts';
import { catalogItemProjection, type CatalogItemDocument } from './catalogItem.ts';

export type TaxDocument = CatalogItemDocument<TaxDefinition>;

export const taxesProjection = catalogItemProjection<TaxDefinition>({
  name: 'taxes',
  idField: 'taxId',
  events: { created: 'TaxCreated', updated: 'TaxUpdated', deleted: 'TaxDeleted' },
});

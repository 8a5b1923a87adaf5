import type { AddOnDefinition } from '../src/domain/addOn/index.ts';
import { catalogItemProjection, type CatalogItemDocument } from './catalogItem.ts';

export type AddOnDocument = CatalogItemDocument<AddOnDefinition>;

export const ADD_ONS = 'addOns';

export const addOnsProjection = catalogItemProjection<AddOnDefinition>({
  name: ADD_ONS,
  idField: 'addOnId',
  events: { created: 'AddOnCreated', updated: 'AddOnUpdated', deleted: 'AddOnDeleted' },
  // Current usage reads no add-on.
  catalog: false,
});

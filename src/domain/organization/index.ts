import type { Decider } from '../shared/decider.ts';
import { decide, type OrganizationCommand } from './decide.ts';
import type { OrganizationEvent } from './events.ts';
import { evolve, initialState, type OrganizationState } from './state.ts';

export type { OrganizationCommand } from './decide.ts';
export type * from './events.ts';
export type { OrganizationState } from './state.ts';
export { assertCurrency, assertTimezone } from './decide.ts';
export type { OrganizationSettingsFields } from './settings.ts';
export { defaultDocumentNumberPrefix, DOCUMENT_NUMBER_PREFIX_MAX, initialSettings } from './settings.ts';

export const organizationDecider: Decider<OrganizationCommand, OrganizationEvent, OrganizationState> = {
  initialState,
  evolve,
  decide,
};

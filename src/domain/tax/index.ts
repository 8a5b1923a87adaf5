import type { Decider } from '../shared/decider.ts';
import { decide, type TaxCommand } from './decide.ts';
import type { TaxEvent } from './events.ts';
import { evolve, initialState, type TaxState } from './state.ts';

export type { TaxCommand, TaxFields } from './decide.ts';
export type * from './events.ts';
export type { TaxState } from './state.ts';

/** A tax rate the organization applies (Lago's `tax`). Streams are keyed by code. */
export const taxDecider: Decider<TaxCommand, TaxEvent, TaxState> = { initialState, evolve, decide };

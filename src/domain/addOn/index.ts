import type { Decider } from '../shared/decider.ts';
import { decide, type AddOnCommand } from './decide.ts';
import type { AddOnEvent } from './events.ts';
import { evolve, initialState, type AddOnState } from './state.ts';

export type { AddOnCommand, AddOnFields } from './decide.ts';
export type * from './events.ts';
export type { AddOnState } from './state.ts';

/** A one-off item of the catalog (Lago's `add_on`, what its one-off invoices bill). Streams are keyed by code. */
export const addOnDecider: Decider<AddOnCommand, AddOnEvent, AddOnState> = { initialState, evolve, decide };

import type { Decider } from '../shared/decider.ts';
import { decide, type CustomerCommand } from './decide.ts';
import type { CustomerEvent } from './events.ts';
import { evolve, initialState, type CustomerState } from './state.ts';

export type { CustomerCommand } from './decide.ts';
export type * from './events.ts';
export type { CustomerState } from './state.ts';
export type { CustomerFields } from './validate.ts';
export { METADATA_LIMITS } from './validate.ts';

/** A customer (Lago's `customer`), upserted by external id; streams are keyed by it. */
export const customerDecider: Decider<CustomerCommand, CustomerEvent, CustomerState> = { initialState, evolve, decide };

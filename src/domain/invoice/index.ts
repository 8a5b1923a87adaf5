import type { Decider } from '../shared/decider.ts';
import { decide, evolve, initialState, type InvoiceCommand, type InvoiceState } from './decide.ts';
import type { InvoiceEvent } from './events.ts';

export type { InvoiceCommand, InvoiceNumbers, InvoiceState } from './decide.ts';
export type * from './events.ts';
export { INVOICE_EVENT_TYPES } from './events.ts';

/** An invoice (Lago's `invoice`): one stream per (subscription, billing run), created with "stream must not exist". */
export const invoiceDecider: Decider<InvoiceCommand, InvoiceEvent, InvoiceState> = { initialState, evolve, decide };

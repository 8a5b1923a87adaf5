import type { Decider } from '../shared/decider.ts';
import { IllegalStateError, NotFoundError } from '../shared/errors.ts';
import type { CreditNoteCreated, CreditNoteEvent } from './events.ts';
import { evolve, initialState, type CreditNoteState } from './state.ts';

export * from './events.ts';
export type { CreditNoteState } from './state.ts';

export type CreditNoteCommand =
  /** The amounts are computed by the application from the invoice (src/billing/creditNotes.ts); decide records them. */
  | { type: 'CreateCreditNote'; data: CreditNoteCreated['data']; metadata: { now: string } }
  | { type: 'VoidCreditNote'; data: { creditNoteId: string }; metadata: { now: string } };

/**
 * A credit note (Lago's `credit_note`). Created once per stream; voidable while its credit has a balance (Lago's
 * `voidable?`): voiding drops what remains of the credit.
 */
export function decide(command: CreditNoteCommand, state: CreditNoteState): CreditNoteEvent[] {
  switch (command.type) {
    case 'CreateCreditNote':
      return state.status === 'none' ? [{ type: 'CreditNoteCreated', data: command.data }] : [];
    case 'VoidCreditNote': {
      if (state.status === 'none') throw new NotFoundError(`credit note ${command.data.creditNoteId} not found`);
      if (state.creditStatus === 'VOIDED') return [];
      if (state.balanceAmountCents === '0') throw new IllegalStateError(`credit note ${state.note.number} has no credit left to void`);
      return [{ type: 'CreditNoteVoided', data: { organizationId: state.note.organizationId, creditNoteId: state.note.creditNoteId, voidedAt: command.metadata.now } }];
    }
    default: {
      const unknownCommand: never = command;
      return unknownCommand;
    }
  }
}

export const creditNoteDecider: Decider<CreditNoteCommand, CreditNoteEvent, CreditNoteState> = { initialState, evolve, decide };

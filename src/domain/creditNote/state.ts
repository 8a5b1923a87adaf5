import type { CreditNoteCreated, CreditNoteEvent, CreditStatus } from './events.ts';

export type CreditNoteState =
  | { status: 'none' }
  | { status: 'created'; note: CreditNoteCreated['data']; creditStatus: CreditStatus; balanceAmountCents: string; consumedBy: string[] };

export const initialState = (): CreditNoteState => ({ status: 'none' });

export function evolve(state: CreditNoteState, event: CreditNoteEvent): CreditNoteState {
  switch (event.type) {
    case 'CreditNoteCreated':
      return { status: 'created', note: event.data, creditStatus: event.data.creditAmountCents === '0' ? 'CONSUMED' : 'AVAILABLE', balanceAmountCents: event.data.creditAmountCents, consumedBy: [] };
    case 'CreditNoteConsumed':
      return state.status === 'none'
        ? state
        : { ...state, balanceAmountCents: event.data.balanceAmountCents, creditStatus: event.data.balanceAmountCents === '0' ? 'CONSUMED' : state.creditStatus, consumedBy: [...state.consumedBy, event.data.invoiceId] };
    case 'CreditNoteVoided':
      return state.status === 'none' ? state : { ...state, creditStatus: 'VOIDED', balanceAmountCents: '0' };
    default: {
      const unknownEvent: never = event;
      return unknownEvent;
    }
  }
}

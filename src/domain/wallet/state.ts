import type { WalletBalances, WalletCreated, WalletEvent, WalletTerms, WalletTransactionCreated } from './events.ts';

export type PendingTransaction = Pick<WalletTransactionCreated['data'], 'walletTransactionId' | 'credits' | 'amountCents' | 'transactionStatus' | 'source' | 'ruleId' | 'invoiceId'>;

export type WalletState =
  | { status: 'none' }
  | {
      status: 'ACTIVE' | 'TERMINATED';
      wallet: Omit<WalletCreated['data'], keyof WalletTerms> & WalletTerms;
      balances: WalletBalances;
      /** Inbound transactions waiting for their invoice's payment. */
      pending: PendingTransaction[];
      /** Every transaction id so far: a repeat (a retried top-up, a rule's occurrence) is recognized. */
      transactionIds: Set<string>;
      /** Per recurring rule, the occurrences that fired (interval instants, threshold crossings). */
      occurrences: Set<string>;
    };

export const initialState = (): WalletState => ({ status: 'none' });

const ZERO: WalletBalances = { balanceCents: '0', creditsBalance: '0', consumedCredits: '0', consumedAmountCents: '0' };

export function evolve(state: WalletState, event: WalletEvent): WalletState {
  switch (event.type) {
    case 'WalletCreated':
      return { status: 'ACTIVE', wallet: event.data, balances: ZERO, pending: [], transactionIds: new Set(), occurrences: new Set() };
    case 'WalletUpdated': {
      if (state.status === 'none') return state;
      const { organizationId: _o, walletId: _w, updatedAt: _u, ...terms } = event.data;
      return { ...state, wallet: { ...state.wallet, ...terms } };
    }
    case 'WalletTerminated':
      return state.status === 'none' ? state : { ...state, status: 'TERMINATED' };
    case 'WalletTransactionCreated': {
      if (state.status === 'none') return state;
      const data = event.data;
      const transactionIds = new Set(state.transactionIds).add(data.walletTransactionId);
      const occurrences = data.ruleId !== null && data.occurrence !== null ? new Set(state.occurrences).add(`${data.ruleId}@${data.occurrence}`) : state.occurrences;
      const pending = data.status === 'PENDING' ? [...state.pending, data] : state.pending;
      return { ...state, balances: data.balances ?? state.balances, pending, transactionIds, occurrences };
    }
    case 'WalletTransactionSettled':
    case 'WalletTransactionFailed': {
      if (state.status === 'none') return state;
      const pending = state.pending.filter((t) => t.walletTransactionId !== event.data.walletTransactionId);
      return { ...state, pending, balances: event.type === 'WalletTransactionSettled' ? event.data.balances : state.balances };
    }
    default: {
      const unknownEvent: never = event;
      return unknownEvent;
    }
  }
}

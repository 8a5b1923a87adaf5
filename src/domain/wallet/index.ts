import BigNumber from 'bignumber.js';
import type { Decider } from '../shared/decider.ts';
import { createWallet, increased, requireActive, requireWallet, ruleEvents, topUpEvents, validateTerms, type CreateWalletData, type RuleFiring, type TopUp } from './decide.ts';
import type { WalletEvent, WalletTerms } from './events.ts';
import { evolve, initialState, type WalletState } from './state.ts';

export * from './events.ts';
export type { WalletState, PendingTransaction } from './state.ts';
export { invoiceDebit, creditsOf, ongoingCredits, type TopUp, type CreateWalletData, type RuleFiring } from './decide.ts';

type Now = { now: string };

export type WalletCommand =
  | { type: 'CreateWallet'; data: CreateWalletData; catalog: { billableMetricCodes: string[] }; metadata: Now }
  | { type: 'UpdateWallet'; data: { walletId: string } & WalletTerms; catalog: { billableMetricCodes: string[] }; metadata: Now }
  | { type: 'TerminateWallet'; data: { walletId: string; reason: 'MANUAL' | 'EXPIRED' }; metadata: Now }
  | { type: 'TopUpWallet'; data: TopUp; metadata: Now }
  /** A recurring rule's check: its threshold or interval occurrence, decided on the wallet's state. */
  | { type: 'FireRecurringRule'; data: RuleFiring; metadata: Now }
  /** Its credit invoice was paid: the pending credits settle. */
  | { type: 'SettleWalletTransaction'; data: { walletId: string; walletTransactionId: string }; metadata: Now }
  /** Its credit invoice's payment failed (or the invoice was voided): the credits never come. */
  | { type: 'FailWalletTransaction'; data: { walletId: string; walletTransactionId: string }; metadata: Now };

/**
 * A prepaid wallet (Lago's `wallet`, §5.4) and its transactions: the settled balance moves only through
 * transactions, each appended to the wallet's stream, so every decision on the balance (a top-up, a void, an
 * invoice using credits) is conditioned on the revision it read. Repeats of a transaction id or of a recurring
 * rule's occurrence decide nothing.
 */
export function decide(command: WalletCommand, state: WalletState): WalletEvent[] {
  const now = command.metadata.now;
  switch (command.type) {
    case 'CreateWallet':
      return state.status === 'none' ? createWallet(command.data, command.catalog.billableMetricCodes, now) : [];
    case 'UpdateWallet': {
      const active = requireActive(state, command.data.walletId);
      const { walletId, ...terms } = command.data;
      const valid = validateTerms(terms, command.catalog.billableMetricCodes, now);
      return [{ type: 'WalletUpdated', data: { organizationId: active.wallet.organizationId, walletId, ...valid, updatedAt: now } }];
    }
    case 'TerminateWallet': {
      const wallet = requireWallet(state, command.data.walletId);
      if (wallet.status === 'TERMINATED') return [];
      return [{ type: 'WalletTerminated', data: { organizationId: wallet.wallet.organizationId, walletId: command.data.walletId, reason: command.data.reason, terminatedAt: now } }];
    }
    case 'TopUpWallet': {
      const active = requireActive(state, command.data.walletId);
      const { ruleId, occurrence, ids } = command.data;
      if (ruleId && occurrence && active.occurrences.has(`${ruleId}@${occurrence}`)) return [];
      if ([ids.paid, ids.granted, ids.voided].some((id) => active.transactionIds.has(id))) return [];
      return topUpEvents(active, command.data, now);
    }
    case 'FireRecurringRule':
      return ruleEvents(state, command.data, now);
    case 'SettleWalletTransaction': {
      const wallet = requireWallet(state, command.data.walletId);
      const pending = wallet.pending.find((t) => t.walletTransactionId === command.data.walletTransactionId);
      if (pending === undefined) return [];
      const balances = increased(wallet.balances, new BigNumber(pending.credits), new BigNumber(pending.amountCents));
      return [{ type: 'WalletTransactionSettled', data: { organizationId: wallet.wallet.organizationId, walletId: command.data.walletId, walletTransactionId: pending.walletTransactionId, settledAt: now, balances } }];
    }
    case 'FailWalletTransaction': {
      const wallet = requireWallet(state, command.data.walletId);
      if (!wallet.pending.some((t) => t.walletTransactionId === command.data.walletTransactionId)) return [];
      return [{ type: 'WalletTransactionFailed', data: { organizationId: wallet.wallet.organizationId, walletId: command.data.walletId, walletTransactionId: command.data.walletTransactionId, failedAt: now } }];
    }
    default: {
      const unknownCommand: never = command;
      return unknownCommand;
    }
  }
}

export const walletDecider: Decider<WalletCommand, WalletEvent, WalletState> = { initialState, evolve, decide };

/**
 * Wallet (prepaid credits) rules as pure functions, matching Lago (`getlago/lago-api`): credits ↔ cents, wallets on a
 * finalizing invoice, recurring top-ups and the ongoing balance. Money is BigNumber integer cents, credits BigNumber
 * decimals; where Lago computes with Floats the Float arithmetic is reproduced (`../invoice/rubyFloat.ts`).
 */
export type { WalletCreditAmounts } from './credits.ts';
export {
  allowsFeeType,
  applicationOrder,
  centsToCredits,
  checkedRate,
  CREDITS_SCALE,
  creditsToCents,
  normalizeCredits,
  roundsToZero,
  toBigintColumn,
  toDecimalColumn,
  walletCredit,
  walletCreditFromCents,
} from './credits.ts';
export type { CreditNoteFee, PrepaidCredits, PrepaidCreditsInput, PrepaidFee, PrepaidFeeType, PrepaidWallet, WalletDebit } from './allocation.ts';
export { allocatePrepaidCredits, distributeCreditNotes } from './allocation.ts';
export type {
  IntervalOccurrencesInput,
  IntervalTopUpInput,
  ThresholdTopUpInput,
  TopUp,
  TopUpInterval,
  TopUpRule,
  TopUpWallet,
} from './topUp.ts';
export { intervalOccurrences, intervalTopUp, paidTopUpMaxCredits, paidTopUpMinCredits, targetGap, thresholdTopUp, topUpOf } from './topUp.ts';
export type { DraftInvoice, OngoingBalance, OngoingFee, OngoingUsage, OngoingWallet, UsageFee } from './ongoing.ts';
export { balanceOf as walletOngoingBalance, ongoingBalance, ongoingBalances } from './ongoing.ts';

import type { DomainEvent } from '../shared/decider.ts';

/** The fee types a wallet can be limited to (Lago's `allowed_fee_types`). */
export const WALLET_FEE_TYPES = ['SUBSCRIPTION', 'CHARGE', 'COMMITMENT', 'ADD_ON'] as const;
export type WalletFeeType = (typeof WALLET_FEE_TYPES)[number];
export const RULE_INTERVALS = ['WEEKLY', 'MONTHLY', 'QUARTERLY', 'SEMIANNUAL', 'YEARLY'] as const;
export type RuleInterval = (typeof RULE_INTERVALS)[number];

export type TransactionMetadata = { key: string; value: string }[];

/**
 * A recurring transaction rule (Lago's `recurring_transaction_rule`): tops the wallet up every interval from
 * `startedAt`, or whenever its ongoing balance falls to `thresholdCredits`; by fixed credits, or up to a target.
 * Credits are decimal strings.
 */
export type RecurringTransactionRule = {
  ruleId: string;
  trigger: 'INTERVAL' | 'THRESHOLD';
  interval: RuleInterval | null;
  thresholdCredits: string | null;
  method: 'FIXED' | 'TARGET';
  paidCredits: string;
  grantedCredits: string;
  targetOngoingBalance: string | null;
  startedAt: string;
  expirationAt: string | null;
  invoiceRequiresSuccessfulPayment: boolean;
  ignorePaidTopUpLimits: boolean;
  transactionMetadata: TransactionMetadata;
};

/** What a wallet is, as created and updated. Credits and rates are decimal strings; amounts integer cents. */
export type WalletTerms = {
  name: string | null;
  priority: number;
  expirationAt: string | null;
  invoiceRequiresSuccessfulPayment: boolean;
  paidTopUpMinAmountCents: string | null;
  paidTopUpMaxAmountCents: string | null;
  appliesTo: { feeTypes: WalletFeeType[]; billableMetricCodes: string[] };
  recurringTransactionRules: RecurringTransactionRule[];
};

export type WalletCreated = DomainEvent<
  'WalletCreated',
  WalletTerms & {
    organizationId: string;
    walletId: string;
    customerId: string;
    externalCustomerId: string;
    code: string | null;
    currency: string;
    /** The value of one credit in the currency's major unit. */
    rateAmount: string;
    createdAt: string;
  }
>;
export type WalletUpdated = DomainEvent<'WalletUpdated', WalletTerms & { organizationId: string; walletId: string; updatedAt: string }>;
/** Terminated by a user, or by the billing clock at `expirationAt` (what remains is lost, as in Lago). */
export type WalletTerminated = DomainEvent<'WalletTerminated', { organizationId: string; walletId: string; reason: 'MANUAL' | 'EXPIRED'; terminatedAt: string }>;

/**
 * PURCHASED (paid credits: settles when its credit invoice is paid), GRANTED (free, settled at once), VOIDED
 * (credits removed), INVOICED (credits used by an invoice).
 */
export type TransactionStatus = 'PURCHASED' | 'GRANTED' | 'VOIDED' | 'INVOICED';
export type TransactionSource = 'MANUAL' | 'INTERVAL' | 'THRESHOLD';
export type WalletTransactionStatus = 'PENDING' | 'SETTLED' | 'FAILED';

/** The wallet's balances after a settled transaction (what Lago's `Wallets::Balance::{Increase,Decrease}Service` store). */
export type WalletBalances = { balanceCents: string; creditsBalance: string; consumedCredits: string; consumedAmountCents: string };

export type WalletTransactionCreated = DomainEvent<
  'WalletTransactionCreated',
  {
    organizationId: string;
    walletId: string;
    walletTransactionId: string;
    transactionType: 'INBOUND' | 'OUTBOUND';
    transactionStatus: TransactionStatus;
    status: WalletTransactionStatus;
    source: TransactionSource;
    credits: string;
    amountCents: string;
    /** PURCHASED: its credit invoice; INVOICED: the invoice the credits paid. */
    invoiceId: string | null;
    invoiceRequiresSuccessfulPayment: boolean;
    /** The recurring rule that made it, and which occurrence (an interval's instant, or the threshold crossing). */
    ruleId: string | null;
    occurrence: string | null;
    metadata: TransactionMetadata;
    createdAt: string;
    settledAt: string | null;
    /** Set when settled at creation. */
    balances: WalletBalances | null;
  }
>;
export type WalletTransactionSettled = DomainEvent<'WalletTransactionSettled', { organizationId: string; walletId: string; walletTransactionId: string; settledAt: string; balances: WalletBalances }>;
export type WalletTransactionFailed = DomainEvent<'WalletTransactionFailed', { organizationId: string; walletId: string; walletTransactionId: string; failedAt: string }>;

export type WalletEvent = WalletCreated | WalletUpdated | WalletTerminated | WalletTransactionCreated | WalletTransactionSettled | WalletTransactionFailed;

export const WALLET_EVENT_TYPES = [
  'WalletCreated',
  'WalletUpdated',
  'WalletTerminated',
  'WalletTransactionCreated',
  'WalletTransactionSettled',
  'WalletTransactionFailed',
] as const satisfies readonly WalletEvent['type'][];

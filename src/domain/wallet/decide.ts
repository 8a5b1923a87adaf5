import BigNumber from 'bignumber.js';
import { centsToCredits, creditsToCents, intervalTopUp, normalizeCredits, thresholdTopUp, walletOngoingBalance, type TopUpRule, type TopUpWallet } from '../../billing/wallets/index.ts';
import { IllegalStateError, NotFoundError, ValidationError } from '../shared/errors.ts';
import {
  RULE_INTERVALS,
  WALLET_FEE_TYPES,
  type RecurringTransactionRule,
  type TransactionMetadata,
  type TransactionSource,
  type WalletBalances,
  type WalletCreated,
  type WalletEvent,
  type WalletTerms,
  type WalletTransactionCreated,
} from './events.ts';
import type { WalletState } from './state.ts';

const DECIMAL = /^\d{1,20}(\.\d{1,20})?$/;
const CENTS = /^\d{1,18}$/;
const MAX_METADATA = 20;

/** A non-negative decimal string, floored to Lago's 5 places for credits. */
export function creditsOf(value: string | null | undefined, field: string): BigNumber {
  if (value === null || value === undefined || value === '') return new BigNumber(0);
  if (!DECIMAL.test(value)) throw new ValidationError(`${field}: must be a non-negative decimal string`, field);
  return normalizeCredits(new BigNumber(value));
}

function centsOrNull(value: string | null, field: string): string | null {
  if (value === null) return null;
  if (!CENTS.test(value)) throw new ValidationError(`${field}: must be integer cents (a non-negative integer string)`, field);
  return new BigNumber(value).toFixed();
}

function instantOrNull(value: string | null, field: string, now: string, future: boolean): string | null {
  if (value === null) return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}/.test(value)) throw new ValidationError(`${field}: must be an ISO 8601 instant`, field);
  if (future && ms <= Date.parse(now)) throw new ValidationError(`${field}: must be in the future`, field);
  return new Date(ms).toISOString();
}

function validateMetadata(metadata: TransactionMetadata, field: string): TransactionMetadata {
  if (metadata.length > MAX_METADATA) throw new ValidationError(`${field}: at most ${MAX_METADATA} entries`, field);
  metadata.forEach((entry, i) => {
    if (entry.key.length === 0 || entry.key.length > 100) throw new ValidationError(`${field}.${i}.key: 1 to 100 characters`, `${field}.${i}.key`);
    if (entry.value.length > 255) throw new ValidationError(`${field}.${i}.value: at most 255 characters`, `${field}.${i}.value`);
  });
  return metadata;
}

function validateRule(rule: RecurringTransactionRule, field: string, now: string): RecurringTransactionRule {
  if (rule.trigger === 'INTERVAL' && (rule.interval === null || !RULE_INTERVALS.includes(rule.interval))) {
    throw new ValidationError(`${field}.interval: an interval rule needs one of ${RULE_INTERVALS.join(', ')}`, `${field}.interval`);
  }
  if (rule.trigger === 'THRESHOLD' && (rule.thresholdCredits === null || !DECIMAL.test(rule.thresholdCredits))) {
    throw new ValidationError(`${field}.thresholdCredits: a threshold rule needs a non-negative decimal`, `${field}.thresholdCredits`);
  }
  if (rule.method === 'TARGET' && (rule.targetOngoingBalance === null || !DECIMAL.test(rule.targetOngoingBalance))) {
    throw new ValidationError(`${field}.targetOngoingBalance: a target rule needs a non-negative decimal`, `${field}.targetOngoingBalance`);
  }
  const paid = creditsOf(rule.paidCredits, `${field}.paidCredits`);
  const granted = creditsOf(rule.grantedCredits, `${field}.grantedCredits`);
  if (rule.method === 'FIXED' && paid.plus(granted).isZero()) throw new ValidationError(`${field}.paidCredits: a fixed rule tops up some paid or granted credits`, `${field}.paidCredits`);
  return {
    ...rule,
    interval: rule.trigger === 'INTERVAL' ? rule.interval : null,
    thresholdCredits: rule.trigger === 'THRESHOLD' ? normalizeCredits(new BigNumber(rule.thresholdCredits!)).toFixed() : null,
    targetOngoingBalance: rule.method === 'TARGET' ? normalizeCredits(new BigNumber(rule.targetOngoingBalance!)).toFixed() : null,
    paidCredits: paid.toFixed(),
    grantedCredits: granted.toFixed(),
    startedAt: instantOrNull(rule.startedAt, `${field}.startedAt`, now, false) ?? now,
    expirationAt: instantOrNull(rule.expirationAt, `${field}.expirationAt`, now, true),
    transactionMetadata: validateMetadata(rule.transactionMetadata, `${field}.transactionMetadata`),
  };
}

/** Validated terms: priority 1–50, limits as cents with min ≤ max, known fee types and metrics, at most one rule (Lago). */
export function validateTerms(terms: WalletTerms, knownMetricCodes: readonly string[], now: string): WalletTerms {
  if (!Number.isInteger(terms.priority) || terms.priority < 1 || terms.priority > 50) throw new ValidationError('priority: an integer from 1 (applied first) to 50', 'priority');
  if (terms.name !== null && terms.name.length > 255) throw new ValidationError('name: at most 255 characters', 'name');
  const min = centsOrNull(terms.paidTopUpMinAmountCents, 'paidTopUpMinAmountCents');
  const max = centsOrNull(terms.paidTopUpMaxAmountCents, 'paidTopUpMaxAmountCents');
  if (min !== null && max !== null && new BigNumber(min).isGreaterThan(max)) throw new ValidationError('paidTopUpMinAmountCents: must not exceed paidTopUpMaxAmountCents', 'paidTopUpMinAmountCents');
  terms.appliesTo.feeTypes.forEach((type, i) => {
    if (!WALLET_FEE_TYPES.includes(type)) throw new ValidationError(`appliesTo.feeTypes.${i}: one of ${WALLET_FEE_TYPES.join(', ')}`, `appliesTo.feeTypes.${i}`);
  });
  terms.appliesTo.billableMetricCodes.forEach((code, i) => {
    if (!knownMetricCodes.includes(code)) throw new ValidationError(`appliesTo.billableMetricCodes.${i}: no billable metric with code "${code}"`, `appliesTo.billableMetricCodes.${i}`);
  });
  if (terms.recurringTransactionRules.length > 1) throw new ValidationError('recurringTransactionRules: at most one rule per wallet (as in Lago)', 'recurringTransactionRules');
  return {
    ...terms,
    paidTopUpMinAmountCents: min,
    paidTopUpMaxAmountCents: max,
    expirationAt: instantOrNull(terms.expirationAt, 'expirationAt', now, true),
    appliesTo: { feeTypes: [...new Set(terms.appliesTo.feeTypes)], billableMetricCodes: [...new Set(terms.appliesTo.billableMetricCodes)] },
    recurringTransactionRules: terms.recurringTransactionRules.map((rule, i) => validateRule(rule, `recurringTransactionRules.${i}`, now)),
  };
}

type Active = Extract<WalletState, { status: 'ACTIVE' | 'TERMINATED' }>;

/** Balances after credits come in (Lago's `Wallets::Balance::IncreaseService`). */
export function increased(balances: WalletBalances, credits: BigNumber, amountCents: BigNumber): WalletBalances {
  return { ...balances, balanceCents: amountCents.plus(balances.balanceCents).toFixed(), creditsBalance: credits.plus(balances.creditsBalance).toFixed() };
}

/** Balances after credits go out (Lago's `Wallets::Balance::DecreaseService`): what was consumed grows. */
export function decreased(balances: WalletBalances, credits: BigNumber, amountCents: BigNumber): WalletBalances {
  return {
    balanceCents: new BigNumber(balances.balanceCents).minus(amountCents).toFixed(),
    creditsBalance: new BigNumber(balances.creditsBalance).minus(credits).toFixed(),
    consumedCredits: credits.plus(balances.consumedCredits).toFixed(),
    consumedAmountCents: amountCents.plus(balances.consumedAmountCents).toFixed(),
  };
}

export type TopUp = {
  walletId: string;
  paidCredits?: string | null;
  grantedCredits?: string | null;
  voidedCredits?: string | null;
  /** One id per transaction it may create, and the paid credits' invoice. */
  ids: { paid: string; granted: string; voided: string; invoice: string };
  source: TransactionSource;
  ruleId?: string | null;
  occurrence?: string | null;
  metadata?: TransactionMetadata;
  invoiceRequiresSuccessfulPayment?: boolean | null;
  ignorePaidTopUpLimits?: boolean;
};

/**
 * The transactions of a top-up (Lago's `WalletTransactions::CreateFromParamsService`): paid credits pending until
 * their invoice is paid, granted credits settled at once, voided credits out at once (at most the balance). Paid
 * credits must fall within the wallet's top-up limits unless the rule or call ignores them.
 */
export function topUpEvents(state: Active, topUp: TopUp, now: string): WalletTransactionCreated[] {
  const { wallet } = state;
  const paid = creditsOf(topUp.paidCredits, 'paidCredits');
  const granted = creditsOf(topUp.grantedCredits, 'grantedCredits');
  const voided = creditsOf(topUp.voidedCredits, 'voidedCredits');
  const metadata = validateMetadata(topUp.metadata ?? [], 'metadata');
  const paidCents = creditsToCents(paid, new BigNumber(wallet.rateAmount), wallet.currency);
  if (paid.isGreaterThan(0) && topUp.ignorePaidTopUpLimits !== true) {
    if (wallet.paidTopUpMinAmountCents !== null && paidCents.isLessThan(wallet.paidTopUpMinAmountCents)) throw new ValidationError(`paidCredits: below the wallet's minimum top-up of ${wallet.paidTopUpMinAmountCents} cents`, 'paidCredits');
    if (wallet.paidTopUpMaxAmountCents !== null && paidCents.isGreaterThan(wallet.paidTopUpMaxAmountCents)) throw new ValidationError(`paidCredits: above the wallet's maximum top-up of ${wallet.paidTopUpMaxAmountCents} cents`, 'paidCredits');
  }
  if (voided.isGreaterThan(state.balances.creditsBalance)) throw new ValidationError(`voidedCredits: the wallet holds ${state.balances.creditsBalance} credits`, 'voidedCredits');
  const base = { organizationId: wallet.organizationId, walletId: wallet.walletId, source: topUp.source, ruleId: topUp.ruleId ?? null, occurrence: topUp.occurrence ?? null, metadata, createdAt: now };
  const requiresPayment = topUp.invoiceRequiresSuccessfulPayment ?? wallet.invoiceRequiresSuccessfulPayment;
  const events: WalletTransactionCreated[] = [];
  let balances = state.balances;
  if (paid.isGreaterThan(0)) {
    events.push(transaction({ ...base, walletTransactionId: topUp.ids.paid, transactionType: 'INBOUND', transactionStatus: 'PURCHASED', status: 'PENDING', credits: paid.toFixed(), amountCents: paidCents.toFixed(), invoiceId: topUp.ids.invoice, invoiceRequiresSuccessfulPayment: requiresPayment, settledAt: null, balances: null }));
  }
  if (granted.isGreaterThan(0)) {
    const cents = creditsToCents(granted, new BigNumber(wallet.rateAmount), wallet.currency);
    balances = increased(balances, granted, cents);
    events.push(transaction({ ...base, walletTransactionId: topUp.ids.granted, transactionType: 'INBOUND', transactionStatus: 'GRANTED', status: 'SETTLED', credits: granted.toFixed(), amountCents: cents.toFixed(), invoiceId: null, invoiceRequiresSuccessfulPayment: false, settledAt: now, balances }));
  }
  if (voided.isGreaterThan(0)) {
    const cents = creditsToCents(voided, new BigNumber(wallet.rateAmount), wallet.currency);
    balances = decreased(balances, voided, cents);
    events.push(transaction({ ...base, walletTransactionId: topUp.ids.voided, transactionType: 'OUTBOUND', transactionStatus: 'VOIDED', status: 'SETTLED', credits: voided.toFixed(), amountCents: cents.toFixed(), invoiceId: null, invoiceRequiresSuccessfulPayment: false, settledAt: now, balances }));
  }
  return events;
}

const transaction = (data: WalletTransactionCreated['data']): WalletTransactionCreated => ({ type: 'WalletTransactionCreated', data });

/** The outbound transaction of the credits an invoice uses (§4.4 step 7), with the balances after it. */
export function invoiceDebit(state: Active, input: { walletTransactionId: string; invoiceId: string; amountCents: BigNumber; now: string }): WalletTransactionCreated {
  const { wallet } = state;
  const credits = centsToCredits(input.amountCents, new BigNumber(wallet.rateAmount), wallet.currency);
  return transaction({
    organizationId: wallet.organizationId,
    walletId: wallet.walletId,
    walletTransactionId: input.walletTransactionId,
    transactionType: 'OUTBOUND',
    transactionStatus: 'INVOICED',
    status: 'SETTLED',
    source: 'MANUAL',
    credits: credits.toFixed(),
    amountCents: input.amountCents.toFixed(),
    invoiceId: input.invoiceId,
    invoiceRequiresSuccessfulPayment: false,
    ruleId: null,
    occurrence: null,
    metadata: [],
    createdAt: input.now,
    settledAt: input.now,
    balances: decreased(state.balances, credits, input.amountCents),
  });
}

export type CreateWalletData = Omit<WalletCreated['data'], 'customerId' | 'externalCustomerId' | 'createdAt'> & {
  customer: { customerId: string; externalId: string; currency: string | null };
  paidCredits?: string | null;
  grantedCredits?: string | null;
  transactionMetadata?: TransactionMetadata;
  ids: TopUp['ids'];
};

/** A new wallet in the customer's currency, with a rate above zero, and its first top-up. */
export function createWallet(data: CreateWalletData, knownMetricCodes: readonly string[], now: string): WalletEvent[] {
  const { customer, paidCredits, grantedCredits, transactionMetadata, ids, ...rest } = data;
  if (!/^[A-Z]{3}$/.test(rest.currency)) throw new ValidationError('currency: an ISO 4217 code such as "EUR"', 'currency');
  if (customer.currency !== null && customer.currency !== rest.currency) throw new ValidationError(`currency: customer "${customer.externalId}" is billed in ${customer.currency}`, 'currency');
  if (!DECIMAL.test(rest.rateAmount) || !new BigNumber(rest.rateAmount).isGreaterThan(0)) throw new ValidationError('rateAmount: the value of one credit, a decimal above 0', 'rateAmount');
  if (rest.code !== null && (rest.code.length === 0 || rest.code.length > 100)) throw new ValidationError('code: 1 to 100 characters', 'code');
  const terms = validateTerms(rest, knownMetricCodes, now);
  const created: WalletCreated = { type: 'WalletCreated', data: { ...rest, ...terms, rateAmount: new BigNumber(rest.rateAmount).toFixed(), customerId: customer.customerId, externalCustomerId: customer.externalId, createdAt: now } };
  const state: Active = { status: 'ACTIVE', wallet: created.data, balances: { balanceCents: '0', creditsBalance: '0', consumedCredits: '0', consumedAmountCents: '0' }, pending: [], transactionIds: new Set(), occurrences: new Set() };
  return [created, ...topUpEvents(state, { walletId: rest.walletId, paidCredits: paidCredits ?? null, grantedCredits: grantedCredits ?? null, ids, source: 'MANUAL', metadata: transactionMetadata ?? [] }, now)];
}

export function requireWallet(state: WalletState, walletId: string): Active {
  if (state.status === 'none') throw new NotFoundError(`wallet ${walletId} not found`);
  return state;
}

export function requireActive(state: WalletState, walletId: string): Active {
  const wallet = requireWallet(state, walletId);
  if (wallet.status !== 'ACTIVE') throw new IllegalStateError(`wallet ${walletId} is terminated`);
  return wallet;
}

/** A stored rule as the pure top-up rules read it. */
export function topUpRuleOf(rule: RecurringTransactionRule): TopUpRule {
  return {
    trigger: rule.trigger,
    method: rule.method,
    paidCredits: new BigNumber(rule.paidCredits),
    grantedCredits: new BigNumber(rule.grantedCredits),
    thresholdCredits: rule.thresholdCredits === null ? null : new BigNumber(rule.thresholdCredits),
    targetOngoingBalance: rule.targetOngoingBalance === null ? null : new BigNumber(rule.targetOngoingBalance),
    grantsTargetTopUp: false,
    ignorePaidTopUpLimits: rule.ignorePaidTopUpLimits,
  };
}

const topUpWalletOf = (wallet: Active['wallet']): TopUpWallet => ({
  currency: wallet.currency,
  rateAmount: new BigNumber(wallet.rateAmount),
  paidTopUpMinAmountCents: wallet.paidTopUpMinAmountCents === null ? null : new BigNumber(wallet.paidTopUpMinAmountCents),
  paidTopUpMaxAmountCents: wallet.paidTopUpMaxAmountCents === null ? null : new BigNumber(wallet.paidTopUpMaxAmountCents),
});

/** The wallet's ongoing balance in credits, for the usage allocated to it (cents, computed outside the wallet). */
export function ongoingCredits(state: Active, allocatedCents: BigNumber): BigNumber {
  const { wallet } = state;
  return walletOngoingBalance(
    { walletId: wallet.walletId, currency: wallet.currency, rateAmount: new BigNumber(wallet.rateAmount), priority: wallet.priority, createdAt: wallet.createdAt, balanceCents: new BigNumber(state.balances.balanceCents), feeTypes: [], billableMetricCodes: [] },
    allocatedCents,
  ).creditsOngoingBalance;
}

export type RuleFiring = {
  walletId: string;
  ruleId: string;
  /** The usage allocated to the wallet when the rule was checked (its ongoing usage balance, unrounded cents). */
  allocatedCents: string;
  /** INTERVAL: the instant it fires at (each fires once). THRESHOLD: null (the state decides whether it fires). */
  occurrence: string | null;
  ids: TopUp['ids'];
};

/**
 * A recurring rule firing (Lago's `Wallets::ThresholdTopUpService` and `CreateIntervalWalletTransactionsService`),
 * decided on the wallet's state: the threshold is compared with the ongoing balance from the current balance and
 * pending top-ups, so a crossing seen twice (a retry, two instances, a burst) tops up once; an interval occurrence
 * tops up once. A rule past its expiration, or a wallet no longer active, fires nothing.
 */
export function ruleEvents(state: WalletState, firing: RuleFiring, now: string): WalletTransactionCreated[] {
  if (state.status !== 'ACTIVE') return [];
  const rule = state.wallet.recurringTransactionRules.find((r) => r.ruleId === firing.ruleId);
  if (rule === undefined || (rule.expirationAt !== null && Date.parse(rule.expirationAt) <= Date.parse(now))) return [];
  if (firing.occurrence !== null && state.occurrences.has(`${rule.ruleId}@${firing.occurrence}`)) return [];
  const ongoing = ongoingCredits(state, new BigNumber(firing.allocatedCents));
  const wallet = topUpWalletOf(state.wallet);
  const pending = BigNumber.sum(0, ...state.pending.map((t) => t.credits));
  const topUp =
    rule.trigger === 'THRESHOLD'
      ? thresholdTopUp({ rule: topUpRuleOf(rule), wallet, ongoingBalanceCredits: ongoing, pendingCredits: pending })
      : intervalTopUp({ rule: topUpRuleOf(rule), wallet, ongoingBalanceCredits: ongoing });
  if (topUp === null || (topUp.paidCredits.isZero() && topUp.grantedCredits.isZero())) return [];
  return topUpEvents(
    state,
    {
      walletId: firing.walletId,
      paidCredits: topUp.paidCredits.toFixed(),
      grantedCredits: topUp.grantedCredits.toFixed(),
      ids: firing.ids,
      source: rule.trigger,
      ruleId: rule.ruleId,
      occurrence: firing.occurrence ?? `threshold@${state.transactionIds.size}`,
      metadata: rule.transactionMetadata,
      invoiceRequiresSuccessfulPayment: rule.invoiceRequiresSuccessfulPayment,
      // The rule applied the limits already (a target rule ignores them, as in Lago).
      ignorePaidTopUpLimits: true,
    },
    now,
  );
}

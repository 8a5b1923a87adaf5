import BigNumber from 'bignumber.js';
import { DateTime } from 'luxon';
import { bigDecimalDivide } from '../invoice/coupons.ts';
import { assertTimezone, toIso, toMillis } from '../periods/zone.ts';
import { centsToCredits, creditsToCents, normalizeCredits, roundsToZero } from './credits.ts';

/** A recurring transaction rule as stored (app/models/recurring_transaction_rule.rb; credits are `decimal(30, 5)`). */
export interface TopUpRule {
  readonly trigger: 'INTERVAL' | 'THRESHOLD';
  readonly method: 'FIXED' | 'TARGET';
  readonly paidCredits: BigNumber;
  readonly grantedCredits: BigNumber;
  /** Threshold rules: fire when the ongoing balance falls to this (Lago defaults it to 0). */
  readonly thresholdCredits: BigNumber | null;
  /** Target rules: the ongoing balance to top up to. */
  readonly targetOngoingBalance: BigNumber | null;
  /** Target rules: grant the gap for free instead of selling it (`grants_target_top_up`). */
  readonly grantsTargetTopUp: boolean;
  readonly ignorePaidTopUpLimits: boolean;
}

/** The wallet terms a top-up needs. */
export interface TopUpWallet {
  readonly currency: string;
  readonly rateAmount: BigNumber;
  /** `paid_top_up_min_amount_cents` / `paid_top_up_max_amount_cents` (integer cents) or null. */
  readonly paidTopUpMinAmountCents: BigNumber | null;
  readonly paidTopUpMaxAmountCents: BigNumber | null;
}

/** The wallet transactions a rule creates: credits as Lago keeps them (floored to 5 decimals); 0 means none. */
export interface TopUp {
  readonly paidCredits: BigNumber;
  readonly grantedCredits: BigNumber;
}

/** What Wallets::ThresholdTopUpService reads of the rule and wallet. */
export interface ThresholdTopUpInput {
  readonly rule: TopUpRule;
  readonly wallet: TopUpWallet;
  /** The wallet's stored `credits_ongoing_balance` (5 decimals, see `ongoingBalances`). */
  readonly ongoingBalanceCredits: BigNumber;
  /** Σ `credit_amount` of the wallet's pending transactions (paid top-ups awaiting payment). */
  readonly pendingCredits: BigNumber;
  /**
   * Lago's decline back-off: a threshold top-up of this wallet failed less than an hour ago and no paid top-up settled
   * since (`backing_off_after_decline?`). Blocks paid top-ups only. False by default.
   */
  readonly backingOffAfterDecline?: boolean;
}

/**
 * A threshold rule after the wallet's ongoing balance changed: Lago's `Wallets::ThresholdTopUpService`
 * (app/services/wallets/threshold_top_up_service.rb) with `RecurringTransactionRule#compute_paid_credits` /
 * `#compute_granted_credits`, then what `WalletTransactions::CreateFromParamsService` does with them (`topUpOf`).
 *
 * Null — no top-up — when `ongoing > threshold`, when `ongoing + pending > threshold` (pending top-ups already lift it
 * above), when a paid top-up is backing off after a decline, or when Lago would refuse or skip the transaction.
 * Fixed: `gap = threshold − ongoing − granted − pending`; `paid` if `gap < paid`, else `paid × (⌊gap / paid⌋ + 1)`
 * capped at the wallet's max top-up (unless the rule ignores limits); granted as set. Target: see `targetGap`.
 * Limits are enforced afterwards only for fixed rules (Lago passes `ignore_paid_top_up_limits: target || rule's`).
 *
 * NOTE: reference §5.4 writes the trigger as `ongoing ≤ threshold`; Lago also skips when `ongoing + pending > threshold`.
 * NOTE: Lago's burst warning (3 top-ups in 10 minutes) only logs; the `state_changed` guard is the caller's.
 */
export function thresholdTopUp(input: ThresholdTopUpInput): TopUp | null {
  const { rule, wallet, ongoingBalanceCredits: ongoing, pendingCredits: pending } = input;
  if (rule.trigger !== 'THRESHOLD') throw new RangeError('thresholdTopUp needs a THRESHOLD rule');
  const threshold = required(rule.thresholdCredits, 'thresholdCredits');
  if (ongoing.isGreaterThan(threshold) || pending.plus(ongoing).isGreaterThan(threshold)) return null;

  const paid = rule.method === 'TARGET' ? targetPaid(rule, wallet, ongoing) : fixedThresholdPaid(rule, wallet, ongoing, pending, threshold);
  if (paid.isGreaterThan(0) && input.backingOffAfterDecline === true) return null;
  return topUpOf(wallet, paid, grantedOf(rule, ongoing), rule.method === 'TARGET' || rule.ignorePaidTopUpLimits);
}

/** What Wallets::CreateIntervalWalletTransactionsService reads of the rule and wallet. */
export interface IntervalTopUpInput {
  readonly rule: TopUpRule;
  readonly wallet: TopUpWallet;
  /** The wallet's stored `credits_ongoing_balance` when the clock job runs. */
  readonly ongoingBalanceCredits: BigNumber;
}

/**
 * What an interval rule tops up when it fires (`intervalOccurrences`): Lago's
 * `Wallets::CreateIntervalWalletTransactionsService#call` (app/services/wallets/create_interval_wallet_transactions_service.rb)
 * with `RecurringTransactionRule#compute_paid_credits` / `#compute_granted_credits`, then `topUpOf`.
 * Fixed: the rule's paid and granted credits, as they are (no gap multiple), subject to the wallet's limits unless
 * the rule ignores them. Target: see `targetGap`; a target rule with nothing to add is skipped.
 */
export function intervalTopUp(input: IntervalTopUpInput): TopUp | null {
  const { rule, wallet, ongoingBalanceCredits: ongoing } = input;
  if (rule.trigger !== 'INTERVAL') throw new RangeError('intervalTopUp needs an INTERVAL rule');
  const paid = rule.method === 'TARGET' ? targetPaid(rule, wallet, ongoing) : rule.paidCredits;
  const granted = grantedOf(rule, ongoing);
  if (rule.method === 'TARGET' && paid.isZero() && granted.isZero()) return null;
  return topUpOf(wallet, paid, granted, rule.method === 'TARGET' || rule.ignorePaidTopUpLimits);
}

/**
 * `RecurringTransactionRule#compute_target_top_up_amount`: 0 when `ongoing ≥ target`, else `gap = target − ongoing`,
 * raised to the wallet's min top-up (credits) unless the rule ignores limits or grants the gap. The max is never
 * applied: reaching the target wins.
 */
export function targetGap(rule: TopUpRule, wallet: TopUpWallet, ongoing: BigNumber): BigNumber {
  const target = required(rule.targetOngoingBalance, 'targetOngoingBalance');
  if (ongoing.isGreaterThanOrEqualTo(target)) return new BigNumber(0);
  const gap = target.minus(ongoing);
  if (rule.grantsTargetTopUp || rule.ignorePaidTopUpLimits) return gap;
  const min = paidTopUpMinCredits(wallet);
  return min !== null && gap.isLessThan(min) ? min : gap;
}

/** `Wallet#paid_top_up_min_credits`: the min amount as credits (`WalletCredit.from_amount_cents`), or null. */
export function paidTopUpMinCredits(wallet: TopUpWallet): BigNumber | null {
  return wallet.paidTopUpMinAmountCents === null ? null : centsToCredits(wallet.paidTopUpMinAmountCents, wallet.rateAmount, wallet.currency);
}

/** `Wallet#paid_top_up_max_credits`: the max amount as credits, or null. */
export function paidTopUpMaxCredits(wallet: TopUpWallet): BigNumber | null {
  return wallet.paidTopUpMaxAmountCents === null ? null : centsToCredits(wallet.paidTopUpMaxAmountCents, wallet.rateAmount, wallet.currency);
}

/**
 * The transactions `WalletTransactions::CreateFromParamsService` creates from a rule's credits
 * (app/services/wallet_transactions/{create_from_params,validate}_service.rb,
 * app/services/validators/wallet_transaction_amount_limits_validator.rb): both floored to 5 decimals; the whole
 * request is refused (null) when a positive one is worth 0 cents, or — unless `ignoreLimits` — when the paid credits
 * are worth less than the min or more than the max top-up; null too when both are 0 (nothing is created).
 */
export function topUpOf(wallet: TopUpWallet, paid: BigNumber, granted: BigNumber, ignoreLimits: boolean): TopUp | null {
  const paidCredits = normalizeCredits(paid);
  const grantedCredits = normalizeCredits(granted);
  if (paidCredits.isNegative() || grantedCredits.isNegative()) return null; // `invalid_amount`
  if (roundsToZero(paidCredits, wallet.rateAmount, wallet.currency) || roundsToZero(grantedCredits, wallet.rateAmount, wallet.currency)) return null;
  if (paidCredits.isGreaterThan(0) && !ignoreLimits) {
    const cents = creditsToCents(paidCredits, wallet.rateAmount, wallet.currency);
    if (wallet.paidTopUpMinAmountCents !== null && cents.isLessThan(wallet.paidTopUpMinAmountCents)) return null;
    if (wallet.paidTopUpMaxAmountCents !== null && cents.isGreaterThan(wallet.paidTopUpMaxAmountCents)) return null;
  }
  if (paidCredits.isZero() && grantedCredits.isZero()) return null;
  return { paidCredits, grantedCredits };
}

/** `compute_fixed_top_up_amount`: enough multiples of `paid` to cover the gap, capped at the max top-up. */
function fixedThresholdPaid(rule: TopUpRule, wallet: TopUpWallet, ongoing: BigNumber, pending: BigNumber, threshold: BigNumber): BigNumber {
  const paid = rule.paidCredits;
  if (paid.isZero()) return paid;
  const gap = threshold.minus(ongoing).minus(rule.grantedCredits).minus(pending);
  if (gap.isLessThan(paid)) return paid;
  // `(gap / paid).floor`: a BigDecimal division (≥ 32 significant digits), then floored.
  const multiple = paid.times(bigDecimalDivide(gap, paid).integerValue(BigNumber.ROUND_FLOOR).plus(1));
  if (rule.ignorePaidTopUpLimits) return multiple;
  const max = paidTopUpMaxCredits(wallet);
  return max !== null && multiple.isGreaterThan(max) ? max : multiple;
}

/** `compute_paid_credits` for a target rule: nothing when the gap is granted. */
function targetPaid(rule: TopUpRule, wallet: TopUpWallet, ongoing: BigNumber): BigNumber {
  return rule.grantsTargetTopUp ? new BigNumber(0) : targetGap(rule, wallet, ongoing);
}

/** `compute_granted_credits`: the raw target gap for a granting target rule, 0 for other target rules, else as set. */
function grantedOf(rule: TopUpRule, ongoing: BigNumber): BigNumber {
  if (rule.method !== 'TARGET') return rule.grantedCredits;
  if (!rule.grantsTargetTopUp) return new BigNumber(0);
  const target = required(rule.targetOngoingBalance, 'targetOngoingBalance');
  return ongoing.isGreaterThanOrEqualTo(target) ? new BigNumber(0) : target.minus(ongoing);
}

function required(value: BigNumber | null, field: string): BigNumber {
  if (value === null || !BigNumber.isBigNumber(value) || !value.isFinite()) throw new RangeError(`rule ${field} must be a finite BigNumber`);
  return value;
}

/** `RecurringTransactionRule::INTERVALS` (app/models/recurring_transaction_rule.rb), upper-cased. */
export type TopUpInterval = 'WEEKLY' | 'MONTHLY' | 'QUARTERLY' | 'SEMIANNUAL' | 'YEARLY';

/** An interval rule and its wallet, as the clock job's SQL reads them, and the window to list. */
export interface IntervalOccurrencesInput {
  readonly interval: TopUpInterval;
  /** The rule's `started_at` (ISO instant); null: Lago falls back on the wallet's `created_at`. */
  readonly startedAt: string | null;
  /** The wallet's `created_at`: no interval top-up on the (local) day the wallet was created. */
  readonly walletCreatedAt: string;
  /** The customer's timezone, else its billing entity's, else `UTC` (Lago's `at_time_zone`). */
  readonly timezone: string;
  /** The rule's `expiration_at`: it fires only strictly before. */
  readonly expirationAt?: string | null;
  readonly from: string;
  readonly to: string;
}

const HOUR_MS = 3_600_000;
/** The clock runs `Clock::CreateIntervalWalletTransactionsJob` every hour at minute 55 (clock.rb). */
const TICK_OFFSET_MS = 55 * 60_000;

/**
 * The instants in (from, to] at which an interval rule tops up: Lago's hourly `Clock::CreateIntervalWalletTransactionsJob`
 * (clock.rb, `*:55`) runs `Wallets::CreateIntervalWalletTransactionsService#recurring_transaction_rules`, whose SQL
 * compares dates in the customer's timezone. On a local day that matches the anchor (`started_at`, else the wallet's
 * `created_at`, in that timezone), the rule fires at the first tick of the day for which the anchor's local
 * wall-clock time, read as UTC, is ≤ the tick's UTC time (Lago compares `started_at AT TIME ZONE tz` with the
 * zone-less UTC `:today`), never on the wallet's creation day, at most once a day (an interval transaction created
 * that day stops it), and only before `expirationAt`. Matching days:
 * - WEEKLY: same ISO weekday;
 * - MONTHLY: same day of month, and on a month's last day every anchor day from it up to 31 (a 31st anchor fires on
 *   April 30th and February 28th/29th);
 * - QUARTERLY / SEMIANNUAL: that day rule in the anchor's month and every 3 / 6 months from it;
 * - YEARLY: same month and day; February 29th anchors fire on February 28th in common years.
 *
 * NOTE: a TARGET rule with nothing to top up creates no transaction, so Lago evaluates it again at each later tick of
 * that day; this gives the first evaluation of each day. Reference §5.4 says only "from started_at".
 */
export function intervalOccurrences(input: IntervalOccurrencesInput): string[] {
  const zone = input.timezone;
  assertTimezone(zone);
  const fromMs = toMillis(input.from, 'from');
  const toMs = toMillis(input.to, 'to');
  const anchor = DateTime.fromMillis(toMillis(input.startedAt ?? input.walletCreatedAt, 'startedAt'), { zone });
  const anchorWallAsUtc = anchor.setZone('utc', { keepLocalTime: true }).toMillis();
  const createdDay = DateTime.fromMillis(toMillis(input.walletCreatedAt, 'walletCreatedAt'), { zone }).toISODate();
  const expiration = input.expirationAt == null ? Number.POSITIVE_INFINITY : toMillis(input.expirationAt, 'expirationAt');
  const occurrences: string[] = [];
  let day = DateTime.fromMillis(fromMs, { zone }).startOf('day');
  while (day.toMillis() <= toMs) {
    const next = day.plus({ days: 1 }).startOf('day');
    if (day.toISODate() !== createdDay && firesOn(input.interval, anchor, day)) {
      const tick = firstTickFrom(Math.max(day.toMillis(), anchorWallAsUtc));
      if (tick < next.toMillis() && tick < expiration && tick > fromMs && tick <= toMs) occurrences.push(toIso(tick));
    }
    day = next;
  }
  return occurrences;
}

/** The first `HH:55:00.000` UTC at or after `ms`. */
function firstTickFrom(ms: number): number {
  const tick = Math.floor(ms / HOUR_MS) * HOUR_MS + TICK_OFFSET_MS;
  return tick < ms ? tick + HOUR_MS : tick;
}

/** The SQL anniversary conditions of `CreateIntervalWalletTransactionsService` for the local day `today`. */
function firesOn(interval: TopUpInterval, anchor: DateTime, today: DateTime): boolean {
  switch (interval) {
    case 'WEEKLY':
      return anchor.weekday === today.weekday;
    case 'MONTHLY':
      return dayMatches(anchor.day, today);
    case 'QUARTERLY':
      return monthMatches(anchor.month, today.month, 3) && dayMatches(anchor.day, today);
    case 'SEMIANNUAL':
      return monthMatches(anchor.month, today.month, 6) && dayMatches(anchor.day, today);
    case 'YEARLY': {
      if (anchor.month !== today.month) return false;
      const shortFebruary = today.month === 2 && today.day === 28 && today.daysInMonth === 28;
      return shortFebruary ? anchor.day === 28 || anchor.day === 29 : anchor.day === today.day;
    }
  }
}

/** On a month's last day, the anchor days from it to 31 match; otherwise the day itself. */
function dayMatches(anchorDay: number, today: DateTime): boolean {
  return today.day === today.daysInMonth ? anchorDay >= today.day : anchorDay === today.day;
}

/** The anchor's month and every `step` months from it (a multiple of `step` matches the multiples of `step`). */
function monthMatches(anchorMonth: number, month: number, step: number): boolean {
  if (anchorMonth % step === 0) return month % step === 0;
  for (let shift = 0; shift < 12; shift += step) if ((anchorMonth + shift) % 12 === month) return true;
  return false;
}

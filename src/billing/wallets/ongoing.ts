import BigNumber from 'bignumber.js';
import { bigDecimalDivide } from '../invoice/coupons.ts';
import { doubleDiv, doubleToBigDecimal, toDouble } from '../invoice/rubyFloat.ts';
import { subunitToUnit } from '../money.ts';
import { allowsFeeType, applicationOrder, checkedRate, toBigintColumn, toDecimalColumn } from './credits.ts';

/** A fee that weighs on the ongoing balance (Lago `Fee`, read by `AllocateOngoingUsageByWalletsService`). */
export interface OngoingFee {
  /** `SUBSCRIPTION`, `CHARGE`, ... (any case). */
  readonly feeType: string;
  /** The charge's metric: CHARGE fees only (Lago keys by `fee.charge&.billable_metric_id`). */
  readonly billableMetricCode: string | null;
  /** The fee's `amount_currency`: only wallets of that currency take it. */
  readonly currency: string;
  /** Integer cents. */
  readonly amountCents: BigNumber;
  /** The fee's rounded taxes, integer cents (current usage is computed with taxes). */
  readonly taxesAmountCents: BigNumber;
  /** Coupons and progressive-billing credits on the fee (5 decimals; draft and progressive-billing fees). 0 by default. */
  readonly preciseCouponsAmountCents?: BigNumber;
  /** As `PrepaidFee.targetWalletCode` (events targeting wallets). */
  readonly targetWalletCode?: string | null;
}

/** A fee of an active subscription's current usage (`Invoices::CustomerUsageService`: charge fees, taxes applied). */
export interface UsageFee extends OngoingFee {
  /** The charge is paid in advance: already billed as it happened, so Lago nets it out. */
  readonly payInAdvance: boolean;
}

/** A draft invoice of the customer (grace period). Lago ignores those whose total is 0. */
export interface DraftInvoice {
  readonly totalAmountCents: BigNumber;
  readonly fees: readonly OngoingFee[];
}

/** A customer's active wallet. */
export interface OngoingWallet {
  readonly walletId: string;
  readonly code?: string | null;
  readonly currency: string;
  readonly rateAmount: BigNumber;
  readonly priority: number;
  readonly createdAt: string;
  /** Integer cents (may be 0). */
  readonly balanceCents: BigNumber;
  readonly feeTypes: readonly string[];
  readonly billableMetricCodes: readonly string[];
  /** The wallet has a currently active THRESHOLD rule: it absorbs all it may take, going negative. */
  readonly hasActiveThresholdRule?: boolean;
  /** The stored `depleted_ongoing_balance` before the refresh (for `becameDepleted`). False by default. */
  readonly depletedOngoingBalance?: boolean;
}

/** What `Customers::RefreshWalletsService` gathers for the customer's ongoing usage. */
export interface OngoingUsage {
  readonly usageFees: readonly UsageFee[];
  readonly draftInvoices: readonly DraftInvoice[];
  /** Fees of the invoices that already billed this period progressively (their amounts are netted out). */
  readonly progressiveBillingFees?: readonly OngoingFee[];
}

/** A wallet's refreshed balances, as stored (bigint cents truncated, credits with 5 decimals). */
export interface OngoingBalance {
  readonly walletId: string;
  /** What the allocation gave the wallet (may carry decimals, as Lago computes it). */
  readonly allocatedCents: BigNumber;
  readonly ongoingUsageBalanceCents: BigNumber;
  readonly creditsOngoingUsageBalance: BigNumber;
  readonly ongoingBalanceCents: BigNumber;
  readonly creditsOngoingBalance: BigNumber;
  /** `balance − usage ≤ 0` (unrounded). */
  readonly depletedOngoingBalance: boolean;
  /** It just became depleted: Lago sends `wallet.depleted_ongoing_balance`. */
  readonly becameDepleted: boolean;
}

interface Pool {
  readonly feeType: string;
  readonly metric: string | null;
  readonly target: string | null;
  readonly currency: string;
  net: BigNumber;
}

/**
 * Every active wallet's ongoing balance: Lago's `Customers::RefreshWalletsService` with
 * `Wallets::Balance::AllocateOngoingUsageByWalletsService` and `Wallets::Balance::RefreshOngoingUsageService`
 * (app/services/wallets/balance/). Wallets go in application order (all of them: other currencies and empty ones too).
 *
 * Per `[fee type, metric, target code, currency]` key the usage nets to: current usage `amount + taxes` (pay-in-advance
 * charges cancel out: Lago adds and subtracts them), draft invoices (total ≠ 0) `amount + taxes − precise coupons`,
 * minus progressive billing `amount − precise coupons + taxes`. A currency's budget is `max(Σ nets, 0)`. Keys with a
 * positive net, largest first, each take `min(net, budget)` across the wallets that may pay them (same currency and
 * `PrepaidWallet`'s restrictions): each wallet up to its balance minus what it already took, except a wallet with an
 * active threshold rule or the last applicable one, which takes all that remains. Then, per wallet, usage = its
 * allocation and `ongoing balance = balance − usage`; credits are `cents.to_f.fdiv(subunit).fdiv(rate)` (Float, then
 * BigDecimal), stored with 5 decimals; cents are stored truncated (`to_i`).
 *
 * NOTE: the reference (§5.4) describes a single wallet's "current usage + draft invoices"; Lago nets pay-in-advance and
 * progressively billed fees out, includes taxes, honours the wallet's applies_to and splits across wallets.
 * NOTE: equal nets are ordered by Lago on the metric id; here on the metric code.
 */
export function ongoingBalances(wallets: readonly OngoingWallet[], usage: OngoingUsage): OngoingBalance[] {
  const ordered = [...wallets].sort(applicationOrder);
  const pools = netUsage(usage);
  const budgets = new Map<string, BigNumber>();
  for (const pool of pools) budgets.set(pool.currency, (budgets.get(pool.currency) ?? new BigNumber(0)).plus(pool.net));
  for (const [currency, amount] of budgets) budgets.set(currency, BigNumber.max(amount, 0));

  const allocations = new Map(ordered.map((wallet) => [wallet.walletId, new BigNumber(0)] as const));
  for (const pool of pools.filter((p) => p.net.isGreaterThan(0)).sort(poolOrder)) {
    let remaining = BigNumber.min(pool.net, budgets.get(pool.currency) ?? 0);
    const applicable = ordered.filter((wallet) => applies(pool, wallet));
    for (const [index, wallet] of applicable.entries()) {
      if (!remaining.isGreaterThan(0)) break;
      const allocated = allocations.get(wallet.walletId) ?? new BigNumber(0);
      let take = remaining;
      if (wallet.hasActiveThresholdRule !== true && index < applicable.length - 1) {
        const room = wallet.balanceCents.minus(allocated);
        if (!room.isGreaterThan(0)) continue;
        take = BigNumber.min(remaining, room);
      }
      allocations.set(wallet.walletId, allocated.plus(take));
      remaining = remaining.minus(take);
      budgets.set(pool.currency, (budgets.get(pool.currency) ?? new BigNumber(0)).minus(take));
    }
  }
  return ordered.map((wallet) => balanceOf(wallet, allocations.get(wallet.walletId) ?? new BigNumber(0)));
}

/**
 * One wallet's ongoing balance (the shape of `ongoingBalances` for a customer with this single active wallet, where
 * the wallet takes every key it may pay, beyond its balance if need be).
 */
export function ongoingBalance(input: OngoingUsage & { readonly wallet: Omit<OngoingWallet, 'walletId' | 'priority' | 'createdAt'> }): OngoingBalance {
  const wallet: OngoingWallet = { walletId: '', priority: 1, createdAt: '1970-01-01T00:00:00.000Z', ...input.wallet };
  const [balance] = ongoingBalances([wallet], input);
  if (balance === undefined) throw new Error('unreachable: one wallet in, one balance out');
  return balance;
}

/** `RefreshOngoingUsageService#wallet_update_params` for the wallet's allocation. */
export function balanceOf(wallet: OngoingWallet, usage: BigNumber): OngoingBalance {
  const ongoing = integer(wallet.balanceCents, `wallet ${wallet.walletId} balanceCents`).minus(usage);
  const depleted = !ongoing.isGreaterThan(0);
  return {
    walletId: wallet.walletId,
    allocatedCents: usage,
    ongoingUsageBalanceCents: toBigintColumn(usage),
    creditsOngoingUsageBalance: creditsOf(usage, wallet),
    ongoingBalanceCents: toBigintColumn(ongoing),
    creditsOngoingBalance: creditsOf(ongoing, wallet),
    depletedOngoingBalance: depleted,
    becameDepleted: depleted && wallet.depletedOngoingBalance !== true,
  };
}

/** `cents.to_f.fdiv(subunit_to_unit).fdiv(rate_amount)`: a Float division, then the Float in a BigDecimal division. */
function creditsOf(cents: BigNumber, wallet: OngoingWallet): BigNumber {
  const major = doubleDiv(toDouble(cents), toDouble(subunitToUnit(wallet.currency)));
  return toDecimalColumn(bigDecimalDivide(doubleToBigDecimal(major), checkedRate(wallet.rateAmount)));
}

/** `net_usage_by_fee_key`, keys in first-seen order. */
function netUsage(usage: OngoingUsage): Pool[] {
  const pools = new Map<string, Pool>();
  const add = (fee: OngoingFee, amount: BigNumber) => {
    const feeType = fee.feeType.toLowerCase();
    const metric = feeType === 'charge' ? fee.billableMetricCode : null;
    const target = fee.targetWalletCode ?? null;
    const key = JSON.stringify([feeType, metric, target, fee.currency]);
    const pool = pools.get(key);
    if (pool === undefined) pools.set(key, { feeType, metric, target, currency: fee.currency, net: amount });
    else pool.net = pool.net.plus(amount);
  };
  const coupons = (fee: OngoingFee) => fee.preciseCouponsAmountCents ?? new BigNumber(0);
  // A pay-in-advance fee is added as usage and subtracted as already billed: it nets to 0 in its key.
  for (const fee of usage.usageFees) add(fee, fee.payInAdvance ? new BigNumber(0) : fee.amountCents.plus(fee.taxesAmountCents));
  for (const invoice of usage.draftInvoices) {
    if (invoice.totalAmountCents.isZero()) continue;
    for (const fee of invoice.fees) add(fee, fee.amountCents.plus(fee.taxesAmountCents).minus(coupons(fee)));
  }
  for (const fee of usage.progressiveBillingFees ?? []) add(fee, fee.amountCents.minus(coupons(fee)).plus(fee.taxesAmountCents).negated());
  return [...pools.values()];
}

/** `sort_by { [-amount, fee_key.map(&:to_s)] }`: largest first, then the key's strings (nil → ""). */
function poolOrder(a: Pool, b: Pool): number {
  const byAmount = b.net.comparedTo(a.net) ?? 0;
  if (byAmount !== 0) return byAmount;
  const left = [a.feeType, a.metric ?? '', a.target ?? '', a.currency];
  const right = [b.feeType, b.metric ?? '', b.target ?? '', b.currency];
  for (let i = 0; i < left.length; i += 1) {
    const x = left[i] ?? '';
    const y = right[i] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** `applicable_fee?` of the ongoing allocation: same currency, then as for prepaid credits. */
function applies(pool: Pool, wallet: OngoingWallet): boolean {
  if (wallet.currency !== pool.currency) return false;
  if (pool.target !== null && pool.target !== '') return wallet.code === pool.target;
  const targetMatch = pool.feeType === 'charge' && pool.metric !== null && wallet.billableMetricCodes.includes(pool.metric);
  return targetMatch || allowsFeeType(wallet.feeTypes, pool.feeType) || (wallet.billableMetricCodes.length === 0 && wallet.feeTypes.length === 0);
}

function integer(value: BigNumber, field: string): BigNumber {
  if (!BigNumber.isBigNumber(value) || !value.isInteger()) throw new RangeError(`${field} must be an integer BigNumber`);
  return value;
}

import BigNumber from 'bignumber.js';
import { doubleDiv, doubleToBigDecimal, toDouble } from '../invoice/rubyFloat.ts';
import { allowsFeeType, applicationOrder, toDecimalColumn, walletCreditFromCents } from './credits.ts';

/** Lago's `Fee::FEE_TYPES` the engine produces (app/models/fee.rb), upper-cased. */
export type PrepaidFeeType = 'SUBSCRIPTION' | 'CHARGE' | 'COMMITMENT' | 'ADD_ON' | 'CREDIT';

/** A fee of the invoice being finalized, as Lago holds it when the wallets apply (§4.4 step 7). */
export interface PrepaidFee {
  readonly id: string;
  /** A `PrepaidFeeType`, or any other Lago fee type (`FIXED_CHARGE`...): compared case-insensitively. */
  readonly feeType: PrepaidFeeType | (string & {});
  /** The charge's metric (CHARGE fees only: Lago keys by `fee.charge&.billable_metric_id`; ignored on other fees). */
  readonly billableMetricCode: string | null;
  /** Integer cents. */
  readonly amountCents: BigNumber;
  /** Progressive-billing credit + coupons allocated to the fee (5 decimals). */
  readonly preciseCouponsAmountCents: BigNumber;
  /** The fee's unrounded taxes (`taxes_precise_amount_cents`, 15 decimals). */
  readonly taxesPreciseAmountCents: BigNumber;
  /** Credit notes allocated to the fee (`distributeCreditNotes`; 5 decimals). */
  readonly preciseCreditNotesAmountCents: BigNumber;
  /**
   * Lago's events-targeting-wallets feature (`grouped_by.target_wallet_code`): `undefined` when the feature is off or the
   * charge does not accept a target wallet; `null` when it does but the fee names none (Lago still appends `nil` to the
   * bucket key); a code routes the fee to that wallet only.
   */
  readonly targetWalletCode?: string | null;
}

/** An active wallet of the customer (Lago's `customer.wallets.active`). */
export interface PrepaidWallet {
  readonly walletId: string;
  readonly code?: string | null;
  /** Lago skips wallets of another currency; absent: the caller kept only the invoice's currency. */
  readonly currency?: string;
  /**
   * Value of one credit in major units (`rate_amount`), for the transaction's credits. Absent: `creditAmount` is null
   * (the cents do not depend on it: `from_amount_cents` gives back the rounded cents below 10^15 cents).
   */
  readonly rateAmount?: BigNumber;
  /** 1 (first) .. 50 (last). */
  readonly priority: number;
  /** ISO instant. */
  readonly createdAt: string;
  /** Integer cents. */
  readonly balanceCents: BigNumber;
  /** `allowed_fee_types` (either case: `CHARGE` or Lago's `charge`). */
  readonly feeTypes: readonly string[];
  /** Wallet targets: the metrics whose CHARGE fees the wallet may pay. */
  readonly billableMetricCodes: readonly string[];
}

/** What `allocatePrepaidCredits` reads of the invoice (Credits::AllocatePrepaidCreditsByWalletsService). */
export interface PrepaidCreditsInput {
  readonly currency: string;
  /** The invoice total after credit notes, before wallets (integer cents). */
  readonly totalAmountCents: BigNumber;
  readonly fees: readonly PrepaidFee[];
  readonly wallets: readonly PrepaidWallet[];
}

/** One outbound wallet transaction (Credits::AppliedPrepaidCreditsService#create_wallet_transaction). */
export interface WalletDebit {
  readonly walletId: string;
  /** The outbound transaction's `amount_cents` (the wallet's balance drops by this). */
  readonly amountCents: BigNumber;
  /** Its `credit_amount` as stored (5 decimals); null when the wallet's `rateAmount` is not given. */
  readonly creditAmount: BigNumber | null;
  /** What the allocation gave the wallet before the transaction rounded it (may have decimals). */
  readonly allocatedCents: BigNumber;
}

/** The wallets' share of the invoice (Credits::AppliedPrepaidCreditsService#call). */
export interface PrepaidCredits {
  /** One per wallet that pays something, in application order. */
  readonly wallets: readonly WalletDebit[];
  /** Σ amountCents: the invoice's `prepaid_credit_amount_cents`. */
  readonly prepaidCreditAmountCents: BigNumber;
}

interface Bucket {
  readonly feeType: string;
  readonly metric: string | null;
  readonly target: string | null | undefined;
  remaining: BigNumber;
}

/**
 * Wallets on a finalizing invoice (§4.4 step 7): Lago's `Credits::AppliedPrepaidCreditsService` with
 * `Credits::AllocatePrepaidCreditsByWalletsService` (app/services/credits/).
 *
 * Nothing applies unless the total is positive. Wallets: same currency, positive balance, `priority` then `created_at`
 * (`Wallet.in_application_order`). Fees are bucketed by `[fee_type, metric]` (plus the target wallet code, see
 * `PrepaidFee`); a fee whose `amount − precise coupons` is exactly 0 is skipped, otherwise its cap
 * `amount − precise coupons + taxes precise − precise credit notes` (decimals kept) adds to its bucket when positive.
 * Buckets go by descending amount; when `total − Σ caps` is positive and at most the number of buckets (cents), the
 * gap is added to the first (largest) bucket. Each wallet, in order, walks the buckets it may pay (its target
 * code; else a metric target, or an allowed fee type, or no restriction at all) and takes
 * `min(bucket left, balance − taken so far, invoice left)` from each. The wallet's total becomes one outbound
 * transaction through `WalletCredit.from_amount_cents`: the allocated decimal is rounded half up to whole cents.
 *
 * NOTE: Lago's `sort_by` is not stable; equal buckets keep the fees' order here. Lago keys by metric id, this by code.
 * NOTE: allocations can carry decimals (precise taxes, coupons) and each transaction rounds its own, so Σ amountCents
 * can exceed the total by up to ½ cent per wallet — Lago's behaviour, reproduced.
 */
export function allocatePrepaidCredits(input: PrepaidCreditsInput): PrepaidCredits {
  const total = integerCents(input.totalAmountCents, 'totalAmountCents');
  const wallets = input.wallets
    .filter((wallet) => (wallet.currency ?? input.currency) === input.currency && integerCents(wallet.balanceCents, `wallet ${wallet.walletId} balanceCents`).isGreaterThan(0))
    .sort(applicationOrder);
  if (!total.isGreaterThan(0) || wallets.length === 0) return { wallets: [], prepaidCreditAmountCents: new BigNumber(0) };

  const buckets = orderedBuckets(input.fees, total);
  let invoiceLeft = total;
  const debits: WalletDebit[] = [];
  for (const wallet of wallets) {
    let taken = new BigNumber(0);
    for (const bucket of buckets) {
      if (!bucket.remaining.isGreaterThan(0) || !applicable(bucket, wallet)) continue;
      const room = wallet.balanceCents.minus(taken);
      if (!room.isGreaterThan(0)) continue;
      const take = BigNumber.min(bucket.remaining, room, invoiceLeft);
      if (!take.isGreaterThan(0)) continue;
      bucket.remaining = bucket.remaining.minus(take);
      invoiceLeft = invoiceLeft.minus(take);
      taken = taken.plus(take);
    }
    if (taken.isGreaterThan(0)) debits.push(debitOf(wallet, taken, input.currency));
  }
  return { wallets: debits, prepaidCreditAmountCents: BigNumber.sum(0, ...debits.map((debit) => debit.amountCents)) };
}

/** `AppliedPrepaidCreditsService#create_wallet_transaction`: `WalletCredit.from_amount_cents(allocated)`. */
function debitOf(wallet: PrepaidWallet, taken: BigNumber, currency: string): WalletDebit {
  if (wallet.rateAmount === undefined) {
    return { walletId: wallet.walletId, amountCents: taken.integerValue(BigNumber.ROUND_HALF_UP), creditAmount: null, allocatedCents: taken };
  }
  const credit = walletCreditFromCents(taken, wallet.rateAmount, currency);
  return { walletId: wallet.walletId, amountCents: credit.amountCents, creditAmount: toDecimalColumn(credit.creditAmount), allocatedCents: taken };
}

/** `calculate_amounts_for_fees_by_type_and_bm` + `reconcile_remaining_amounts`. */
function orderedBuckets(fees: readonly PrepaidFee[], total: BigNumber): Bucket[] {
  const byKey = new Map<string, Bucket>();
  for (const fee of fees) {
    const subTotal = fee.amountCents.minus(fee.preciseCouponsAmountCents);
    if (subTotal.isZero()) continue;
    const cap = subTotal.plus(fee.taxesPreciseAmountCents).minus(fee.preciseCreditNotesAmountCents);
    if (!cap.isGreaterThan(0)) continue;
    const feeType = fee.feeType.toLowerCase();
    const metric = feeType === 'charge' ? fee.billableMetricCode : null;
    const key = JSON.stringify(fee.targetWalletCode === undefined ? [feeType, metric] : [feeType, metric, fee.targetWalletCode]);
    const bucket = byKey.get(key);
    if (bucket === undefined) byKey.set(key, { feeType, metric, target: fee.targetWalletCode, remaining: cap });
    else bucket.remaining = bucket.remaining.plus(cap);
  }
  // Array#sort is stable: equal buckets keep their first fee's order.
  const ordered = [...byKey.values()].sort((a, b) => b.remaining.comparedTo(a.remaining) ?? 0);
  const gap = total.minus(BigNumber.sum(0, ...ordered.map((bucket) => bucket.remaining)));
  const largest = ordered[0];
  // Only a rounding gap (at most a cent per bucket) is reconciled, and only upwards.
  if (largest !== undefined && gap.isGreaterThan(0) && gap.isLessThanOrEqualTo(ordered.length)) largest.remaining = largest.remaining.plus(gap);
  return ordered;
}

/** `applicable_fee?`: a target code picks its wallet alone; else a metric target, an allowed type, or no limits. */
function applicable(bucket: Bucket, wallet: PrepaidWallet): boolean {
  if (bucket.target !== undefined && bucket.target !== null && bucket.target !== '') return wallet.code === bucket.target;
  const targetMatch = bucket.feeType === 'charge' && bucket.metric !== null && wallet.billableMetricCodes.includes(bucket.metric);
  const typeMatch = allowsFeeType(wallet.feeTypes, bucket.feeType);
  return targetMatch || typeMatch || (wallet.billableMetricCodes.length === 0 && wallet.feeTypes.length === 0);
}

/** A fee as `Credits::CreditNoteService#apply_credit_to_fees` reads it (a `PrepaidFee` fits). */
export interface CreditNoteFee {
  /** Integer cents. */
  readonly amountCents: BigNumber;
  readonly preciseCouponsAmountCents: BigNumber;
  /**
   * The fee's rounded taxes (integer cents): Lago uses `taxes_amount_cents` here, not the precise taxes. Absent: the
   * precise taxes rounded half up (which is what Lago stores, up to a Float sum's last bit).
   */
  readonly taxesAmountCents?: BigNumber;
  readonly taxesPreciseAmountCents?: BigNumber;
  /** What earlier credit notes already allocated (0 by default). */
  readonly preciseCreditNotesAmountCents?: BigNumber;
}

/**
 * Each fee's `precise_credit_notes_amount_cents` after the invoice's credit notes (§4.4 step 6), in the fees' order,
 * as Lago's `Credits::CreditNoteService#apply_credit_to_fees` (app/services/credits/credit_note_service.rb) fills it.
 *
 * `credits` are the amounts the credit notes consumed, in the order they applied (oldest credit note first); one
 * BigNumber when only the invoice-level amount is known, which is exact for a single credit note and otherwise off
 * by a rounding at most. `invoiceTotalAmountCents` is the total before credit notes (`sub_total_including_taxes`,
 * taxes rounded at invoice level); it defaults to Σ after-tax fee amounts, which can differ from it by a cent or so.
 * For each credit, with `left` = the total minus the earlier credits, every fee gets
 * `precise += (credit × (afterTax − precise)).fdiv(left)` with `afterTax = amount − precise coupons + taxes`: the
 * BigDecimal product as a Float divided in Floats, added back as `Float#to_d`, stored with 5 decimals (half up),
 * capped at `afterTax`.
 */
export function distributeCreditNotes(
  fees: readonly CreditNoteFee[],
  credits: BigNumber | readonly BigNumber[],
  invoiceTotalAmountCents?: BigNumber,
): BigNumber[] {
  const afterTax = fees.map((fee) => fee.amountCents.minus(fee.preciseCouponsAmountCents).plus(roundedTaxes(fee)));
  const precise = fees.map((fee) => fee.preciseCreditNotesAmountCents ?? new BigNumber(0));
  let left = integerCents(invoiceTotalAmountCents ?? BigNumber.sum(0, ...afterTax).integerValue(BigNumber.ROUND_HALF_UP), 'invoiceTotalAmountCents');
  for (const credit of BigNumber.isBigNumber(credits) ? [credits] : credits) {
    integerCents(credit, 'credit');
    if (!credit.isGreaterThan(0)) continue;
    if (credit.isGreaterThan(left)) throw new RangeError(`credit ${credit.toFixed()} exceeds what is left of the invoice (${left.toFixed()})`);
    for (const [i, cap] of afterTax.entries()) {
      const before = precise[i] ?? new BigNumber(0);
      const share = doubleDiv(toDouble(credit.times(cap.minus(before))), toDouble(left));
      const after = toDecimalColumn(before.plus(doubleToBigDecimal(share)));
      precise[i] = cap.isLessThan(after) ? cap : after;
    }
    left = left.minus(credit);
  }
  return precise;
}

function roundedTaxes(fee: CreditNoteFee): BigNumber {
  return fee.taxesAmountCents ?? (fee.taxesPreciseAmountCents ?? new BigNumber(0)).integerValue(BigNumber.ROUND_HALF_UP);
}

function integerCents(value: BigNumber, field: string): BigNumber {
  if (!BigNumber.isBigNumber(value) || !value.isInteger()) throw new RangeError(`${field} must be an integer BigNumber`);
  return value;
}

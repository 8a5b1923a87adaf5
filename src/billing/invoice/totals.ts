import BigNumber from 'bignumber.js';

export interface InvoiceTotalsInput {
  readonly fees: readonly { readonly amountCents: BigNumber }[];
  /** The invoice's taxes (`computeTaxes(...).taxesAmountCents`). */
  readonly taxesAmountCents: BigNumber;
  readonly couponsAmountCents?: BigNumber;
  readonly progressiveBillingCreditAmountCents?: BigNumber;
  readonly creditNotesAmountCents?: BigNumber;
  readonly prepaidCreditAmountCents?: BigNumber;
}

/** An invoice's amounts, all integer cents. */
export interface InvoiceTotals {
  readonly feesAmountCents: BigNumber;
  readonly couponsAmountCents: BigNumber;
  readonly progressiveBillingCreditAmountCents: BigNumber;
  readonly subTotalExcludingTaxesAmountCents: BigNumber;
  readonly taxesAmountCents: BigNumber;
  readonly subTotalIncludingTaxesAmountCents: BigNumber;
  readonly creditNotesAmountCents: BigNumber;
  readonly prepaidCreditAmountCents: BigNumber;
  readonly totalAmountCents: BigNumber;
}

/**
 * The invoice amounts in Lago's order (§4.4; `Invoices::ComputeAmountsFromFees#call`, then
 * `CalculateFeesService#refresh_amounts` for credit notes and wallets):
 * - `fees = Σ fee.amountCents`
 * - `subTotalExcludingTaxes = fees − progressiveBillingCredit − coupons` (both applied before taxes)
 * - `subTotalIncludingTaxes = subTotalExcludingTaxes + taxes`
 * - `total = subTotalIncludingTaxes − creditNotes − prepaidCredit` (both applied after taxes)
 *
 * NOTE: Lago clamps none of these differences: each credit is capped where it is computed instead — the
 * progressive-billing credit at the invoice's charge fees (`Credits::ProgressiveBillingService`, the excess becomes a
 * credit note), each coupon at what remains (`AppliedCoupons::AmountService`), credit notes at the remaining total
 * (`Credits::CreditNoteService`), wallets at the remaining total (`Credits::AppliedPrepaidCreditsService`). So no
 * amount can go below zero, and a credit larger than what it applies to is refused here with a `RangeError`.
 */
export function invoiceTotals(input: InvoiceTotalsInput): InvoiceTotals {
  const zero = new BigNumber(0);
  const feesAmountCents = BigNumber.sum(0, ...input.fees.map((fee, i) => cents(fee.amountCents, `fees[${i}].amountCents`)));
  const progressiveBillingCreditAmountCents = credit(input.progressiveBillingCreditAmountCents ?? zero, 'progressiveBillingCreditAmountCents', feesAmountCents);
  const afterProgressive = feesAmountCents.minus(progressiveBillingCreditAmountCents);
  const couponsAmountCents = credit(input.couponsAmountCents ?? zero, 'couponsAmountCents', afterProgressive);
  const subTotalExcludingTaxesAmountCents = afterProgressive.minus(couponsAmountCents);
  const taxesAmountCents = cents(input.taxesAmountCents, 'taxesAmountCents');
  if (taxesAmountCents.isNegative()) throw new RangeError(`taxesAmountCents must not be negative, got ${taxesAmountCents.toFixed()}`);
  const subTotalIncludingTaxesAmountCents = subTotalExcludingTaxesAmountCents.plus(taxesAmountCents);
  const creditNotesAmountCents = credit(input.creditNotesAmountCents ?? zero, 'creditNotesAmountCents', subTotalIncludingTaxesAmountCents);
  const afterCreditNotes = subTotalIncludingTaxesAmountCents.minus(creditNotesAmountCents);
  const prepaidCreditAmountCents = credit(input.prepaidCreditAmountCents ?? zero, 'prepaidCreditAmountCents', afterCreditNotes);
  return {
    feesAmountCents,
    couponsAmountCents,
    progressiveBillingCreditAmountCents,
    subTotalExcludingTaxesAmountCents,
    taxesAmountCents,
    subTotalIncludingTaxesAmountCents,
    creditNotesAmountCents,
    prepaidCreditAmountCents,
    totalAmountCents: afterCreditNotes.minus(prepaidCreditAmountCents),
  };
}

/** `CalculateFeesService#call`: `payment_status = total > 0 ? pending : succeeded` (a zero invoice is paid). */
export function paymentStatusFor(totals: InvoiceTotals): 'PENDING' | 'SUCCEEDED' {
  return totals.totalAmountCents.isGreaterThan(0) ? 'PENDING' : 'SUCCEEDED';
}

function cents(value: BigNumber, field: string): BigNumber {
  if (!BigNumber.isBigNumber(value) || !value.isInteger()) throw new RangeError(`${field} must be integer cents`);
  return value;
}

/** A credit: non-negative integer cents, at most what it applies to. */
function credit(value: BigNumber, field: string, available: BigNumber): BigNumber {
  cents(value, field);
  if (value.isNegative()) throw new RangeError(`${field} must not be negative, got ${value.toFixed()}`);
  if (value.isGreaterThan(BigNumber.max(available, 0))) {
    throw new RangeError(`${field} (${value.toFixed()}) exceeds the ${BigNumber.max(available, 0).toFixed()} cents it applies to`);
  }
  return value;
}

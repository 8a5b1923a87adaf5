/**
 * Invoice rules as pure functions, matching Lago's (`getlago/lago-api`): the subscription fee, taxes, totals, the
 * minimum-commitment true-up, coupons and numbering. Money is BigNumber integer cents; where Lago computes with
 * Floats the Float arithmetic is reproduced exactly (`rubyFloat.ts`).
 */
export type { SubscriptionFeeInput, SubscriptionFeeResult, SubscriptionFeeRule } from './subscriptionFee.ts';
export { proratedAmount, subscriptionFee, subscriptionFeeRule, usesFullPeriodAmount } from './subscriptionFee.ts';
export type {
  ComputeTaxesOptions,
  FeeAppliedTax,
  FeeTaxes,
  InvoiceAppliedTax,
  InvoiceTaxes,
  TaxableFee,
  TaxRate,
} from './taxes.ts';
export { computeTaxes } from './taxes.ts';
export type { InvoiceTotals, InvoiceTotalsInput } from './totals.ts';
export { invoiceTotals, paymentStatusFor } from './totals.ts';
export type { CommitmentInput, CommitmentTrueUp, CommitmentWindow } from './commitment.ts';
export { commitmentProrationDays, commitmentTrueUp } from './commitment.ts';
export type {
  AppliedCouponState,
  ApplyCouponsInput,
  CouponCredit,
  CouponFee,
  CouponFeeType,
  CouponsApplied,
} from './coupons.ts';
export { applyCoupons } from './coupons.ts';
export type { DocumentNumbering, InvoiceNumberInput } from './numbering.ts';
export { draftInvoiceNumber, invoiceNumber, issuingYearMonth } from './numbering.ts';
export type { Double } from './rubyFloat.ts';
export {
  doubleAdd,
  doubleDiv,
  doubleMul,
  doubleToBigDecimal,
  roundDoubleToDigits,
  roundHalfAwayFromZero,
  shortestDecimal,
  toDouble,
} from './rubyFloat.ts';

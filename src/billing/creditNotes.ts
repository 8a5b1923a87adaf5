import BigNumber from 'bignumber.js';
import { rateOf } from './invoice/taxes.ts';
import { bigDecimalDivide } from './invoice/coupons.ts';
import type { Double } from './invoice/rubyFloat.ts';
import {
  doubleAdd,
  doubleDiv,
  doubleMul,
  doubleToBigDecimal,
  roundDoubleToDigits,
  roundHalfAwayFromZero,
  shortestDecimal,
  toDouble,
} from './invoice/rubyFloat.ts';
import { currencyExponent, parseDecimal } from './money.ts';
import { toEpochDay } from './periods/civilDate.ts';
import { assertTimezone, DAY_MS, localEpochDay, startOfLocalDay, toMillis } from './periods/zone.ts';

/**
 * Lago's credit notes (§5.5, §3.4 "Upgrade credit"), with Ruby's number types reproduced as in `invoice/taxes.ts`:
 * - `CreditNotes::CreateService` (+ `ValidateItemService`, `ApplyTaxesService`, `AdjustAmountsWithRoundingService`)
 *   → `creditNoteAmounts` and `adjustSplitForRounding`;
 * - `CreditNotes::EstimateService` → `estimateCreditNote`;
 * - `CreditNotes::ValidateService` (the credit / refund / offset split) → `checkSplit`;
 * - `CreditNotes::CreateFromTermination` → `terminationCredit`;
 * - `Invoice#fee_total_amount_cents`, `#creditable_amount_cents`, `#refundable_amount_cents` → the `invoice*` helpers.
 * Out of scope: prepaid-credit (wallet) invoices, tax providers (their `taxable_base_amount_cents`), invoices older
 * than `COUPON_BEFORE_VAT_VERSION` (3).
 */

/** A tax of a fee, as on the invoice (`rate`: percent, decimal string). */
export interface CreditNoteTax {
  readonly code: string;
  readonly name: string | null;
  readonly rate: string;
}

export interface CreditableFee {
  readonly id: string;
  /** Integer cents. */
  readonly amountCents: BigNumber;
  /** Unrounded (≤ 5 places, `numeric(30,5)`), ≥ 0: coupons and progressive-billing credits allocated to the fee. */
  readonly preciseCouponsAmountCents: BigNumber;
  /** The fee's applied taxes, in the fee's order. */
  readonly taxes: readonly CreditNoteTax[];
  /**
   * Σ of the items of earlier credit notes on this fee, integer cents. Lago (`Fee#creditable_amount_cents`) sums every
   * item of the fee, voided credit notes included (voiding a credit note only voids its remaining balance).
   */
  readonly creditedAmountCents: BigNumber;
}

/**
 * An item as Lago's API takes it: the fee and an amount in cents, excluding taxes and before coupons. Like the API it
 * may carry decimals: the create service keeps them (the amount is JSON's Float, rounded half away from zero for
 * `amount_cents`, kept to 5 places for `precise_amount_cents`); the estimate service truncates it (`to_i`).
 */
export interface CreditNoteItemInput {
  readonly feeId: string;
  readonly amountCents: BigNumber;
}

/** An earlier credit note on the same invoice (Lago's `invoice.credit_notes`). */
export interface EarlierCreditNote {
  readonly creditAmountCents: BigNumber;
  readonly refundAmountCents: BigNumber;
  readonly offsetAmountCents: BigNumber;
  /** Integer cents, and the `precise_taxes_amount_cents` (5 places) it was rounded from. */
  readonly taxesAmountCents: BigNumber;
  readonly preciseTaxesAmountCents: BigNumber;
}

export interface CreditNoteInvoice {
  /** Σ fee amounts, integer cents (`fees_amount_cents`). */
  readonly feesAmountCents: BigNumber;
  readonly couponsAmountCents: BigNumber;
  /** The invoice's total (`total_amount_cents`): read by the estimate's refundable amount only. */
  readonly totalAmountCents: BigNumber;
  /** `progressive_billing_credit_amount_cents`; 0 by default. */
  readonly progressiveBillingCreditAmountCents?: BigNumber;
  /**
   * What the invoice can still credit, for the invoice-level check (`ValidateService#valid_remaining_invoice_amount?`).
   * Default: `Invoice#fee_total_amount_cents − Σ (credit + refund + offset)` of `creditNotes`.
   */
  readonly creditableAmountCents?: BigNumber;
  /**
   * The invoice's finalized credit notes (voided ones included: voiding keeps their amounts). Their rounding
   * adjustments are given back by the note that credits all that remains. None by default.
   */
  readonly creditNotes?: readonly EarlierCreditNote[];
  /** Estimate only (`Invoice#refundable_amount_cents`): `total_paid_amount_cents` (0) and `payment_succeeded?` (false). */
  readonly totalPaidAmountCents?: BigNumber;
  readonly paymentSucceeded?: boolean;
}

export interface CreditNoteInput {
  readonly currency: string;
  /** Every fee of the invoice (the remaining-amount rules look at all of them). */
  readonly fees: readonly CreditableFee[];
  readonly items: readonly CreditNoteItemInput[];
  readonly invoice: CreditNoteInvoice;
}

export interface CreditNoteAppliedTax {
  readonly code: string;
  readonly name: string | null;
  readonly rate: string;
  readonly amountCents: BigNumber;
  readonly baseAmountCents: BigNumber;
}

export interface CreditNoteAmounts {
  /** `amountCents` integer; `preciseAmountCents` as stored (5 places). */
  readonly items: readonly { feeId: string; amountCents: BigNumber; preciseAmountCents: BigNumber }[];
  readonly couponsAdjustmentAmountCents: BigNumber;
  /** 5 places, as stored: what `subTotalExcludingTaxesAmountCents` is computed from. */
  readonly preciseCouponsAdjustmentAmountCents: BigNumber;
  readonly taxesAmountCents: BigNumber;
  /** 5 places, as stored; the next notes of the invoice need it (`taxes_rounding_adjustment`). */
  readonly preciseTaxesAmountCents: BigNumber;
  readonly appliedTaxes: readonly CreditNoteAppliedTax[];
  /** round(Σ precise items − precise coupons adjustment). */
  readonly subTotalExcludingTaxesAmountCents: BigNumber;
  /** The note's total: sub-total + taxes (the create service's rounding adjustment makes it so). */
  readonly totalAmountCents: BigNumber;
  /** Σ precise items − precise coupons adjustment + precise taxes, unrounded: `ValidateService` compares with it. */
  readonly preciseTotalAmountCents: BigNumber;
  /** Blended rate, 5 places. */
  readonly taxesRate: BigNumber;
}

export interface CreditNoteEstimate extends CreditNoteAmounts {
  readonly creditAmountCents: BigNumber;
  /** What the estimate proposes to refund: the credit, capped by `Invoice#refundable_amount_cents`. */
  readonly refundAmountCents: BigNumber;
}

const ZERO = new BigNumber(0);
/** Ruby's numbers have no negative zero: a tiny negative rounds to 0, not to BigNumber's −0. */
const unsignedZero = (value: BigNumber): BigNumber => (value.isZero() ? ZERO : value);
const HUNDRED = toDouble(100);
/** `CreditNote::DB_PRECISION_SCALE`, and the scale of every `precise_*` credit-note column (`numeric(30,5)`). */
const PRECISE_SCALE = 5;
/** ActiveModel's `float_precision` for a Float cast into a `numeric(30,5)` column: `Float::DIG + 1`. */
const FLOAT_CAST_DIGITS = 16;

// ---------------------------------------------------------------------------------------------------------------
// Ruby number types
// ---------------------------------------------------------------------------------------------------------------

/** A BigDecimal (or Integer) written to a `numeric(30,5)` column: `value.round(5)`, half up. */
function decimalColumn(value: BigNumber): BigNumber {
  return unsignedZero(value.decimalPlaces(PRECISE_SCALE, BigNumber.ROUND_HALF_UP));
}

/**
 * A Float written to a `numeric(30,5)` column (ActiveModel `Decimal#cast_value`): `BigDecimal(value.round(5), 16)`
 * (dtoa mode 2: the double's exact value correctly rounded to 16 digits), then `.round(5)`.
 */
function decimalColumnFromFloat(value: Double): BigNumber {
  const rounded = value.isZero() ? value : roundDoubleToDigits(value, PRECISE_SCALE);
  return decimalColumn(rounded.precision(FLOAT_CAST_DIGITS, BigNumber.ROUND_HALF_EVEN));
}

/** `BigDecimal#round` / `Integer#round`: an integer, ties away from zero. */
function roundHalfUp(value: BigNumber): BigNumber {
  return unsignedZero(value.integerValue(BigNumber.ROUND_HALF_UP));
}

/** `Float#round`: an Integer, ties away from zero. */
const roundFloat = (value: Double): BigNumber => unsignedZero(roundHalfAwayFromZero(value));

const negate = (value: Double): Double => value.negated() as Double;
const doubleSub = (a: Double, b: Double): Double => doubleAdd(a, negate(b));

/** Ruby `Array#sum` of Floats: Kahan-Babuska compensated summation (array.c `ary_sum`). */
function floatSum(values: readonly Double[]): Double {
  let sum = toDouble(0);
  let compensation = toDouble(0);
  for (const x of values) {
    const t = doubleAdd(sum, x);
    const lost = sum.abs().isGreaterThanOrEqualTo(x.abs()) ? doubleAdd(doubleSub(sum, t), x) : doubleAdd(doubleSub(x, t), sum);
    compensation = doubleAdd(compensation, lost);
    sum = t;
  }
  return doubleAdd(sum, compensation);
}

/** `frexp`'s exponent: 2^(e−1) ≤ |value| < 2^e. */
function frexpExponent(value: BigNumber): number {
  const magnitude = value.abs();
  const power = (k: number) => (k >= 0 ? new BigNumber(2).pow(k) : new BigNumber(0.5).pow(-k));
  let exponent = Math.round(((magnitude.e ?? 0) + 1) * Math.LOG2E * Math.LN10);
  while (power(exponent - 1).isGreaterThan(magnitude)) exponent -= 1;
  while (power(exponent).isLessThanOrEqualTo(magnitude)) exponent += 1;
  return exponent;
}

/**
 * Ruby `Float#truncate(ndigits)` of a non-negative Float, i.e. `Float#floor(ndigits)` (numeric.c `rb_float_floor`):
 * `floor(x × 10^n)` in doubles, then `(mul + 1) / 10^n` unless that exceeds x, else `mul / 10^n`.
 */
function floatTruncate(value: Double, ndigits: number): Double {
  if (value.isNegative()) throw new RangeError(`floatTruncate expects a non-negative Float, got ${value.toFixed()}`);
  if (value.isZero()) return value;
  const binexp = frexpExponent(value);
  if (ndigits >= 17 - (binexp > 0 ? Math.trunc(binexp / 4) : Math.trunc(binexp / 3) - 1)) return value;
  if (ndigits < -(binexp > 0 ? Math.trunc(binexp / 3) + 1 : Math.trunc(binexp / 4))) return toDouble(0);
  const scale = toDouble(new BigNumber(10).pow(ndigits));
  const mul = toDouble(doubleMul(value, scale).integerValue(BigNumber.ROUND_FLOOR));
  const up = doubleDiv(doubleAdd(mul, toDouble(1)), scale);
  return up.isGreaterThan(value) ? doubleDiv(mul, scale) : up;
}

/** A Ruby number that is either an Integer or a Float (the termination amounts switch between both). */
type RubyNumber = { readonly kind: 'integer'; readonly value: BigNumber } | { readonly kind: 'float'; readonly value: Double };

const integer = (value: BigNumber): RubyNumber => ({ kind: 'integer', value });
const float = (value: Double): RubyNumber => ({ kind: 'float', value });
/** The number as the BigDecimal it becomes in `Float op BigDecimal` (`BigDecimal#coerce`: `Float#to_d`). */
const asBigDecimal = (n: RubyNumber): BigNumber => (n.kind === 'integer' ? n.value : doubleToBigDecimal(n.value));
const rubyRound = (n: RubyNumber): BigNumber => (n.kind === 'integer' ? n.value : roundFloat(n.value));

// ---------------------------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------------------------

interface ParsedTax {
  readonly tax: CreditNoteTax;
  /** `tax_rate` (a double column). */
  readonly double: Double;
  /** The Float entering BigDecimal arithmetic (`Float#to_d`). */
  readonly bigDecimal: BigNumber;
  readonly display: string;
}

interface ParsedFee {
  readonly fee: CreditableFee;
  readonly amount: BigNumber;
  readonly coupons: BigNumber;
  readonly credited: BigNumber;
  readonly taxes: readonly ParsedTax[];
  /** `fees.taxes_rate`: Σ of its rates, summed in Floats. */
  readonly taxesRate: Double;
}

function integerCents(value: BigNumber, field: string): BigNumber {
  if (!BigNumber.isBigNumber(value) || !value.isInteger() || value.isNegative()) {
    throw new RangeError(`${field} must be a non-negative integer BigNumber`);
  }
  return value;
}

function finiteDecimal(value: BigNumber, field: string): BigNumber {
  if (!BigNumber.isBigNumber(value) || !value.isFinite()) throw new TypeError(`${field} must be a finite BigNumber`);
  return value;
}

const parseTax = (tax: CreditNoteTax, rates: Map<string, ParsedTax>, owner: string): ParsedTax => rateOf(tax, rates, `${owner} `);

function parseFee(fee: CreditableFee, rates: Map<string, ParsedTax>): ParsedFee {
  const owner = `fee ${fee.id}`;
  const amount = integerCents(fee.amountCents, `${owner} amountCents`);
  const coupons = finiteDecimal(fee.preciseCouponsAmountCents, `${owner} preciseCouponsAmountCents`);
  if (coupons.isNegative() || coupons.isGreaterThan(amount)) throw new RangeError(`${owner} preciseCouponsAmountCents must be between 0 and the fee amount`);
  const credited = integerCents(fee.creditedAmountCents, `${owner} creditedAmountCents`);
  if (credited.isGreaterThan(amount)) throw new RangeError(`${owner} creditedAmountCents exceeds the fee amount`);
  const seen = new Set<string>();
  const taxes = fee.taxes.map((tax) => {
    if (seen.has(tax.code)) throw new RangeError(`${owner} lists tax ${JSON.stringify(tax.code)} twice`);
    seen.add(tax.code);
    return parseTax(tax, rates, owner);
  });
  const taxesRate = taxes.reduce((sum, tax) => doubleAdd(sum, tax.double), toDouble(0));
  return { fee, amount, coupons, credited, taxes, taxesRate };
}

function parseFees(fees: readonly CreditableFee[]): Map<string, ParsedFee> {
  const rates = new Map<string, ParsedTax>();
  const parsed = new Map<string, ParsedFee>();
  for (const fee of fees) {
    if (parsed.has(fee.id)) throw new RangeError(`fee ${fee.id} is listed twice`);
    parsed.set(fee.id, parseFee(fee, rates));
  }
  return parsed;
}

function earlierNotes(invoice: CreditNoteInvoice): readonly EarlierCreditNote[] {
  const notes = invoice.creditNotes ?? [];
  notes.forEach((note, index) => {
    const name = `invoice.creditNotes[${index}]`;
    integerCents(note.creditAmountCents, `${name}.creditAmountCents`);
    integerCents(note.refundAmountCents, `${name}.refundAmountCents`);
    integerCents(note.offsetAmountCents, `${name}.offsetAmountCents`);
    finiteDecimal(note.taxesAmountCents, `${name}.taxesAmountCents`);
    finiteDecimal(note.preciseTaxesAmountCents, `${name}.preciseTaxesAmountCents`);
  });
  return notes;
}

const sumOf = (values: readonly BigNumber[]): BigNumber => values.reduce((sum, value) => sum.plus(value), ZERO);

// ---------------------------------------------------------------------------------------------------------------
// Invoice helpers
// ---------------------------------------------------------------------------------------------------------------

/**
 * `Invoice#fee_total_amount_cents`, the ceiling of all credit notes of an invoice: `Σ amount +
 * round((Σ amount × taxes_rate).fdiv(100))` (Integer × Float, summed as Ruby's `Array#sum` sums Floats).
 */
export function invoiceFeeTotalAmountCents(fees: readonly CreditableFee[]): BigNumber {
  return feeTotal([...parseFees(fees).values()]);
}

function feeTotal(fees: readonly ParsedFee[]): BigNumber {
  const amount = sumOf(fees.map((f) => f.amount));
  if (fees.length === 0) return amount;
  const taxes = floatSum(fees.map((f) => doubleMul(toDouble(f.amount), f.taxesRate)));
  return amount.plus(roundFloat(doubleDiv(taxes, HUNDRED)));
}

/**
 * `Invoice#creditable_amount_cents` (`available_to_credit_amount_cents`), what the invoice can still credit, taxes
 * included: with `C = Σ fee.creditable` (amount − credited), `adj = (coupons + progressive).fdiv(fees) × C` and
 * `vat = round(Σ (fee.creditable − adj × fee.creditable.fdiv(C)) × fee.taxes_rate).fdiv(100))`, it is `C − adj + vat`
 * (0 when C is 0), all in Floats: the exact value of that Float.
 */
export function invoiceCreditableAmountCents(fees: readonly CreditableFee[], invoice: CreditNoteInvoice): BigNumber {
  const parsed = [...parseFees(fees).values()];
  return availableToCredit(parsed.map((f) => ({ fee: f, creditable: f.amount.minus(f.credited) })), invoice);
}

function availableToCredit(fees: readonly { fee: ParsedFee; creditable: BigNumber }[], invoice: CreditNoteInvoice): BigNumber {
  const total = sumOf(fees.map((f) => f.creditable));
  if (total.isZero()) return ZERO;
  const feesAmount = integerCents(invoice.feesAmountCents, 'invoice.feesAmountCents');
  const deductions = integerCents(invoice.couponsAmountCents, 'invoice.couponsAmountCents').plus(
    integerCents(invoice.progressiveBillingCreditAmountCents ?? ZERO, 'invoice.progressiveBillingCreditAmountCents'),
  );
  if (feesAmount.isZero()) throw new RangeError('invoice.feesAmountCents is 0 while its fees have creditable amounts');
  const adjustment = doubleMul(doubleDiv(toDouble(deductions), toDouble(feesAmount)), toDouble(total));
  const vat = floatSum(
    fees.map(({ fee, creditable }) => {
      const prorated = doubleMul(adjustment, doubleDiv(toDouble(creditable), toDouble(total)));
      return doubleMul(doubleSub(toDouble(creditable), prorated), fee.taxesRate);
    }),
  );
  const rounded = roundFloat(doubleDiv(vat, HUNDRED));
  return doubleAdd(doubleSub(toDouble(total), adjustment), toDouble(rounded));
}

/**
 * `Invoice#refundable_amount_cents`: 0 when the invoice is not `payment_succeeded` yet fully paid; else
 * `min(paid − Σ refunds of its credit notes, creditable_amount_cents)`, at least 0.
 */
export function invoiceRefundableAmountCents(fees: readonly CreditableFee[], invoice: CreditNoteInvoice): BigNumber {
  return refundable(invoiceCreditableAmountCents(fees, invoice), invoice);
}

function refundable(creditable: BigNumber, invoice: CreditNoteInvoice): BigNumber {
  const paid = integerCents(invoice.totalPaidAmountCents ?? ZERO, 'invoice.totalPaidAmountCents');
  const total = integerCents(invoice.totalAmountCents, 'invoice.totalAmountCents');
  if (invoice.paymentSucceeded !== true && paid.eq(total)) return ZERO;
  const remainingPaid = paid.minus(sumOf(earlierNotes(invoice).map((n) => n.refundAmountCents)));
  const amount = BigNumber.min(remainingPaid, creditable);
  return amount.isNegative() ? ZERO : amount;
}

// ---------------------------------------------------------------------------------------------------------------
// CreditNotes::ApplyTaxesService
// ---------------------------------------------------------------------------------------------------------------

interface TaxedItem {
  readonly fee: ParsedFee;
  /** `precise_amount_cents` as stored (a BigDecimal). */
  readonly precise: BigNumber;
}

interface CreditNoteTaxes {
  /** Unrounded BigDecimal. */
  readonly couponsAdjustment: BigNumber;
  /** Σ of the Float tax amounts (a Float). */
  readonly preciseTaxes: Double;
  /** Σ of the rounded tax amounts. */
  readonly taxesAmountCents: BigNumber;
  readonly appliedTaxes: readonly CreditNoteAppliedTax[];
  readonly taxesRate: BigNumber;
}

/**
 * The share of its fee's coupons an item carries: `fee.precise_coupons × item.precise.fdiv(fee.amount)`
 * (`BigDecimal#fdiv` is `Float(precise) / amount`; BigDecimal × Float takes the Float as `Float#to_d`).
 */
function itemCoupons(item: TaxedItem): BigNumber {
  if (item.fee.amount.isZero()) return ZERO;
  const rate = doubleDiv(toDouble(item.precise), toDouble(item.fee.amount));
  return item.fee.coupons.times(doubleToBigDecimal(rate));
}

/**
 * `CreditNotes::ApplyTaxesService` for local taxes (the invoice applied tax's taxable base is its fees amount, so
 * `taxes_base_rate` is 1). For each tax, in the order it first appears on the items' fees:
 * `base = Σ over its items (precise − coupons share)` (BigDecimal), `base_amount_cents = round(base)`, tax =
 * `(base × rate).fdiv(100)` (a Float), `amount_cents = round(tax)`; `precise taxes = Σ tax` in Floats;
 * `taxes_rate = round5(Σ base.fdiv(items − coupons adjustment) × rate)` (`Float / BigDecimal` divides in BigDecimal).
 */
function applyTaxes(items: readonly TaxedItem[]): CreditNoteTaxes {
  const couponsAdjustment = sumOf(items.map(itemCoupons));
  const byTax = new Map<string, { tax: ParsedTax; items: TaxedItem[] }>();
  for (const item of items) {
    for (const tax of item.fee.taxes) {
      const entry = byTax.get(tax.tax.code);
      if (entry === undefined) byTax.set(tax.tax.code, { tax, items: [item] });
      else entry.items.push(item);
    }
  }
  const itemsBase = sumOf(items.map((i) => i.precise)).minus(couponsAdjustment);
  let preciseTaxes = toDouble(0);
  let taxesAmountCents = ZERO;
  let taxesRate = ZERO;
  const appliedTaxes = [...byTax.values()].map(({ tax, items: taxed }): CreditNoteAppliedTax => {
    const base = sumOf(taxed.map((item) => item.precise.minus(itemCoupons(item))));
    const amount = doubleDiv(toDouble(base.times(tax.bigDecimal)), HUNDRED);
    const amountCents = roundFloat(amount);
    preciseTaxes = doubleAdd(preciseTaxes, amount);
    taxesAmountCents = taxesAmountCents.plus(amountCents);
    if (!itemsBase.isZero()) {
      taxesRate = taxesRate.plus(bigDecimalDivide(doubleToBigDecimal(toDouble(base)), itemsBase).times(tax.bigDecimal));
    }
    return { code: tax.tax.code, name: tax.tax.name, rate: tax.display, amountCents, baseAmountCents: roundHalfUp(base) };
  });
  return {
    couponsAdjustment,
    preciseTaxes,
    taxesAmountCents,
    appliedTaxes,
    taxesRate: unsignedZero(taxesRate.decimalPlaces(PRECISE_SCALE, BigNumber.ROUND_HALF_UP)),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Create / estimate
// ---------------------------------------------------------------------------------------------------------------

interface BuiltItem extends TaxedItem {
  readonly amountCents: BigNumber;
}

/**
 * `ValidateItemService`: the fee exists on the invoice, the (rounded) amount is not negative and at most what is
 * left on the fee (`amount − Σ its credit-note items`). `cumulative`: the create service saves each item before
 * checking the next, so two items on one fee share what is left; the estimate checks each against the fee alone.
 */
function buildItems(
  fees: Map<string, ParsedFee>,
  items: readonly CreditNoteItemInput[],
  mode: 'create' | 'estimate',
): BuiltItem[] {
  if (!Array.isArray(items)) throw new TypeError('items must be an array');
  const taken = new Map<string, BigNumber>();
  return items.map((input, index) => {
    const fee = fees.get(input.feeId);
    if (fee === undefined) throw new RangeError(`items[${index}]: fee ${input.feeId} is not a fee of the invoice`);
    const raw = finiteDecimal(input.amountCents, `items[${index}].amountCents (fee ${input.feeId})`);
    let amountCents: BigNumber;
    let precise: BigNumber;
    if (raw.isInteger()) {
      amountCents = raw;
      precise = raw;
    } else if (mode === 'estimate') {
      amountCents = raw.integerValue(BigNumber.ROUND_DOWN); // `amount_cents&.to_i`
      precise = amountCents;
    } else {
      const json = toDouble(raw); // a JSON decimal is a Ruby Float
      amountCents = roundFloat(json);
      precise = decimalColumnFromFloat(json);
    }
    if (amountCents.isNegative()) throw new RangeError(`items[${index}]: amount for fee ${fee.fee.id} must not be negative (invalid_value)`);
    const already = mode === 'create' ? (taken.get(fee.fee.id) ?? ZERO) : ZERO;
    const remaining = fee.amount.minus(fee.credited).minus(already);
    if (amountCents.isGreaterThan(remaining)) {
      throw new RangeError(
        `items[${index}]: ${amountCents.toFixed()} exceeds the ${remaining.toFixed()} cents left to credit on fee ${fee.fee.id} (higher_than_remaining_fee_amount)`,
      );
    }
    taken.set(fee.fee.id, already.plus(amountCents));
    return { fee, amountCents, precise };
  });
}

/** Σ over the invoice's earlier notes of `taxes_amount_cents − precise_taxes_amount_cents`. */
function taxesRoundingAdjustments(invoice: CreditNoteInvoice): BigNumber {
  return sumOf(earlierNotes(invoice).map((n) => n.taxesAmountCents.minus(n.preciseTaxesAmountCents)));
}

function commonAmounts(built: readonly BuiltItem[], invoice: CreditNoteInvoice, creditsAllThatRemains: boolean) {
  const taxes = applyTaxes(built);
  const preciseCoupons = decimalColumn(taxes.couponsAdjustment);
  let preciseTaxes = decimalColumnFromFloat(taxes.preciseTaxes);
  // The note that credits all that remains gives back the cents the earlier notes' tax roundings took or gave.
  if (creditsAllThatRemains) preciseTaxes = decimalColumn(preciseTaxes.minus(taxesRoundingAdjustments(invoice)));
  const preciseItems = sumOf(built.map((i) => i.precise));
  return {
    taxes,
    items: built.map((i) => ({ feeId: i.fee.fee.id, amountCents: i.amountCents, preciseAmountCents: decimalColumn(i.precise) })),
    couponsAdjustmentAmountCents: roundHalfUp(taxes.couponsAdjustment),
    preciseCouponsAdjustmentAmountCents: preciseCoupons,
    preciseTaxesAmountCents: preciseTaxes,
    taxesAmountCents: roundHalfUp(preciseTaxes),
    subTotalExcludingTaxesAmountCents: roundHalfUp(preciseItems.minus(preciseCoupons)),
    preciseTotalAmountCents: preciseItems.minus(preciseCoupons).plus(preciseTaxes),
  };
}

/**
 * What a credit note with these items amounts to, as `CreditNotes::CreateService` builds it:
 * 1. items (`ValidateItemService`): RangeError naming the fee when a fee is unknown, an amount negative, or above
 *    what is left on the fee (items on one fee within the note add up); decimals as the API takes them;
 * 2. `ApplyTaxesService`: coupons adjustment = Σ fee coupons × item share, taxes per tax on the items net of coupons;
 * 3. `precise_taxes` (5 places) minus the earlier notes' `taxes_rounding_adjustment` when, with this note, every fee
 *    is fully credited (`invoice.creditable_amount_cents == 0`); `taxes = round(precise_taxes)`;
 * 4. sub-total = round(Σ precise items − precise coupons adjustment); total = sub-total + taxes: Lago's
 *    `AdjustAmountsWithRoundingService` moves whatever total was asked (±1 of the precise total) to that.
 * RangeError when round(precise total) exceeds what the invoice can still credit by more than Lago's 1-cent
 * tolerance (`ValidateService#valid_remaining_invoice_amount?`). The credit / refund / offset split is
 * `checkSplit`'s, its rounding `adjustSplitForRounding`'s. A total of 0 passes here (`checkSplit` refuses it).
 */
export function creditNoteAmounts(input: CreditNoteInput): CreditNoteAmounts {
  currencyExponent(input.currency);
  const fees = parseFees(input.fees);
  const built = buildItems(fees, input.items, 'create');

  const taken = new Map<string, BigNumber>();
  for (const item of built) taken.set(item.fee.fee.id, (taken.get(item.fee.fee.id) ?? ZERO).plus(item.amountCents));
  const after = [...fees.values()].map((fee) => ({ fee, creditable: fee.amount.minus(fee.credited).minus(taken.get(fee.fee.id) ?? ZERO) }));
  const allCredited = availableToCredit(after, input.invoice).isZero();

  const amounts = commonAmounts(built, input.invoice, allCredited);
  const remaining = remainingInvoiceAmount(fees, input.invoice);
  const requested = roundHalfUp(amounts.preciseTotalAmountCents);
  if (requested.isGreaterThan(remaining.plus(1))) {
    throw new RangeError(
      `the credit note's ${requested.toFixed()} cents exceed the ${remaining.toFixed()} cents the invoice can still credit (higher_than_remaining_invoice_amount)`,
    );
  }
  const { taxes, ...rest } = amounts;
  return {
    ...rest,
    appliedTaxes: taxes.appliedTaxes,
    totalAmountCents: amounts.subTotalExcludingTaxesAmountCents.plus(amounts.taxesAmountCents),
    taxesRate: taxes.taxesRate,
  };
}

function remainingInvoiceAmount(fees: Map<string, ParsedFee>, invoice: CreditNoteInvoice): BigNumber {
  if (invoice.creditableAmountCents !== undefined) return finiteDecimal(invoice.creditableAmountCents, 'invoice.creditableAmountCents');
  const notes = earlierNotes(invoice);
  return feeTotal([...fees.values()]).minus(sumOf(notes.map((n) => n.creditAmountCents.plus(n.refundAmountCents).plus(n.offsetAmountCents))));
}

/**
 * `CreditNotes::EstimateService` (`POST /credit_notes/estimate`): items truncated to integers and each checked
 * against its fee alone; the same taxes; "all that remains" when Σ items = Σ fee creditable amounts;
 * `credit = round(Σ items − coupons adjustment (unrounded) + precise taxes)`, `refund = min(credit,
 * Invoice#refundable_amount_cents)` (truncated); then its own rounding step: when `total − taxes` is above the
 * sub-total the total loses a cent, when below (and taxes > 0) the taxes do — so an estimate may show one cent
 * less than the note the create service then makes (which adds the cent to the total instead).
 */
export function estimateCreditNote(input: CreditNoteInput): CreditNoteEstimate {
  currencyExponent(input.currency);
  const fees = parseFees(input.fees);
  const built = buildItems(fees, input.items, 'estimate');
  const creditableBefore = sumOf([...fees.values()].map((f) => f.amount.minus(f.credited)));
  const allCredited = sumOf(built.map((i) => i.precise)).eq(creditableBefore);
  const amounts = commonAmounts(built, input.invoice, allCredited);

  let credit = roundHalfUp(sumOf(built.map((i) => i.amountCents)).minus(amounts.taxes.couponsAdjustment).plus(amounts.preciseTaxesAmountCents));
  const refundableCents = refundable(availableToCredit([...fees.values()].map((f) => ({ fee: f, creditable: f.amount.minus(f.credited) })), input.invoice), input.invoice);
  const refund = credit.isGreaterThan(refundableCents) ? refundableCents.integerValue(BigNumber.ROUND_DOWN) : credit;
  let total = credit;
  let taxesAmountCents = amounts.taxesAmountCents;
  const subTotal = amounts.subTotalExcludingTaxesAmountCents;
  const difference = total.minus(taxesAmountCents).comparedTo(subTotal) ?? 0;
  if (difference > 0) total = total.minus(1);
  else if (difference < 0 && taxesAmountCents.isGreaterThan(0)) taxesAmountCents = taxesAmountCents.minus(1);
  if (difference !== 0) credit = total;

  const { taxes, ...rest } = amounts;
  return {
    ...rest,
    taxesAmountCents,
    appliedTaxes: taxes.appliedTaxes,
    totalAmountCents: total,
    taxesRate: taxes.taxesRate,
    creditAmountCents: credit,
    refundAmountCents: refund,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The credit / refund / offset split
// ---------------------------------------------------------------------------------------------------------------

export interface SplitInput {
  /** The note's total (`creditNoteAmounts`). */
  readonly totalAmountCents: BigNumber;
  /** The unrounded total (`preciseTotalAmountCents`): Lago compares the split with its rounding. Default: the total. */
  readonly preciseTotalAmountCents?: BigNumber;
  readonly creditAmountCents: BigNumber;
  readonly refundAmountCents: BigNumber;
  readonly offsetAmountCents: BigNumber;
  /**
   * The invoice's `total_paid_amount_cents`; the refunds of `creditNotes` are deducted from it (pass the paid amount
   * net of refunds and no `creditNotes` to the same effect).
   */
  readonly paidAmountCents: BigNumber;
  /** `Invoice#total_due_amount_cents`: total − paid − Σ offsets of its finalized credit notes. */
  readonly dueAmountCents: BigNumber;
  /**
   * `Invoice#fee_total_amount_cents` (`invoiceFeeTotalAmountCents`). Without it the rules measured from it (4, 6 and
   * the creditable cap of 5) are skipped: `creditNoteAmounts` has checked the note's total against the invoice.
   */
  readonly feeTotalAmountCents?: BigNumber;
  /** The invoice's earlier finalized credit notes. None by default. */
  readonly creditNotes?: readonly Pick<EarlierCreditNote, 'creditAmountCents' | 'refundAmountCents' | 'offsetAmountCents'>[];
  /** `payment_succeeded?`; when false, a fully paid invoice cannot be refunded. Default: true. */
  readonly paymentSucceeded?: boolean;
}

/**
 * `CreditNotes::ValidateService` on the requested split, throwing a RangeError naming the field of the first rule
 * broken (Lago's error code in parentheses). With E = the earlier finalized notes:
 * 1. refund > 0 on an invoice that is not `payment_succeeded` but whose paid amount equals its total (> 0)
 *    → refundAmountCents (cannot_refund_unpaid_invoice);
 * 2. |credit + refund + offset − round(precise total)| ≤ 1 → base (does_not_match_item_amounts);
 * 3. refund > 0 needs paid > 0 (cannot_refund_unpaid_invoice) and refund ≤ paid − ΣE.refund
 *    (higher_than_remaining_invoice_amount);
 * 4. credit ≤ creditable = fee total − ΣE.credit − ΣE.offset, one cent over tolerated
 *    → creditAmountCents (higher_than_remaining_invoice_amount);
 * 5. offset > 0 needs offset ≤ min(due, creditable) → offsetAmountCents (higher_than_remaining_invoice_amount);
 * 6. credit + refund + offset ≤ fee total − ΣE.(credit + refund + offset), one cent over tolerated → base;
 * 7. credit + refund + offset > 0 → base (total_amount_must_be_positive).
 * Every amount must be a non-negative integer (the model's validations).
 */
export function checkSplit(input: SplitInput): void {
  const credit = integerCents(input.creditAmountCents, 'creditAmountCents');
  const refund = integerCents(input.refundAmountCents, 'refundAmountCents');
  const offset = integerCents(input.offsetAmountCents, 'offsetAmountCents');
  const paid = integerCents(input.paidAmountCents, 'paidAmountCents');
  const due = finiteDecimal(input.dueAmountCents, 'dueAmountCents');
  const feeTotalAmount = input.feeTotalAmountCents === undefined ? null : integerCents(input.feeTotalAmountCents, 'feeTotalAmountCents');
  const expected = roundHalfUp(finiteDecimal(input.preciseTotalAmountCents ?? input.totalAmountCents, 'totalAmountCents'));
  const notes = input.creditNotes ?? [];
  const earlierCredit = sumOf(notes.map((n) => n.creditAmountCents));
  const earlierRefund = sumOf(notes.map((n) => n.refundAmountCents));
  const earlierOffset = sumOf(notes.map((n) => n.offsetAmountCents));
  const sum = credit.plus(refund).plus(offset);
  const fail = (field: string, code: string, detail: string): never => {
    throw new RangeError(`${field}: ${detail} (${code})`);
  };

  const invoiceTotal = due.plus(paid).plus(earlierOffset);
  if (refund.isGreaterThan(0) && input.paymentSucceeded === false && paid.eq(invoiceTotal) && invoiceTotal.isGreaterThan(0)) {
    fail('refundAmountCents', 'cannot_refund_unpaid_invoice', 'the invoice payment has not succeeded');
  }
  if (sum.minus(expected).abs().isGreaterThan(1)) {
    fail('base', 'does_not_match_item_amounts', `the split adds up to ${sum.toFixed()} cents, not the note's ${expected.toFixed()}`);
  }
  if (!refund.isZero()) {
    if (!paid.isGreaterThan(0)) fail('refundAmountCents', 'cannot_refund_unpaid_invoice', 'nothing was paid on the invoice');
    const refundablePaid = paid.minus(earlierRefund);
    if (refund.isGreaterThan(refundablePaid)) {
      fail('refundAmountCents', 'higher_than_remaining_invoice_amount', `${refund.toFixed()} exceeds the ${refundablePaid.toFixed()} cents paid and not yet refunded`);
    }
  }
  const creditable = feeTotalAmount === null ? null : feeTotalAmount.minus(earlierCredit).minus(earlierOffset);
  if (creditable !== null && credit.isGreaterThan(creditable.plus(1))) {
    fail('creditAmountCents', 'higher_than_remaining_invoice_amount', `${credit.toFixed()} exceeds the ${creditable.toFixed()} cents left to credit`);
  }
  if (!offset.isZero()) {
    const offsettable = creditable === null ? due : BigNumber.min(due, creditable);
    if (offset.isGreaterThan(offsettable)) {
      fail('offsetAmountCents', 'higher_than_remaining_invoice_amount', `${offset.toFixed()} exceeds the ${offsettable.toFixed()} cents the invoice still owes`);
    }
  }
  if (feeTotalAmount !== null) {
    const remaining = feeTotalAmount.minus(earlierCredit).minus(earlierRefund).minus(earlierOffset);
    if (sum.isGreaterThan(remaining.plus(1))) {
      fail('base', 'higher_than_remaining_invoice_amount', `the split's ${sum.toFixed()} cents exceed the ${remaining.toFixed()} cents left on the invoice`);
    }
  }
  if (!sum.isGreaterThan(0)) fail('base', 'total_amount_must_be_positive', 'the total must be positive');
}

export interface Split {
  readonly creditAmountCents: BigNumber;
  readonly refundAmountCents: BigNumber;
  readonly offsetAmountCents: BigNumber;
  readonly totalAmountCents: BigNumber;
}

/**
 * `CreditNotes::AdjustAmountsWithRoundingService`, run by the create service after `checkSplit`: when
 * `credit + refund + offset − taxes` is not the sub-total, the total moves one cent towards it, and the cent goes to
 * the credit when there is one (credit = total − refund), else to the refund (refund = total — Lago's code, even
 * when the note has an offset).
 */
export function adjustSplitForRounding(
  amounts: Pick<CreditNoteAmounts, 'subTotalExcludingTaxesAmountCents' | 'taxesAmountCents'>,
  split: Pick<Split, 'creditAmountCents' | 'refundAmountCents' | 'offsetAmountCents'>,
): Split {
  let { creditAmountCents, refundAmountCents } = split;
  let total = creditAmountCents.plus(refundAmountCents).plus(split.offsetAmountCents);
  const difference = total.minus(amounts.taxesAmountCents).comparedTo(amounts.subTotalExcludingTaxesAmountCents) ?? 0;
  if (difference !== 0) {
    total = difference > 0 ? total.minus(1) : total.plus(1);
    if (creditAmountCents.isGreaterThan(0)) creditAmountCents = total.minus(refundAmountCents);
    else refundAmountCents = total;
  }
  return { creditAmountCents, refundAmountCents, offsetAmountCents: split.offsetAmountCents, totalAmountCents: total };
}

// ---------------------------------------------------------------------------------------------------------------
// CreditNotes::CreateFromTermination
// ---------------------------------------------------------------------------------------------------------------

export type OnTermination = 'CREDIT' | 'REFUND' | 'OFFSET';

export interface TerminationFee {
  readonly id?: string;
  /** Integer cents. */
  readonly amountCents: BigNumber;
  /** `precise_amount_cents`; default `amountCents`. Refund / offset only. */
  readonly preciseAmountCents?: BigNumber;
  readonly preciseCouponsAmountCents: BigNumber;
  /** `taxes_precise_amount_cents`; default 0. Refund / offset only. */
  readonly taxesPreciseAmountCents?: BigNumber;
  readonly creditedAmountCents: BigNumber;
  /** The fee's boundaries (ISO instants): the defaults of `periodFromDatetime` / `periodToDatetime`. */
  readonly fromDatetime: string;
  readonly toDatetime: string;
  readonly taxes: readonly CreditNoteTax[];
}

export interface TerminationCreditInput {
  /** The subscription's last subscription fee. */
  readonly fee: TerminationFee;
  readonly terminatedAt: string;
  /** The customer's applicable timezone. */
  readonly timezone: string;
  /** Terminated by an upgrade (then only CREDIT is supported, as in Lago). */
  readonly upgrade: boolean;
  /** The fee's `amount_details.plan_amount_cents`, else the plan's amount. Integer cents. */
  readonly planAmountCents: BigNumber;
  /** Length in days of the billing period holding the termination day (`DatesService#compute_duration`). */
  readonly periodDays: number;
  /** `DatesService#next_end_of_period` at the termination: end of the period holding it. Default: `fee.toDatetime`. */
  readonly periodToDatetime?: string;
  /** `DatesService#from_datetime` at the termination (refund / offset). Default: `fee.fromDatetime`. */
  readonly periodFromDatetime?: string;
  /** `Subscription#trial_end_date` (`YYYY-MM-DD`: UTC date of the first `started_at` + trial days); none by default. */
  readonly trialEndDate?: string | null;
  /** `on_termination_credit_note`; CREDIT by default. */
  readonly onTermination?: OnTermination;
  /** The fee's invoice: needed for REFUND / OFFSET; a voided invoice gets no credit note. */
  readonly invoice?: { readonly subTotalIncludingTaxesAmountCents: BigNumber; readonly totalPaidAmountCents: BigNumber; readonly voided?: boolean };
}

export interface TerminationCredit {
  /** The item's `amount_cents` (integer). */
  readonly amountCents: BigNumber;
  /**
   * The item amount the note is created with (`base.truncate(5)`, ≤ 5 places), as stored: pass it as the item's
   * `amountCents` to `creditNoteAmounts` (a decimal there is read back as the very same Float).
   */
  readonly preciseAmountCents: BigNumber;
  /** The split CreateFromTermination asks for; `adjustSplitForRounding` gives the note's final one. */
  readonly creditAmountCents: BigNumber;
  readonly refundAmountCents: BigNumber;
  readonly offsetAmountCents: BigNumber;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function epochDayOf(date: string, field: string): number {
  const match = ISO_DATE.exec(date);
  if (match === null) throw new RangeError(`${field} must be a YYYY-MM-DD date, got ${JSON.stringify(date)}`);
  return toEpochDay({ year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) });
}

/** `instant.to_date` of a UTC time: its UTC calendar day. */
const utcEpochDay = (ms: number): number => Math.floor(ms / DAY_MS);

/**
 * The unused part of a pay-in-advance subscription's last subscription fee at termination or upgrade
 * (`CreditNotes::CreateFromTermination`), null when Lago creates no note (zero fee, voided invoice, nothing unused,
 * or a zero total). Lago counts in UTC calendar dates, not customer-local ones:
 * - `billed_from` = UTC date of the termination's local end of day (a customer west of UTC gets the next day),
 *   one day earlier on an upgrade (the upgrade day is credited); `end` = UTC date of `periodToDatetime`;
 * - a trial ending on or after `billed_from` moves it to `trial_end − 1` (or to `end` if the trial outlasts it);
 * - unused = `day_price × max(end − billed_from, 0)` with `day_price = plan_amount.fdiv(periodDays)` (Floats),
 *   capped at the fee amount (then an Integer), minus what is already credited on the fee; the item amount is that
 *   truncated to 5 places (`Float#truncate(5)`), its `amount_cents` the Float rounded;
 * - its total with taxes = `round(precise − coupons share + precise taxes)` (`ApplyTaxesService` on that item);
 * - REFUND / OFFSET: refundable = `fee_share × paid − total(day_price × used days)`, with `fee_share =
 *   (fee precise − coupons + precise taxes).fdiv(invoice sub-total incl. taxes)` and used days = `min(end_of_day
 *   date, end) − max(UTC date of periodFromDatetime, trial end) + 1`; refund = round(min(refundable, total)) when
 *   positive; CREDIT → [total, 0, 0], REFUND → [total − refund, refund, 0], OFFSET → [0, refund, total − refund].
 */
export function terminationCredit(input: TerminationCreditInput): TerminationCredit | null {
  const { fee } = input;
  const feeAmount = integerCents(fee.amountCents, 'fee.amountCents');
  if (feeAmount.isZero() || input.invoice?.voided === true) return null;
  const mode = input.onTermination ?? 'CREDIT';
  if (input.upgrade && mode !== 'CREDIT') throw new RangeError(`an upgrade credit note cannot be a ${mode.toLowerCase()} (not supported by Lago)`);
  assertTimezone(input.timezone);
  const planAmount = integerCents(input.planAmountCents, 'planAmountCents');
  if (!Number.isSafeInteger(input.periodDays) || input.periodDays <= 0) throw new RangeError(`periodDays must be a positive integer, got ${input.periodDays}`);

  const parsed = parseFee(
    { id: fee.id ?? 'last subscription fee', amountCents: feeAmount, preciseCouponsAmountCents: fee.preciseCouponsAmountCents, taxes: fee.taxes, creditedAmountCents: fee.creditedAmountCents },
    new Map(),
  );
  const terminatedMs = toMillis(input.terminatedAt, 'terminatedAt');
  const endOfTerminationDay = utcEpochDay(startOfLocalDay(localEpochDay(terminatedMs, input.timezone) + 1, input.timezone) - 1);
  const periodEnd = utcEpochDay(toMillis(input.periodToDatetime ?? fee.toDatetime, 'periodToDatetime'));
  const trialEnd = input.trialEndDate === undefined || input.trialEndDate === null ? null : epochDayOf(input.trialEndDate, 'trialEndDate');
  const dayPrice = doubleDiv(toDouble(planAmount), toDouble(input.periodDays));

  // remaining_duration
  let billedFrom = input.upgrade ? endOfTerminationDay - 1 : endOfTerminationDay;
  if (trialEnd !== null && trialEnd >= billedFrom) billedFrom = trialEnd > periodEnd ? periodEnd : trialEnd - 1;
  const remainingDays = Math.max(periodEnd - billedFrom, 0);

  // calculate_base_creditable_amount
  const unused = doubleMul(dayPrice, toDouble(remainingDays));
  if (!unused.isGreaterThan(0)) return null;
  let base: RubyNumber = unused.isGreaterThan(feeAmount) ? integer(feeAmount) : float(unused);
  base = base.kind === 'integer' ? integer(base.value.minus(parsed.credited)) : float(doubleSub(base.value, toDouble(parsed.credited)));
  if (!base.value.isGreaterThan(0)) return null;

  const item = termItem(base);
  const total = totalWithTaxes(parsed, base);

  let refund = ZERO;
  if (mode !== 'CREDIT') {
    const invoice = input.invoice;
    if (invoice === undefined) throw new RangeError(`a ${mode.toLowerCase()} on termination needs the fee's invoice`);
    const subTotalIncludingTaxes = integerCents(invoice.subTotalIncludingTaxesAmountCents, 'invoice.subTotalIncludingTaxesAmountCents');
    const paid = integerCents(invoice.totalPaidAmountCents, 'invoice.totalPaidAmountCents');
    let paidShare: RubyNumber = integer(ZERO);
    if (!subTotalIncludingTaxes.isZero()) {
      const feeTotal = finiteDecimal(fee.preciseAmountCents ?? feeAmount, 'fee.preciseAmountCents')
        .minus(parsed.coupons)
        .plus(finiteDecimal(fee.taxesPreciseAmountCents ?? ZERO, 'fee.taxesPreciseAmountCents'));
      paidShare = float(doubleMul(doubleDiv(toDouble(feeTotal), toDouble(subTotalIncludingTaxes)), toDouble(paid)));
    }
    // used_duration
    let usedFrom = utcEpochDay(toMillis(input.periodFromDatetime ?? fee.fromDatetime, 'periodFromDatetime'));
    if (trialEnd !== null && trialEnd > usedFrom) usedFrom = trialEnd;
    const usedTo = Math.min(endOfTerminationDay, periodEnd);
    const usedDays = Math.max(usedTo - usedFrom + 1, 0);
    const used = totalWithTaxes(parsed, float(doubleMul(dayPrice, toDouble(usedDays))));
    const potential: RubyNumber = paidShare.kind === 'integer' ? integer(paidShare.value.minus(used)) : float(doubleSub(paidShare.value, toDouble(used)));
    if (potential.value.isGreaterThan(0)) refund = potential.value.isGreaterThan(total) ? total : rubyRound(potential);
  }

  const rest = total.minus(refund);
  const [creditAmountCents, refundAmountCents, offsetAmountCents] =
    mode === 'CREDIT' ? [total, ZERO, ZERO] : mode === 'REFUND' ? [rest, refund, ZERO] : [ZERO, refund, rest];
  if (creditAmountCents.plus(refundAmountCents).plus(offsetAmountCents).isZero()) return null;
  return { ...item, creditAmountCents, refundAmountCents, offsetAmountCents };
}

/** `amount.truncate(5)`: Float#truncate, or the Integer itself. */
const truncated = (amount: RubyNumber): RubyNumber => (amount.kind === 'integer' ? amount : float(floatTruncate(amount.value, PRECISE_SCALE)));

/** The item the create service builds from the truncated amount: `amount_cents = round`, precise as stored. */
function termItem(base: RubyNumber): { amountCents: BigNumber; preciseAmountCents: BigNumber } {
  const amount = truncated(base);
  return { amountCents: rubyRound(amount), preciseAmountCents: amount.kind === 'integer' ? amount.value : decimalColumnFromFloat(amount.value) };
}

/** `adjust_for_coupon_and_taxes`: `round(precise − coupons adjustment + precise taxes)` for one item on the fee. */
function totalWithTaxes(fee: ParsedFee, amount: RubyNumber): BigNumber {
  const precise = truncated(amount);
  const stored = precise.kind === 'integer' ? precise.value : decimalColumnFromFloat(precise.value);
  const taxes = applyTaxes([{ fee, precise: stored }]);
  return roundHalfUp(asBigDecimal(precise).minus(taxes.couponsAdjustment).plus(doubleToBigDecimal(taxes.preciseTaxes)));
}

/** Exposed for the tests of Lago's `ApplyTaxesService` spec, whose items are not validated against their fees. */
export function creditNoteTaxesForItems(
  items: readonly { fee: CreditableFee; preciseAmountCents: BigNumber }[],
): { couponsAdjustmentAmountCents: BigNumber; preciseTaxesAmountCents: BigNumber; taxesAmountCents: BigNumber; appliedTaxes: readonly CreditNoteAppliedTax[]; taxesRate: BigNumber } {
  const rates = new Map<string, ParsedTax>();
  const taxes = applyTaxes(items.map((i) => ({ fee: parseFee(i.fee, rates), precise: decimalColumn(i.preciseAmountCents) })));
  return {
    couponsAdjustmentAmountCents: taxes.couponsAdjustment,
    preciseTaxesAmountCents: taxes.preciseTaxes,
    taxesAmountCents: taxes.taxesAmountCents,
    appliedTaxes: taxes.appliedTaxes,
    taxesRate: taxes.taxesRate,
  };
}

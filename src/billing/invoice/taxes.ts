import BigNumber from 'bignumber.js';
import { parseDecimal } from '../money.ts';
import type { Double } from './rubyFloat.ts';
import {
  doubleAdd,
  doubleDiv,
  doubleMul,
  doubleToBigDecimal,
  roundDoubleToDigits,
  roundHalfAwayFromZero,
  shortestDecimal,
  toDouble,
} from './rubyFloat.ts';

/** A tax as applied to a fee: Lago's `Tax` (its `rate` is a percentage, stored as a double). */
export interface TaxRate {
  readonly code: string;
  readonly name?: string;
  /** Percent, decimal string (`"20"`, `"8.5"`). */
  readonly rate: string;
}

export interface TaxableFee {
  readonly id: string;
  /** Integer cents. */
  readonly amountCents: BigNumber;
  /** The fee's unrounded amount (`precise_amount_cents`), for the precise tax amounts; defaults to `amountCents`. */
  readonly preciseAmountCents?: BigNumber;
  /** Coupons (and progressive-billing credits) already allocated to the fee, unrounded cents; 0 by default. */
  readonly preciseCouponsAmountCents?: BigNumber;
  /** The fee's applicable taxes (the first non-empty level, §4.4 step 5), each code at most once. */
  readonly taxes: readonly TaxRate[];
}

export interface FeeAppliedTax {
  readonly code: string;
  readonly name: string | null;
  /** The rate as Lago shows it (the double's shortest digits). */
  readonly rate: string;
  /** Integer cents: this tax on this fee, rounded on its own. */
  readonly amountCents: BigNumber;
  readonly preciseAmountCents: BigNumber;
}

export interface FeeTaxes {
  readonly id: string;
  /** round(Σ unrounded tax amounts of the fee), not Σ of the rounded ones. */
  readonly taxesAmountCents: BigNumber;
  readonly taxesPreciseAmountCents: BigNumber;
  /** Σ of the fee's rates. */
  readonly taxesRate: BigNumber;
  readonly appliedTaxes: readonly FeeAppliedTax[];
}

export interface InvoiceAppliedTax {
  readonly code: string;
  readonly name: string | null;
  readonly rate: string;
  /** Integer cents: round(Σ over the tax's fees of base × rate / 100). */
  readonly amountCents: BigNumber;
  /** Σ of the tax's fee bases, truncated to integer cents (Lago assigns a decimal to a bigint column). */
  readonly feesAmountCents: BigNumber;
}

export interface InvoiceTaxes {
  readonly fees: readonly FeeTaxes[];
  readonly appliedTaxes: readonly InvoiceAppliedTax[];
  /** round(Σ over taxes of their unrounded amounts): may differ from Σ appliedTaxes and from Σ fee taxes. */
  readonly taxesAmountCents: BigNumber;
  /** The invoice's blended rate, rounded to 5 decimals. */
  readonly taxesRate: BigNumber;
}

export interface ComputeTaxesOptions {
  /**
   * The invoice's `sub_total_excluding_taxes_amount_cents` (fees − progressive-billing credits − coupons, integer
   * cents), the denominator of `taxesRate`. Defaults to Σ (amountCents − preciseCouponsAmountCents) of the fees,
   * which is the same number when every credit is allocated to the fees.
   */
  readonly subTotalExcludingTaxesAmountCents?: BigNumber;
}

/** A tax rate in the three forms Lago handles it in: the double, and that double entering BigDecimal arithmetic. */
export interface ParsedRate<T extends { readonly code: string; readonly rate: string } = TaxRate> {
  readonly tax: T;
  readonly double: Double;
  /** `BigDecimal * Float` converts the Float with `Float#to_d`: the rate's shortest digits. */
  readonly bigDecimal: BigNumber;
  readonly display: string;
}

const HUNDRED = toDouble(100);

/**
 * Local taxes of an invoice (§4.4 step 5, §4.5), as Lago's `Fees::ApplyTaxesService` (per fee) and
 * `Invoices::ApplyTaxesService` (per invoice) compute them (`Invoices::ComputeAmountsFromFees`).
 *
 * Per fee, with `base = amountCents − preciseCouponsAmountCents` (coupons come before taxes):
 * - each tax: `(base × rate).fdiv(100)` — the exact BigDecimal product turned into a Float, divided in Floats;
 *   its `amountCents` is that Float rounded half away from zero; its precise amount uses the fee's precise
 *   amount, `(preciseBase × rate).fdiv(100.to_d)`, which Ruby evaluates as `Float#to_d(product) / 100`;
 * - `taxesAmountCents = round(Σ of the unrounded Floats)` (summed in Floats), `taxesPreciseAmountCents = Σ precise`,
 *   `taxesRate = Σ rates` (in Floats).
 * Per invoice, for each tax (in the order taxes first appear on the fees):
 * - `amountCents = round((Σ over its fees of base × rate).fdiv(100))`, `feesAmountCents = Σ bases` truncated;
 * - `taxesAmountCents = round(Σ over taxes of those unrounded Floats)`;
 * - `taxesRate = round5(Σ rate × share)`, share = `Σ bases of the tax / subTotal` when the sub-total is positive,
 *   otherwise `fees carrying the tax / all fees` (every fee of the invoice counts, taxed or not).
 * So Σ fee taxes, Σ invoice applied taxes and the invoice total are three separate roundings. With non-negative
 * bases, |invoice taxes − Σ fee taxes| ≤ ⌊fees / 2⌋ and |invoice taxes − Σ applied taxes| ≤ ⌊taxes / 2⌋ cents
 * (each rounding moves a value by at most half a cent, ties always up, and the differences are integers).
 *
 * NOTE: Lago's invoice query does not order the taxes; the order only changes a Float sum's last bit. Tax
 * providers (Anrok, Avalara) are out of scope: they replace these amounts.
 */
export function computeTaxes(fees: readonly TaxableFee[], options: ComputeTaxesOptions = {}): InvoiceTaxes {
  const rates = new Map<string, ParsedRate>();
  const parsedFees = fees.map((fee) => parseFee(fee, rates));

  const feeTaxes = parsedFees.map(({ fee, base, preciseBase, taxes }): FeeTaxes => {
    let sum = toDouble(0);
    let rateSum = toDouble(0);
    let preciseSum = new BigNumber(0);
    const appliedTaxes = taxes.map((rate): FeeAppliedTax => {
      const amount = doubleDiv(toDouble(base.times(rate.bigDecimal)), HUNDRED);
      const precise = doubleToBigDecimal(toDouble(preciseBase.times(rate.bigDecimal))).shiftedBy(-2);
      sum = doubleAdd(sum, amount);
      rateSum = doubleAdd(rateSum, rate.double);
      preciseSum = preciseSum.plus(precise);
      return { code: rate.tax.code, name: rate.tax.name ?? null, rate: rate.display, amountCents: roundHalfAwayFromZero(amount), preciseAmountCents: precise };
    });
    return {
      id: fee.id,
      taxesAmountCents: roundHalfAwayFromZero(sum),
      taxesPreciseAmountCents: preciseSum,
      taxesRate: shortestDecimal(rateSum),
      appliedTaxes,
    };
  });

  const subTotal = options.subTotalExcludingTaxesAmountCents ?? BigNumber.sum(0, ...parsedFees.map((f) => f.base));
  let total = toDouble(0);
  let blendedRate = toDouble(0);
  const appliedTaxes = [...rates.values()].map((rate): InvoiceAppliedTax => {
    const taxed = parsedFees.filter((f) => f.taxes.includes(rate));
    const bases = BigNumber.sum(0, ...taxed.map((f) => f.base));
    const amount = doubleDiv(toDouble(BigNumber.sum(0, ...taxed.map((f) => f.base.times(rate.bigDecimal)))), HUNDRED);
    const share = subTotal.isGreaterThan(0)
      ? doubleDiv(toDouble(bases), toDouble(subTotal))
      : doubleDiv(toDouble(taxed.length), toDouble(parsedFees.length));
    total = doubleAdd(total, amount);
    blendedRate = doubleAdd(blendedRate, doubleMul(share, rate.double));
    return {
      code: rate.tax.code,
      name: rate.tax.name ?? null,
      rate: rate.display,
      amountCents: roundHalfAwayFromZero(amount),
      feesAmountCents: bases.integerValue(BigNumber.ROUND_DOWN),
    };
  });

  return {
    fees: feeTaxes,
    appliedTaxes,
    taxesAmountCents: roundHalfAwayFromZero(total),
    taxesRate: shortestDecimal(roundDoubleToDigits(blendedRate, 5)),
  };
}

function parseFee(fee: TaxableFee, rates: Map<string, ParsedRate>) {
  const coupons = fee.preciseCouponsAmountCents ?? new BigNumber(0);
  const amount = checkedDecimal(fee.amountCents, `fee ${fee.id} amountCents`);
  const base = amount.minus(checkedDecimal(coupons, `fee ${fee.id} preciseCouponsAmountCents`));
  const preciseBase = checkedDecimal(fee.preciseAmountCents ?? amount, `fee ${fee.id} preciseAmountCents`).minus(coupons);
  const seen = new Set<string>();
  const taxes = fee.taxes.map((tax) => {
    if (seen.has(tax.code)) throw new RangeError(`fee ${fee.id} lists tax ${JSON.stringify(tax.code)} twice`);
    seen.add(tax.code);
    return rateOf(tax, rates);
  });
  return { fee, base, preciseBase, taxes };
}

/** One parsed rate per tax code; the same code with two different rates is a caller error. */
/**
 * A tax's rate in the forms Lago handles it in, parsed once per code (a code with two rates is refused): the
 * double column, that double entering BigDecimal arithmetic, and how Lago prints it. `owner` prefixes errors.
 */
export function rateOf<T extends { readonly code: string; readonly rate: string }>(tax: T, rates: Map<string, ParsedRate<T>>, owner = ''): ParsedRate<T> {
  const label = `${owner}tax ${tax.code} rate`;
  const value = parseDecimal(tax.rate, label);
  if (value.isNegative()) throw new RangeError(`${label} must not be negative, got ${tax.rate}`);
  const known = rates.get(tax.code);
  if (known !== undefined) {
    if (!parseDecimal(known.tax.rate).eq(value)) throw new RangeError(`tax ${tax.code} has two rates: ${known.tax.rate} and ${tax.rate}`);
    return known;
  }
  const double = toDouble(value);
  const parsed: ParsedRate<T> = { tax, double, bigDecimal: doubleToBigDecimal(double), display: shortestDecimal(double).toFixed() };
  rates.set(tax.code, parsed);
  return parsed;
}

function checkedDecimal(value: BigNumber, field: string): BigNumber {
  if (!BigNumber.isBigNumber(value) || !value.isFinite()) throw new TypeError(`${field} must be a finite BigNumber`);
  return value;
}

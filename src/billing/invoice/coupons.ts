import BigNumber from 'bignumber.js';
import type { Double } from './rubyFloat.ts';
import { doubleDiv, doubleMul, doubleToBigDecimal, roundHalfAwayFromZero, toDouble } from './rubyFloat.ts';

export type CouponFeeType = 'SUBSCRIPTION' | 'CHARGE' | 'COMMITMENT' | 'ADD_ON' | 'CREDIT';

export interface CouponFee {
  readonly id: string;
  readonly feeType: CouponFeeType;
  /** Integer cents. */
  readonly amountCents: BigNumber;
  readonly billableMetricCode: string | null;
  /** The plan code of the fee's subscription (for a subscription's plan override: the parent plan's code); null for one-off fees. */
  readonly planCode: string | null;
  /**
   * What is already allocated to the fee before the coupons (`precise_coupons_amount_cents`, 5 decimals): the
   * progressive-billing credit of §4.4 step 3. 0 by default.
   */
  readonly preciseCouponsAmountCents?: BigNumber;
}

export interface AppliedCouponState {
  readonly appliedCouponId: string;
  readonly couponCode: string;
  readonly couponType: 'FIXED_AMOUNT' | 'PERCENTAGE';
  readonly frequency: 'ONCE' | 'RECURRING' | 'FOREVER';
  /** Fixed coupons: integer cents and currency (the applied coupon's, which may override the coupon's). */
  readonly amountCents: BigNumber | null;
  readonly amountCurrency: string | null;
  /** Percentage coupons: e.g. 10 for 10 %. */
  readonly percentageRate: BigNumber | null;
  /** RECURRING: periods left (counts down, terminates at 0); null otherwise. */
  readonly frequencyDurationRemaining: number | null;
  /** Σ of what this applied coupon already credited on earlier invoices (a once fixed coupon carries its remainder). */
  readonly creditedAmountCents: BigNumber;
  readonly limitedPlanCodes: readonly string[];
  readonly limitedBillableMetricCodes: readonly string[];
  /** ISO instant the coupon was applied to the customer (ordering). */
  readonly createdAt: string;
}

export interface CouponCredit {
  readonly appliedCouponId: string;
  readonly couponCode: string;
  /** Integer cents credited on this invoice. */
  readonly amountCents: BigNumber;
  /** After this invoice: */
  readonly frequencyDurationRemaining: number | null;
  readonly creditedAmountCents: BigNumber;
  readonly terminated: boolean;
}

export interface CouponsApplied {
  /** One per coupon that Lago credits, in the order it applied them (a credit may be 0). */
  readonly credits: readonly CouponCredit[];
  /**
   * Per fee id: what the coupons added to its `precise_coupons_amount_cents` (decimal, 5 places), Σ over coupons.
   * The fee's precise coupons amount after this step is its `preciseCouponsAmountCents` plus this. Fees the
   * coupons did not touch are absent.
   */
  readonly feeCoupons: ReadonlyMap<string, BigNumber>;
  /** Σ credits (integer cents). */
  readonly couponsAmountCents: BigNumber;
}

export interface ApplyCouponsInput {
  readonly currency: string;
  readonly fees: readonly CouponFee[];
  /** The customer's active applied coupons, in any order. */
  readonly coupons: readonly AppliedCouponState[];
  /**
   * The progressive-billing credit already deducted from the invoice (§4.4 step 3, integer cents): the coupons start
   * from `sub_total_excluding_taxes = Σ fees − this`. 0 by default.
   */
  readonly progressiveBillingCreditAmountCents?: BigNumber;
}

/** A fee as Lago holds it during the step: the amount and the `precise_coupons_amount_cents` it has reached. */
interface FeeState {
  readonly fee: CouponFee;
  readonly amount: BigNumber;
  readonly initialPrecise: BigNumber;
  precise: BigNumber;
}

/** `numeric(30,5)`: ActiveModel rounds a decimal assigned to `precise_coupons_amount_cents` to 5 places, half up. */
const PRECISE_SCALE = 5;
/** bigdecimal's `BIGDECIMAL_DOUBLE_FIGURES` (`1 + DBL_DIG`). */
const DOUBLE_FIGURES = 16;
const HUNDRED = toDouble(100);

/**
 * Lago's coupon step at invoice finalization (§4.4 step 4): `Credits::AppliedCouponsService`,
 * `Credits::AppliedCouponService` and `AppliedCoupons::AmountService`, with Ruby's number types reproduced.
 *
 * Nothing applies unless Σ fees > 0. Coupons go by `limited_billable_metrics DESC, limited_plans DESC,
 * created_at ASC`; before each one the loop stops unless `sub_total_excluding_taxes` (Σ fees − progressive-billing
 * credit − credits so far, integer cents) is positive. A coupon is skipped, without a credit and keeping its state,
 * when it is fixed in another currency than the invoice's, or when it targets none of the invoice's fees (limited
 * to metrics: the CHARGE fees of those metrics; limited to plans: every fee of a subscription on those plans, metric
 * limits winning when a coupon has both). Otherwise, with `base` = the sub-total (unlimited coupon, a Ruby Integer)
 * or Σ (amount − precise coupons) over the targeted fees (a BigDecimal, decimals included):
 * - percentage: `base × rate.fdiv(100)`, capped at `base`, else rounded half up (Integer × Float is a Float, rounded
 *   half away from zero; BigDecimal × Float converts the Float with `Float#to_d` and rounds the exact product);
 * - fixed recurring / forever: `min(amount, base)`; fixed once: `min(amount − credited so far, base)`.
 * The credit row stores that amount truncated (a bigint column: `BigDecimal#to_i`), and the sub-total, the invoice's
 * coupons amount and what the coupon has credited move by the stored integer; the fees are weighted with the
 * untruncated amount: `fee.precise += (credit × (fee.amount − fee.precise)).fdiv(base)`, rounded to 5 places, capped
 * at the fee amount (`fdiv` is `Float(x) / base`: a Float division by the Integer sub-total, a BigDecimal division
 * by a BigDecimal base). A zero credit is still a credit: it counts down a recurring coupon and ends a once
 * percentage one. Recurring: `remaining = max(remaining − 1, 0)`, terminated at 0; once percentage: terminated;
 * once fixed: terminated when the untruncated credit ≥ what remained; forever: never.
 *
 * NOTE: Lago orders equal `created_at`s however Postgres returns them; here they go by `appliedCouponId`, so the
 * result never depends on the input order. An applied coupon listed twice applies once (`already_applied?`).
 */
export function applyCoupons(input: ApplyCouponsInput): CouponsApplied {
  const fees = input.fees.map(feeState);
  const ids = new Set<string>();
  for (const { fee } of fees) {
    if (ids.has(fee.id)) throw new RangeError(`fee ${fee.id} is listed twice`);
    ids.add(fee.id);
  }
  const coupons = input.coupons.map(checkedCoupon);
  const feesAmount = fees.reduce((sum, state) => sum.plus(state.amount), new BigNumber(0));
  const progressive = integerCents(input.progressiveBillingCreditAmountCents ?? new BigNumber(0), 'progressiveBillingCreditAmountCents');

  const credits: CouponCredit[] = [];
  let subTotal = feesAmount.minus(progressive);
  let couponsAmount = new BigNumber(0);
  if (feesAmount.isGreaterThan(0) && coupons.length > 0) {
    const applied = new Set<string>();
    for (const coupon of [...coupons].sort(applicationOrder)) {
      if (!subTotal.isGreaterThan(0)) break;
      if (applied.has(coupon.appliedCouponId)) continue;
      const credit = applyCoupon(coupon, input.currency, fees, subTotal);
      if (credit === null) continue;
      applied.add(coupon.appliedCouponId);
      credits.push(credit);
      subTotal = subTotal.minus(credit.amountCents);
      couponsAmount = couponsAmount.plus(credit.amountCents);
    }
  }

  const feeCoupons = new Map<string, BigNumber>();
  for (const state of fees) {
    const added = state.precise.minus(state.initialPrecise);
    if (!added.isZero()) feeCoupons.set(state.fee.id, added);
  }
  return { credits, feeCoupons, couponsAmountCents: couponsAmount };
}

/** One coupon on the invoice as it stands (`Credits::AppliedCouponService#call`); null when Lago skips it. */
function applyCoupon(coupon: AppliedCouponState, currency: string, fees: readonly FeeState[], subTotal: BigNumber): CouponCredit | null {
  const percentage = coupon.couponType === 'PERCENTAGE';
  if (!percentage && coupon.amountCurrency !== currency) return null;
  const limited = coupon.limitedBillableMetricCodes.length > 0 || coupon.limitedPlanCodes.length > 0;
  const targeted = targetedFees(coupon, fees);
  if (targeted.length === 0) return null;

  // Unlimited: the invoice's integer sub-total. Limited: the exact (BigDecimal) remainder of the targeted fees.
  const base = limited ? targeted.reduce((sum, state) => sum.plus(state.amount.minus(state.precise)), new BigNumber(0)) : subTotal;
  const remaining = coupon.frequency === 'ONCE' && !percentage ? amountOf(coupon).minus(coupon.creditedAmountCents) : null;
  const amount = creditAmount(coupon, base, limited, remaining);
  const stored = amount.integerValue(BigNumber.ROUND_DOWN);

  if (!base.isZero()) {
    for (const state of targeted) {
      const weighted = weightedShare(amount.times(state.amount.minus(state.precise)), base, limited);
      const precise = state.precise.plus(weighted).decimalPlaces(PRECISE_SCALE, BigNumber.ROUND_HALF_UP);
      state.precise = precise.isGreaterThan(state.amount) ? state.amount : precise;
    }
  }

  let frequencyDurationRemaining = coupon.frequencyDurationRemaining;
  let terminated: boolean;
  if (coupon.frequency === 'RECURRING') {
    frequencyDurationRemaining = Math.max((frequencyDurationRemaining ?? 0) - 1, 0);
    terminated = frequencyDurationRemaining <= 0;
  } else if (coupon.frequency === 'ONCE') {
    terminated = remaining === null || amount.isGreaterThanOrEqualTo(remaining);
  } else {
    terminated = false;
  }

  return {
    appliedCouponId: coupon.appliedCouponId,
    couponCode: coupon.couponCode,
    amountCents: stored,
    frequencyDurationRemaining,
    creditedAmountCents: coupon.creditedAmountCents.plus(stored),
    terminated,
  };
}

/** `AppliedCoupons::AmountService#compute_amount`, untruncated (a BigDecimal base can make it a decimal). */
function creditAmount(coupon: AppliedCouponState, base: BigNumber, limited: boolean, remaining: BigNumber | null): BigNumber {
  if (coupon.couponType === 'PERCENTAGE') {
    const rate = doubleDiv(toDouble(rateOf(coupon)), HUNDRED); // BigDecimal#fdiv: Float(rate) / 100
    if (limited) {
      const discounted = base.times(doubleToBigDecimal(rate)); // BigDecimal × Float: the Float enters as Float#to_d
      return discounted.isGreaterThanOrEqualTo(base) ? base : discounted.integerValue(BigNumber.ROUND_HALF_UP);
    }
    const discounted = doubleMul(integerDouble(base), rate); // Integer × Float
    return discounted.isGreaterThanOrEqualTo(base) ? base : roundHalfAwayFromZero(discounted);
  }
  const amount = remaining ?? amountOf(coupon);
  return amount.isGreaterThan(base) ? base : amount;
}

/**
 * `Fee#compute_precise_credit_amount_cents`: `(credit × remainder).fdiv(base)`, i.e. `Float(product) / base`. By the
 * Integer sub-total that is a Float division (the sum then takes the Float as `Float#to_d`); by a BigDecimal base,
 * `Float#/` coerces the Float into a BigDecimal (`Float#to_d`) and divides in BigDecimal.
 */
function weightedShare(product: BigNumber, base: BigNumber, limited: boolean): BigNumber {
  const dividend = toDouble(product);
  if (!limited) return doubleToBigDecimal(doubleDiv(dividend, integerDouble(base)));
  return bigDecimalDivide(doubleToBigDecimal(dividend), base);
}

/**
 * bigdecimal 4.x `BigDecimal#/` (`BigDecimal_div2` with no digits): the exact quotient rounded half up to
 * `max(precision(a), precision(b)) + 16` significant digits, at least 32.
 */
export function bigDecimalDivide(dividend: BigNumber, divisor: BigNumber): BigNumber {
  if (divisor.isZero()) throw new RangeError('divided by 0');
  if (dividend.isZero()) return new BigNumber(0);
  const digits = Math.max(Math.max(bigDecimalPrecision(dividend), bigDecimalPrecision(divisor)) + DOUBLE_FIGURES, 2 * DOUBLE_FIGURES);
  const negative = dividend.isNegative() !== divisor.isNegative();
  const a = dividend.abs();
  const b = divisor.abs();
  // The quotient's leading digit is at 10^exponent: a = ma × 10^ea, b = mb × 10^eb, a / b = (ma / mb) × 10^(ea − eb).
  let exponent = (a.e ?? 0) - (b.e ?? 0);
  if (a.isLessThan(b.shiftedBy(exponent))) exponent -= 1;
  // Integer numerator and denominator for the quotient scaled to `digits` integer digits.
  const places = Math.max(a.decimalPlaces() ?? 0, b.decimalPlaces() ?? 0);
  const shift = digits - 1 - exponent;
  const numerator = a.shiftedBy(places + Math.max(shift, 0));
  const denominator = b.shiftedBy(places + Math.max(-shift, 0));
  const truncated = numerator.idiv(denominator);
  const remainder = numerator.minus(truncated.times(denominator));
  const rounded = remainder.times(2).isGreaterThanOrEqualTo(denominator) ? truncated.plus(1) : truncated;
  const quotient = rounded.shiftedBy(-shift);
  return negative ? quotient.negated() : quotient;
}

/**
 * `BigDecimal#precision`: the digits from the most significant one to the last non-zero decimal, counting an
 * integer's trailing zeros and a fraction's leading zeros (1e20 → 21, 1e-20 → 20, 3.1415 → 5, 0 → 0).
 */
export function bigDecimalPrecision(value: BigNumber): number {
  if (value.isZero()) return 0;
  const magnitude = value.abs();
  const integerDigits = magnitude.isGreaterThanOrEqualTo(1) ? magnitude.integerValue(BigNumber.ROUND_DOWN).toFixed().length : 0;
  return integerDigits + (magnitude.decimalPlaces() ?? 0);
}

/** The fees a coupon weighs on (`AppliedCouponService#fees`): metric limits first, then plan limits, else all. */
function targetedFees(coupon: AppliedCouponState, fees: readonly FeeState[]): FeeState[] {
  if (coupon.limitedBillableMetricCodes.length > 0) {
    const metrics = new Set(coupon.limitedBillableMetricCodes);
    return fees.filter(({ fee }) => fee.feeType === 'CHARGE' && fee.billableMetricCode !== null && metrics.has(fee.billableMetricCode));
  }
  if (coupon.limitedPlanCodes.length > 0) {
    const plans = new Set(coupon.limitedPlanCodes);
    return fees.filter(({ fee }) => fee.planCode !== null && plans.has(fee.planCode));
  }
  return [...fees];
}

/** `limited_billable_metrics DESC, limited_plans DESC, created_at ASC`, then the id for equal instants. */
function applicationOrder(a: AppliedCouponState, b: AppliedCouponState): number {
  const byMetrics = Number(b.limitedBillableMetricCodes.length > 0) - Number(a.limitedBillableMetricCodes.length > 0);
  if (byMetrics !== 0) return byMetrics;
  const byPlans = Number(b.limitedPlanCodes.length > 0) - Number(a.limitedPlanCodes.length > 0);
  if (byPlans !== 0) return byPlans;
  const byAge = instantOf(a.createdAt).comparedTo(instantOf(b.createdAt)) ?? 0;
  if (byAge !== 0) return byAge;
  return a.appliedCouponId < b.appliedCouponId ? -1 : a.appliedCouponId > b.appliedCouponId ? 1 : 0;
}

const ISO_INSTANT = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** An ISO instant as exact epoch seconds (sub-millisecond digits kept: Postgres timestamps have microseconds). */
function instantOf(iso: string): BigNumber {
  const match = ISO_INSTANT.exec(iso);
  const seconds = match === null ? Number.NaN : Date.parse(`${match[1] ?? ''}${match[3] ?? ''}`);
  if (match === null || Number.isNaN(seconds)) throw new RangeError(`createdAt must be an ISO instant, got ${JSON.stringify(iso)}`);
  return new BigNumber(seconds).shiftedBy(-3).plus(new BigNumber(`0${match[2] ?? ''}`));
}

function feeState(fee: CouponFee): FeeState {
  const amount = integerCents(fee.amountCents, `fee ${fee.id} amountCents`);
  const precise = fee.preciseCouponsAmountCents ?? new BigNumber(0);
  if (!BigNumber.isBigNumber(precise) || !precise.isFinite() || precise.isNegative() || precise.isGreaterThan(amount)) {
    throw new RangeError(`fee ${fee.id} preciseCouponsAmountCents must be between 0 and the fee amount`);
  }
  return { fee, amount, initialPrecise: precise, precise };
}

function checkedCoupon(coupon: AppliedCouponState): AppliedCouponState {
  const name = `applied coupon ${coupon.appliedCouponId}`;
  integerCents(coupon.creditedAmountCents, `${name} creditedAmountCents`);
  if (coupon.couponType === 'PERCENTAGE') {
    rateOf(coupon);
  } else {
    const amount = amountOf(coupon);
    if (coupon.frequency === 'ONCE' && coupon.creditedAmountCents.isGreaterThan(amount)) {
      throw new RangeError(`${name} has credited more than its amount`);
    }
  }
  const remaining = coupon.frequencyDurationRemaining;
  if (remaining !== null && (!Number.isSafeInteger(remaining) || remaining < 0)) {
    throw new RangeError(`${name} frequencyDurationRemaining must be a non-negative integer`);
  }
  instantOf(coupon.createdAt);
  return coupon;
}

function amountOf(coupon: AppliedCouponState): BigNumber {
  if (coupon.amountCents === null) throw new TypeError(`fixed applied coupon ${coupon.appliedCouponId} has no amountCents`);
  return integerCents(coupon.amountCents, `applied coupon ${coupon.appliedCouponId} amountCents`);
}

function rateOf(coupon: AppliedCouponState): BigNumber {
  const rate = coupon.percentageRate;
  if (rate === null || !BigNumber.isBigNumber(rate) || !rate.isFinite() || rate.isNegative()) {
    throw new TypeError(`percentage applied coupon ${coupon.appliedCouponId} needs a non-negative percentageRate`);
  }
  return rate;
}

function integerCents(value: BigNumber, field: string): BigNumber {
  if (!BigNumber.isBigNumber(value) || !value.isInteger() || value.isNegative()) throw new RangeError(`${field} must be a non-negative integer BigNumber`);
  return value;
}

/** An Integer entering Float arithmetic (`(double)` of a fixnum: exact below 2^53). */
function integerDouble(value: BigNumber): Double {
  return toDouble(value);
}

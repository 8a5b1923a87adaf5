import BigNumber from 'bignumber.js';
import { fromCents, parseDecimal, toCents } from './money.ts';
import type { DecimalInput } from './money.ts';

/** Inputs of the per-charge minimum spend (Lago's `min_amount_cents`). */
export interface MinimumSpendInput {
  /** The charge's minimum for a full charges period, in cents. */
  readonly minAmountCents: DecimalInput;
  /** Days of a full charges period. */
  readonly chargesDurationDays: number;
  /** Days billed (`daysBetweenInclusive` of the charges period, one less when terminated by an upgrade). */
  readonly daysToBill: number;
  /** Every fee of the charge in the period, all filter buckets and pricing groups. */
  readonly fees: readonly { readonly amountCents: BigNumber; readonly preciseAmountCents: BigNumber }[];
  readonly currency: string;
}

/** The true-up fee: a separate charge fee with one unit and no events. */
export interface TrueUpFee {
  readonly proratedMinAmountCents: BigNumber;
  readonly amountCents: BigNumber;
  readonly preciseAmountCents: BigNumber;
  readonly unitAmountCents: BigNumber;
  readonly units: BigNumber;
  readonly eventsCount: 0;
}

/**
 * Per-charge minimum spend (§2.10): `proratedMin = minAmountCents / chargesDurationDays × daysToBill`; when the
 * charge's fees total less, the true-up is `round(proratedMin − used)` cents (ROUND_HALF_UP), with
 * `preciseAmountCents = proratedMin − Σ precise`. `null` when the minimum is met. Not for pay-in-advance charges.
 */
export function minimumSpendTrueUp(input: MinimumSpendInput): TrueUpFee | null {
  if (!(input.chargesDurationDays > 0)) throw new RangeError(`chargesDurationDays must be positive, got ${input.chargesDurationDays}`);
  const days = Math.max(0, input.daysToBill);
  // Multiplying before dividing keeps the only inexact step last.
  const proratedMin = parseDecimal(input.minAmountCents, 'minAmountCents').times(days).div(input.chargesDurationDays);
  const used = BigNumber.sum(0, ...input.fees.map((f) => f.amountCents));
  if (used.isGreaterThanOrEqualTo(proratedMin)) return null;
  const usedPrecise = BigNumber.sum(0, ...input.fees.map((f) => f.preciseAmountCents));
  // The one rounding function works in major units: cents → major → rounded cents is a shift, so exact.
  const amountCents = toCents(fromCents(proratedMin.minus(used), input.currency), input.currency);
  return {
    proratedMinAmountCents: proratedMin,
    amountCents,
    preciseAmountCents: proratedMin.minus(usedPrecise),
    unitAmountCents: amountCents,
    units: new BigNumber(1),
    eventsCount: 0,
  };
}

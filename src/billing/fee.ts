import BigNumber from 'bignumber.js';
import type { ChargeResult } from './chargeModels/types.ts';
import { toCents, toPreciseCents } from './money.ts';

/** A charge fee's amounts, in currency subunits (cents) except `preciseUnitAmount`. */
export interface FeeAmounts {
  /** Units shown on the fee: the non-prorated units for prorated charges. */
  readonly units: BigNumber;
  /** Integer cents: the amount rounded once, ROUND_HALF_UP at the currency exponent. */
  readonly amountCents: BigNumber;
  /** Unrounded cents. */
  readonly preciseAmountCents: BigNumber;
  /** Integer cents per unit, truncated. */
  readonly unitAmountCents: BigNumber;
  /** Unrounded unit amount in major units. */
  readonly preciseUnitAmount: BigNumber;
}

/** The charge-model part `toFeeAmounts` reads. */
export type PricedCharge = Pick<ChargeResult, 'amount' | 'unitAmount' | 'units' | 'fullUnits'>;

/**
 * Unit amount in cents as Lago stores it. NOTE: `unit_amount_cents` is an integer column and the unrounded
 * `unit_amount × subunit` is assigned to it, which truncates toward zero (9.58333 EUR → 958): it is a display
 * value, never summed.
 */
export function unitAmountCents(unitAmount: BigNumber, currency: string): BigNumber {
  return toPreciseCents(unitAmount, currency).integerValue(BigNumber.ROUND_DOWN);
}

/**
 * Converts a charge model result into fee amounts (§2.13): a negative amount or negative units give an
 * all-zero fee; otherwise the amount is rounded ONCE, here, per fee (per filter bucket, per pricing group),
 * never per event.
 */
export function toFeeAmounts(result: PricedCharge, currency: string): FeeAmounts {
  if (result.units.isNegative() || result.amount.isNegative()) {
    const zero = new BigNumber(0);
    return { units: zero, amountCents: zero, preciseAmountCents: zero, unitAmountCents: zero, preciseUnitAmount: zero };
  }
  return {
    units: result.fullUnits ?? result.units,
    amountCents: toCents(result.amount, currency),
    preciseAmountCents: toPreciseCents(result.amount, currency),
    unitAmountCents: unitAmountCents(result.unitAmount, currency),
    preciseUnitAmount: result.unitAmount,
  };
}

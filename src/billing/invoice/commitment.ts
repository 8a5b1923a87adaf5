import BigNumber from 'bignumber.js';
import { currencyExponent, parseDecimal } from '../money.ts';
import type { DecimalInput } from '../money.ts';
import type { ProrationDays } from '../periods/days.ts';
import { prorationDays } from '../periods/days.ts';
import type { Instant, PeriodSubscription } from '../periods/types.ts';
import { doubleDiv, doubleMul, doubleToBigDecimal, toDouble } from './rubyFloat.ts';

export interface CommitmentInput {
  /** The plan's minimum commitment for a whole plan-interval period, integer cents. */
  readonly commitmentAmountCents: DecimalInput;
  readonly currency: string;
  /** Σ amountCents of the fees that count (see `commitmentTrueUp`). */
  readonly feesAmountCents: BigNumber;
  /** Σ preciseAmountCents of the same fees, for the precise true-up; defaults to `feesAmountCents`. */
  readonly feesPreciseAmountCents?: BigNumber;
  /** The prorated coefficient inputs: see `commitmentProrationDays`. */
  readonly days: number;
  readonly periodDays: number;
}

export interface CommitmentTrueUp {
  /** Integer cents: the prorated commitment minus the fees. */
  readonly amountCents: BigNumber;
  /** The prorated commitment minus the fees' precise amounts (0 when those reach it). */
  readonly preciseAmountCents: BigNumber;
  /** The commitment prorated to the period covered, integer cents. */
  readonly proratedCommitmentAmountCents: BigNumber;
}

/**
 * Minimum-commitment true-up (§3.7), Lago's `Commitments::Minimum::CalculateTrueUpFeeService` (+ its `InArrears` /
 * `InAdvance` subclasses) and `Commitments::CalculateAmountService`:
 * - `prorated = Money.from_cents(commitment × (days / periodDays.to_f)).cents` — a Float coefficient, the Float
 *   product converted with `Float#to_d` and rounded ROUND_HALF_UP (Lago's Money rounding mode);
 * - `amountCents = prorated − feesAmountCents` when the fees are below it, `preciseAmountCents = prorated −
 *   feesPreciseAmountCents` (0 when the precise fees reach it);
 * - `null` when there is nothing to bill: no commitment (0) or fees ≥ prorated
 *   (`CalculateFeesService#should_create_minimum_commitment_true_up_fee?` skips a zero true-up).
 *
 * The fees that count are the subscription's fees of the reconciled plan-interval period:
 * - in arrears (the period just elapsed): its subscription fees on this invoice (on every invoice of the period
 *   when charges or fixed charges are billed monthly), its pay-in-arrears charge fees and fixed-charge fees, the
 *   pay-in-advance charge and fixed-charge fees billed during the period, and the period-start fees of recurring
 *   pay-in-advance charges;
 * - in advance (the PREVIOUS period, the one that ended when this invoice opens the next): the in-advance
 *   subscription fee billed at that period's start, the pay-in-arrears charge and fixed-charge fees of that period
 *   — which are on this invoice —, and the pay-in-advance charge, fixed-charge and recurring fees of that period.
 *   NOTE: on the first invoice of an in-advance plan there is no previous period and Lago bills no true-up
 *   (`BuildFeeBaseService#pay_in_advance_first_period?`): do not call this then.
 * Yearly and semiannual plans get it only on the runs that bill their subscription fee
 * (`shouldBillSubscriptionFee`). NOTE: Lago's coefficient is a Float; `days = periodDays` gives exactly 1.
 */
export function commitmentTrueUp(input: CommitmentInput): CommitmentTrueUp | null {
  currencyExponent(input.currency);
  const commitment = parseDecimal(input.commitmentAmountCents, 'commitmentAmountCents');
  if (!commitment.isInteger() || commitment.isNegative()) {
    throw new RangeError(`commitmentAmountCents must be a non-negative integer, got ${commitment.toFixed()}`);
  }
  if (!Number.isInteger(input.days) || input.days < 0) throw new RangeError(`days must be a non-negative integer, got ${input.days}`);
  if (!Number.isInteger(input.periodDays) || input.periodDays <= 0) {
    throw new RangeError(`periodDays must be a positive integer, got ${input.periodDays}`);
  }
  const proratedCommitmentAmountCents = proratedCommitment(commitment, input.days, input.periodDays);
  const fees = input.feesAmountCents;
  if (!proratedCommitmentAmountCents.isGreaterThan(fees)) return null;
  const preciseFees = input.feesPreciseAmountCents ?? fees;
  return {
    amountCents: proratedCommitmentAmountCents.minus(fees),
    preciseAmountCents: preciseFees.isGreaterThanOrEqualTo(proratedCommitmentAmountCents)
      ? new BigNumber(0)
      : proratedCommitmentAmountCents.minus(preciseFees),
    proratedCommitmentAmountCents,
  };
}

/** `Money.from_cents(amount_cents * (days / days_total.to_f)).cents` (0 for a zero commitment, as Lago short-cuts). */
function proratedCommitment(commitment: BigNumber, days: number, periodDays: number): BigNumber {
  if (commitment.isZero()) return commitment;
  const coefficient = doubleDiv(toDouble(days), toDouble(periodDays));
  return doubleToBigDecimal(doubleMul(toDouble(commitment), coefficient)).integerValue(BigNumber.ROUND_HALF_UP);
}

/** The invoice window whose coverage prorates the commitment. */
export interface CommitmentWindow {
  readonly subscription: PeriodSubscription;
  /**
   * `from_datetime` of the first invoice of the reconciled period: the period's start, or the subscription's first
   * day (start of its local day) when it started inside that period.
   */
  readonly from: Instant;
  /**
   * The reconciled invoice's `to_datetime` (the period's end); when the subscription is terminated,
   * `min(terminatedAt, period end)` (a downgrade terminates after the period's end).
   */
  readonly to: Instant;
}

/**
 * The `days` / `periodDays` of `Commitments::CalculateProratedCoefficientService`: `days` =
 * `date_diff_with_timezone(from, to)` — inclusive local days, WITHOUT the upgrade day removed — and `periodDays` =
 * `date_diff_with_timezone(previous_beginning_of_period, end_of_period)`, the whole plan-interval period being
 * reconciled (for an in-advance plan, the previous invoice's period), not clamped to the subscription's start.
 */
export function commitmentProrationDays(window: CommitmentWindow): ProrationDays {
  return prorationDays(window.subscription, window.from, window.to);
}

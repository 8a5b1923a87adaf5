import BigNumber from 'bignumber.js';
import { currencyExponent, parseDecimal } from '../money.ts';
import type { DecimalInput } from '../money.ts';
import { intervalRange, resolveSubscription } from '../periods/context.ts';
import { daysBetweenInclusive, prorationDays } from '../periods/days.ts';
import type { PeriodSubscription } from '../periods/types.ts';
import { localEpochDay, toIso, toMillis } from '../periods/zone.ts';
import { doubleDiv, doubleMul, doubleToBigDecimal, roundHalfAwayFromZero, toDouble } from './rubyFloat.ts';

export interface SubscriptionFeeInput {
  /** Plan amount for a full period, integer cents (string or BigNumber). */
  readonly planAmountCents: DecimalInput;
  readonly currency: string;
  /** The subscription's period rules (src/billing/periods/types.ts PeriodSubscription). */
  readonly subscription: PeriodSubscription;
  /** The fee window (inclusive bounds, UTC ISO): billingBoundaries().subscriptionFeeFrom/To, cut at terminatedAt when terminating. */
  readonly from: string;
  readonly to: string;
  /** When the trial ends (UTC ISO) or null. */
  readonly trialEndsAt: string | null;
  /** This invoice terminates the subscription (termination or the old side of an upgrade/downgrade). */
  readonly terminated: boolean;
  /** Terminated by an upgrade: the day count loses one day (the upgrade day is billed on the new plan). */
  readonly terminatedByUpgrade: boolean;
  /** Terminated and a next subscription takes over (upgrade or downgrade). */
  readonly hasNextSubscription: boolean;
  /** This is the first invoice of a subscription created by an upgrade (§3.4 rule 2). */
  readonly createdByUpgrade: boolean;
  /** The external id had a previous subscription (plan change), for rule 3. */
  readonly hasPreviousSubscription: boolean;
  /** A subscription fee has already been billed for this subscription. */
  readonly previousFeeBilled: boolean;
  /** The subscription started on a day before it was created (subscriptionAt in the past). */
  readonly startedInPast: boolean;
}

/** Which branch of Lago's `compute_amount` priced the fee. */
export type SubscriptionFeeRule = 'TERMINATED' | 'UPGRADED' | 'FULL_PERIOD' | 'FIRST_SUBSCRIPTION';

export interface SubscriptionFeeResult {
  /** Integer cents, rounded as Lago rounds (Float round, half away from zero). */
  readonly amountCents: BigNumber;
  /** Unrounded cents, as Lago stores them (`Float#to_d` of the Float amount). */
  readonly preciseAmountCents: BigNumber;
  /** Always 1. */
  readonly units: BigNumber;
  /** The window actually billed: `from` moves to the trial end when the trial ends inside the window. */
  readonly fromDatetime: string;
  readonly toDatetime: string;
  /** The proration used: `days` billed over `periodDays` (`days = periodDays` for a full period, 0 in a trial). */
  readonly days: number;
  readonly periodDays: number;
  /** The plan amount (`amount_details.plan_amount_cents`). */
  readonly planAmountCents: BigNumber;
  /** The branch of `compute_amount` that applied. */
  readonly rule: SubscriptionFeeRule;
}

/**
 * Lago's `Fees::SubscriptionService#compute_amount` branch (app/services/fees/subscription_service.rb), first match:
 * 1. `TERMINATED` (`should_compute_terminated_amount?`): terminated, plan in arrears, and upgraded or without a next
 *    subscription. NOTE: a terminated pay-in-advance plan never takes this branch — it was paid for the whole period
 *    up front and the unused days go back through a credit note (`CreditNotes::CreateFromTermination`); when Lago
 *    bills its fee at all (`CalculateFeesService#should_create_subscription_fee?`: only when `terminated_at` is after
 *    the invoice's creation) the rules below price it. A downgraded arrears plan also falls through (its window
 *    already ends with the period).
 * 2. `UPGRADED` (`should_compute_upgraded_amount?`): first invoice of a subscription created by an upgrade.
 * 3. `FULL_PERIOD` (`should_use_full_amount?`): see `usesFullPeriodAmount`.
 * 4. `FIRST_SUBSCRIPTION` otherwise (a first invoice, or the first one after a downgrade).
 */
export function subscriptionFeeRule(input: SubscriptionFeeInput): SubscriptionFeeRule {
  const { payInAdvance } = input.subscription;
  if (input.terminated && !payInAdvance && (input.terminatedByUpgrade || !input.hasNextSubscription)) return 'TERMINATED';
  if (input.createdByUpgrade) return 'UPGRADED';
  if (usesFullPeriodAmount(input)) return 'FULL_PERIOD';
  return 'FIRST_SUBSCRIPTION';
}

/**
 * Lago's `should_use_full_amount?`: the full plan amount is billed when
 * - the plan is pay-in-advance on anniversary periods and the external id had no previous subscription (the first
 *   anniversary invoice covers a whole period; after a downgrade the first invoice is prorated instead);
 * - a subscription fee was already billed for this subscription (every later period);
 * - the subscription started in the past and the plan is pay-in-advance;
 * - the subscription started in the past, before the beginning of the period being billed.
 * NOTE: Lago's last test compares `started_at` with `DatesService#previous_beginning_of_period` at the billing run,
 * which for the only case it decides (started in the past, in arrears) is the beginning of the elapsed period — the
 * whole plan-interval period containing the window's `from`, at local midnight. It is computed here that way.
 */
export function usesFullPeriodAmount(input: SubscriptionFeeInput): boolean {
  const { payInAdvance, billingTime } = input.subscription;
  if (payInAdvance && billingTime === 'ANNIVERSARY' && !input.hasPreviousSubscription) return true;
  if (input.previousFeeBilled) return true;
  if (input.startedInPast && payInAdvance) return true;
  return input.startedInPast && startedBeforePeriodOf(input.subscription, input.from);
}

/** `started_at` is before local midnight of the first day of the plan-interval period containing `instant`. */
function startedBeforePeriodOf(subscription: PeriodSubscription, instant: string): boolean {
  const sub = resolveSubscription(subscription);
  const periodFirstDay = intervalRange(sub, localEpochDay(toMillis(instant, 'from'), sub.timezone)).first;
  // startedAt < midnight of periodFirstDay ⇔ startedAt's local day is an earlier day.
  return sub.startDay < periodFirstDay;
}

/**
 * The subscription fee of one invoice, as Lago's `Fees::SubscriptionService#compute_amount` prices it (§3.4).
 *
 * `TERMINATED`, `UPGRADED` and `FIRST_SUBSCRIPTION` bill `days × single_day_price`, where `days` is
 * `daysBetweenInclusive(from, to)` in the customer's timezone (minus one day, never below 0, when terminated by an
 * upgrade — `Subscription#date_diff_with_timezone`; only `terminated_amount` uses that version) and
 * `single_day_price = plan_amount_cents.fdiv(period_days)` (`DatesService#single_day_price`), `period_days` being
 * the length of the whole plan-interval period containing `from`'s local day (`compute_duration`). `FULL_PERIOD`
 * bills the plan amount.
 *
 * Trials (`plan.has_trial?`): the trial end is compared with the window — a trial lasting to `to` or later bills 0;
 * one ending strictly inside moves `from` to the trial end (the trial-end day counts as a whole day), and a
 * `FULL_PERIOD` fee becomes a prorated one. A trial that ended at or before `from` changes nothing.
 * NOTE: `first_subscription_amount` compares `subscription.trial_end_date` — a Date, i.e. midnight UTC of the day
 * the trial ends (`initial_started_at.to_date + trial_period.days`) — not the trial-end instant, yet moves `from` to
 * the instant. So a trial ending on the window's first day (UTC) after its start is ignored there, and the window
 * start is cut at the instant. The other branches compare the instant. The date is derived here as the UTC day of
 * `trialEndsAt`, exact for whole-day trial periods (Lago allows fractional ones: `Date + 1.5.days` keeps the half
 * day, so for those pass a `trialEndsAt` whose UTC day is the trial's `initial_started_at.to_date + trial_period`).
 *
 * NOTE on Floats: Lago computes `days * amount.fdiv(period_days)` in IEEE doubles and rounds that Float half away
 * from zero (`Float#round`). Exact decimals would round differently on exact ties (34 cents × 21/28 = 25.5 → 26 in
 * decimals, 25.499999999999996 → 25 in Lago), so the Float arithmetic is reproduced bit for bit (`rubyFloat.ts`).
 * `preciseAmountCents` is the Float as Lago converts it (`Float#to_d`: shortest digits, cut to 16 significant);
 * Lago's column (numeric(40,15)) keeps it at 15 decimals. Plan amounts must stay below 2^53 cents.
 */
export function subscriptionFee(input: SubscriptionFeeInput): SubscriptionFeeResult {
  currencyExponent(input.currency); // validates the code; the fee is in the currency's subunits whatever it is
  const planAmountCents = parseDecimal(input.planAmountCents, 'planAmountCents');
  if (!planAmountCents.isInteger() || planAmountCents.isNegative()) {
    throw new RangeError(`planAmountCents must be a non-negative integer, got ${planAmountCents.toFixed()}`);
  }
  if (input.terminatedByUpgrade && !(input.terminated && input.hasNextSubscription)) {
    throw new RangeError('terminatedByUpgrade needs terminated and hasNextSubscription');
  }
  const fromMs = toMillis(input.from, 'from');
  const toMs = toMillis(input.to, 'to');
  if (toMs < fromMs) throw new RangeError(`the fee window ends (${input.to}) before it starts (${input.from})`);

  const rule = subscriptionFeeRule(input);
  const { timezone } = input.subscription;
  const { periodDays } = prorationDays(input.subscription, input.from, input.to);
  const result = (days: number, amount: { amountCents: BigNumber; preciseAmountCents: BigNumber }, billedFromMs = fromMs) => ({
    ...amount,
    units: new BigNumber(1),
    fromDatetime: toIso(billedFromMs),
    toDatetime: toIso(toMs),
    days,
    periodDays,
    planAmountCents,
    rule,
  });

  let billedFromMs = fromMs;
  let trialCut = false;
  if (input.trialEndsAt !== null) {
    const trialEndMs = toMillis(input.trialEndsAt, 'trialEndsAt');
    const comparedMs = rule === 'FIRST_SUBSCRIPTION' ? startOfUtcDay(trialEndMs) : trialEndMs;
    if (comparedMs >= toMs) return result(0, zeroAmount());
    if (comparedMs > fromMs && comparedMs < toMs) {
      billedFromMs = trialEndMs;
      trialCut = true;
    }
  }

  if (rule === 'FULL_PERIOD' && !trialCut) {
    return result(periodDays, { amountCents: planAmountCents, preciseAmountCents: planAmountCents });
  }
  const counted = daysBetweenInclusive(toIso(billedFromMs), input.to, timezone);
  // Only `terminated_amount` counts with `Subscription#date_diff_with_timezone` (upgrade day removed, floor 0).
  const days = rule === 'TERMINATED' && input.terminatedByUpgrade ? Math.max(0, counted - 1) : counted;
  return result(days, proratedAmount(planAmountCents, days, periodDays), billedFromMs);
}

/**
 * `days * plan_amount_cents.fdiv(period_days)` in Ruby Floats, then `Float#round` and `Float#to_d`. The division
 * comes first, as in Lago: `amount × days / periodDays` would be a different Float.
 */
export function proratedAmount(planAmountCents: BigNumber, days: number, periodDays: number): { amountCents: BigNumber; preciseAmountCents: BigNumber } {
  if (!Number.isInteger(days) || days < 0) throw new RangeError(`days must be a non-negative integer, got ${days}`);
  if (!Number.isInteger(periodDays) || periodDays <= 0) throw new RangeError(`periodDays must be a positive integer, got ${periodDays}`);
  const singleDayPrice = doubleDiv(toDouble(planAmountCents), toDouble(periodDays));
  const amount = doubleMul(toDouble(days), singleDayPrice);
  return { amountCents: roundHalfAwayFromZero(amount), preciseAmountCents: doubleToBigDecimal(amount) };
}

function zeroAmount(): { amountCents: BigNumber; preciseAmountCents: BigNumber } {
  return { amountCents: new BigNumber(0), preciseAmountCents: new BigNumber(0) };
}

const DAY_MS = 86_400_000;

/** Midnight UTC of the UTC day of `ms`: how a Ruby `Date` compares with a `Time` (`Date#to_datetime`, offset 0). */
function startOfUtcDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

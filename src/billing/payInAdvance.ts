import BigNumber from 'bignumber.js';
import { unitAmountCents } from './fee.ts';
import type { ChargeContext, ChargeInput, ChargeModel } from './chargeModels/types.ts';
import { roundToCurrency, toCents, toPreciseCents } from './money.ts';

/** What a sum / unique-count pay-in-advance charge remembers within a period (Lago's `CachedAggregation`). */
export interface InAdvanceCache {
  /** The running level after the last event. */
  readonly current: BigNumber;
  /** The highest level already billed. */
  readonly max: BigNumber;
}

/**
 * Units an event makes billable on a sum / unique-count pay-in-advance charge (§2.11): decreases are not
 * refunded and climbing back up to the period's previous maximum is not billed again —
 * `charged = max(0, current − oldMax)`. `previous` is `null` for the first event of the period.
 */
export function inAdvanceUnits(previous: InAdvanceCache | null, eventValue: BigNumber): { chargedUnits: BigNumber; cache: InAdvanceCache } {
  if (previous === null) {
    // NOTE: as in Lago, a negative first event charges nothing but leaves a negative maximum behind.
    return { chargedUnits: BigNumber.max(eventValue, 0), cache: { current: eventValue, max: eventValue } };
  }
  const current = previous.current.plus(eventValue);
  if (!current.isGreaterThan(previous.max)) return { chargedUnits: new BigNumber(0), cache: { current, max: previous.max } };
  const chargedUnits = current.minus(previous.max);
  // NOTE: Lago stores max(current, current − oldMax) as the new maximum; the two differ only after a
  // negative maximum, where the larger one is kept.
  return { chargedUnits, cache: { current, max: BigNumber.max(current, chargedUnits) } };
}

/** Current usage of a pay-in-advance sum / unique count prices `total − cache.current + cache.max` units. */
export function inAdvanceCurrentUsageUnits(total: BigNumber, cache: InAdvanceCache | null): BigNumber {
  return cache === null ? total : total.minus(cache.current).plus(cache.max);
}

/** One pay-in-advance event to price. */
export interface PayInAdvanceInput<P> {
  readonly model: ChargeModel<P>;
  readonly properties: P;
  readonly context: ChargeContext;
  /** The period's aggregation, this event included. */
  readonly aggregation: ChargeInput;
  /** Units this event adds (for sum / unique count, `inAdvanceUnits(...).chargedUnits`). */
  readonly eventUnits: BigNumber;
  readonly eventPreciseTotalAmountCents?: BigNumber | undefined;
  /** Where the event sits in `aggregation.perEventValues`; the last one by default. */
  readonly eventIndex?: number | undefined;
}

/**
 * The aggregation as it was before the event (Lago's "exclude event" result): units and count less the
 * event, its per-event value removed, the same running total, and `excludeEvent` set so that a first tier's
 * flat amount is owed by the first event rather than already at zero.
 */
export function aggregationBeforeEvent<P>(input: PayInAdvanceInput<P>): ChargeInput {
  const { aggregation: after, eventUnits } = input;
  const values = after.perEventValues;
  const index = input.eventIndex ?? (values === undefined ? 0 : values.length - 1);
  return {
    ...after,
    units: after.units.minus(eventUnits),
    count: after.count?.minus(1),
    perEventValues: values?.filter((_, i) => i !== index),
    preciseTotalAmountCents: after.preciseTotalAmountCents?.minus(input.eventPreciseTotalAmountCents ?? 0),
    excludeEvent: true,
  };
}

/** A pay-in-advance fee for one event. */
export interface PayInAdvanceFee {
  /** `model(with event) − model(without)`, major units, unrounded. */
  readonly amount: BigNumber;
  readonly amountCents: BigNumber;
  readonly preciseAmountCents: BigNumber;
  /** Rounded amount / units, major units (0 when either is 0). */
  readonly unitAmount: BigNumber;
  readonly unitAmountCents: BigNumber;
  readonly units: BigNumber;
}

/**
 * Prices one pay-in-advance event (§2.11): the marginal cost `model(all events incl. this one) −
 * model(all before it)`, rounded per event at the currency exponent — here the rounding is per event, not
 * per period. So graduated and package bill the step an event causes (a package on the event that opens it).
 */
export function payInAdvanceFee<P>(input: PayInAdvanceInput<P>): PayInAdvanceFee {
  const { model, properties, context } = input;
  const amount = model(input.aggregation, properties, context).amount.minus(model(aggregationBeforeEvent(input), properties, context).amount);
  const rounded = roundToCurrency(amount, context.currency);
  const units = input.eventUnits;
  const unitAmount = rounded.isZero() || units.isZero() ? new BigNumber(0) : rounded.div(units);
  return {
    amount,
    amountCents: toCents(amount, context.currency),
    preciseAmountCents: toPreciseCents(amount, context.currency),
    unitAmount,
    unitAmountCents: unitAmountCents(unitAmount, context.currency),
    units,
  };
}

import BigNumber from 'bignumber.js';
import { bucketProperties, compileFilterMatcher, pricingGroupOf, propertyText, type EventProperties, type FilterMatcher } from './chargeFilters.ts';
import { chargeModelFor, type ChargeModel } from './chargeModels/index.ts';
import { inAdvanceUnits, payInAdvanceFee, type InAdvanceCache, type PayInAdvanceFee } from './payInAdvance.ts';
import type { PlanCharge } from '../domain/plan/types.ts';

/** A billable metric as in-advance billing reads it. */
export type InAdvanceMetric = { code: string; aggregationType: string; fieldName: string | null; filters: readonly { key: string; values: readonly string[] }[] };

/** What one (charge, filter bucket, pricing group, charges period) has seen so far, in log order. */
export type InAdvanceState = { count: BigNumber; cache: InAdvanceCache | null; distinct: Set<string> };

export const emptyInAdvanceState = (): InAdvanceState => ({ count: new BigNumber(0), cache: null, distinct: new Set() });

/** One event's fee on one pay-in-advance charge, and where it sits. */
export type InAdvanceFee = {
  fee: PayInAdvanceFee;
  filter: number | null;
  groupedBy: Record<string, string | null>;
  /** The state key (filter bucket × pricing group) this event moved. */
  slot: string;
};

/** A charge's compiled matching, reused for every event. */
export type InAdvancePricing = { charge: PlanCharge; metric: InAdvanceMetric; matcher: FilterMatcher; model: ChargeModel<PlanCharge['properties']> };

export function inAdvancePricing(charge: PlanCharge, metric: InAdvanceMetric): InAdvancePricing {
  return { charge, metric, matcher: compileFilterMatcher(charge.filters, metric.filters), model: chargeModelFor(charge.chargeModel) as ChargeModel<PlanCharge['properties']> };
}

function groupKeysOf(properties: unknown): string[] {
  const keys = (properties as { pricingGroupKeys?: unknown } | null)?.pricingGroupKeys;
  return Array.isArray(keys) ? keys.filter((k): k is string => typeof k === 'string') : [];
}

/**
 * A pay-in-advance charge's fee for one event (§2.11): `model(everything up to this event) − model(everything
 * before it)` in the event's filter bucket and pricing group, rounded per event. COUNT bills each event; SUM and
 * UNIQUE_COUNT bill only what climbs above the period's highest level already billed (Lago's cached aggregation:
 * decreases are not refunded, climbing back is not billed twice). `state` is the slot's, moved in place; the caller
 * keys states by `slot` and by charges period. `null` for a metric type that cannot be paid in advance.
 */
export function priceInAdvanceEvent(pricing: InAdvancePricing, properties: EventProperties, stateOf: (slot: string) => InAdvanceState, currency: string): InAdvanceFee | null {
  const { charge, metric } = pricing;
  const filter = pricing.matcher.bucketOf(properties);
  const chargeProperties = bucketProperties(charge.properties, charge.filters, filter);
  const group = pricingGroupOf(groupKeysOf(chargeProperties), properties);
  const slot = JSON.stringify([filter, group.key]);
  const state = stateOf(slot);
  let eventUnits: BigNumber;
  let units: BigNumber;
  if (metric.aggregationType === 'COUNT') {
    eventUnits = new BigNumber(1);
    units = state.count.plus(1);
  } else if (metric.aggregationType === 'SUM' || metric.aggregationType === 'UNIQUE_COUNT') {
    let value: BigNumber;
    if (metric.aggregationType === 'SUM') {
      const raw = metric.fieldName === null ? null : properties[metric.fieldName];
      const parsed = new BigNumber(typeof raw === 'number' || typeof raw === 'string' ? raw : NaN);
      value = parsed.isFinite() ? parsed : new BigNumber(0);
    } else {
      const text = metric.fieldName === null ? null : propertyText(properties[metric.fieldName]);
      value = text !== null && !state.distinct.has(text) ? new BigNumber(1) : new BigNumber(0);
      if (text !== null) state.distinct.add(text);
    }
    const moved = inAdvanceUnits(state.cache, value);
    state.cache = moved.cache;
    eventUnits = moved.chargedUnits;
    units = moved.cache.max;
  } else {
    return null;
  }
  state.count = state.count.plus(1);
  const fee = payInAdvanceFee({ model: pricing.model, properties: chargeProperties, context: { currency }, aggregation: { units, count: state.count }, eventUnits });
  return { fee, filter, groupedBy: { ...group.groupedBy }, slot };
}

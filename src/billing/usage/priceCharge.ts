import BigNumber from 'bignumber.js';
import { aggregationFor, runningTotal } from '../aggregations/index.ts';
import type { Aggregation, AggregationResult, RunningTotalFold, RunningTotalState, SumResult, WeightedSumResult } from '../aggregations/index.ts';
import { compareKeys } from '../aggregations/shared.ts';
import type { AggregationRounding, RoundingFunction } from '../aggregationRounding.ts';
import { bucketProperties, compileFilterMatcher, pricingGroupOf } from '../chargeFilters.ts';
import type { FilterMatcher, PricingGroup } from '../chargeFilters.ts';
import { chargeModelFor } from '../chargeModels/index.ts';
import type { ChargeDetails, ChargeInput, ChargeModel, PercentageProperties } from '../chargeModels/index.ts';
import { toFeeAmounts } from '../fee.ts';
import { parseOptionalDecimal } from '../money.ts';
import type { PlanCharge } from '../../domain/plan/types.ts';
import type { ChargeUsage, FilterUsage, GroupedUsage } from './price.ts';
import type { PerEventValue, PeriodBuckets, UsageBucket } from './types.ts';

type ChargeProperties = PlanCharge['properties'];

/** A billable metric as pricing needs it (the `billableMetrics` read model fits). */
export type PricingMetric = {
  _id: string;
  name: string;
  code: string;
  /** Upper case: COUNT, SUM, MAX, LATEST, UNIQUE_COUNT, WEIGHTED_SUM. */
  aggregationType: string;
  recurring: boolean;
  /** Upper case as stored ('ROUND', 'CEIL', 'FLOOR'), or null. */
  roundingFunction: string | null;
  roundingPrecision: number | null;
  filters: readonly { key: string; values: readonly string[] }[];
  deletedAt?: string | null;
};

/** The charges period priced: both bounds inclusive; `durationDays` = the whole period's length (WEIGHTED_SUM). */
export type UsageWindow = { from: string; to: string; durationDays?: number | undefined };

/** One charge to price over a window, from its metric's usage documents. */
export type PriceChargeInput = {
  charge: PlanCharge;
  metric: PricingMetric;
  /** The period's usage document; none means no usage yet. */
  document: PeriodBuckets | null | undefined;
  /** Recurring metrics: the history document and every earlier period's documents of the external id. */
  earlier?: readonly PeriodBuckets[] | undefined;
  currency: string;
  window: UsageWindow;
};

/** One fee before it is summed: a filter bucket (null = default) × a pricing group. */
type Fee = {
  filter: number | null;
  groupedBy: Record<string, string | null>;
  units: BigNumber;
  totalAggregatedUnits: BigNumber;
  eventsCount: number;
  amountCents: BigNumber;
  preciseAmountCents: BigNumber;
  unitAmountCents: BigNumber;
  preciseUnitAmount: BigNumber;
  details: ChargeDetails;
};

/** The merged buckets of one fee: this period's state, the earlier periods' state, per-event data. */
type Slot = {
  filter: number | null;
  group: PricingGroup;
  state: unknown;
  initial: unknown;
  perEvent: PerEventValue[];
  runningTotal: RunningTotalState | undefined;
};

type Pricing = {
  charge: PlanCharge;
  metric: PricingMetric;
  aggregation: Aggregation<unknown, AggregationResult>;
  matcher: FilterMatcher;
  /** SUM + PERCENTAGE with free units: the fold of the running total the meter keeps for this charge. */
  runningTotalFold: RunningTotalFold | undefined;
};

const RECURRING_TYPES = new Set(['SUM', 'UNIQUE_COUNT', 'WEIGHTED_SUM']);

function groupKeysOf(properties: unknown): string[] {
  const keys = (properties as { pricingGroupKeys?: unknown } | null)?.pricingGroupKeys;
  return Array.isArray(keys) ? keys.filter((k): k is string => typeof k === 'string') : [];
}

function hasFreeUnits(p: PercentageProperties): boolean {
  return [p.freeUnitsPerEvents, p.freeUnitsPerTotalAggregation].some((v) => v !== null && v !== undefined && v !== '' && !new BigNumber(v).isZero());
}

function placeBucket(pricing: Pricing, slots: Map<string, Slot>, bucket: UsageBucket, earlier: boolean): void {
  const { charge, aggregation } = pricing;
  const filter = pricing.matcher.bucketOf(bucket.dims);
  const group = pricingGroupOf(groupKeysOf(bucketProperties(charge.properties, charge.filters, filter)), bucket.dims);
  const key = JSON.stringify([filter, group.key]);
  let slot = slots.get(key);
  if (slot === undefined) slots.set(key, (slot = { filter, group, state: undefined, initial: undefined, perEvent: [], runningTotal: undefined }));
  if (earlier) slot.initial = slot.initial === undefined ? bucket.state : aggregation.merge(slot.initial, bucket.state);
  else slot.state = slot.state === undefined ? bucket.state : aggregation.merge(slot.state, bucket.state);
  if (bucket.perEvent !== undefined) slot.perEvent.push(...bucket.perEvent);
  const total = bucket.runningTotals !== undefined && Object.hasOwn(bucket.runningTotals, charge.id) ? bucket.runningTotals[charge.id] : undefined;
  if (total !== undefined && pricing.runningTotalFold !== undefined) {
    slot.runningTotal = slot.runningTotal === undefined ? total : pricing.runningTotalFold.merge(slot.runningTotal, total);
  }
}

/**
 * The fees of a charge, in a stable order (declared filters, then the default bucket; groups by their values):
 * every bucket of the period (and, for recurring metrics, of earlier periods) merged per (filter, group), plus
 * an empty fee for each filter bucket without events — Lago prices every filter and the default bucket.
 */
function collectSlots(pricing: Pricing, document: PeriodBuckets | null | undefined, earlier: readonly PeriodBuckets[]): Slot[] {
  const slots = new Map<string, Slot>();
  for (const bucket of Object.values(document?.buckets ?? {})) placeBucket(pricing, slots, bucket, false);
  for (const doc of earlier) for (const bucket of Object.values(doc.buckets)) placeBucket(pricing, slots, bucket, true);
  const filters: (number | null)[] = [...pricing.charge.filters.keys(), null];
  const present = new Set([...slots.values()].map((s) => s.filter));
  for (const filter of filters) {
    if (present.has(filter)) continue;
    slots.set(JSON.stringify([filter, '[]']), { filter, group: { key: '[]', groupedBy: {} }, state: undefined, initial: undefined, perEvent: [], runningTotal: undefined });
  }
  const order = (f: number | null) => (f === null ? filters.length : f);
  return [...slots.values()].sort((a, b) => order(a.filter) - order(b.filter) || (a.group.key < b.group.key ? -1 : a.group.key > b.group.key ? 1 : 0));
}

/** Lago's running total for COUNT / UNIQUE_COUNT is `1..n`; only its first free-unit entries and its end matter. */
function countRunningTotal(count: BigNumber, p: PercentageProperties): BigNumber[] {
  const perEvents = parseOptionalDecimal(p.freeUnitsPerEvents, 'freeUnitsPerEvents').integerValue(BigNumber.ROUND_DOWN);
  const perTotal = parseOptionalDecimal(p.freeUnitsPerTotalAggregation, 'freeUnitsPerTotalAggregation').integerValue(BigNumber.ROUND_CEIL);
  // NOTE: kept bounded: [1..m, n] with m past both free-unit thresholds answers every question the percentage
  // model asks of [1..n] (the Nth total, the last one, the length beyond N, how many totals are below X).
  const m = BigNumber.min(count, BigNumber.max(perEvents, perTotal).plus(1)).toNumber();
  const totals = Array.from({ length: Math.max(m, 0) }, (_, i) => new BigNumber(i + 1));
  if (count.isGreaterThan(m)) totals.push(count);
  return totals;
}

function perEventValues(pricing: Pricing, slot: Slot, result: AggregationResult): BigNumber[] {
  const type = pricing.metric.aggregationType;
  if (type === 'COUNT' || type === 'UNIQUE_COUNT') return Array.from({ length: result.count.toNumber() }, () => new BigNumber(1));
  const values = [...slot.perEvent].sort(compareKeys).map((e) => new BigNumber(e.value));
  if (type !== 'MAX') return values;
  // Lago's MAX per-event breakdown: the first maximal event carries the max, every other event 0.
  const max = values.reduce<BigNumber | null>((m, v) => (m === null || v.isGreaterThan(m) ? v : m), null);
  const first = max === null ? -1 : values.findIndex((v) => v.isEqualTo(max));
  return values.map((v, i) => (i === first ? v : new BigNumber(0)));
}

function runningTotalOf(pricing: Pricing, slot: Slot, result: AggregationResult, p: PercentageProperties): BigNumber[] | undefined {
  // Lago builds a running total only when the fee's own properties set free units (else everything would be free).
  if (!hasFreeUnits(p)) return undefined;
  const type = pricing.metric.aggregationType;
  if (type === 'COUNT' || type === 'UNIQUE_COUNT') return countRunningTotal(result.count, p);
  if (type !== 'SUM') return undefined;
  // NOTE: the meter keeps one running total per charge, built with the charge's free units (see context.ts).
  return slot.runningTotal === undefined || pricing.runningTotalFold === undefined ? [] : pricing.runningTotalFold.result(slot.runningTotal);
}

function chargeInput(pricing: Pricing, slot: Slot, result: AggregationResult, properties: ChargeProperties): ChargeInput {
  const base: ChargeInput = { units: result.units, count: result.count, preciseTotalAmountCents: (result as Partial<SumResult>).preciseTotalAmountCents };
  if (pricing.charge.chargeModel !== 'PERCENTAGE') return base;
  const p = properties as PercentageProperties;
  const perTransaction = (p.perTransactionMinAmount ?? null) !== null || (p.perTransactionMaxAmount ?? null) !== null;
  return { ...base, perEventValues: perTransaction ? perEventValues(pricing, slot, result) : undefined, runningTotal: runningTotalOf(pricing, slot, result, p) };
}

function roundingOf(metric: PricingMetric): AggregationRounding | undefined {
  if (metric.roundingFunction === null || metric.roundingFunction === undefined) return undefined;
  return { roundingFunction: metric.roundingFunction.toLowerCase() as RoundingFunction, roundingPrecision: metric.roundingPrecision };
}

function priceSlot(pricing: Pricing, slot: Slot, currency: string, window: UsageWindow): Fee {
  const { charge, aggregation, metric } = pricing;
  const result = aggregation.result(slot.state ?? aggregation.empty(), {
    from: window.from,
    to: window.to,
    durationDays: window.durationDays,
    initial: slot.initial ?? undefined,
    rounding: roundingOf(metric),
  });
  const properties = bucketProperties(charge.properties, charge.filters, slot.filter);
  // NOTE: a prorated charge is priced without proration here (its full units), as an estimate of the period.
  const model = chargeModelFor(charge.chargeModel) as ChargeModel<ChargeProperties>;
  const priced = model(chargeInput(pricing, slot, result, properties), properties, { currency });
  const fee = toFeeAmounts(priced, currency);
  const closing = (result as Partial<WeightedSumResult>).closingLevel;
  return {
    filter: slot.filter,
    groupedBy: { ...slot.group.groupedBy },
    units: fee.units,
    totalAggregatedUnits: closing ?? fee.units,
    eventsCount: result.count.toNumber(),
    amountCents: fee.amountCents,
    preciseAmountCents: fee.preciseAmountCents,
    unitAmountCents: fee.unitAmountCents,
    preciseUnitAmount: fee.preciseUnitAmount,
    details: priced.details,
  };
}

function sumOf(fees: readonly Fee[]) {
  return {
    units: BigNumber.sum(0, ...fees.map((f) => f.units)),
    totalAggregatedUnits: BigNumber.sum(0, ...fees.map((f) => f.totalAggregatedUnits)),
    eventsCount: fees.reduce((n, f) => n + f.eventsCount, 0),
    amountCents: BigNumber.sum(0, ...fees.map((f) => f.amountCents)),
  };
}

/** Fees partitioned by a key, in order of first appearance. */
function partition<K>(fees: readonly Fee[], keyOf: (fee: Fee) => K): Fee[][] {
  const groups = new Map<K, Fee[]>();
  for (const fee of fees) {
    const group = groups.get(keyOf(fee));
    if (group === undefined) groups.set(keyOf(fee), [fee]);
    else group.push(fee);
  }
  return [...groups.values()];
}

/** Lago's `filters`: one entry per filter bucket, the default one included (null values), when the charge has filters. */
function filtersOf(charge: PlanCharge, fees: readonly Fee[]): FilterUsage[] {
  if (charge.filters.length === 0) return [];
  return partition(fees, (f) => f.filter).map((group) => {
    const filter = group[0]!.filter === null ? undefined : charge.filters[group[0]!.filter];
    return { ...sumOf(group), invoiceDisplayName: filter?.invoiceDisplayName ?? null, values: filter?.values ?? null };
  });
}

/** Lago's `grouped_usage`: one entry per pricing group, when some fee is grouped. */
function groupedUsageOf(charge: PlanCharge, fees: readonly Fee[]): GroupedUsage[] {
  if (!fees.some((f) => Object.keys(f.groupedBy).length > 0)) return [];
  return partition(fees, (f) => JSON.stringify(f.groupedBy)).map((group) => ({ ...sumOf(group), groupedBy: group[0]!.groupedBy, filters: filtersOf(charge, group) }));
}

function pricingOf(charge: PlanCharge, metric: PricingMetric): Pricing {
  const aggregation = aggregationFor(metric.aggregationType);
  if (aggregation === undefined) throw new RangeError(`no aggregation for ${metric.aggregationType}`);
  const p = charge.properties as PercentageProperties;
  const keepsRunningTotal = charge.chargeModel === 'PERCENTAGE' && metric.aggregationType === 'SUM' && hasFreeUnits(p);
  return {
    charge,
    metric,
    aggregation,
    matcher: compileFilterMatcher(charge.filters, metric.filters),
    runningTotalFold: keepsRunningTotal ? runningTotal({ freeUnitsPerEvents: p.freeUnitsPerEvents ?? null, freeUnitsPerTotalAggregation: p.freeUnitsPerTotalAggregation ?? null }) : undefined,
  };
}

/**
 * Prices one plan charge from pre-aggregated usage (§1.4, §2, §6.1): buckets go to their charge filter (most
 * specific match, else the default bucket) and pricing group; each (filter, group) is aggregated over the window
 * — recurring SUM / UNIQUE_COUNT / WEIGHTED_SUM starting from the merged earlier documents — and priced by the
 * charge model with the filter's (or the charge's) properties, rounded once per fee. Charge totals are the fees'
 * sums. NOTE: pay-in-advance charges are priced on their total units (no cached per-period maximum).
 */
export function priceCharge(input: PriceChargeInput): ChargeUsage {
  const { charge, metric, currency } = input;
  const pricing = pricingOf(charge, metric);
  const earlier = metric.recurring && RECURRING_TYPES.has(metric.aggregationType) ? (input.earlier ?? []) : [];
  const fees = collectSlots(pricing, input.document, earlier).map((slot) => priceSlot(pricing, slot, currency, input.window));
  return {
    ...sumOf(fees),
    amountCurrency: currency,
    charge: { id: charge.id, chargeModel: charge.chargeModel, invoiceDisplayName: charge.invoiceDisplayName },
    billableMetric: { id: metric._id, name: metric.name, code: metric.code, aggregationType: metric.aggregationType },
    filters: filtersOf(charge, fees),
    groupedUsage: groupedUsageOf(charge, fees),
    details: fees.map((f) => ({
      filterValues: f.filter === null ? null : (charge.filters[f.filter]?.values ?? null),
      groupedBy: f.groupedBy,
      units: f.units.toFixed(),
      amountCents: f.amountCents.toFixed(),
      details: f.details,
    })),
    fees: fees.map((f) => {
      const filter = f.filter === null ? undefined : charge.filters[f.filter];
      return {
        filterValues: filter?.values ?? null,
        invoiceDisplayName: filter?.invoiceDisplayName ?? null,
        groupedBy: f.groupedBy,
        units: f.units,
        eventsCount: f.eventsCount,
        amountCents: f.amountCents,
        preciseAmountCents: f.preciseAmountCents,
        unitAmountCents: f.unitAmountCents,
        preciseUnitAmount: f.preciseUnitAmount,
        details: f.details,
      };
    }),
  };
}

import BigNumber from 'bignumber.js';
import { aggregationFor, runningTotal } from '../aggregations/index.ts';
import type { Aggregation, AggregationResult, RunningTotalFold, RunningTotalState, SumResult, SumState, WeightedSumResult } from '../aggregations/index.ts';
import { compareKeys, rounded } from '../aggregations/shared.ts';
import type { AggregationRounding, RoundingFunction } from '../aggregationRounding.ts';
import { bucketProperties, compileFilterMatcher, pricingGroupOf } from '../chargeFilters.ts';
import type { FilterMatcher, PricingGroup } from '../chargeFilters.ts';
import { chargeModelFor } from '../chargeModels/index.ts';
import type { ChargeDetails, ChargeInput, ChargeModel, PercentageProperties } from '../chargeModels/index.ts';
import { toFeeAmounts } from '../fee.ts';
import { parseOptionalDecimal } from '../money.ts';
import { daysBetweenInclusive } from '../periods/days.ts';
import type { PlanCharge } from '../../domain/plan/types.ts';
import type { ChargeUsage, FilterUsage, GroupedUsage } from './price.ts';
import { ceil5, dayRatio, floatAsBigDecimal, localDayOf, persistedDays, proratedSumUnits, type ProrationWindow } from './proration.ts';
import type { InAdvanceEntry, PerEventValue, PeriodBuckets, UsageBucket } from './types.ts';

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

/**
 * What the usage is priced for (Lago's `is_current_usage`): current usage (the default, also past usage) or an
 * invoice. They differ for pay-in-advance and prorated charges: current usage prices a pay-in-advance SUM /
 * UNIQUE_COUNT charge on `total − cached current + cached max` and floors prorated units at 0; an invoice bills a
 * pay-in-advance charge on its full units, without proration (`bill_full_amount?`).
 */
export type UsageContext = 'CURRENT_USAGE' | 'INVOICE';

/**
 * The charges period priced: both bounds inclusive; `durationDays` = the whole period's length (WEIGHTED_SUM,
 * prorated charges).
 */
export type UsageWindow = { from: string; to: string; durationDays?: number | undefined; context?: UsageContext | undefined };

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
  /** Prorated SUM: Σ values per local day of this period's events, and the timezone their days are in. */
  days: Record<string, string>;
  timezone: string | undefined;
  /** Whether every bucket of this period carried its days (a document folded before proration did not). */
  daysKept: boolean;
  /** Pay-in-advance SUM / UNIQUE_COUNT: the slot's cached aggregation this period. */
  inAdvance: InAdvanceEntry | undefined;
};

const emptySlot = (filter: number | null, group: PricingGroup): Slot => ({
  filter, group, state: undefined, initial: undefined, perEvent: [], runningTotal: undefined, days: {}, timezone: undefined, daysKept: true, inAdvance: undefined,
});

type Pricing = {
  charge: PlanCharge;
  metric: PricingMetric;
  aggregation: Aggregation<unknown, AggregationResult>;
  matcher: FilterMatcher;
  /** SUM + PERCENTAGE with free units: the fold of the running total the meter keeps for this charge. */
  runningTotalFold: RunningTotalFold | undefined;
  /** A prorated charge on a SUM metric (a prorated UNIQUE_COUNT is priced on its full units). */
  prorated: boolean;
  /** A pay-in-advance charge with Lago's cached aggregation: SUM, or UNIQUE_COUNT not prorated. */
  inAdvance: boolean;
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
  if (slot === undefined) slots.set(key, (slot = emptySlot(filter, group)));
  if (earlier) slot.initial = slot.initial === undefined ? bucket.state : aggregation.merge(slot.initial, bucket.state);
  else slot.state = slot.state === undefined ? bucket.state : aggregation.merge(slot.state, bucket.state);
  // NOTE: a prorated GRADUATED charge walks this period's events only (Lago's `events_values(force_from: true)`).
  if (bucket.perEvent !== undefined && !(earlier && pricing.charge.prorated)) slot.perEvent.push(...bucket.perEvent);
  if (bucket.prorated !== undefined) slot.timezone ??= bucket.prorated.timezone;
  if (!earlier && pricing.prorated) {
    if (bucket.prorated === undefined) slot.daysKept = false;
    else for (const [day, sum] of Object.entries(bucket.prorated.days)) slot.days[day] = Object.hasOwn(slot.days, day) ? new BigNumber(slot.days[day]!).plus(sum).toFixed() : sum;
  }
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
    slots.set(JSON.stringify([filter, '[]']), emptySlot(filter, { key: '[]', groupedBy: {} }));
  }
  const cached = document?.inAdvance !== undefined && Object.hasOwn(document.inAdvance, pricing.charge.id) ? document.inAdvance[pricing.charge.id]! : undefined;
  if (cached !== undefined) for (const [key, slot] of slots) if (Object.hasOwn(cached, key)) slot.inAdvance = cached[key];
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

/**
 * The units a fee is priced on: `units` (the charge model's), `fullUnits` (prorated), `shown` (the fee's units when
 * they are not the model's), `events` (a prorated GRADUATED charge's walk: full and prorated value of each event).
 */
type FeeUnits = { units: BigNumber; fullUnits?: BigNumber | undefined; shown?: BigNumber | undefined; events?: { full: BigNumber[]; prorated: BigNumber[] } };

const floor0 = (value: BigNumber): BigNumber => BigNumber.max(value, 0);

/**
 * Current usage of a pay-in-advance SUM / UNIQUE_COUNT charge (`Aggregations::BaseService#
 * handle_in_advance_current_usage`, §2.11): priced on `total − cached current + cached max` (the total without a
 * cache), shown with the total, both floored at 0 and then rounded (sum_service_spec.rb:430 → 11).
 */
function inAdvanceUnits(total: BigNumber, entry: InAdvanceEntry | undefined, rounding: AggregationRounding | undefined): FeeUnits {
  const priced = entry === undefined ? total : total.minus(entry.current).plus(entry.max);
  return { units: rounded(floor0(priced), rounding), shown: rounded(floor0(total), rounding) };
}

/** The proration window of a slot: the charges period, its length (`charges_duration`) and the customer's timezone. */
function prorationWindow(slot: Slot, window: UsageWindow): ProrationWindow {
  const timezone = slot.timezone ?? 'UTC';
  return { from: window.from, to: window.to, timezone, durationDays: window.durationDays ?? daysBetweenInclusive(window.from, window.to, timezone) };
}

/**
 * A prorated GRADUATED charge's events for `proratedGraduated` (`ProratedAggregations::SumService#
 * per_event_aggregation`): the history before the period as one value (prorated by `persisted days / duration`, a
 * Float), then this period's events in time order, each prorated by its day's ratio.
 */
function proratedEvents(slot: Slot, persisted: BigNumber, w: ProrationWindow): { full: BigNumber[]; prorated: BigNumber[] } {
  const full: BigNumber[] = [];
  const prorated: BigNumber[] = [];
  if (!persisted.isZero()) {
    full.push(persisted);
    prorated.push(persisted.times(floatAsBigDecimal(persistedDays(w), w.durationDays)));
  }
  for (const e of [...slot.perEvent].sort(compareKeys)) {
    const value = new BigNumber(e.value);
    full.push(value);
    prorated.push(value.times(dayRatio(w, localDayOf(Number(e.ts) * 1000, w.timezone))));
  }
  return { full, prorated };
}

/**
 * A prorated SUM charge's units (§2.12, `ProratedAggregations::SumService` and `BaseService#handle_current_usage`).
 * Priced on the prorated units; the fee shows the full units. Current usage floors both at 0; a pay-in-advance one
 * then takes its cached prorated maximum: `cu − max(current, 0) + maxWithProration` (× the persisted ratio when the
 * period is partial), or without a cache its full units on a whole period, prorated ones on a partial period. An
 * invoice bills a pay-in-advance one on its full units (prorated sum_service_spec.rb:226 → 29).
 */
function proratedUnits(pricing: Pricing, slot: Slot, total: BigNumber, window: UsageWindow, rounding: AggregationRounding | undefined): FeeUnits {
  const current = window.context !== 'INVOICE';
  const inAdvance = pricing.charge.payInAdvance;
  if (!current && inAdvance) return { units: rounded(total, rounding) };
  const w = prorationWindow(slot, window);
  const persisted = new BigNumber((slot.initial as SumState | undefined)?.sum ?? 0);
  const proratedTotal = proratedSumUnits(w, persisted, slot.days);
  const events = pricing.charge.chargeModel === 'GRADUATED' ? proratedEvents(slot, persisted, w) : undefined;
  if (!current) return { units: rounded(proratedTotal, rounding), fullUnits: rounded(total, rounding), events };
  if (!inAdvance) return { units: rounded(floor0(proratedTotal), rounding), fullUnits: rounded(total, rounding), shown: rounded(floor0(total), rounding), events };
  // The non-prorated aggregation, as the base aggregator leaves it: in-advance units, floored, rounded.
  const base = inAdvanceUnits(total, slot.inAdvance, rounding);
  const cu = base.shown!;
  const days = persistedDays(w);
  const partial = days / w.durationDays < 1;
  const entry = slot.inAdvance;
  let units: BigNumber;
  if (entry !== undefined) {
    const persistedUnits = cu.minus(floor0(new BigNumber(entry.current)));
    const withProration = new BigNumber(entry.maxWithProration ?? 0);
    units = (partial ? ceil5(persistedUnits.times(floatAsBigDecimal(days, w.durationDays))) : persistedUnits).plus(withProration);
  } else {
    units = partial ? floor0(proratedTotal) : base.units;
  }
  return { units: rounded(floor0(units), rounding), fullUnits: base.units, shown: cu };
}

/** The units of one fee, before the charge model. */
function feeUnits(pricing: Pricing, slot: Slot, result: AggregationResult, window: UsageWindow): FeeUnits {
  const rounding = roundingOf(pricing.metric);
  if (pricing.prorated && slot.daysKept) return proratedUnits(pricing, slot, result.units, window, rounding);
  if (pricing.inAdvance && window.context !== 'INVOICE') return inAdvanceUnits(result.units, slot.inAdvance, rounding);
  return { units: rounded(result.units, rounding) };
}

function priceSlot(pricing: Pricing, slot: Slot, currency: string, window: UsageWindow): Fee {
  const { charge, aggregation } = pricing;
  // Unrounded: pay-in-advance and prorated units are adjusted first, then rounded (`Aggregations::BaseService#aggregate`).
  const result = aggregation.result(slot.state ?? aggregation.empty(), {
    from: window.from,
    to: window.to,
    durationDays: window.durationDays,
    initial: slot.initial ?? undefined,
  });
  const units = feeUnits(pricing, slot, result, window);
  const properties = bucketProperties(charge.properties, charge.filters, slot.filter);
  const model = chargeModelFor(charge.chargeModel, { prorated: units.events !== undefined }) as ChargeModel<ChargeProperties>;
  const input: ChargeInput = {
    ...chargeInput(pricing, slot, { ...result, units: units.units }, properties),
    fullUnits: units.fullUnits,
    ...(units.events !== undefined && { perEventValues: units.events.full, perEventProratedValues: units.events.prorated }),
  };
  const priced = model(input, properties, { currency });
  const fee = toFeeAmounts(priced, currency);
  const closing = (result as Partial<WeightedSumResult>).closingLevel;
  // Lago's current usage shows `current_usage_units` for pay-in-advance and prorated charges (`Fees::ChargeService`).
  const shown = units.shown ?? fee.units;
  return {
    filter: slot.filter,
    groupedBy: { ...slot.group.groupedBy },
    units: shown,
    totalAggregatedUnits: closing ?? shown,
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
  const prorated = charge.prorated && metric.aggregationType === 'SUM';
  return {
    charge,
    metric,
    aggregation,
    matcher: compileFilterMatcher(charge.filters, metric.filters),
    runningTotalFold: keepsRunningTotal ? runningTotal({ freeUnitsPerEvents: p.freeUnitsPerEvents ?? null, freeUnitsPerTotalAggregation: p.freeUnitsPerTotalAggregation ?? null }) : undefined,
    prorated,
    inAdvance: charge.payInAdvance && (metric.aggregationType === 'SUM' || (metric.aggregationType === 'UNIQUE_COUNT' && !charge.prorated)),
  };
}

/**
 * Prices one plan charge from pre-aggregated usage (§1.4, §2, §6.1): buckets go to their charge filter (most
 * specific match, else the default bucket) and pricing group; each (filter, group) is aggregated over the window
 * — recurring SUM / UNIQUE_COUNT / WEIGHTED_SUM starting from the merged earlier documents — and priced by the
 * charge model with the filter's (or the charge's) properties, rounded once per fee. Charge totals are the fees'
 * sums. A prorated SUM charge is priced on its prorated units and shows its full units (§2.12); in current usage a
 * pay-in-advance SUM / UNIQUE_COUNT charge is priced on `total − cached current + cached max` (§2.11).
 * NOTE: a prorated UNIQUE_COUNT charge is priced on its full units (its proration needs every value's add/remove
 * history in the period, which the usage fold does not keep).
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

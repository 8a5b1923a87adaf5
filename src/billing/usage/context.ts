import type { PlanCharge } from '../../domain/plan/index.ts';
import type { PercentageProperties } from '../chargeModels/types.ts';
import type { PlanInterval } from '../periods/index.ts';
import type { InAdvanceCharge, MeterContext, RunningTotalCharge } from './types.ts';
import { instantMs } from './instants.ts';

/** A subscription as the meter needs it (the `subscriptions` read model fits). */
export type MeterSubscription = {
  _id: string;
  organizationId: string;
  externalId: string;
  status: string;
  billingTime: 'CALENDAR' | 'ANNIVERSARY';
  subscriptionAt: string;
  startedAt: string | null;
  terminatedAt: string | null;
};

/** A plan (with the subscription's overrides applied) as the meter needs it. */
export type MeterPlan = { interval: PlanInterval; payInAdvance: boolean; billChargesMonthly: boolean | null; charges: readonly PlanCharge[] };

/** A billable metric as the meter needs it (the `billableMetrics` read model fits). */
export type MeterMetric = {
  code: string;
  aggregationType: string;
  fieldName: string | null;
  recurring: boolean;
  filters: readonly { key: string; values: readonly string[] }[];
};

/**
 * The subscription of an external id that counts an event at `timestamp` (§1.5): the one that had started and not
 * yet ended then (the latest started, when an upgrade makes two touch). A recurring metric's event before any
 * start falls back to the active one (its history). Pending subscriptions count nothing.
 */
export function subscriptionAt<S extends MeterSubscription>(candidates: readonly S[], timestamp: string, recurring: boolean): S | null {
  const ms = Date.parse(timestamp);
  let best: S | null = null;
  for (const sub of candidates) {
    if (sub.startedAt === null || (sub.status !== 'ACTIVE' && sub.status !== 'TERMINATED')) continue;
    const started = instantMs(sub.startedAt);
    if (started > ms || (sub.terminatedAt !== null && instantMs(sub.terminatedAt) < ms)) continue;
    if (best === null || started > instantMs(best.startedAt!)) best = sub;
  }
  if (best === null && recurring) return candidates.find((s) => s.status === 'ACTIVE' && s.startedAt !== null) ?? null;
  return best;
}

function groupKeys(properties: unknown): string[] {
  const keys = (properties as { pricingGroupKeys?: unknown } | null)?.pricingGroupKeys;
  return Array.isArray(keys) ? keys.filter((k): k is string => typeof k === 'string') : [];
}

function needsPerEvent(charge: PlanCharge): boolean {
  if (charge.chargeModel !== 'PERCENTAGE') return false;
  const all = [charge.properties, ...charge.filters.map((f) => f.properties)] as PercentageProperties[];
  return all.some((p) => (p.perTransactionMinAmount ?? null) !== null || (p.perTransactionMaxAmount ?? null) !== null);
}

function runningTotalsOf(charge: PlanCharge, metric: MeterMetric): RunningTotalCharge[] {
  if (charge.chargeModel !== 'PERCENTAGE' || metric.aggregationType !== 'SUM') return [];
  // NOTE: one running total per charge, with the charge's own free units; filters with other free units are
  // priced from the charge's running total too (Lago builds it once per aggregation, from the charge).
  const p = charge.properties as PercentageProperties;
  const options = { freeUnitsPerEvents: p.freeUnitsPerEvents ?? null, freeUnitsPerTotalAggregation: p.freeUnitsPerTotalAggregation ?? null };
  const hasFree = [options.freeUnitsPerEvents, options.freeUnitsPerTotalAggregation].some((v) => v !== null && v !== undefined && String(v) !== '0');
  return hasFree ? [{ chargeId: charge.id, options }] : [];
}

/** Prorated charges the usage fold keeps data for: SUM metrics (a prorated UNIQUE_COUNT is priced on full units). */
function proratedOf(charges: readonly PlanCharge[], metric: MeterMetric): MeterContext['prorated'] {
  const prorated = metric.aggregationType === 'SUM' ? charges.filter((c) => c.prorated) : [];
  if (prorated.length === 0) return undefined;
  return prorated.some((c) => c.chargeModel === 'GRADUATED') ? { perEvent: true } : {};
}

/** Lago caches the aggregation of pay-in-advance charges on SUM and UNIQUE_COUNT metrics (§2.11). */
function inAdvanceOf(charges: readonly PlanCharge[], metric: MeterMetric): InAdvanceCharge[] | undefined {
  if (metric.aggregationType !== 'SUM' && metric.aggregationType !== 'UNIQUE_COUNT') return undefined;
  const list = charges.filter((c) => c.payInAdvance).map((c): InAdvanceCharge => ({
    chargeId: c.id,
    filters: c.filters.map((f) => ({ values: Object.fromEntries(Object.entries(f.values).map(([k, v]) => [k, [...v]])), groupKeys: groupKeys(f.properties) })),
    groupKeys: groupKeys(c.properties),
    metricFilters: metric.filters.map((f) => ({ key: f.key, values: [...f.values] })),
    // A prorated UNIQUE_COUNT is priced on full units: its cache needs no prorated maximum.
    ...(c.prorated && metric.aggregationType === 'SUM' ? { prorated: true as const } : {}),
  }));
  return list.length === 0 ? undefined : list;
}

/**
 * What folding `metric`'s events for `subscription` needs (null when the subscription has not started): periods
 * in `timezone`, the dimension keys its plan's charges on the metric price by, and any per-event data they need.
 */
export function meterContext(subscription: MeterSubscription, plan: MeterPlan, metric: MeterMetric, timezone: string): MeterContext | null {
  if (subscription.startedAt === null) return null;
  const charges = plan.charges.filter((c) => c.billableMetricCode === metric.code);
  const groups = new Set(charges.flatMap((c) => [...groupKeys(c.properties), ...c.filters.flatMap((f) => groupKeys(f.properties))]));
  const filterKeys = metric.filters.map((f) => f.key);
  const declaredValues: Record<string, string[]> = {};
  for (const filter of metric.filters) if (!groups.has(filter.key)) Object.defineProperty(declaredValues, filter.key, { value: [...filter.values], enumerable: true });
  const prorated = proratedOf(charges, metric);
  const inAdvance = inAdvanceOf(charges, metric);
  return {
    organizationId: subscription.organizationId,
    externalSubscriptionId: subscription.externalId,
    subscriptionId: subscription._id,
    period: {
      interval: plan.interval,
      billingTime: subscription.billingTime,
      subscriptionAt: subscription.subscriptionAt,
      startedAt: subscription.startedAt,
      timezone,
      payInAdvance: plan.payInAdvance,
      billChargesMonthly: plan.billChargesMonthly ?? false,
    },
    startedAt: subscription.startedAt,
    terminatedAt: subscription.terminatedAt,
    metric: { code: metric.code, aggregationType: metric.aggregationType, fieldName: metric.fieldName, recurring: metric.recurring },
    dimensionKeys: [...new Set([...filterKeys, ...groups])].sort(),
    declaredValues,
    perEventValues: charges.some(needsPerEvent) || prorated?.perEvent === true,
    runningTotals: charges.flatMap((c) => runningTotalsOf(c, metric)),
    ...(prorated !== undefined && { prorated }),
    ...(inAdvance !== undefined && { inAdvance }),
  };
}

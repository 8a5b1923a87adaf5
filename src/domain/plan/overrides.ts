import BigNumber from 'bignumber.js';
import { ValidationError } from '../shared/errors.ts';
import { chargeFiltersOf } from './chargeFilters.ts';
import { validateChargeProperties } from './chargeProperties/index.ts';
import { minimumCommitmentOf, usageThresholdsOf } from './commitments.ts';
import { LIST_LIMITS } from '../shared/limits.ts';
import { centsOf, listOf, taxCodesOf } from './fields.ts';
import type { ChargeFilterInput, MetricRef, MinimumCommitmentInput, PlanCharge, PlanDefinition, UsageThresholdInput } from './types.ts';
import { trialPeriodOf } from './validatePlan.ts';
import { yearlyAmountCents } from './yearlyAmount.ts';

/** What a subscription may override on one of its plan's charges (§3.6). Absent or null keeps the plan's. */
export type ChargeOverrides = {
  id: string;
  properties?: unknown;
  filters?: readonly ChargeFilterInput[] | null;
  minAmountCents?: string | null;
  taxCodes?: readonly string[] | null;
};

/** A subscription's `planOverrides` (§3.6). Every field is optional: absent or null keeps the plan's value. */
export type PlanOverrides = {
  amountCents?: string | null;
  trialPeriod?: number | null;
  charges?: readonly ChargeOverrides[] | null;
  minimumCommitment?: MinimumCommitmentInput | null;
  usageThresholds?: readonly UsageThresholdInput[] | null;
  taxCodes?: readonly string[] | null;
};

/**
 * Lookups for the checks that need other aggregates. Pass them: without `taxCodes` tax codes are not checked
 * for existence; without the charge's metric in `metrics` (by code) filter keys/values are checked for shape only.
 */
export type OverrideLookups = {
  taxCodes?: readonly string[];
  metrics?: Readonly<Record<string, MetricRef>>;
  /** Path of the overrides in the caller's input, for error fields. Default `input.planOverrides`. */
  field?: string;
};

const given = <T>(value: T | null | undefined): value is T => value !== undefined && value !== null;

function overrideCharge(charge: PlanCharge, override: ChargeOverrides, lookups: OverrideLookups, field: string): PlanCharge {
  const metric = lookups.metrics && Object.hasOwn(lookups.metrics, charge.billableMetricCode) ? lookups.metrics[charge.billableMetricCode] : undefined;
  const minAmountCents = given(override.minAmountCents) ? centsOf(override.minAmountCents, `${field}.minAmountCents`) : charge.minAmountCents;
  if (charge.payInAdvance && !new BigNumber(minAmountCents).isZero()) {
    throw new ValidationError(`${field}.minAmountCents: a minimum amount cannot be set on a charge paid in advance`, `${field}.minAmountCents`);
  }
  return {
    ...charge,
    properties: given(override.properties) ? validateChargeProperties(charge.chargeModel, override.properties, `${field}.properties`) : charge.properties,
    filters: given(override.filters) ? chargeFiltersOf(override.filters, charge.chargeModel, metric ?? null, `${field}.filters`) : charge.filters,
    minAmountCents,
    taxCodes: given(override.taxCodes) ? taxCodesOf(override.taxCodes, lookups.taxCodes, `${field}.taxCodes`) : charge.taxCodes,
  };
}

function overrideCharges(plan: PlanDefinition, overrides: readonly ChargeOverrides[], lookups: OverrideLookups, field: string): PlanCharge[] {
  const byId = new Map<string, { override: ChargeOverrides; at: string }>();
  const chargeIds = new Set(plan.charges.map((charge) => charge.id));
  listOf(overrides, field, { max: LIST_LIMITS.charges, what: 'charge overrides' }).forEach((override, i) => {
    const at = `${field}.${i}`;
    if (typeof override?.id !== 'string' || !chargeIds.has(override.id)) {
      throw new ValidationError(`${at}.id: not a charge of plan "${plan.code}"`, `${at}.id`);
    }
    if (byId.has(override.id)) throw new ValidationError(`${at}.id: charge "${override.id}" is overridden twice`, `${at}.id`);
    byId.set(override.id, { override, at });
  });
  return plan.charges.map((charge) => {
    const entry = byId.get(charge.id);
    return entry ? overrideCharge(charge, entry.override, lookups, entry.at) : charge;
  });
}

/**
 * Validates a subscription's plan overrides with the plan's own rules (per-model properties, filters, minimums,
 * thresholds, tax codes) and returns the effective plan, `yearlyAmountCents` recomputed. Pure; throws a
 * `ValidationError` naming the field (`input.planOverrides.charges.0.properties.amount`).
 */
export function validatePlanOverrides<P extends PlanDefinition>(plan: P, overrides: PlanOverrides, lookups: OverrideLookups = {}): P & { yearlyAmountCents: string } {
  const root = lookups.field ?? 'input.planOverrides';
  const amountCents = given(overrides.amountCents) ? centsOf(overrides.amountCents, `${root}.amountCents`) : plan.amountCents;
  return {
    ...plan,
    amountCents,
    trialPeriod: given(overrides.trialPeriod) ? trialPeriodOf(overrides.trialPeriod, `${root}.trialPeriod`) : plan.trialPeriod,
    taxCodes: given(overrides.taxCodes) ? taxCodesOf(overrides.taxCodes, lookups.taxCodes, `${root}.taxCodes`) : plan.taxCodes,
    minimumCommitment: given(overrides.minimumCommitment)
      ? minimumCommitmentOf(overrides.minimumCommitment, lookups.taxCodes, `${root}.minimumCommitment`)
      : plan.minimumCommitment,
    usageThresholds: given(overrides.usageThresholds) ? usageThresholdsOf(overrides.usageThresholds, `${root}.usageThresholds`) : plan.usageThresholds,
    charges: given(overrides.charges) ? overrideCharges(plan, overrides.charges, lookups, `${root}.charges`) : plan.charges,
    yearlyAmountCents: yearlyAmountCents(plan.interval, amountCents),
  };
}

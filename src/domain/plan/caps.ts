import { ValidationError } from '../shared/errors.ts';
import { LIST_LIMITS, tooMany } from '../shared/limits.ts';

/** The lists of a plan input or of plan overrides whose length bounds the work before any rule is checked. */
type PlanLists = {
  taxCodes?: unknown;
  minimumCommitment?: unknown;
  usageThresholds?: unknown;
  charges?: unknown;
};

function capped(value: unknown, field: string, max: number, what: string): readonly unknown[] {
  if (!Array.isArray(value)) return [];
  if (value.length > max) throw new ValidationError(tooMany(field, max, what), field);
  return value;
}

/**
 * The list caps of a plan input (or a subscription's `planOverrides`), checked in O(charges) before the caller
 * looks anything up for it (metrics and taxes by code): a request with 100,000 charges or tax codes is refused
 * before it costs a query. The plan's own rules (`usageThresholdsOf`, `validateCharges`, …) check the same caps.
 */
export function assertPlanListCaps(input: PlanLists | null | undefined, field: string): void {
  if (typeof input !== 'object' || input === null) return;
  capped(input.taxCodes, `${field}.taxCodes`, LIST_LIMITS.taxCodes, 'tax codes');
  const commitment = input.minimumCommitment as { taxCodes?: unknown } | null | undefined;
  if (typeof commitment === 'object' && commitment !== null) {
    capped(commitment.taxCodes, `${field}.minimumCommitment.taxCodes`, LIST_LIMITS.taxCodes, 'tax codes');
  }
  capped(input.usageThresholds, `${field}.usageThresholds`, LIST_LIMITS.usageThresholds, 'usage thresholds');
  capped(input.charges, `${field}.charges`, LIST_LIMITS.charges, 'charges').forEach((charge, i) => {
    if (typeof charge !== 'object' || charge === null) return;
    const { taxCodes, filters } = charge as { taxCodes?: unknown; filters?: unknown };
    capped(taxCodes, `${field}.charges.${i}.taxCodes`, LIST_LIMITS.taxCodes, 'tax codes');
    capped(filters, `${field}.charges.${i}.filters`, LIST_LIMITS.chargeFilters, 'filters');
  });
}

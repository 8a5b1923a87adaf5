import { assertCurrency } from '../organization/index.ts';
import { ValidationError } from '../shared/errors.ts';
import { validateCharges, type ChargesContext } from './charges.ts';
import { minimumCommitmentOf, usageThresholdsOf } from './commitments.ts';
import { centsOf, codeOf, flag, optionalText, requiredText, taxCodesOf } from './fields.ts';
import { PLAN_INTERVALS, type PlanDefinition, type PlanInput, type PlanInterval } from './types.ts';

/** Intervals for which `billChargesMonthly` means something (§3.1). */
const MONTHLY_CHARGES_INTERVALS: readonly PlanInterval[] = ['YEARLY', 'SEMIANNUAL'];

function intervalOf(value: unknown, field: string): PlanInterval {
  if (!PLAN_INTERVALS.includes(value as PlanInterval)) throw new ValidationError(`${field}: must be one of ${PLAN_INTERVALS.join(', ')}`, field);
  return value as PlanInterval;
}

/** Trial days: a finite number ≥ 0 (decimals allowed, as in Lago); absent → 0. */
export function trialPeriodOf(value: unknown, field: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new ValidationError(`${field}: must be a number of days ≥ 0`, field);
  return value;
}

function billChargesMonthlyOf(value: unknown, interval: PlanInterval, field: string): boolean | null {
  if (value === undefined || value === null) return null;
  const monthly = flag(value, field, false);
  if (monthly && !MONTHLY_CHARGES_INTERVALS.includes(interval)) {
    throw new ValidationError(`${field}: only a YEARLY or SEMIANNUAL plan can bill its charges monthly (this one is ${interval})`, field);
  }
  return monthly;
}

/**
 * Validates a whole plan input (create, or update's full replacement) and returns the plan as events carry it.
 * Fields are named from `input` (`input.charges.0.properties.graduatedRanges.1.fromValue`).
 */
export function validatePlanInput(input: PlanInput, context: ChargesContext, root = 'input'): PlanDefinition {
  // Checked in input order, so the first error reported is the first bad field.
  const code = codeOf(input.code, `${root}.code`);
  const name = requiredText(input.name, `${root}.name`);
  const description = optionalText(input.description, `${root}.description`);
  const invoiceDisplayName = optionalText(input.invoiceDisplayName, `${root}.invoiceDisplayName`);
  const interval = intervalOf(input.interval, `${root}.interval`);
  const amountCents = centsOf(input.amountCents, `${root}.amountCents`);
  const amountCurrency = requiredText(input.amountCurrency, `${root}.amountCurrency`);
  assertCurrency(amountCurrency, `${root}.amountCurrency`);
  const { taxCodes } = context.lookups;
  return {
    code,
    name,
    description,
    invoiceDisplayName,
    interval,
    amountCents,
    amountCurrency,
    payInAdvance: flag(input.payInAdvance, `${root}.payInAdvance`, false),
    trialPeriod: trialPeriodOf(input.trialPeriod, `${root}.trialPeriod`),
    billChargesMonthly: billChargesMonthlyOf(input.billChargesMonthly, interval, `${root}.billChargesMonthly`),
    taxCodes: taxCodesOf(input.taxCodes, taxCodes, `${root}.taxCodes`),
    minimumCommitment: minimumCommitmentOf(input.minimumCommitment, taxCodes, `${root}.minimumCommitment`),
    usageThresholds: usageThresholdsOf(input.usageThresholds, `${root}.usageThresholds`),
    charges: validateCharges(input.charges, context, `${root}.charges`),
  };
}

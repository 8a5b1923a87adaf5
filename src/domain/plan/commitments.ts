import { ValidationError } from '../shared/errors.ts';
import { LIST_LIMITS, tooMany } from '../shared/limits.ts';
import { centsOf, flag, listOf, optionalText, taxCodesOf } from './fields.ts';
import type { MinimumCommitment, MinimumCommitmentInput, UsageThreshold, UsageThresholdInput } from './types.ts';

/** §3.7: the minimum the plan bills per period (true-up fee); `null` for none. */
export function minimumCommitmentOf(
  input: MinimumCommitmentInput | null | undefined,
  existingTaxCodes: readonly string[] | undefined,
  field: string,
): MinimumCommitment | null {
  if (input === undefined || input === null) return null;
  if (typeof input !== 'object') throw new ValidationError(`${field}: must be an object`, field);
  return {
    amountCents: centsOf(input.amountCents, `${field}.amountCents`),
    invoiceDisplayName: optionalText(input.invoiceDisplayName, `${field}.invoiceDisplayName`),
    taxCodes: taxCodesOf(input.taxCodes, existingTaxCodes, `${field}.taxCodes`),
  };
}

/**
 * §6.2 progressive billing thresholds: at most `LIST_LIMITS.usageThresholds`, amounts > 0, at most one recurring,
 * no fixed amount twice (a repeated threshold could never be passed a second time). Linear: amounts are compared
 * by their canonical text (`centsOf` drops leading zeros), one map lookup each.
 */
export function usageThresholdsOf(inputs: readonly UsageThresholdInput[] | null | undefined, field: string): UsageThreshold[] {
  const list = listOf(inputs, field);
  if (list.length > LIST_LIMITS.usageThresholds) throw new ValidationError(tooMany(field, LIST_LIMITS.usageThresholds, 'usage thresholds'), field);
  const thresholds = list.map((input, i) => ({
    amountCents: centsOf(input.amountCents, `${field}.${i}.amountCents`, { positive: true }),
    thresholdDisplayName: optionalText(input.thresholdDisplayName, `${field}.${i}.thresholdDisplayName`),
    recurring: flag(input.recurring, `${field}.${i}.recurring`, false),
  }));
  const recurring = thresholds.map((t, i) => (t.recurring ? i : -1)).filter((i) => i >= 0);
  if (recurring.length > 1) {
    throw new ValidationError(`${field}.${recurring[1]}.recurring: a plan has at most one recurring threshold`, `${field}.${recurring[1]}.recurring`);
  }
  const fixed = new Map<string, number>();
  thresholds.forEach((threshold, i) => {
    if (threshold.recurring) return;
    const twin = fixed.get(threshold.amountCents);
    if (twin !== undefined) {
      throw new ValidationError(`${field}.${i}.amountCents: the same threshold is already at index ${twin}`, `${field}.${i}.amountCents`);
    }
    fixed.set(threshold.amountCents, i);
  });
  return thresholds;
}

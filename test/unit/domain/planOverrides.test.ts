import { describe, expect, it } from 'vitest';
import { validatePlanOverrides, yearlyAmountCents, type PlanCreated, type PlanDefinition } from '../../../src/domain/plan/index.ts';
import { ValidationError } from '../../../src/domain/shared/errors.ts';
import { charge, createdWith, metrics } from './planFixtures.ts';

describe('yearlyAmountCents (§3.1)', () => {
  it.each([
    ['WEEKLY', '52000'],
    ['MONTHLY', '12000'],
    ['QUARTERLY', '4000'],
    ['SEMIANNUAL', '2000'],
    ['YEARLY', '1000'],
  ] as const)('normalises a %s amount to a year', (interval, expected) => expect(yearlyAmountCents(interval, '1000')).toBe(expected));
  it('is exact beyond JS number precision', () => expect(yearlyAmountCents('WEEKLY', '900719925474099312345')).toBe('46837436124653164241940'));
  it('throws on non-integer cents', () => expect(() => yearlyAmountCents('MONTHLY', '1.5')).toThrow(RangeError));
});

const [created] = createdWith({
  taxCodes: ['vat_20'],
  charges: [
    charge({ filters: [{ values: { region: ['eu'] }, properties: { amount: '1' } }] }),
    charge({ billableMetricCode: 'storage', chargeModel: 'GRADUATED', payInAdvance: true, properties: { graduatedRanges: [{ fromValue: 0, toValue: null, perUnitAmount: '1', flatAmount: '0' }] } }),
  ],
}) as [PlanCreated];
const plan: PlanDefinition = created.data;
const lookups = { taxCodes: ['vat_20', 'vat_5'], metrics };

function fieldOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).field;
  }
  return undefined;
}

describe('validatePlanOverrides (§3.6)', () => {
  it('returns the plan unchanged (yearly amount added) without overrides', () =>
    expect(validatePlanOverrides(plan, {})).toEqual({ ...plan, yearlyAmountCents: '120000' }));

  it('applies amount, trial, taxes, commitment and thresholds, recomputing the yearly amount', () => {
    const effective = validatePlanOverrides(
      plan,
      { amountCents: '5000', trialPeriod: 7, taxCodes: ['vat_5'], minimumCommitment: { amountCents: '9000' }, usageThresholds: [{ amountCents: '100' }] },
      lookups,
    );
    expect(effective).toMatchObject({
      amountCents: '5000', yearlyAmountCents: '60000', trialPeriod: 7, taxCodes: ['vat_5'],
      minimumCommitment: { amountCents: '9000', invoiceDisplayName: null, taxCodes: [] },
      usageThresholds: [{ amountCents: '100', thresholdDisplayName: null, recurring: false }],
      charges: plan.charges,
    });
  });

  it('overrides the properties, filters, minimum and taxes of the charges it names, keeping the others', () => {
    const [first, second] = plan.charges;
    const effective = validatePlanOverrides(
      plan,
      { charges: [{ id: first!.id, properties: { amount: '0.01' }, filters: [], minAmountCents: '300', taxCodes: ['vat_5'] }] },
      lookups,
    );
    expect(effective.charges).toEqual([{ ...first, properties: { amount: '0.01' }, filters: [], minAmountCents: '300', taxCodes: ['vat_5'] }, second]);
  });

  it("validates a charge's properties with its model, naming the field under planOverrides", () =>
    expect(fieldOf(() => validatePlanOverrides(plan, {
      charges: [{ id: plan.charges[1]!.id, properties: { graduatedRanges: [{ fromValue: 0, toValue: 10, perUnitAmount: '1', flatAmount: '0' }, { fromValue: 12, toValue: null, perUnitAmount: '1', flatAmount: '0' }] } }],
    }))).toBe('input.planOverrides.charges.0.properties.graduatedRanges.1.fromValue'));

  it('refuses an id that is not a charge of the plan', () =>
    expect(fieldOf(() => validatePlanOverrides(plan, { charges: [{ id: 'nope' }] }))).toBe('input.planOverrides.charges.0.id'));
  it('refuses the same charge twice', () =>
    expect(fieldOf(() => validatePlanOverrides(plan, { charges: [{ id: plan.charges[0]!.id }, { id: plan.charges[0]!.id }] }))).toBe('input.planOverrides.charges.1.id'));
  it('refuses a minimum on a charge paid in advance', () =>
    expect(fieldOf(() => validatePlanOverrides(plan, { charges: [{ id: plan.charges[1]!.id, minAmountCents: '100' }] }))).toBe('input.planOverrides.charges.0.minAmountCents'));
  it('refuses filter keys the metric does not declare, when given the metrics', () =>
    expect(fieldOf(() => validatePlanOverrides(plan, { charges: [{ id: plan.charges[0]!.id, filters: [{ values: { country: ['fr'] }, properties: { amount: '1' } }] }] }, lookups)))
      .toBe('input.planOverrides.charges.0.filters.0.values.country'));
  it('refuses unknown tax codes, when given the existing ones', () =>
    expect(fieldOf(() => validatePlanOverrides(plan, { taxCodes: ['nope'] }, lookups))).toBe('input.planOverrides.taxCodes.0'));
  it('refuses a bad amount', () => expect(fieldOf(() => validatePlanOverrides(plan, { amountCents: '1.5' }))).toBe('input.planOverrides.amountCents'));
  it('refuses a negative trial', () => expect(fieldOf(() => validatePlanOverrides(plan, { trialPeriod: -2 }))).toBe('input.planOverrides.trialPeriod'));
  it('refuses two recurring thresholds', () =>
    expect(fieldOf(() => validatePlanOverrides(plan, { usageThresholds: [{ amountCents: '1', recurring: true }, { amountCents: '2', recurring: true }] })))
      .toBe('input.planOverrides.usageThresholds.1.recurring'));
  it('names fields from the path the caller gives', () =>
    expect(fieldOf(() => validatePlanOverrides(plan, { amountCents: 'x' }, { field: 'input.subscription.planOverrides' }))).toBe('input.subscription.planOverrides.amountCents'));
  it('keeps extra fields of the document it is given', () =>
    expect(validatePlanOverrides({ ...plan, _id: 'p1', deletedAt: null }, {})).toMatchObject({ _id: 'p1', deletedAt: null }));
});

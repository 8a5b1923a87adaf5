import { describe, expect, it } from 'vitest';
import { resolveDefinition } from '../../../src/domain/billableMetric/validate.ts';
import { resolveProfile } from '../../../src/domain/customer/validate.ts';
import { assertPlanListCaps } from '../../../src/domain/plan/caps.ts';
import { filterValuesOf } from '../../../src/domain/plan/chargeFilters.ts';
import { usageThresholdsOf } from '../../../src/domain/plan/commitments.ts';
import { ValidationError } from '../../../src/domain/shared/errors.ts';
import { LIST_LIMITS } from '../../../src/domain/shared/limits.ts';

/** The VALIDATION error `run` throws (fails the test when it throws nothing or something else). */
function refusal(run: () => unknown): ValidationError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

const range = <T = string>(n: number, f: (i: number) => T) => Array.from({ length: n }, (_, i) => f(i));

describe('usage thresholds: set-based duplicate check, capped list', () => {
  const field = 'input.usageThresholds';

  it('accepts the most thresholds allowed, all distinct, in milliseconds', () => {
    const started = performance.now();
    const thresholds = usageThresholdsOf(range(LIST_LIMITS.usageThresholds, (i) => String((i + 1) * 100)).map((amountCents) => ({ amountCents })), field);
    expect(thresholds).toHaveLength(LIST_LIMITS.usageThresholds);
    expect(performance.now() - started).toBeLessThan(250);
  });

  it('still finds a repeated amount, naming the repeat and the index of the first', () => {
    const inputs = range(LIST_LIMITS.usageThresholds, (i) => String(i + 1)).map((amountCents) => ({ amountCents }));
    inputs[99] = { amountCents: '42' };
    const error = refusal(() => usageThresholdsOf(inputs, field));
    expect(error.field).toBe(`${field}.99.amountCents`);
    expect(error.message).toContain('already at index 41');
  });

  it('compares amounts by value: "0042" repeats "42"', () => {
    const error = refusal(() => usageThresholdsOf([{ amountCents: '42' }, { amountCents: '100' }, { amountCents: '0042' }], field));
    expect(error.field).toBe(`${field}.2.amountCents`);
  });

  it('lets the recurring threshold share an amount with a fixed one', () => {
    expect(usageThresholdsOf([{ amountCents: '100' }, { amountCents: '100', recurring: true }], field)).toHaveLength(2);
  });

  it('refuses one threshold past the cap before validating any of them', () => {
    // The items are not even valid: the length is checked first.
    const error = refusal(() => usageThresholdsOf(range(LIST_LIMITS.usageThresholds + 1, () => 'not cents').map((amountCents) => ({ amountCents })), field));
    expect(error.field).toBe(field);
    expect(error.message).toBe(`${field}: at most ${LIST_LIMITS.usageThresholds} usage thresholds`);
  });
});

describe('billable metric filters: set-based duplicate checks, capped lists', () => {
  const metric = (filters: { key: string; values: string[] }[]) => resolveDefinition(null, { name: 'Calls', aggregationType: 'COUNT', filters });

  it('accepts the most keys and values allowed (50 × 1,000 values) in milliseconds', () => {
    const started = performance.now();
    const filters = range(LIST_LIMITS.filterKeys, (k) => `key${k}`).map((key) => ({ key, values: range(LIST_LIMITS.filterValues, (v) => `${key}-v${v}`) }));
    expect(metric(filters).filters).toHaveLength(LIST_LIMITS.filterKeys);
    expect(performance.now() - started).toBeLessThan(250);
  });

  it('still finds a value listed twice, naming its second occurrence', () => {
    const values = range(LIST_LIMITS.filterValues, (v) => `v${v}`);
    values[999] = 'v7';
    expect(refusal(() => metric([{ key: 'region', values }])).field).toBe('filters.0.values.999');
  });

  it('still finds a key declared twice', () => {
    expect(refusal(() => metric([{ key: 'region', values: ['eu'] }, { key: 'tier', values: ['a'] }, { key: 'region', values: ['us'] }])).field).toBe('filters.2.key');
  });

  it('refuses more values or keys than the caps, naming the list', () => {
    const tooMany = refusal(() => metric([{ key: 'region', values: range(LIST_LIMITS.filterValues + 1, (v) => `v${v}`) }]));
    expect(tooMany.field).toBe('filters.0.values');
    const tooManyKeys = refusal(() => metric(range(LIST_LIMITS.filterKeys + 1, (k) => `k${k}`).map((key) => ({ key, values: ['a'] }))));
    expect(tooManyKeys.field).toBe('filters');
  });
});

describe('charge filter values against the metric: set lookups, capped', () => {
  const declared = range(LIST_LIMITS.filterValues, (v) => `v${v}`);
  const metric = { id: 'bm', code: 'calls', aggregationType: 'COUNT', recurring: false, filters: [{ key: 'region', values: declared }] };

  it('accepts every declared value, repeats dropped', () => {
    expect(filterValuesOf({ region: [...declared.slice(1), 'v1'] }, metric, 'f').region).toHaveLength(LIST_LIMITS.filterValues - 1);
  });

  it('refuses a value the metric does not declare, and a key it does not declare', () => {
    expect(refusal(() => filterValuesOf({ region: ['v1', 'nope'] }, metric, 'f')).field).toBe('f.region.1');
    expect(refusal(() => filterValuesOf({ tier: ['a'] }, metric, 'f')).field).toBe('f.tier');
  });

  it('refuses more values or keys than the caps', () => {
    expect(refusal(() => filterValuesOf({ region: range(LIST_LIMITS.filterValues + 1, (v) => `v${v}`) }, null, 'f')).field).toBe('f.region');
    const keys = Object.fromEntries(range(LIST_LIMITS.filterKeys + 1, (k) => `k${k}`).map((key) => [key, ['a']]));
    expect(refusal(() => filterValuesOf(keys, null, 'f')).field).toBe('f');
  });
});

describe('customer tax codes: set lookups, capped', () => {
  const live = range(LIST_LIMITS.taxCodes, (i) => `tax${i}`);
  const profile = (taxCodes: string[]) => resolveProfile(null, { taxCodes }, live);

  it('accepts every live tax once', () => expect(profile(live).taxCodes).toEqual(live));

  it('still finds a code listed twice and a code that is no live tax', () => {
    expect(refusal(() => profile(['tax1', 'tax2', 'tax1'])).field).toBe('taxCodes.2');
    expect(refusal(() => profile(['tax1', 'nope'])).field).toBe('taxCodes.1');
  });

  it('refuses more codes than the cap', () => {
    expect(refusal(() => profile([...live, 'tax0'])).field).toBe('taxCodes');
  });
});

describe('plan list caps before any lookup (assertPlanListCaps)', () => {
  it('names the first list past its cap, nested lists included', () => {
    const charge = { billableMetricCode: 'calls', chargeModel: 'STANDARD' };
    expect(refusal(() => assertPlanListCaps({ charges: range(LIST_LIMITS.charges + 1, () => '').map(() => charge) }, 'input')).field).toBe('input.charges');
    expect(refusal(() => assertPlanListCaps({ taxCodes: range(LIST_LIMITS.taxCodes + 1, String) }, 'input')).field).toBe('input.taxCodes');
    expect(refusal(() => assertPlanListCaps({ minimumCommitment: { taxCodes: range(LIST_LIMITS.taxCodes + 1, String) } }, 'input')).field).toBe('input.minimumCommitment.taxCodes');
    expect(refusal(() => assertPlanListCaps({ usageThresholds: range(LIST_LIMITS.usageThresholds + 1, String) }, 'x')).field).toBe('x.usageThresholds');
    expect(refusal(() => assertPlanListCaps({ charges: [charge, { ...charge, taxCodes: range(LIST_LIMITS.taxCodes + 1, String) }] }, 'input')).field).toBe('input.charges.1.taxCodes');
    expect(refusal(() => assertPlanListCaps({ charges: [{ ...charge, filters: range(LIST_LIMITS.chargeFilters + 1, () => ({})) }] }, 'input')).field).toBe('input.charges.0.filters');
  });

  it('lets lists at their caps through (and ignores what is not a list)', () => {
    expect(() =>
      assertPlanListCaps(
        {
          taxCodes: range(LIST_LIMITS.taxCodes, String),
          usageThresholds: range(LIST_LIMITS.usageThresholds, String),
          charges: range(LIST_LIMITS.charges, () => ({ taxCodes: range(LIST_LIMITS.taxCodes, String), filters: range(LIST_LIMITS.chargeFilters, () => ({})) })),
          minimumCommitment: null,
        },
        'input',
      ),
    ).not.toThrow();
    expect(() => assertPlanListCaps({ charges: 'nope' as unknown as [] }, 'input')).not.toThrow();
    expect(() => assertPlanListCaps(null, 'input')).not.toThrow();
  });
});

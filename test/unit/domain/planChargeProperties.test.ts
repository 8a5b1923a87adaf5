import BigNumber from 'bignumber.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateChargeProperties } from '../../../src/domain/plan/index.ts';
import type { ChargeModelName } from '../../../src/domain/plan/index.ts';
import { ValidationError } from '../../../src/domain/shared/errors.ts';
import { refusesCharge } from './planFixtures.ts';

const F = 'input.charges.0.properties';

function fieldOf(model: ChargeModelName, properties: unknown): string | undefined {
  try {
    validateChargeProperties(model, properties, F);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).field;
  }
  return undefined;
}
const accepts = (model: ChargeModelName, properties: unknown) => expect(fieldOf(model, properties)).toBeUndefined();

const range = (fromValue: number | string, toValue: number | string | null, perUnitAmount = '1', flatAmount = '0') => ({ fromValue, toValue, perUnitAmount, flatAmount });

describe('STANDARD properties', () => {
  it('accept an amount and pricing group keys', () => accepts('STANDARD', { amount: '0.05', pricingGroupKeys: ['workspace_id'] }));
  it('require amount', () => expect(fieldOf('STANDARD', {})).toBe(`${F}.amount`));
  it.each(['-1', '1e3', '5.', ' 5', 'abc'])('refuse amount %j', (amount) => expect(fieldOf('STANDARD', { amount })).toBe(`${F}.amount`));
  it('refuse an amount given as a JSON number (money is a string)', () => expect(fieldOf('STANDARD', { amount: 5 })).toBe(`${F}.amount`));
  it("refuse a key that is not the model's (snake_case included)", () => {
    expect(fieldOf('STANDARD', { amount: '1', foo: 1 })).toBe(`${F}.foo`);
    expect(fieldOf('STANDARD', { amount: '1', pricing_group_keys: ['a'] })).toBe(`${F}.pricing_group_keys`);
  });
  it('refuse pricingGroupKeys that are not a list of names', () => {
    expect(fieldOf('STANDARD', { amount: '1', pricingGroupKeys: 'a' })).toBe(`${F}.pricingGroupKeys`);
    expect(fieldOf('STANDARD', { amount: '1', pricingGroupKeys: ['a', ''] })).toBe(`${F}.pricingGroupKeys.1`);
    expect(fieldOf('STANDARD', { amount: '1', pricingGroupKeys: [3] })).toBe(`${F}.pricingGroupKeys.0`);
  });
  it('refuse properties that are not an object', () => expect(fieldOf('STANDARD', ['1'])).toBe(F));
});

describe('GRADUATED properties: ranges', () => {
  const ranges = (...graduatedRanges: unknown[]) => ({ graduatedRanges });
  it('accept integer ranges (0–10, 11–∞)', () => accepts('GRADUATED', ranges(range(0, 10), range(11, null))));
  it('accept adjacent decimal ranges (0–0.1, 0.1–1, 1–∞)', () => accepts('GRADUATED', ranges(range(0, '0.1'), range('0.1', 1), range(1, null))));
  it('accept a single unbounded range', () => accepts('GRADUATED', ranges(range(0, null))));
  it('require at least one range', () => expect(fieldOf('GRADUATED', ranges())).toBe(`${F}.graduatedRanges`));
  it('require graduatedRanges', () => expect(fieldOf('GRADUATED', {})).toBe(`${F}.graduatedRanges`));
  it('name a snake_case key', () => expect(fieldOf('GRADUATED', { graduated_ranges: [range(0, null)] })).toBe(`${F}.graduated_ranges`));
  // Lago's RangeBoundsValidator: the first range starts at 0 or 0 + 1 (graduated_service_spec.rb:60 refuses −1).
  it('start at 0 or 1', () => {
    accepts('GRADUATED', ranges(range(1, null)));
    expect(fieldOf('GRADUATED', ranges(range(-1, 100)))).toBe(`${F}.graduatedRanges.0.fromValue`);
    expect(fieldOf('GRADUATED', ranges(range(2, null)))).toBe(`${F}.graduatedRanges.0.fromValue`);
  });
  it('refuse a gap', () => expect(fieldOf('GRADUATED', ranges(range(0, 10), range(12, null)))).toBe(`${F}.graduatedRanges.1.fromValue`));
  it('refuse an overlap', () => expect(fieldOf('GRADUATED', ranges(range(0, 10), range(5, null)))).toBe(`${F}.graduatedRanges.1.fromValue`));
  // Lago's Charges::Validators::GraduatedService accepts from = previous to or previous to + 1 at every bound.
  it('accept a mix of the two conventions (a migrating team’s plans load)', () => {
    accepts('GRADUATED', ranges(range(0, 10), range(11, 20), range(20, null)));
    accepts('GRADUATED', ranges(range(0, '0.01'), range('0.01', 10), range(11, null)));
  });
  it('accept "+1" after a decimal bound', () => accepts('GRADUATED', ranges(range(0, '0.5'), range('1.5', null))));
  // graduated_service_spec.rb:207 (decimal adjacent ranges that have a gap): 0–0.1 then 0.5 is refused.
  it('refuse a decimal gap', () => expect(fieldOf('GRADUATED', ranges(range(0, '0.1'), range('0.5', null)))).toBe(`${F}.graduatedRanges.1.fromValue`));
  it('refuse an unbounded range before the last', () => expect(fieldOf('GRADUATED', ranges(range(0, null), range(11, null)))).toBe(`${F}.graduatedRanges.0.toValue`));
  it('refuse a bounded last range', () => expect(fieldOf('GRADUATED', ranges(range(0, 10), range(11, 20)))).toBe(`${F}.graduatedRanges.1.toValue`));
  it('refuse a range ending where it starts', () => expect(fieldOf('GRADUATED', ranges(range(0, 10), range(11, 11), range(12, null)))).toBe(`${F}.graduatedRanges.1.toValue`));
  it('refuse a negative bound', () => expect(fieldOf('GRADUATED', ranges(range(0, 10), range(-1, null)))).toBe(`${F}.graduatedRanges.1.fromValue`));
  it('refuse a missing perUnitAmount', () =>
    expect(fieldOf('GRADUATED', ranges({ fromValue: 0, toValue: null, flatAmount: '0' }))).toBe(`${F}.graduatedRanges.0.perUnitAmount`));
  it('refuse a negative flatAmount', () => expect(fieldOf('GRADUATED', ranges(range(0, 10), range(11, null, '1', '-2')))).toBe(`${F}.graduatedRanges.1.flatAmount`));
  it('refuse an unknown key in a range', () =>
    expect(fieldOf('GRADUATED', ranges({ ...range(0, null), per_unit_amount: '1' }))).toBe(`${F}.graduatedRanges.0.per_unit_amount`));
  it('read a missing toValue as unbounded', () => accepts('GRADUATED', ranges({ fromValue: 0, perUnitAmount: '1', flatAmount: '0' })));

  // Lago's Validators::RangeBoundsValidator#valid_bounds? as the oracle: from ∈ {next, next + 1} (next = 0, then the
  // previous to_value), to > from except on the last range, which is unbounded.
  it('accept exactly what Lago’s RangeBoundsValidator accepts (property)', () => {
    const lagoValid = (list: { fromValue: string; toValue: string | null }[]) => {
      let next = new BigNumber(0);
      return list.every((r, i) => {
        const from = new BigNumber(r.fromValue);
        const validFrom = from.isEqualTo(next) || from.isEqualTo(next.plus(1));
        const last = i === list.length - 1;
        const ok = validFrom && (last ? r.toValue === null : new BigNumber(r.toValue ?? 0).isGreaterThan(from));
        next = new BigNumber(r.toValue ?? 0);
        return ok;
      });
    };
    const join = fc.constantFrom(0, 1, 0, 1, 2, -1, '0.5'); // adjacent and "+1" mostly, some gaps and overlaps
    const arb = fc.tuple(fc.constantFrom(0, 0, 1, 2), fc.array(fc.tuple(join, fc.integer({ min: -1, max: 40 })), { maxLength: 4 }), fc.boolean()).map(([first, steps, bounded]) => {
      const list: { fromValue: string; toValue: string | null }[] = [];
      let from = new BigNumber(first);
      for (const [gap, width] of steps) {
        const to = from.plus(new BigNumber(width).shiftedBy(-1));
        list.push({ fromValue: from.toFixed(), toValue: to.toFixed() });
        from = to.plus(gap);
      }
      list.push({ fromValue: from.toFixed(), toValue: bounded ? from.plus(5).toFixed() : null });
      return list;
    });
    fc.assert(
      fc.property(arb, (list) => {
        const accepted = fieldOf('GRADUATED', ranges(...list.map((r) => range(r.fromValue, r.toValue)))) === undefined;
        expect(accepted).toBe(lagoValid(list) && list.every((r) => !new BigNumber(r.fromValue).isNegative()));
      }),
      { numRuns: 300 },
    );
  });
});

describe('GRADUATED_PERCENTAGE properties', () => {
  const tier = (fromValue: number, toValue: number | null, rate: string) => ({ fromValue, toValue, rate, flatAmount: '0' });
  it('accept tiers of rates', () => accepts('GRADUATED_PERCENTAGE', { graduatedPercentageRanges: [tier(0, 10, '1'), tier(11, null, '0.5')] }));
  it('refuse a rate above 100', () =>
    expect(fieldOf('GRADUATED_PERCENTAGE', { graduatedPercentageRanges: [tier(0, null, '100.5')] })).toBe(`${F}.graduatedPercentageRanges.0.rate`));
  it('refuse a per-unit amount (not a key of this model)', () =>
    expect(fieldOf('GRADUATED_PERCENTAGE', { graduatedPercentageRanges: [{ ...tier(0, null, '1'), perUnitAmount: '1' }] })).toBe(`${F}.graduatedPercentageRanges.0.perUnitAmount`));
  it('apply the range rules', () =>
    expect(fieldOf('GRADUATED_PERCENTAGE', { graduatedPercentageRanges: [tier(0, 10, '1'), tier(15, null, '1')] })).toBe(`${F}.graduatedPercentageRanges.1.fromValue`));
  // Charges::Validators::GraduatedPercentageService runs the same RangeBoundsValidator as graduated.
  it('accept mixed conventions, as graduated', () =>
    accepts('GRADUATED_PERCENTAGE', { graduatedPercentageRanges: [tier(0, 10, '1'), tier(10, 20, '1'), tier(21, null, '0.5')] }));
});

describe('VOLUME properties', () => {
  it('accept volume ranges', () => accepts('VOLUME', { volumeRanges: [range(0, 100, '2', '10'), range(101, null)] }));
  it('apply the range rules (volume keeps one convention throughout)', () =>
    expect(fieldOf('VOLUME', { volumeRanges: [range(0, 100), range(100, 200), range(201, null)] })).toBe(`${F}.volumeRanges.2.fromValue`));
  it('start at 0', () => expect(fieldOf('VOLUME', { volumeRanges: [range(1, null)] })).toBe(`${F}.volumeRanges.0.fromValue`));
  it('require volumeRanges', () => expect(fieldOf('VOLUME', { graduatedRanges: [range(0, null)] })).toBe(`${F}.graduatedRanges`));
});

describe('PACKAGE properties', () => {
  it('accept amount, packageSize and freeUnits', () => accepts('PACKAGE', { amount: '100', packageSize: 10, freeUnits: 0 }));
  it('accept packageSize as a decimal string', () => accepts('PACKAGE', { amount: '100', packageSize: '10' }));
  it.each([0, -1, '0', 'x'])('refuse packageSize %j (must be > 0)', (packageSize) => expect(fieldOf('PACKAGE', { amount: '1', packageSize })).toBe(`${F}.packageSize`));
  it('refuse negative freeUnits', () => expect(fieldOf('PACKAGE', { amount: '1', packageSize: 10, freeUnits: -1 })).toBe(`${F}.freeUnits`));
  it('require amount', () => expect(fieldOf('PACKAGE', { packageSize: 10 })).toBe(`${F}.amount`));
});

describe('PERCENTAGE properties', () => {
  const full = { rate: '1.3', fixedAmount: '0.2', freeUnitsPerEvents: 3, freeUnitsPerTotalAggregation: '250', perTransactionMinAmount: '1.75', perTransactionMaxAmount: '12' };
  it('accept every option', () => accepts('PERCENTAGE', full));
  it('require rate', () => expect(fieldOf('PERCENTAGE', {})).toBe(`${F}.rate`));
  it.each(['101', '-1', '1,3'])('refuse rate %j (0..100)', (rate) => expect(fieldOf('PERCENTAGE', { rate })).toBe(`${F}.rate`));
  it('accept rates 0 and 100', () => {
    accepts('PERCENTAGE', { rate: '0' });
    accepts('PERCENTAGE', { rate: '100' });
  });
  it('refuse a negative fixedAmount', () => expect(fieldOf('PERCENTAGE', { ...full, fixedAmount: '-0.2' })).toBe(`${F}.fixedAmount`));
  it('refuse fractional freeUnitsPerEvents', () => expect(fieldOf('PERCENTAGE', { ...full, freeUnitsPerEvents: 1.5 })).toBe(`${F}.freeUnitsPerEvents`));
  it('refuse negative freeUnitsPerTotalAggregation', () => expect(fieldOf('PERCENTAGE', { ...full, freeUnitsPerTotalAggregation: '-1' })).toBe(`${F}.freeUnitsPerTotalAggregation`));
  it('refuse a per-transaction min above the max', () =>
    expect(fieldOf('PERCENTAGE', { ...full, perTransactionMinAmount: '12.5' })).toBe(`${F}.perTransactionMaxAmount`));
  it('accept min equal to max', () => accepts('PERCENTAGE', { rate: '1', perTransactionMinAmount: '2', perTransactionMaxAmount: '2' }));
  it('accept nulls for the options', () => accepts('PERCENTAGE', { rate: '1', fixedAmount: null, perTransactionMaxAmount: null }));
});

describe('DYNAMIC properties', () => {
  it('accept none', () => {
    accepts('DYNAMIC', undefined);
    accepts('DYNAMIC', {});
  });
  it('accept pricing group keys', () => accepts('DYNAMIC', { pricingGroupKeys: ['region'] }));
  it('refuse an amount', () => expect(fieldOf('DYNAMIC', { amount: '1' })).toBe(`${F}.amount`));
});

describe('properties through the decider', () => {
  it('name the full path of a bad bound', () =>
    refusesCharge({ chargeModel: 'GRADUATED', properties: { graduatedRanges: [range(0, 10), range(12, null)] } }, 'properties.graduatedRanges.1.fromValue'));
  it('read absent properties as {} and name the missing one', () => refusesCharge({ properties: undefined }, 'properties.amount'));
});

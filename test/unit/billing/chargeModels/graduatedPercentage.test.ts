import { describe, expect, it } from 'vitest';
import { graduatedPercentage } from '../../../../src/billing/chargeModels/graduatedPercentage.ts';
import type { GraduatedPercentageDetails, GraduatedPercentageRange } from '../../../../src/billing/chargeModels/index.ts';
import { at, expectDecimal } from '../support.ts';

const ranges: GraduatedPercentageRange[] = [
  { fromValue: 0, toValue: 10, rate: '1', flatAmount: '200' },
  { fromValue: 11, toValue: 20, rate: '2', flatAmount: '300' },
  { fromValue: 21, toValue: null, rate: '3', flatAmount: '400' },
];
const price = (units: string | number, rs = ranges) => graduatedPercentage(at(units), { graduatedPercentageRanges: rs });
const tierUnits = (units: string | number, rs = ranges) => (price(units, rs).details as GraduatedPercentageDetails).tiers.map((t) => t.units);

describe('graduated percentage charge model (§2.3)', () => {
  it('bills the first tier’s flat amount at zero units', () => {
    expectDecimal(price(0).amount, 200);
    expectDecimal(price(0).unitAmount, 0);
  });

  it.each([
    [1, '200.01'],
    [10, '200.1'],
    [11, '500.12'],
    [12, '500.14'],
    [21, '900.33'],
  ])('bills %s units %s: rate% of each tier’s units plus the flats of the tiers entered', (units, amount) => {
    expectDecimal(price(units).amount, amount);
  });

  it('keeps units exactly at a toValue in that tier and enters the next just above', () => {
    expect(tierUnits(10)).toEqual(['10']);
    expect(tierUnits(11)).toEqual(['10', '1']);
    expect(tierUnits(20)).toEqual(['10', '10']);
  });

  it('always counts "+1" tiers, even on adjacent decimal ranges (no adjacency detection)', () => {
    const adjacent: GraduatedPercentageRange[] = [
      { fromValue: 0, toValue: '0.1', rate: '10', flatAmount: '0' },
      { fromValue: '0.1', toValue: null, rate: '5', flatAmount: '0' },
    ];
    expect(tierUnits('0.5', adjacent)).toEqual(['0.1', '1.4']);
    expectDecimal(price('0.5', adjacent).amount, '0.08');
  });

  it('explains each tier with its rate, units and totals', () => {
    expect((price(12).details as GraduatedPercentageDetails).tiers[1]).toEqual({
      fromValue: '11', toValue: '20', units: '2', rate: '2', perUnitTotalAmount: '0.04', flatAmount: '300', total: '300.04',
    });
  });

  it('owes nothing at zero units in the pay-in-advance "before" computation', () => {
    expectDecimal(graduatedPercentage(at(0, { excludeEvent: true }), { graduatedPercentageRanges: ranges }).amount, 0);
  });

  it('applies a rate to 10^15 units exactly', () => {
    const single: GraduatedPercentageRange[] = [{ fromValue: 0, toValue: null, rate: '0.000000000000001', flatAmount: '0' }];
    expectDecimal(price('1000000000000000', single).amount, '0.01');
  });
});

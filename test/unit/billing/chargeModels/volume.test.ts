import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GraduatedRange, VolumeDetails } from '../../../../src/billing/chargeModels/index.ts';
import { volume } from '../../../../src/billing/chargeModels/volume.ts';
import { at, d, decimalArb, expectDecimal, priceArb } from '../support.ts';

const ranges: GraduatedRange[] = [
  { fromValue: 0, toValue: 100, perUnitAmount: '2', flatAmount: '10' },
  { fromValue: 101, toValue: 200, perUnitAmount: '1', flatAmount: '0' },
  { fromValue: 201, toValue: null, perUnitAmount: '0.5', flatAmount: '50' },
];
const price = (units: string | number, rs = ranges) => volume(at(units), { volumeRanges: rs });

describe('volume charge model (§2.6)', () => {
  it('bills the first tier’s flat amount at zero units', () => {
    expectDecimal(price(0).amount, 10);
    expectDecimal(price(0).unitAmount, 0);
  });

  it.each([
    [1, '12'],
    [100, '210'],
    [101, '101'],
    [200, '200'],
    [300, '200'],
  ])('bills all %s units at the price of the one tier they fall in: %s', (units, amount) => {
    expectDecimal(price(units).amount, amount);
  });

  it('puts 100 in the 0–100 tier but 100.5 in the 101–200 tier (ceil picks the tier)', () => {
    expect((price(100).details as VolumeDetails).tier).toEqual({ fromValue: '0', toValue: '100' });
    expect((price('100.5').details as VolumeDetails).tier).toEqual({ fromValue: '101', toValue: '200' });
    expectDecimal(price('100.5').amount, '100.5');
  });

  it('sorts ranges by fromValue before matching', () => {
    expectDecimal(price(150, [...ranges].reverse()).amount, 150);
  });

  it('bills nothing when no tier matches (negative units)', () => {
    const result = price(-5);
    expectDecimal(result.amount, 0);
    expect((result.details as VolumeDetails).tier).toBeNull();
  });

  it('chooses the tier with full units and prices prorated units when prorated', () => {
    const result = volume(at('198.6', { fullUnits: d(300) }), { volumeRanges: ranges });
    expectDecimal(result.amount, '149.3');
    expectDecimal(result.unitAmount, '0.49766666666666666667');
  });

  it('prices 10^15 units at a 15-decimal price exactly', () => {
    expectDecimal(price('1000000000000000', [{ fromValue: 0, toValue: null, perUnitAmount: '0.000000000000003', flatAmount: '0' }]).amount, 3);
  });

  it('can decrease when crossing into a cheaper tier: that is volume pricing', () => {
    expect(price(101).amount.isLessThan(price(100).amount)).toBe(true);
  });

  it('never decreases as units grow within a tier, nor across tiers whose prices do not fall', () => {
    const rangesArb = fc
      .tuple(fc.uniqueArray(fc.integer({ min: 1, max: 500 }), { maxLength: 4 }), fc.array(fc.tuple(priceArb, priceArb), { minLength: 5, maxLength: 5 }))
      .map(([bounds, prices]) => {
        const tos = [...bounds].sort((a, b) => a - b);
        const sortedUnit = prices.map(([u]) => d(u)).sort((a, b) => a.comparedTo(b) ?? 0);
        const sortedFlat = prices.map(([, f]) => d(f)).sort((a, b) => a.comparedTo(b) ?? 0);
        return [...tos, null].map((to, i): GraduatedRange => ({
          fromValue: i === 0 ? 0 : (tos[i - 1] ?? 0) + 1,
          toValue: to,
          perUnitAmount: (sortedUnit[i] ?? d(0)).toFixed(),
          flatAmount: (sortedFlat[i] ?? d(0)).toFixed(),
        }));
      });
    fc.assert(
      fc.property(rangesArb, decimalArb(600), decimalArb(600), (rs, a, b) => {
        const [low, high] = a.isLessThan(b) ? [a, b] : [b, a];
        expect(price(high.toFixed(), rs).amount.isGreaterThanOrEqualTo(price(low.toFixed(), rs).amount)).toBe(true);
      }),
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import BigNumber from 'bignumber.js';
import { graduated } from '../../../../src/billing/chargeModels/graduated.ts';
import { validateChargeProperties } from '../../../../src/domain/plan/index.ts';
import type { GraduatedDetails, GraduatedRange } from '../../../../src/billing/chargeModels/index.ts';
import { at, d, decimalArb, expectDecimal, priceArb } from '../support.ts';

const integerRanges: GraduatedRange[] = [
  { fromValue: 0, toValue: 10, perUnitAmount: '10', flatAmount: '2' },
  { fromValue: 11, toValue: 20, perUnitAmount: '5', flatAmount: '3' },
  { fromValue: 21, toValue: null, perUnitAmount: '5', flatAmount: '3' },
];
const adjacentRanges: GraduatedRange[] = [
  { fromValue: 0, toValue: '0.1', perUnitAmount: '10', flatAmount: '0' },
  { fromValue: '0.1', toValue: 1, perUnitAmount: '5', flatAmount: '0' },
  { fromValue: 1, toValue: null, perUnitAmount: '2', flatAmount: '0' },
];
const price = (units: string | number, ranges = integerRanges) => graduated(at(units), { graduatedRanges: ranges });
const tiers = (units: string | number, ranges = integerRanges) => (price(units, ranges).details as GraduatedDetails).tiers;

describe('graduated charge model (§2.2)', () => {
  it('bills the first tier’s flat amount at zero units', () => {
    const result = price(0);
    expectDecimal(result.amount, 2);
    expectDecimal(result.unitAmount, 0);
    expect(tiers(0)).toEqual([{ fromValue: '0', toValue: '10', units: '0', perUnitAmount: '0', perUnitTotalAmount: '0', flatAmount: '2', total: '2' }]);
  });

  it.each([
    [1, '12', '12'],
    [10, '102', '10.2'],
    [11, '110', '10'],
    [12, '115', '9.58333333333333333333'],
    [21, '163', '7.76190476190476190476'],
  ])('bills %s units %s (unit amount %s), Lago’s spec values', (units, amount, unitAmount) => {
    const result = price(units);
    expectDecimal(result.amount, amount);
    expectDecimal(result.unitAmount, unitAmount);
  });

  it('keeps units exactly at a toValue entirely in that tier', () => {
    expect(tiers(10).map((t) => t.units)).toEqual(['10']);
    expect(tiers(20).map((t) => t.units)).toEqual(['10', '10']);
  });

  it('enters the next integer tier just above a toValue, flat amount included', () => {
    expect(tiers(11)).toEqual([
      { fromValue: '0', toValue: '10', units: '10', perUnitAmount: '10', perUnitTotalAmount: '100', flatAmount: '2', total: '102' },
      { fromValue: '11', toValue: '20', units: '1', perUnitAmount: '5', perUnitTotalAmount: '5', flatAmount: '3', total: '8' },
    ]);
  });

  it('puts decimals between integer ranges in the next tier ("+1" convention): 10.5 → 0.5 units in tier 2', () => {
    expect(tiers('10.5').map((t) => t.units)).toEqual(['10', '0.5']);
    expectDecimal(price('10.5').amount, '107.5'); // 102 + 0.5 × 5 + 3
  });

  it('detects adjacent decimal ranges and counts them without "+1"', () => {
    expect((price('0.5', adjacentRanges).details as GraduatedDetails).adjacentRanges).toBe(true);
    expectDecimal(price('0.05', adjacentRanges).amount, '0.5');
    expect(tiers('0.5', adjacentRanges).map((t) => t.units)).toEqual(['0.1', '0.4']);
    expectDecimal(price('0.5', adjacentRanges).amount, '3');
    expectDecimal(price('1', adjacentRanges).amount, '5.5');
    expectDecimal(price('2.25', adjacentRanges).amount, '8');
  });

  it('misprices mixed conventions exactly as Lago does (only all-adjacent ranges are adjacent)', () => {
    const mixed: GraduatedRange[] = [
      { fromValue: 0, toValue: '0.01', perUnitAmount: '0', flatAmount: '0' },
      { fromValue: '0.01', toValue: 10, perUnitAmount: '10', flatAmount: '2' },
      { fromValue: 11, toValue: null, perUnitAmount: '5', flatAmount: '3' },
    ];
    expectDecimal(price(0, mixed).amount, 0);
    // tier 2 holds 0.5 − 0.01 + 1 = 1.49 units
    expect(tiers('0.5', mixed).map((t) => t.units)).toEqual(['0.01', '1.49']);
  });

  it('owes nothing at zero units in the pay-in-advance "before" computation', () => {
    const result = graduated(at(0, { excludeEvent: true }), { graduatedRanges: integerRanges });
    expectDecimal(result.amount, 0);
    expect((result.details as GraduatedDetails).tiers).toEqual([]);
    expectDecimal(graduated(at(3, { excludeEvent: true }), { graduatedRanges: integerRanges }).amount, 32);
  });

  it('divides the unit amount by full units when given', () => {
    expectDecimal(graduated(at(10, { fullUnits: d(20) }), { graduatedRanges: integerRanges }).unitAmount, '5.1');
  });

  it('passes negative units through the first tier formula (the fee zeroes them)', () => {
    expectDecimal(price(-5).amount, -48);
  });

  it('prices 10^15 units and 15-decimal prices without precision loss', () => {
    const ranges: GraduatedRange[] = [
      { fromValue: 0, toValue: 1000, perUnitAmount: '0.000000000000001', flatAmount: '0' },
      { fromValue: 1001, toValue: null, perUnitAmount: '0.123456789012345', flatAmount: '0.000000000000001' },
    ];
    // 1000 × 1e-15 + (10^15 − 1000) × 0.123456789012345 + 1e-15
    expectDecimal(price('1000000000000000', ranges).amount, '123456789012221.543210987656001');
  });

  it('rejects a non-decimal price', () => {
    expect(() => price(1, [{ fromValue: 0, toValue: null, perUnitAmount: '1e3', flatAmount: '0' }])).toThrow(TypeError);
  });

  it('never decreases as units grow (non-negative prices, integer or adjacent ranges)', () => {
    const rangesArb = fc
      .tuple(fc.uniqueArray(fc.integer({ min: 1, max: 500 }), { minLength: 0, maxLength: 4 }), fc.boolean(), fc.array(fc.tuple(priceArb, priceArb), { minLength: 5, maxLength: 5 }))
      .map(([bounds, adjacent, prices]) => {
        const tos = [...bounds].sort((a, b) => a - b);
        return [...tos, null].map((to, i): GraduatedRange => {
          const previous = tos[i - 1];
          const from = previous === undefined ? 0 : adjacent ? previous : previous + 1;
          const [perUnitAmount, flatAmount] = prices[i] ?? ['0', '0'];
          return { fromValue: from, toValue: to, perUnitAmount, flatAmount };
        });
      });
    fc.assert(
      fc.property(rangesArb, decimalArb(600), decimalArb(600), (ranges, a, b) => {
        const [low, high] = a.isLessThan(b) ? [a, b] : [b, a];
        const props = { graduatedRanges: ranges };
        expect(graduated(at(high), props).amount.isGreaterThanOrEqualTo(graduated(at(low), props).amount)).toBe(true);
      }),
    );
  });

  /**
   * Lago's pricing of any range set, written from `ChargeModels::GraduatedService#adjacent_ranges?` and
   * `AmountDetails::RangeGraduatedService#units` (graduated_service.rb, range_graduated_service.rb): adjacent
   * only when every `from` equals the previous `to`, else "+1" on every tier not starting at 0; stop after the
   * first tier whose `to` is null or reaches the units.
   */
  function lagoGraduated(ranges: readonly GraduatedRange[], units: BigNumber): BigNumber {
    const adjacent = ranges.length >= 2 && ranges.every((r, i) => i === 0 || new BigNumber(r.fromValue).isEqualTo(ranges[i - 1]!.toValue ?? 0));
    let total = new BigNumber(0);
    for (const r of ranges) {
      const to = r.toValue === null ? null : new BigNumber(r.toValue);
      const effective = to !== null && units.isGreaterThanOrEqualTo(to) ? to : units;
      const from = new BigNumber(r.fromValue);
      const tierUnits = from.isZero() ? effective : adjacent ? effective.minus(from) : effective.minus(from).plus(1);
      total = total.plus(tierUnits.isZero() ? 0 : tierUnits.times(r.perUnitAmount)).plus(r.flatAmount);
      if (to === null || to.isGreaterThanOrEqualTo(units)) break;
    }
    return total;
  }

  it('accepts any mix of adjacent and "+1" bounds and prices it as Lago does (property)', () => {
    // Bounds in tenths, each joined to the previous one adjacently or with "+1", chosen at random per bound.
    const rangesArb = fc
      .tuple(
        fc.boolean(),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 300 }), fc.boolean(), priceArb, priceArb), { minLength: 1, maxLength: 5 }),
        fc.tuple(priceArb, priceArb),
      )
      .map(([startAtOne, steps, last]) => {
        const ranges: GraduatedRange[] = [];
        let from = new BigNumber(startAtOne ? 1 : 0);
        for (const [width, plusOne, perUnitAmount, flatAmount] of steps) {
          const to = from.plus(new BigNumber(width).shiftedBy(-1));
          ranges.push({ fromValue: from.toFixed(), toValue: to.toFixed(), perUnitAmount, flatAmount });
          from = plusOne ? to.plus(1) : to;
        }
        ranges.push({ fromValue: from.toFixed(), toValue: null, perUnitAmount: last[0], flatAmount: last[1] });
        return ranges;
      });
    fc.assert(
      fc.property(rangesArb, decimalArb(200), (ranges, units) => {
        expect(() => validateChargeProperties('GRADUATED', { graduatedRanges: ranges }, 'properties')).not.toThrow();
        expectDecimal(graduated(at(units), { graduatedRanges: ranges }).amount, lagoGraduated(ranges, units));
      }),
    );
  });

  it('prices a mixed set "+1" throughout, as Lago: 0–10, 10–20 (adjacent), 21–∞ at 15 units', () => {
    const mixed: GraduatedRange[] = [
      { fromValue: 0, toValue: 10, perUnitAmount: '1', flatAmount: '0' },
      { fromValue: 10, toValue: 20, perUnitAmount: '2', flatAmount: '0' },
      { fromValue: 21, toValue: null, perUnitAmount: '3', flatAmount: '0' },
    ];
    // Not all adjacent → tier 2 holds 15 − 10 + 1 = 6 units (an adjacent reading would give 5): 10 + 12 = 22.
    expect(tiers(15, mixed).map((t) => t.units)).toEqual(['10', '6']);
    expectDecimal(price(15, mixed).amount, 22);
  });
});

import fc from 'fast-check';
import { describe, it } from 'vitest';
import { applyAggregationRounding } from '../../../src/billing/aggregationRounding.ts';
import { d, expectDecimal } from './support.ts';

describe('aggregation rounding (§1.3)', () => {
  it.each([
    ['round', 2, '123.46'],
    ['ceil', 2, '123.46'],
    ['floor', 2, '123.45'],
    ['round', null, '123'],
    ['ceil', null, '124'],
    ['round', -2, '100'],
    ['ceil', -2, '200'],
    ['floor', -2, '100'],
  ] as const)('rounds 123.456 with %s(%s) to %s, as Lago’s spec', (fn, precision, expected) => {
    expectDecimal(applyAggregationRounding(d('123.456'), { roundingFunction: fn, roundingPrecision: precision }), expected);
  });

  it('rounds ties half up (away from zero)', () => {
    expectDecimal(applyAggregationRounding(d('2.5'), { roundingFunction: 'round' }), 3);
    expectDecimal(applyAggregationRounding(d('-2.5'), { roundingFunction: 'round' }), -3);
    expectDecimal(applyAggregationRounding(d('150'), { roundingFunction: 'round', roundingPrecision: -2 }), 200);
  });

  it('ceils and floors negative units toward +∞ and −∞', () => {
    expectDecimal(applyAggregationRounding(d('-1.5'), { roundingFunction: 'ceil' }), -1);
    expectDecimal(applyAggregationRounding(d('-1.5'), { roundingFunction: 'floor' }), -2);
  });

  it('leaves units untouched without a rounding function', () => {
    expectDecimal(applyAggregationRounding(d('123.456'), {}), '123.456');
    expectDecimal(applyAggregationRounding(d('123.456'), { roundingFunction: null, roundingPrecision: 2 }), '123.456');
  });

  it('ignores any precision stored without a function (property; Lago’s ApplyRoundingService `else units`)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 0, max: 6 }), fc.option(fc.integer({ min: -20, max: 20 })), (n, places, precision) => {
        const units = d(n).shiftedBy(-places);
        expectDecimal(applyAggregationRounding(units, { roundingFunction: null, roundingPrecision: precision }), units.toFixed());
      }),
    );
  });

  it('keeps 15 decimals of very large units exact', () => {
    expectDecimal(applyAggregationRounding(d('1000000000000000.123456789012345'), { roundingFunction: 'floor', roundingPrecision: 14 }), '1000000000000000.12345678901234');
  });
});

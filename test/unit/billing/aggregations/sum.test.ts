import { describe, expect, it } from 'vitest';
import { sumAggregation as sum } from '../../../../src/billing/aggregations/sum.ts';
import { dynamic } from '../../../../src/billing/chargeModels/dynamic.ts';
import { expectDecimal } from '../support.ts';
import { ev, fold, JANUARY } from './support.ts';

const at = (value: string | null, cents?: string | null) => ev('2024-01-10T12:00:00Z', value, { preciseTotalAmountCents: cents });

describe('SUM aggregation (§1.2)', () => {
  it('sums nothing to 0 units and 0 events', () => {
    const result = sum.result(sum.empty(), JANUARY);
    expectDecimal(result.units, 0);
    expectDecimal(result.count, 0);
    expectDecimal(result.preciseTotalAmountCents, 0);
  });

  it('silently drops values not matching ^-?\\d+(\\.\\d+)?$ from units and count', () => {
    const dropped = ['1e3', ' 5', '5.', '.5', '', 'abc', '+1', '1,5', 'NaN', 'Infinity'].map((v) => at(v));
    const result = sum.result(fold(sum, [at('2'), ...dropped, at(null), at('3')]), JANUARY);
    expectDecimal(result.units, 5);
    expectDecimal(result.count, 2);
  });

  it('sums negatives and decimals with 15 places exactly', () => {
    const result = sum.result(fold(sum, [at('0.000000000000001'), at('-0.000000000000003'), at('0.1'), at('0.2')]), JANUARY);
    expectDecimal(result.units, '0.299999999999998');
  });

  it('sums 1e15 values without losing the 15th decimal', () => {
    const result = sum.result(fold(sum, [at('1000000000000000'), at('1000000000000000'), at('0.000000000000001')]), JANUARY);
    expectDecimal(result.units, '2000000000000000.000000000000001');
  });

  it('sums the numeric events’ preciseTotalAmountCents for DYNAMIC, missing counting 0', () => {
    const state = fold(sum, [at('1', '1234.5678'), at('2', null), at('abc', '999'), at('3', '0.000000000000001')]);
    const result = sum.result(state, JANUARY);
    expectDecimal(result.preciseTotalAmountCents, '1234.567800000000001');
    expectDecimal(dynamic(result, {}, { currency: 'EUR' }).amount, '12.34567800000000001');
  });

  it('recurring: an initial history state is merged in (all history counts, §9.14)', () => {
    const history = fold(sum, [ev('2023-11-05T00:00:00Z', '50')]);
    const result = sum.result(fold(sum, [at('3')]), { ...JANUARY, initial: history });
    expectDecimal(result.units, 53);
    expectDecimal(result.count, 2);
  });

  it('recurring: an initial history total as a decimal string adds to the units only', () => {
    const result = sum.result(fold(sum, [at('3')]), { ...JANUARY, initial: '50.5' });
    expectDecimal(result.units, '53.5');
    expectDecimal(result.count, 1);
    expect(() => sum.result(sum.empty(), { ...JANUARY, initial: '1e3' })).toThrow(TypeError);
  });

  it('applies the metric rounding to units after aggregation (§1.3)', () => {
    const state = fold(sum, [at('123.456')]);
    expectDecimal(sum.result(state, { ...JANUARY, rounding: { roundingFunction: 'round', roundingPrecision: 2 } }).units, '123.46');
    expectDecimal(sum.result(state, { ...JANUARY, rounding: { roundingFunction: 'ceil', roundingPrecision: -2 } }).units, 200);
  });

  it('keeps state as decimal strings that survive JSON', () => {
    const state = fold(sum, [at('0.1', '5'), at('0.2')]);
    expect(JSON.parse(JSON.stringify(state))).toEqual({ sum: '0.3', count: '2', preciseTotalAmountCents: '5' });
  });
});

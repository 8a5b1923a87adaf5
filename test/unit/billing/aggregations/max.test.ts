import { describe, expect, it } from 'vitest';
import { maxAggregation as max } from '../../../../src/billing/aggregations/max.ts';
import { expectDecimal } from '../support.ts';
import { ev, fold, JANUARY } from './support.ts';

const at = (value: string | null) => ev('2024-01-10T12:00:00Z', value);

describe('MAX aggregation (§1.2)', () => {
  it('is 0 with no events (MAX(...) || 0)', () => {
    const result = max.result(max.empty(), JANUARY);
    expectDecimal(result.units, 0);
    expectDecimal(result.count, 0);
  });

  it('takes the greatest numeric value and counts the matched (numeric) events', () => {
    const result = max.result(fold(max, [at('3'), at('12.5'), at('7'), at('1e9'), at('99 '), at(null)]), JANUARY);
    expectDecimal(result.units, '12.5');
    expectDecimal(result.count, 3);
  });

  it('keeps a negative maximum when all values are negative', () => {
    expectDecimal(max.result(fold(max, [at('-3'), at('-1.000000000000001'), at('-7')]), JANUARY).units, '-1.000000000000001');
  });

  it('compares decimals with 15 places and 1e15 values exactly', () => {
    expectDecimal(max.result(fold(max, [at('1000000000000000'), at('1000000000000000.000000000000001'), at('999999999999999.999999999999999')]), JANUARY).units, '1000000000000000.000000000000001');
  });

  it('stores the value normalised ("1.50" and "1.5" are the same maximum)', () => {
    expect(fold(max, [at('1.50')])).toEqual({ max: '1.5', count: '1' });
  });

  it('merges batches by keeping the greater maximum; an empty batch changes nothing', () => {
    const merged = max.merge(fold(max, [at('4')]), max.merge(max.empty(), fold(max, [at('9'), at('2')])));
    expect(merged).toEqual({ max: '9', count: '3' });
  });

  it('refuses an initial value: MAX cannot be recurring (§1.1)', () => {
    expect(() => max.result(max.empty(), { ...JANUARY, initial: max.empty() })).toThrow(TypeError);
  });
});

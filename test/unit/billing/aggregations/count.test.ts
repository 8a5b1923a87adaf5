import { describe, expect, it } from 'vitest';
import { countAggregation as count } from '../../../../src/billing/aggregations/count.ts';
import { expectDecimal } from '../support.ts';
import { ev, fold, JANUARY } from './support.ts';

describe('COUNT aggregation (§1.2 COUNT(*))', () => {
  it('counts nothing as 0 units and 0 events', () => {
    const result = count.result(count.empty(), JANUARY);
    expectDecimal(result.units, 0);
    expectDecimal(result.count, 0);
  });

  it('counts every event whatever its value, non-numeric and missing included', () => {
    const state = fold(count, [ev('2024-01-02T00:00:00Z', '3'), ev('2024-01-03T00:00:00Z', 'abc'), ev('2024-01-04T00:00:00Z', null), ev('2024-01-05T00:00:00Z', '-1.5')]);
    const result = count.result(state, JANUARY);
    expectDecimal(result.units, 4);
    expectDecimal(result.count, 4);
  });

  it('add is pure: the input state is left untouched and the state is plain JSON', () => {
    const before = count.empty();
    const after = count.add(before, ev('2024-01-02T00:00:00Z', null));
    expect(before).toEqual({ count: '0' });
    expect(JSON.parse(JSON.stringify(after))).toEqual({ count: '1' });
  });

  it('merge adds the counts of two batches', () => {
    expectDecimal(count.result(count.merge({ count: '2' }, { count: '5' }), JANUARY).units, 7);
  });

  it('refuses an initial value: COUNT cannot be recurring (§1.1)', () => {
    expect(() => count.result(count.empty(), { ...JANUARY, initial: '3' })).toThrow(TypeError);
  });
});

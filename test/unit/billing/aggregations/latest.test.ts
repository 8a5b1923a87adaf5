import { describe, expect, it } from 'vitest';
import { latestAggregation as latest } from '../../../../src/billing/aggregations/latest.ts';
import { expectDecimal } from '../support.ts';
import { ev, fold, JANUARY } from './support.ts';

describe('LATEST aggregation (§1.2)', () => {
  it('is 0 with no events', () => {
    expectDecimal(latest.result(latest.empty(), JANUARY).units, 0);
  });

  it('takes the value of the event with the greatest timestamp, whatever the arrival order', () => {
    const events = [ev('2024-01-20T00:00:00Z', '20'), ev('2024-01-05T00:00:00Z', '5'), ev('2024-01-10T00:00:00Z', '10')];
    expectDecimal(latest.result(fold(latest, events), JANUARY).units, 20);
    expectDecimal(latest.result(fold(latest, [...events].reverse()), JANUARY).units, 20);
  });

  it('breaks a timestamp tie by the greater transactionId (deterministic stand-in for created_at)', () => {
    const a = ev('2024-01-20T00:00:00Z', '1', { transactionId: 'b' });
    const b = ev('2024-01-20T00:00:00Z', '2', { transactionId: 'a' });
    expectDecimal(latest.result(fold(latest, [a, b]), JANUARY).units, 1);
    expectDecimal(latest.result(fold(latest, [b, a]), JANUARY).units, 1);
  });

  it('orders by instant: zones and sub-millisecond digits count', () => {
    const events = [ev('2024-01-20T01:00:00+02:00', '1'), ev('2024-01-19T23:30:00Z', '2'), ev('2024-01-19T23:30:00.000001Z', '3')];
    expectDecimal(latest.result(fold(latest, events), JANUARY).units, 3);
  });

  it('clamps a negative latest value to 0', () => {
    const events = [ev('2024-01-05T00:00:00Z', '5'), ev('2024-01-06T00:00:00Z', '-2.5')];
    expectDecimal(latest.result(fold(latest, events), JANUARY).units, 0);
  });

  it('drops non-numeric values: a later "abc" does not hide the latest number', () => {
    const events = [ev('2024-01-05T00:00:00Z', '5.000000000000001'), ev('2024-01-06T00:00:00Z', 'abc'), ev('2024-01-07T00:00:00Z', null)];
    const result = latest.result(fold(latest, events), JANUARY);
    expectDecimal(result.units, '5.000000000000001');
    expectDecimal(result.count, 1);
  });

  it('keeps 1e15 values exactly', () => {
    expectDecimal(latest.result(fold(latest, [ev('2024-01-05T00:00:00Z', '1000000000000000.000000000000001')]), JANUARY).units, '1000000000000000.000000000000001');
  });

  it('refuses an initial value: LATEST cannot be recurring (§1.1)', () => {
    expect(() => latest.result(latest.empty(), { ...JANUARY, initial: '1' })).toThrow(TypeError);
  });
});

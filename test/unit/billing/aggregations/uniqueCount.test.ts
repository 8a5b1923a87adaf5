import { describe, expect, it } from 'vitest';
import { uniqueCountAggregation as unique } from '../../../../src/billing/aggregations/uniqueCount.ts';
import { expectDecimal } from '../support.ts';
import { ev, fold, JANUARY } from './support.ts';

const added = (day: number, value: string | null) => ev(`2024-01-${String(day).padStart(2, '0')}T00:00:00Z`, value, { operationType: 'add' });
const removed = (day: number, value: string) => ev(`2024-01-${String(day).padStart(2, '0')}T00:00:00Z`, value, { operationType: 'remove' });
const units = (events: Parameters<typeof fold>[1]) => unique.result(fold(unique, events), JANUARY).units;

describe('UNIQUE_COUNT aggregation (§1.2)', () => {
  it('counts distinct values, repeated adds once; count is the aggregation, not the events', () => {
    const result = unique.result(fold(unique, [added(1, 'a'), added(2, 'b'), added(3, 'a'), ev('2024-01-04T00:00:00Z', 'c')]), JANUARY);
    expectDecimal(result.units, 3);
    expectDecimal(result.count, 3);
  });

  it('treats any string as an identity (non-numeric values are not dropped) but drops missing values', () => {
    expectDecimal(units([added(1, 'user-1'), added(2, '1e3'), added(3, null)]), 2);
  });

  it('a remove cancels an active add', () => {
    expectDecimal(units([added(1, 'a'), added(2, 'b'), removed(3, 'a')]), 1);
  });

  it('a remove before any add (by timestamp) cancels nothing, even when it arrives last', () => {
    expectDecimal(units([added(5, 'a'), removed(1, 'a')]), 1);
    expectDecimal(units([removed(1, 'a'), removed(2, 'a'), added(3, 'a')]), 1);
  });

  it('a re-add after a remove counts again; a second remove has nothing to cancel', () => {
    expectDecimal(units([added(1, 'a'), removed(2, 'a'), added(3, 'a')]), 1);
    expectDecimal(units([added(1, 'a'), removed(2, 'a'), removed(3, 'a')]), 0);
    expectDecimal(units([added(3, 'a'), removed(2, 'a'), added(1, 'a')]), 1);
  });

  it('on a full (timestamp, transactionId) tie a remove wins, in either order', () => {
    const a = ev('2024-01-02T00:00:00Z', 'x', { transactionId: 'same', operationType: 'add' });
    const r = ev('2024-01-02T00:00:00Z', 'x', { transactionId: 'same', operationType: 'remove' });
    expectDecimal(units([a, r]), 0);
    expectDecimal(units([r, a]), 0);
  });

  it('stores values like "__proto__" and "constructor" as plain keys that survive JSON', () => {
    const state = fold(unique, [added(1, '__proto__'), added(2, 'constructor'), added(3, 'toString')]);
    const reloaded = JSON.parse(JSON.stringify(state)) as typeof state;
    expectDecimal(unique.result(reloaded, JANUARY).units, 3);
    expectDecimal(unique.result(unique.add(reloaded, removed(4, '__proto__')), JANUARY).units, 2);
    expect(Object.getPrototypeOf(state.values)).toBe(Object.prototype);
  });

  it('keeps one entry per distinct value (state O(distinct values))', () => {
    const events = Array.from({ length: 200 }, (_, i) => added((i % 28) + 1, `v${i % 7}`));
    expect(Object.keys(fold(unique, events).values)).toHaveLength(7);
  });

  it('recurring: the history state is merged in — an id added last month and never removed counts', () => {
    const history = fold(unique, [ev('2023-12-10T00:00:00Z', 'a'), ev('2023-12-11T00:00:00Z', 'b')]);
    expectDecimal(unique.result(fold(unique, [removed(3, 'b'), added(4, 'c')]), { ...JANUARY, initial: history }).units, 2);
    expect(() => unique.result(unique.empty(), { ...JANUARY, initial: '2' })).toThrow(TypeError);
  });
});

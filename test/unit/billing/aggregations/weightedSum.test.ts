import BigNumber from 'bignumber.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AggregationEvent } from '../../../../src/billing/aggregations/types.ts';
import { weightedSumAggregation as weighted } from '../../../../src/billing/aggregations/weightedSum.ts';
import { expectDecimal } from '../support.ts';
import { chronological, ev, eventsArb, fold, JANUARY, numericStringArb, seconds } from './support.ts';

const Ceil20 = BigNumber.clone({ DECIMAL_PLACES: 20, ROUNDING_MODE: BigNumber.ROUND_CEIL });
const NUMERIC = /^-?\d+(\.\d+)?$/;

/**
 * §1.2 literally: rows = [(from, initial)] + numeric events by timestamp + [(ceil(to), 0)];
 * Σ_i cumsum(diff)_i × (ts_{i+1} − ts_i) / (durationDays × 86400), ceiled at 20 places.
 */
function bruteForce(events: readonly AggregationEvent[], window: { from: string; to: string; durationDays: number }, initial: BigNumber.Value): string {
  const rows: [BigNumber, BigNumber][] = [[seconds(window.from), new BigNumber(initial)]];
  for (const event of chronological(events)) if (event.value !== null && NUMERIC.test(event.value)) rows.push([seconds(event.timestamp), new BigNumber(event.value)]);
  rows.push([seconds(window.to).integerValue(BigNumber.ROUND_CEIL), new BigNumber(0)]);
  let level = new BigNumber(0);
  let area = new BigNumber(0);
  for (let i = 0; i + 1 < rows.length; i += 1) {
    const [ts, diff] = rows[i] ?? [];
    const [next] = rows[i + 1] ?? [];
    if (ts === undefined || diff === undefined || next === undefined) throw new Error('unreachable');
    level = level.plus(diff);
    area = area.plus(level.times(next.minus(ts)));
  }
  return new Ceil20(area).div(window.durationDays * 86_400).toFixed();
}

describe('WEIGHTED_SUM aggregation (§1.2)', () => {
  it('a level held over a full month is exactly that level: ceil(to) gives duration × 86400 seconds', () => {
    const result = weighted.result(weighted.empty(), { ...JANUARY, initial: '10' });
    expectDecimal(result.units, 10);
    expectDecimal(result.closingLevel, 10);
  });

  it('durationDays defaults to the window length (ceil(to) − from)', () => {
    const { durationDays: _ignored, ...window } = JANUARY;
    expectDecimal(weighted.result(weighted.empty(), { ...window, initial: '7.5' }).units, '7.5');
  });

  it('weights each level by the seconds it lasted: +10 from the 16th of 31 days is 160/31, ceiled at 20 places', () => {
    const result = weighted.result(fold(weighted, [ev('2024-01-16T00:00:00Z', '10')]), JANUARY);
    expectDecimal(result.units, '5.1612903225806451613');
    expect(result.units.toFixed()).toBe('5.1612903225806451613');
    expectDecimal(result.count, 1);
  });

  it('ceils the quotient at 20 places (1/3 → 0.33333333333333333334)', () => {
    const result = weighted.result(weighted.empty(), { from: '2024-01-01T00:00:00Z', to: '2024-01-01T23:59:59.999Z', durationDays: 3, initial: '1' });
    expect(result.units.toFixed()).toBe('0.33333333333333333334');
  });

  it('a partial window (termination) still divides by the full charges duration', () => {
    const result = weighted.result(weighted.empty(), { from: '2024-01-01T00:00:00Z', to: '2024-01-15T23:59:59.999Z', durationDays: 31, initial: '31' });
    expectDecimal(result.units, 15);
  });

  it('counts events at both inclusive bounds; an event at to lasts until ceil(to)', () => {
    const state = fold(weighted, [ev('2024-01-01T00:00:00Z', '5'), ev('2024-01-31T23:59:59.999Z', '-5')]);
    const result = weighted.result(state, JANUARY);
    expectDecimal(result.units, bruteForce([ev('2024-01-01T00:00:00Z', '5'), ev('2024-01-31T23:59:59.999Z', '-5')], JANUARY, 0));
    expectDecimal(result.units, new Ceil20('13391999.995').div(2_678_400));
    expectDecimal(result.closingLevel, 0);
  });

  it('drops non-numeric values from the level', () => {
    const state = fold(weighted, [ev('2024-01-16T00:00:00Z', '10'), ev('2024-01-02T00:00:00Z', 'abc'), ev('2024-01-03T00:00:00Z', '1e3'), ev('2024-01-03T00:00:00Z', null)]);
    expectDecimal(weighted.result(state, JANUARY).units, '5.1612903225806451613');
  });

  it('refuses a state holding an event outside [from, to]', () => {
    expect(() => weighted.result(fold(weighted, [ev('2024-02-01T00:00:00Z', '1')]), JANUARY)).toThrow(RangeError);
    expect(() => weighted.result(fold(weighted, [ev('2023-12-31T23:59:59.999Z', '1')]), JANUARY)).toThrow(RangeError);
  });

  it('recurring: the closing level is initial + Σ diff and starts the next period', () => {
    const january = weighted.result(fold(weighted, [ev('2024-01-10T00:00:00Z', '3'), ev('2024-01-20T00:00:00Z', '-1')]), { ...JANUARY, initial: '2' });
    expectDecimal(january.closingLevel, 4);
    const february = { from: '2024-02-01T00:00:00Z', to: '2024-02-29T23:59:59.999Z', durationDays: 29 };
    expectDecimal(weighted.result(weighted.empty(), { ...february, initial: january.closingLevel.toFixed() }).units, 4);
  });

  it('recurring: a history state as initial starts from its Σ diff', () => {
    const history = fold(weighted, [ev('2023-12-10T00:00:00Z', '6'), ev('2023-12-11T00:00:00Z', '-2')]);
    expectDecimal(weighted.result(weighted.empty(), { ...JANUARY, initial: history }).units, 4);
  });

  it('keeps decimals with 15 places and 1e15 values exact', () => {
    const events = [ev('2024-01-16T00:00:00Z', '1000000000000000.000000000000001')];
    expectDecimal(weighted.result(fold(weighted, events), JANUARY).units, bruteForce(events, JANUARY, 0));
  });

  it('equals a brute-force evaluation of §1.2’s formula on random events and initial levels', () => {
    fc.assert(
      fc.property(eventsArb(), numericStringArb, (events, initial) => {
        const result = weighted.result(fold(weighted, events), { ...JANUARY, initial });
        expect(result.units.toFixed()).toBe(bruteForce(events, JANUARY, initial));
        const numeric = events.filter((e) => e.value !== null && NUMERIC.test(e.value));
        expectDecimal(result.closingLevel, BigNumber.sum(initial, ...numeric.map((e) => e.value ?? 0)));
        expectDecimal(result.count, numeric.length);
      }),
      { numRuns: 200 },
    );
  });
});

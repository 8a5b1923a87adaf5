import BigNumber from 'bignumber.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runningTotal } from '../../../../src/billing/aggregations/runningTotal.ts';
import type { RunningTotalOptions } from '../../../../src/billing/aggregations/runningTotal.ts';
import { sumAggregation as sum } from '../../../../src/billing/aggregations/sum.ts';
import type { AggregationEvent } from '../../../../src/billing/aggregations/types.ts';
import { percentage } from '../../../../src/billing/chargeModels/percentage.ts';
import { expectDecimal } from '../support.ts';
import { chronological, ev, eventsArb, JANUARY, shuffledBatchesArb } from './support.ts';

const NUMERIC = /^-?\d+(\.\d+)?$/;
const day = (n: number, value: string | null) => ev(`2024-01-${String(n).padStart(2, '0')}T00:00:00Z`, value);
const totals = (options: RunningTotalOptions, events: readonly AggregationEvent[]) => {
  const fold = runningTotal(options);
  return fold.result(events.reduce((state, event) => fold.add(state, event), fold.empty())).map((t) => t.toFixed());
};

/** Lago's definition (§2.5) over all events: first N cumulative values, else cumulative until the total first exceeds X. */
function lagoRunningTotal(options: { freeUnitsPerEvents: number; freeUnitsPerTotalAggregation: string }, events: readonly AggregationEvent[]): string[] {
  const values = chronological(events).flatMap((e) => (e.value !== null && NUMERIC.test(e.value) ? [new BigNumber(e.value)] : []));
  const out: string[] = [];
  let total = new BigNumber(0);
  for (const [i, value] of values.entries()) {
    if (options.freeUnitsPerEvents > 0 && i >= options.freeUnitsPerEvents) break;
    if (options.freeUnitsPerEvents === 0 && new BigNumber(options.freeUnitsPerTotalAggregation).isZero()) break;
    total = total.plus(value);
    out.push(total.toFixed());
    if (options.freeUnitsPerEvents === 0 && total.isGreaterThan(options.freeUnitsPerTotalAggregation)) break;
  }
  return out;
}

const nonNegativeEventsArb = eventsArb(fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 50 }).map(String) }, { weight: 1, arbitrary: fc.constantFrom(null, 'abc', '0.000000000000001') }));
const optionsArb = fc.record({ freeUnitsPerEvents: fc.integer({ min: 0, max: 6 }), freeUnitsPerTotalAggregation: fc.constantFrom('0', '30', '100.5', '1000') });

describe('SUM running total for percentage free units (§2.5), bounded', () => {
  it('stops at the event whose cumulative total first exceeds freeUnitsPerTotalAggregation (sum_service_spec [12, 24, 36] for 30)', () => {
    expect(totals({ freeUnitsPerTotalAggregation: '30' }, [day(1, '12'), day(2, '12'), day(3, '12'), day(4, '12')])).toEqual(['12', '24', '36']);
  });

  it('keeps the cumulative values of the first N events by timestamp, whatever the arrival order', () => {
    expect(totals({ freeUnitsPerEvents: 2 }, [day(9, '100'), day(3, '2'), day(1, '1.5')])).toEqual(['1.5', '3.5']);
  });

  it('freeUnitsPerEvents wins over freeUnitsPerTotalAggregation', () => {
    expect(totals({ freeUnitsPerEvents: 1, freeUnitsPerTotalAggregation: '0.5' }, [day(1, '1'), day(2, '1')])).toEqual(['1']);
  });

  it('is empty, and keeps nothing, without free-units options', () => {
    const fold = runningTotal({});
    expect(fold.add(fold.empty(), day(1, '5'))).toEqual({ kept: [], limit: null });
    expect(totals({ freeUnitsPerEvents: 0, freeUnitsPerTotalAggregation: '0' }, [day(1, '5')])).toEqual([]);
  });

  it('drops non-numeric values', () => {
    expect(totals({ freeUnitsPerEvents: 2 }, [day(1, 'abc'), day(2, null), day(3, '4'), day(4, '1e3'), day(5, '6')])).toEqual(['4', '10']);
  });

  it('stays bounded: N entries, or the events up to the crossing, however many events arrive', () => {
    const events = Array.from({ length: 500 }, (_, i) => ev(new Date(Date.parse(JANUARY.from) + i * 1000).toISOString(), '1'));
    const perEvents = runningTotal({ freeUnitsPerEvents: 3 });
    expect(events.reduce((s, e) => perEvents.add(s, e), perEvents.empty()).kept).toHaveLength(3);
    const perTotal = runningTotal({ freeUnitsPerTotalAggregation: '10' });
    expect(events.reduce((s, e) => perTotal.add(s, e), perTotal.empty()).kept).toHaveLength(11);
  });

  it('a late event before the crossing moves it earlier', () => {
    expect(totals({ freeUnitsPerTotalAggregation: '30' }, [day(2, '20'), day(3, '20'), day(4, '20'), day(1, '15')])).toEqual(['15', '35']);
  });

  it('negative values in timestamp order are exact', () => {
    expect(totals({ freeUnitsPerTotalAggregation: '10' }, [day(1, '8'), day(2, '-5'), day(3, '8'), day(4, '1')])).toEqual(['8', '3', '11']);
  });

  it('throws when a late negative value moves the crossing past already discarded events', () => {
    const fold = runningTotal({ freeUnitsPerTotalAggregation: '10' });
    const state = [day(2, '8'), day(3, '8'), day(4, '8'), day(1, '-10')].reduce((s, e) => fold.add(s, e), fold.empty());
    expect(() => fold.result(state)).toThrow(RangeError);
  });

  it('rejects a fractional or negative freeUnitsPerEvents', () => {
    expect(() => runningTotal({ freeUnitsPerEvents: '1.5' })).toThrow(RangeError);
    expect(() => runningTotal({ freeUnitsPerEvents: -1 })).toThrow(RangeError);
  });

  it('equals Lago’s running total over all events, for any shuffle and batch split (non-negative values)', () => {
    fc.assert(
      fc.property(optionsArb, nonNegativeEventsArb.chain((events) => fc.tuple(fc.constant(events), shuffledBatchesArb(events))), (options, [events, batches]) => {
        const fold = runningTotal(options);
        const inOrder = chronological(events).reduce((s, e) => fold.add(s, e), fold.empty());
        const merged = batches.map((batch) => batch.reduce((s, e) => fold.add(s, e), fold.empty())).reduce((a, b) => fold.merge(a, b), fold.empty());
        expect(merged).toEqual(inOrder);
        expect(fold.result(merged).map((t) => t.toFixed())).toEqual(lagoRunningTotal(options, events));
      }),
      { numRuns: 300 },
    );
  });

  it('feeds the percentage charge model the same amount as the unbounded running total', () => {
    fc.assert(
      fc.property(optionsArb, nonNegativeEventsArb, (options, events) => {
        const units = sum.result(events.reduce((s, e) => sum.add(s, e), sum.empty()), JANUARY);
        const fold = runningTotal(options);
        const bounded = fold.result(events.reduce((s, e) => fold.add(s, e), fold.empty()));
        const properties = { rate: '1.5', fixedAmount: '0.1', ...options };
        const expected = percentage({ ...units, runningTotal: lagoRunningTotal(options, events).map((t) => new BigNumber(t)) }, properties);
        expectDecimal(percentage({ ...units, runningTotal: bounded }, properties).amount, expected.amount);
      }),
      { numRuns: 200 },
    );
  });
});

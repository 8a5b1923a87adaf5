import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aggregationFor, aggregations } from '../../../../src/billing/aggregations/index.ts';
import type { FoldableAggregationType } from '../../../../src/billing/aggregations/index.ts';
import type { Aggregation, AggregationEvent, AggregationResult } from '../../../../src/billing/aggregations/types.ts';
import { chronological, eventsArb, fold, foldThroughJson, JANUARY, shuffledBatchesArb } from './support.ts';

/** A result as plain decimal strings, for equality. */
function plain(result: AggregationResult): Record<string, string> {
  return Object.fromEntries(Object.entries(result).map(([key, value]) => [key, String(value)]));
}

/** Unique-count events draw their values from a few ids so that adds and removes meet. */
const uniqueEventsArb = eventsArb(fc.constantFrom('a', 'b', 'c', 'd', null));

const TYPES = Object.keys(aggregations) as FoldableAggregationType[];

describe.each(TYPES)('%s aggregation: fold order and batching do not matter', (type) => {
  const aggregation = aggregations[type] as Aggregation<unknown>;
  const arb = type === 'UNIQUE_COUNT' ? uniqueEventsArb : eventsArb();
  const inOrder = (events: readonly AggregationEvent[]) => fold(aggregation, chronological(events));

  it('any shuffle of the events gives the same state and result as folding them in timestamp order', () => {
    fc.assert(
      fc.property(arb.chain((events) => fc.tuple(fc.constant(events), fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }))), ([events, shuffled]) => {
        const expected = inOrder(events);
        const actual = fold(aggregation, shuffled);
        expect(actual).toEqual(expected);
        expect(plain(aggregation.result(actual, JANUARY))).toEqual(plain(aggregation.result(expected, JANUARY)));
      }),
      { numRuns: 150 },
    );
  });

  it('any split into batches, folded separately then merged (in any grouping), equals folding all in order', () => {
    fc.assert(
      fc.property(arb.chain((events) => fc.tuple(fc.constant(events), shuffledBatchesArb(events), fc.boolean())), ([events, batches, rightToLeft]) => {
        const states = batches.map((batch) => fold(aggregation, batch));
        const merged = rightToLeft ? states.reduceRight((acc, s) => aggregation.merge(s, acc), aggregation.empty()) : states.reduce((acc, s) => aggregation.merge(acc, s), aggregation.empty());
        const expected = inOrder(events);
        expect(merged).toEqual(expected);
        expect(plain(aggregation.result(merged, JANUARY))).toEqual(plain(aggregation.result(expected, JANUARY)));
      }),
      { numRuns: 150 },
    );
  });

  it('the state survives a JSON round trip after every event (read-model documents)', () => {
    fc.assert(
      fc.property(arb, (events) => {
        expect(foldThroughJson(aggregation, events)).toEqual(fold(aggregation, events));
      }),
      { numRuns: 50 },
    );
  });

  it('add never mutates the state it is given', () => {
    fc.assert(
      fc.property(arb, (events) => {
        let state = aggregation.empty();
        for (const event of events) {
          const snapshot = JSON.stringify(state);
          const next = aggregation.add(state, event);
          expect(JSON.stringify(state)).toBe(snapshot);
          state = next;
        }
      }),
      { numRuns: 50 },
    );
  });
});

describe('aggregation registry', () => {
  it('finds each foldable type by its metric aggregationType and none for CUSTOM or unknown names', () => {
    expect(aggregationFor('SUM')).toBe(aggregations.SUM);
    expect(aggregationFor('CUSTOM')).toBeUndefined();
    expect(aggregationFor('toString')).toBeUndefined();
  });
});

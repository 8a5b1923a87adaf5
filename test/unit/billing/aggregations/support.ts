import BigNumber from 'bignumber.js';
import fc from 'fast-check';
import type { Aggregation, AggregationEvent, AggregationResult } from '../../../../src/billing/aggregations/types.ts';

export const JANUARY = { from: '2024-01-01T00:00:00Z', to: '2024-01-31T23:59:59.999Z', durationDays: 31 } as const;
export const JANUARY_START_MS = Date.parse(JANUARY.from);
export const JANUARY_END_MS = Date.parse(JANUARY.to);

let sequence = 0;

/** An event; the transactionId defaults to a fresh one. */
export function ev(timestamp: string, value: string | null, extra: Partial<AggregationEvent> = {}): AggregationEvent {
  sequence += 1;
  return { transactionId: `tx-${String(sequence).padStart(6, '0')}`, timestamp, value, ...extra };
}

/** Folds events in the given order, starting from `empty()`. */
export function fold<S, R extends AggregationResult>(aggregation: Aggregation<S, R>, events: readonly AggregationEvent[], start = aggregation.empty()): S {
  return events.reduce((state, event) => aggregation.add(state, event), start);
}

/** Folds after a JSON round trip of the state at every step, as a read-model document store would. */
export function foldThroughJson<S, R extends AggregationResult>(aggregation: Aggregation<S, R>, events: readonly AggregationEvent[]): S {
  return events.reduce((state, event) => JSON.parse(JSON.stringify(aggregation.add(state, event))) as S, aggregation.empty());
}

/** Events in timestamp order, then transactionId (the order a query would return them). */
export function chronological(events: readonly AggregationEvent[]): AggregationEvent[] {
  return [...events].sort((a, b) => seconds(a.timestamp).comparedTo(seconds(b.timestamp)) || (a.transactionId < b.transactionId ? -1 : a.transactionId > b.transactionId ? 1 : 0));
}

/** Epoch seconds of an ISO `…Z` timestamp, exact to its last fractional digit (test-side, independent parse). */
export function seconds(iso: string): BigNumber {
  const [whole, fraction = ''] = iso.replace(/Z$/, '').split('.');
  return new BigNumber(Date.parse(`${whole}Z`)).shiftedBy(-3).plus(fraction === '' ? 0 : `0.${fraction}`);
}

/** ISO timestamps inside January 2024 (bounds included), with milliseconds and sometimes microseconds. */
export const januaryTimestampArb: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: JANUARY_START_MS, max: JANUARY_END_MS }), fc.option(fc.integer({ min: 0, max: 999 }), { nil: undefined }))
  .map(([ms, micros]) => {
    const iso = new Date(ms).toISOString();
    // The window ends at .999Z: no sub-millisecond digits on its very last millisecond.
    return micros === undefined || ms === JANUARY_END_MS ? iso : iso.replace('Z', `${String(micros).padStart(3, '0')}Z`);
  });

/** Decimal strings as Lago accepts them: negatives, up to 15 places, up to 1e15. */
export const numericStringArb: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }).map(String),
  fc.tuple(fc.integer({ min: -10_000, max: 10_000 }), fc.bigInt({ min: 1n, max: 999_999_999_999_999n })).map(([i, f]) => `${i < 0 ? '-' : ''}${Math.abs(i)}.${String(f).padStart(15, '0')}`),
  fc.bigInt({ min: 0n, max: 1_000_000_000_000_000n }).map(String),
);

/** Values that must be dropped by numeric aggregations. */
export const nonNumericArb: fc.Arbitrary<string | null> = fc.constantFrom(null, '', 'abc', '1e3', ' 5', '5.', '.5', '+1', '1,5', 'NaN', 'Infinity', '--1');

/** Random events in January 2024 with distinct transactionIds; values numeric ~80 % of the time. */
export const eventsArb = (valueArb: fc.Arbitrary<string | null> = fc.oneof({ weight: 4, arbitrary: numericStringArb }, { weight: 1, arbitrary: nonNumericArb })): fc.Arbitrary<AggregationEvent[]> =>
  fc
    .array(fc.record({ timestamp: januaryTimestampArb, value: valueArb, operationType: fc.constantFrom<'add' | 'remove'>('add', 'remove'), cents: fc.option(numericStringArb, { nil: null }) }), { maxLength: 40 })
    .map((list) => list.map((e, i) => ({ transactionId: `t${i}`, timestamp: e.timestamp, value: e.value, operationType: e.operationType, preciseTotalAmountCents: e.cents })));

/** A permutation of the events plus cut points splitting it into batches. */
export const shuffledBatchesArb = (events: readonly AggregationEvent[]): fc.Arbitrary<AggregationEvent[][]> =>
  fc.tuple(fc.shuffledSubarray([...events], { minLength: events.length, maxLength: events.length }), fc.array(fc.nat({ max: Math.max(events.length, 1) }), { maxLength: 5 })).map(([order, cuts]) => {
    const bounds = [0, ...[...new Set(cuts)].sort((a, b) => a - b), order.length];
    const batches: AggregationEvent[][] = [];
    for (let i = 0; i + 1 < bounds.length; i += 1) batches.push(order.slice(bounds[i], bounds[i + 1]));
    return batches;
  });

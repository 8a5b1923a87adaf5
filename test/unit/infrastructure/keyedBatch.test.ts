import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { appendOncePerKey, KeyStreamsExist, RequestTooLarge, type KeyedEvent } from '../../../src/infrastructure/eventStore/keyedBatch.ts';

/** A store with KurrentDB's AppendRecords semantics for NO_STREAM checks: all or nothing, names case-insensitive within a request. */
function fakeStore(options: { namesEveryViolation: boolean; existing?: string[] }) {
  const streams = new Map<string, string>(options.existing?.map((name) => [name, 'earlier']) ?? []);
  let position = 0n;
  const requests: number[] = [];
  const appendAll = async (events: readonly KeyedEvent[]) => {
    requests.push(events.length);
    const lower = new Set(events.map((e) => e.keyStream.toLowerCase()));
    if (lower.size !== events.length) throw new Error('two streams differing only by case in one request');
    const violations = events.filter((e) => streams.has(e.keyStream)).map((e) => e.keyStream);
    if (violations.length > 0) throw new KeyStreamsExist(options.namesEveryViolation ? violations : violations.slice(0, 1));
    for (const e of events) {
      position += 1n;
      streams.set(e.keyStream, e.event.type);
    }
    return position;
  };
  return { streams, requests, appendAll };
}

const event = (keyStream: string): KeyedEvent => ({ keyStream, event: { type: `t-${keyStream}`, data: {}, metadata: { organizationId: 'o', recordedAt: '2026-01-01T00:00:00Z' } } });

describe('appendOncePerKey (batched permanent dedup on atomic multi-stream appends)', () => {
  it('appends a batch in one request, and the duplicates of an earlier batch in one more', async () => {
    const store = fakeStore({ namesEveryViolation: true, existing: ['k3', 'k7'] });
    const outcomes = await appendOncePerKey(Array.from({ length: 10 }, (_, i) => event(`k${i}`)), store.appendAll);
    expect(outcomes.map((o) => o.status)).toEqual(['appended', 'appended', 'appended', 'duplicate', 'appended', 'appended', 'appended', 'duplicate', 'appended', 'appended']);
    expect(store.requests).toEqual([10, 8]);
    // Every appended event carries the request's last position (a bound for read-your-writes).
    expect(new Set(outcomes.filter((o) => o.status === 'appended').map((o) => (o as { position: bigint }).position))).toEqual(new Set([8n]));
  });

  it('a repeated key inside the batch is appended once', async () => {
    const store = fakeStore({ namesEveryViolation: true });
    const outcomes = await appendOncePerKey([event('a'), event('b'), event('a')], store.appendAll);
    expect(outcomes.map((o) => o.status)).toEqual(['appended', 'appended', 'duplicate']);
    expect(store.requests).toEqual([2]);
  });

  it('names differing only by case never share a request', async () => {
    const store = fakeStore({ namesEveryViolation: true });
    const outcomes = await appendOncePerKey([event('A'), event('a'), event('b')], store.appendAll);
    expect(outcomes.map((o) => o.status)).toEqual(['appended', 'appended', 'appended']);
    expect(store.requests).toEqual([2, 1]);
  });

  it('requests are at most `chunk` events', async () => {
    const store = fakeStore({ namesEveryViolation: true });
    await appendOncePerKey(Array.from({ length: 25 }, (_, i) => event(`k${i}`)), store.appendAll, { chunk: 10 });
    expect(store.requests).toEqual([10, 10, 5]);
  });

  it('a failure that is not a duplicate is the caller’s: nothing is reported appended', async () => {
    await expect(appendOncePerKey([event('a')], async () => Promise.reject(new Error('unavailable')))).rejects.toThrow('unavailable');
    await expect(appendOncePerKey([event('a')], async () => Promise.reject(new KeyStreamsExist(['elsewhere'])))).rejects.toThrow(/without naming/);
  });

  it('property: whatever the keys, earlier keys and the server’s reporting, each key is stored once and only new first occurrences are appended', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'A', 'B', 'f', 'g', 'h'), { maxLength: 40 }),
        fc.subarray(['a', 'c', 'A', 'g']),
        fc.boolean(),
        fc.integer({ min: 1, max: 8 }),
        async (keys, existing, namesEveryViolation, chunk) => {
          const store = fakeStore({ namesEveryViolation, existing });
          const outcomes = await appendOncePerKey(keys.map(event), store.appendAll, { chunk });
          const expected = keys.map((key, index) => (existing.includes(key) || keys.indexOf(key) !== index ? 'duplicate' : 'appended'));
          expect(outcomes.map((o) => o.status)).toEqual(expected);
          expect(store.streams.size).toBe(new Set([...existing, ...keys]).size);
          for (const key of new Set(keys)) expect(store.streams.get(key)).toBe(existing.includes(key) ? 'earlier' : `t-${key}`);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('appendOncePerKey, a request the server finds too large', () => {
  it('is sent again in halves until each part fits', async () => {
    const store = fakeStore({ namesEveryViolation: true, existing: ['k1'] });
    const sizes: number[] = [];
    const appendAll = async (events: readonly KeyedEvent[]) => {
      sizes.push(events.length);
      if (events.length > 3) throw new RequestTooLarge('too large');
      return store.appendAll(events);
    };
    const outcomes = await appendOncePerKey(Array.from({ length: 10 }, (_, i) => event(`k${i}`)), appendAll);
    expect(outcomes.filter((o) => o.status === 'appended')).toHaveLength(9);
    expect(store.streams.size).toBe(10);
    expect(Math.max(...store.requests)).toBeLessThanOrEqual(3);
    expect(sizes[0]).toBe(10);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeSortedRuns } from '../../../projections/mergeRuns.ts';

type Item = { key: number; tag: string };
const byKey = (a: Item, b: Item) => a.key - b.key;

describe('mergeSortedRuns', () => {
  it('yields the stable sort of the concatenated runs, in chunks of at most chunkSize', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: -20, max: 20 }), { maxLength: 30 }), { maxLength: 12 }), fc.integer({ min: 1, max: 40 }), (keys, chunkSize) => {
        const runs = keys.map((run, r) => run.map((key, i) => ({ key, tag: `${r}.${i}` })).sort(byKey));
        const chunks = [...mergeSortedRuns(runs, byKey, chunkSize)];
        for (const chunk of chunks.slice(0, -1)) expect(chunk).toHaveLength(chunkSize);
        expect(chunks.every((chunk) => chunk.length > 0 && chunk.length <= chunkSize)).toBe(true);
        // Array.prototype.sort is stable: equal keys keep run order, then order within the run.
        expect(chunks.flat()).toEqual(runs.flat().sort(byKey));
      }),
      { numRuns: 300 },
    );
  });

  it('yields nothing for no runs or empty runs', () => {
    expect([...mergeSortedRuns<Item>([], byKey, 3)]).toEqual([]);
    expect([...mergeSortedRuns<Item>([[], []], byKey, 3)]).toEqual([]);
  });
});

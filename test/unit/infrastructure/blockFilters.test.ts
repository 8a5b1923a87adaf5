import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlockFilters, keyWords } from '../../../src/infrastructure/eventStore/blockFilters.ts';

describe('block filters', () => {
  it('never misses a key: every block a key was added to is among its candidates', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.nat({ max: 40 })), { maxLength: 300 }), (keys) => {
        const filters = new BlockFilters({ blockSize: 16, groupSize: 4 });
        const sorted = [...keys].sort((a, b) => a[1] - b[1]);
        for (const [key, block] of sorted) filters.add(block, keyWords(key));
        for (const [key, block] of sorted) expect(filters.candidates(keyWords(key))).toContain(block);
      }),
    );
  });

  it('answers candidates newest block first', () => {
    const filters = new BlockFilters({ blockSize: 16, groupSize: 4 });
    const key = keyWords(randomBytes(16));
    for (const block of [1, 5, 6, 13]) filters.add(block, key);
    expect(filters.candidates(key)).toEqual([13, 6, 5, 1]);
  });

  it('seals each block once a later block receives a key, and each group once a later group does', () => {
    const filters = new BlockFilters({ blockSize: 16, groupSize: 4 });
    const sealed: string[] = [];
    const add = (block: number) => sealed.push(...filters.add(block, keyWords(randomBytes(16))).map((s) => `${s.level}:${s.index}`));
    [0, 0, 1, 3, 3, 4, 9].forEach(add);
    expect(sealed).toEqual(['0:0', '0:1', '0:3', '1:0', '0:4', '1:1']);
  });

  it('keeps false positives near 1 % at full load', () => {
    const filters = new BlockFilters({ blockSize: 1_000, groupSize: 8 });
    for (let block = 0; block < 8; block += 1) for (let i = 0; i < 1_000; i += 1) filters.add(block, keyWords(randomBytes(16)));
    let hits = 0;
    for (let i = 0; i < 20_000; i += 1) if (filters.candidates(keyWords(randomBytes(16))).length > 0) hits += 1;
    expect(hits / 20_000).toBeLessThan(0.03);
  });

  it('restores a persisted filter to the same answers', () => {
    const filters = new BlockFilters({ blockSize: 16, groupSize: 2 });
    const keys = Array.from({ length: 30 }, () => keyWords(randomBytes(16)));
    const sealed = keys.flatMap((key, i) => filters.add(Math.floor(i / 10), key));
    const restored = new BlockFilters({ blockSize: 16, groupSize: 2 });
    for (const filter of sealed) restored.load(filter);
    for (const [i, key] of keys.slice(0, 20).entries()) expect(restored.candidates(key)).toContain(Math.floor(i / 10));
  });
});

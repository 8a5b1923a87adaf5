import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageWrites } from '../../../src/application/usageWrites.ts';

describe('UsageWrites: the position a usage query waits for', () => {
  it('is the subject’s own last append, not another subject’s', () => {
    const writes = new UsageWrites(10n);
    writes.record('a', 15n);
    writes.record('b', 40n);
    writes.record('a', 12n);
    expect(writes.required('a')).toBe(15n);
    expect(writes.required('b')).toBe(40n);
    expect(writes.required('never')).toBe(10n);
  });

  it('is at least the last domain event appended (a catalog change re-folds usage)', () => {
    const writes = new UsageWrites(0n);
    writes.record('a', 5n);
    writes.changed(9n);
    writes.changed(7n);
    expect(writes.required('a')).toBe(9n);
    expect(writes.required('other')).toBe(9n);
    writes.record('a', 20n);
    expect(writes.required('a')).toBe(20n);
  });

  it('never answers less than what was recorded, however many subjects it forgets', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.bigInt({ min: 1n, max: 1_000n }), fc.boolean()), { maxLength: 200 }), (ops) => {
        const writes = new UsageWrites(0n, 8);
        const truth = new Map<string, bigint>();
        let catalog = 0n;
        for (const [subject, position, isCatalog] of ops) {
          if (isCatalog) {
            writes.changed(position);
            if (position > catalog) catalog = position;
          } else {
            writes.record(`s${subject}`, position);
            const known = truth.get(`s${subject}`) ?? 0n;
            if (position > known) truth.set(`s${subject}`, position);
          }
        }
        for (const [subject, position] of truth) expect(writes.required(subject) >= position).toBe(true);
        for (let s = 0; s <= 30; s += 1) expect(writes.required(`s${s}`) >= catalog).toBe(true);
      }),
    );
  });
});

import { describe, expect, it } from 'vitest';
import { SharedDocuments } from '../../../projections/usageCatalog.ts';

describe('SharedDocuments', () => {
  it('returns the first object for the same content, a new one for changed content', () => {
    const shared = new SharedDocuments();
    const first = shared.intern('plans', { _id: 'p1', charges: [{ code: 'a' }] });
    expect(shared.intern('plans', { _id: 'p1', charges: [{ code: 'a' }] })).toBe(first);
    const changed = { _id: 'p1', charges: [{ code: 'b' }] };
    expect(shared.intern('plans', changed)).toBe(changed);
    // The same content in another collection is another document.
    const metric = { _id: 'p1', charges: [{ code: 'a' }] };
    expect(shared.intern('billableMetrics', metric)).toBe(metric);
  });

  it('stays bounded', () => {
    const shared = new SharedDocuments(10);
    for (let i = 0; i < 1_000; i += 1) shared.intern('plans', { _id: `p${i}` });
    expect(shared.size).toBeLessThanOrEqual(10);
  });
});

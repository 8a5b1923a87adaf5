import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Document, ReadModelStore } from '../../src/application/ports/readModelStore.ts';

/** The read-model store contract: MongoDB query semantics, atomic commit + checkpoint, idempotent positions. */
export function readModelStoreContract(name: string, factory: () => Promise<ReadModelStore>): void {
  describe(`read-model store contract: ${name}`, () => {
    let store: ReadModelStore;
    beforeEach(async () => {
      store = await factory();
    });
    afterEach(async () => store.close());

    const doc = (id: string, fields: Record<string, unknown>): Document => ({ _id: id, ...fields });
    const seed = async () => {
      await store.ensureIndexes('items', [{ name: 'byOrg', keys: { organizationId: 1, code: 1 } }]);
      await store.commit(
        [
          { collection: 'items', id: 'a', doc: doc('a', { organizationId: 'o1', code: 'a', n: 1, tags: ['x'], nested: { v: 'p' } }), position: 1n },
          { collection: 'items', id: 'b', doc: doc('b', { organizationId: 'o1', code: 'b', n: 5, tags: ['y'], nested: { v: 'q' } }), position: 2n },
          { collection: 'items', id: 'c', doc: doc('c', { organizationId: 'o2', code: 'c', n: 3, tags: ['x', 'y'], nested: { v: 'p' } }), position: 3n },
        ],
        [{ name: 'contract', position: 3n }],
      );
    };

    it('finds with MongoDB filter semantics ($in, $gt, dotted paths, array membership)', async () => {
      await seed();
      const items = store.collection('items');
      const ids = async (filter: Record<string, unknown>) => (await items.find(filter, { sort: { _id: 1 } })).map((d) => d._id);
      expect(await ids({ organizationId: 'o1' })).toEqual(['a', 'b']);
      expect(await ids({ n: { $gt: 2 } })).toEqual(['b', 'c']);
      expect(await ids({ code: { $in: ['a', 'c'] } })).toEqual(['a', 'c']);
      expect(await ids({ 'nested.v': 'p' })).toEqual(['a', 'c']);
      expect(await ids({ tags: 'y' })).toEqual(['b', 'c']);
      expect(await ids({ organizationId: 'o1', code: 'b' })).toEqual(['b']);
      expect(await ids({ organizationId: 'o1', code: { $in: ['b', 'c', 'zz'] } })).toEqual(['b']);
      expect(await ids({ _id: { $in: [] } })).toEqual([]);
      expect(await items.count({ organizationId: { $in: ['o1', 'o2'] } })).toBe(3);
      expect(await items.count({ organizationId: 'o2' })).toBe(1);
      expect(await items.findOne({ _id: 'c' })).toEqual(doc('c', { organizationId: 'o2', code: 'c', n: 3, tags: ['x', 'y'], nested: { v: 'p' } }));
      expect(await items.findOne({ _id: 'zz' })).toBeNull();
    });

    it('applies logical and element operators ($or, $and, $nin, $exists, $elemMatch, null matching a missing field)', async () => {
      await seed();
      await store.commit([{ collection: 'items', id: 'd', doc: doc('d', { organizationId: 'o1', code: 'd', n: 9, tags: [], deletedAt: '2026-01-01' }), position: 4n }], []);
      const items = store.collection('items');
      const ids = async (filter: Record<string, unknown>) => (await items.find(filter, { sort: { _id: 1 } })).map((d) => d._id);
      expect(await ids({ organizationId: 'o1', deletedAt: null })).toEqual(['a', 'b']);
      expect(await ids({ deletedAt: { $exists: true } })).toEqual(['d']);
      expect(await ids({ organizationId: 'o1', $or: [{ code: { $in: ['a'] } }, { n: { $gte: 9 } }] })).toEqual(['a', 'd']);
      expect(await ids({ $and: [{ n: { $gt: 1 } }, { n: { $lt: 9 } }] })).toEqual(['b', 'c']);
      expect(await ids({ code: { $nin: ['a', 'b'] } })).toEqual(['c', 'd']);
      expect(await ids({ tags: { $elemMatch: { $eq: 'x' } } })).toEqual(['a', 'c']);
    });

    it('pages by _id ranges (keyset), through an index that ends with _id', async () => {
      await store.ensureIndexes('log', [{ name: 'byOrgId', keys: { organizationId: 1, _id: 1 } }]);
      const ids = Array.from({ length: 25 }, (_, i) => String(i + 1).padStart(4, '0'));
      await store.commit(
        ids.map((id, i) => ({ collection: 'log', id, doc: doc(id, { organizationId: i % 2 ? 'o1' : 'o2' }), position: BigInt(i + 1) })),
        [],
      );
      const log = store.collection('log');
      const seen: string[] = [];
      let after = '';
      for (;;) {
        const page = await log.find({ organizationId: 'o1', _id: { $gt: after } }, { sort: { _id: 1 }, limit: 4 });
        if (page.length === 0) break;
        seen.push(...page.map((d) => d._id));
        after = page.at(-1)!._id;
      }
      expect(seen).toEqual(ids.filter((_, i) => i % 2));
      expect((await log.find({ _id: { $gte: '0003', $lt: '0006' } }, { sort: { _id: -1 } })).map((d) => d._id)).toEqual(['0005', '0004', '0003']);
      expect(await log.count({ organizationId: 'o2', _id: { $lte: '0005' } })).toBe(3);
    });

    it('sorts, skips and limits', async () => {
      await seed();
      const found = await store.collection('items').find({}, { sort: { n: -1 }, skip: 1, limit: 1 });
      expect(found.map((d) => d._id)).toEqual(['c']);
    });

    it('answers $in lists and loads of every length alike (1 to past one load chunk), with skip and limit', async () => {
      await store.ensureIndexes('many', [{ name: 'byCode', keys: { code: 1 } }]);
      const ids = Array.from({ length: 1_100 }, (_, i) => `m${String(i).padStart(5, '0')}`);
      await store.commit(ids.map((id, i) => ({ collection: 'many', id, doc: doc(id, { code: `c${i}`, n: i }), position: BigInt(i + 1) })), []);
      const many = store.collection('many');
      for (const length of [1, 2, 3, 5, 8, 9, 17, 600, 1_030]) {
        const wanted = ids.filter((_, i) => i % 2 === 0).slice(0, length);
        const codes = wanted.map((id) => `c${Number(id.slice(1))}`);
        expect((await many.find({ code: { $in: [...codes, 'absent'] } }, { sort: { _id: 1 } })).map((d) => d._id)).toEqual(wanted);
        expect((await many.find({ _id: { $in: wanted } }, { sort: { _id: 1 }, skip: 1, limit: 3 })).map((d) => d._id)).toEqual(wanted.slice(1, 4));
        const loaded = await store.loadForUpdate('many', [...wanted, 'absent']);
        expect([...loaded.keys()].sort()).toEqual(wanted);
      }
      // The same statement shape with other values, and many skips: still the right rows.
      for (let skip = 0; skip < 40; skip += 7) {
        expect((await many.find({}, { sort: { _id: 1 }, skip, limit: 2 })).map((d) => d._id)).toEqual(ids.slice(skip, skip + 2));
      }
    });

    it('commits documents with the checkpoint and reports stored positions', async () => {
      await seed();
      expect(await store.getCheckpoint('contract')).toBe(3n);
      const loaded = await store.loadForUpdate('items', ['a', 'missing']);
      expect(loaded.get('a')?.position).toBe(1n);
      expect(loaded.has('missing')).toBe(false);
    });

    it('never moves a checkpoint backwards', async () => {
      await seed();
      await store.commit([], [{ name: 'contract', position: 2n }]);
      expect(await store.getCheckpoint('contract')).toBe(3n);
    });

    it('deletes a document when its write is null', async () => {
      await seed();
      await store.commit([{ collection: 'items', id: 'a', doc: null, position: 4n }], [{ name: 'contract', position: 4n }]);
      expect(await store.collection('items').findOne({ _id: 'a' })).toBeNull();
    });

    it('keeps declared indexes idempotent and queries through them', async () => {
      await seed();
      await store.ensureIndexes('items', [{ name: 'byOrg', keys: { organizationId: 1, code: 1 } }]);
      expect((await store.collection('items').find({ organizationId: 'o2', code: 'c' })).map((d) => d._id)).toEqual(['c']);
    });

    it('resets collections and checkpoint for a rebuild', async () => {
      await seed();
      await store.reset('contract', ['items']);
      expect(await store.getCheckpoint('contract')).toBeNull();
      expect(await store.collection('items').count({})).toBe(0);
    });
  });
}

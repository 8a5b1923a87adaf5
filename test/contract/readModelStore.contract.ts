import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Document, ReadCollection, ReadModelStore } from '../../src/application/ports/readModelStore.ts';
import { ConcurrencyError } from '../../src/domain/shared/errors.ts';
import { paginate, type Connection } from '../../src/graphql/connection.ts';

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

    it('commits a batch all or nothing: when the store refuses one write, no document and no checkpoint of it is kept', async () => {
      await store.ensureIndexes('unique', [{ name: 'byCode', keys: { code: 1 }, unique: true }]);
      await store.commit([{ collection: 'unique', id: 'a', doc: doc('a', { code: 'x', v: 1 }), position: 1n }], [{ name: 'atomic', position: 1n }]);
      const refused = store.commit(
        [
          { collection: 'others', id: 'o', doc: doc('o', { n: 1 }), position: 2n },
          { collection: 'unique', id: 'a', doc: doc('a', { code: 'x', v: 2 }), position: 2n },
          { collection: 'unique', id: 'b', doc: doc('b', { code: 'x' }), position: 2n },
        ],
        [{ name: 'atomic', position: 2n }, { name: 'other', position: 2n }],
      );
      await expect(refused).rejects.toBeInstanceOf(ConcurrencyError);
      expect(await store.collection('others').findOne({ _id: 'o' })).toBeNull();
      expect(await store.collection('unique').findOne({ _id: 'a' })).toEqual(doc('a', { code: 'x', v: 1 }));
      expect(await store.collection('unique').findOne({ _id: 'b' })).toBeNull();
      expect(await store.getCheckpoint('atomic')).toBe(1n);
      expect(await store.getCheckpoint('other')).toBeNull();
      // The store still commits after a refused batch.
      await store.commit([{ collection: 'unique', id: 'b', doc: doc('b', { code: 'y' }), position: 3n }], [{ name: 'atomic', position: 3n }]);
      expect(await store.collection('unique').count({})).toBe(2);
      expect(await store.getCheckpoint('atomic')).toBe(3n);
    });

    it('pages lists by (sort key, _id) either way, through cursors across ties: one document past a page says there is more, and nothing is counted unless asked', async () => {
      await store.ensureIndexes('pages', [{ name: 'byOrganizationCreated', keys: { organizationId: 1, createdAt: 1, _id: 1 } }]);
      const days = { p1: '01', p2: '02', p3: '02', p4: '02', p5: '03', p6: '04', p7: '04' };
      const live = Object.entries(days).map(([id, day], i) => ({ collection: 'pages', id, doc: doc(id, { organizationId: 'o1', createdAt: `2026-01-${day}`, deletedAt: null }), position: BigInt(i + 1) }));
      await store.commit(
        [
          ...live.reverse(),
          { collection: 'pages', id: 'p0', doc: doc('p0', { organizationId: 'o1', createdAt: '2026-01-02', deletedAt: '2026-02-01' }), position: 8n },
          { collection: 'pages', id: 'q1', doc: doc('q1', { organizationId: 'o2', createdAt: '2026-01-02', deletedAt: null }), position: 9n },
        ],
        [],
      );
      const pages = store.collection('pages');
      let counts = 0;
      const counting: ReadCollection = Object.assign(Object.create(pages) as ReadCollection, { count: (filter: Record<string, unknown>) => ((counts += 1), pages.count(filter)) });
      const filter = { organizationId: 'o1', deletedAt: null };
      const walk = async (sortKey: string, direction: 1 | -1, first: number) => {
        const seen: string[][] = [];
        let after: string | null = null;
        for (;;) {
          const connection: Connection<Document> = await paginate(counting, filter, { first, after }, sortKey, direction);
          seen.push(connection.edges.map((edge) => edge.node._id));
          if (!connection.pageInfo.hasNextPage) return seen;
          after = connection.pageInfo.endCursor;
        }
      };
      expect(await walk('createdAt', 1, 3)).toEqual([['p1', 'p2', 'p3'], ['p4', 'p5', 'p6'], ['p7']]);
      expect(await walk('createdAt', -1, 3)).toEqual([['p7', 'p6', 'p5'], ['p4', 'p3', 'p2'], ['p1']]);
      expect(await walk('_id', -1, 4)).toEqual([['p7', 'p6', 'p5', 'p4'], ['p3', 'p2', 'p1']]);
      // A page that ends exactly at the last document has no next page.
      expect(await walk('createdAt', 1, 7)).toEqual([['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7']]);
      expect(counts).toBe(0);
      const connection = await paginate(counting, filter, { first: 2 });
      expect([await connection.totalCount(), await connection.totalCount()]).toEqual([7, 7]);
      expect(counts).toBe(1);
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

    it('replaces a declared index whose definition changed under the same name', async () => {
      await store.ensureIndexes('redefined', [{ name: 'byCode', keys: { code: 1 }, unique: true }]);
      await store.commit([{ collection: 'redefined', id: 'a', doc: doc('a', { code: 'x', n: 1 }), position: 1n }], []);
      await expect(store.commit([{ collection: 'redefined', id: 'b', doc: doc('b', { code: 'x', n: 2 }), position: 2n }], [])).rejects.toBeInstanceOf(ConcurrencyError);
      await store.ensureIndexes('redefined', [{ name: 'byCode', keys: { code: 1, n: 1 }, unique: true }]);
      await store.commit([{ collection: 'redefined', id: 'b', doc: doc('b', { code: 'x', n: 2 }), position: 2n }], []);
      expect((await store.collection('redefined').find({ code: 'x' }, { sort: { n: 1 } })).map((d) => d._id)).toEqual(['a', 'b']);
    });

    it('resets collections and checkpoint for a rebuild', async () => {
      await seed();
      await store.reset('contract', ['items']);
      expect(await store.getCheckpoint('contract')).toBeNull();
      expect(await store.collection('items').count({})).toBe(0);
    });
  });
}

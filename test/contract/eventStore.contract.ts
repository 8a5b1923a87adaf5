import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventStore, NewEvent, RecordedEvent } from '../../src/application/ports/eventStore.ts';
import { ConcurrencyError } from '../../src/domain/shared/errors.ts';

const event = (type: string, n: number): NewEvent => ({
  type,
  data: { n },
  metadata: { organizationId: 'org', recordedAt: '2026-01-01T00:00:00.000Z' },
});

/** The event-store contract: every adapter must pass it. Works on a shared log (streams are unique per test). */
export function eventStoreContract(name: string, factory: () => Promise<EventStore>): void {
  describe(`event store contract: ${name}`, () => {
    let store: EventStore;
    let prefix: string;
    beforeEach(async () => {
      store = await factory();
      prefix = `test-${randomUUID().replaceAll('-', '')}`;
    });
    afterEach(async () => store.close());

    const mine = (events: RecordedEvent[]) => events.filter((e) => e.streamId.startsWith(prefix));

    it('appends to a new stream and reads it back in revision order', async () => {
      const stream = `${prefix}_a`;
      const result = await store.append(stream, [event('A', 1), event('B', 2)], { expectedRevision: 'no_stream' });
      expect(result.nextExpectedRevision).toBe(1n);
      const read = await store.readStream(stream);
      expect(read.map((e) => [e.type, e.revision, e.data])).toEqual([
        ['A', 0n, { n: 1 }],
        ['B', 1n, { n: 2 }],
      ]);
      expect(read[0]?.metadata.organizationId).toBe('org');
    });

    it('reads an unknown stream as empty', async () => {
      expect(await store.readStream(`${prefix}_missing`)).toEqual([]);
    });

    it('refuses no_stream on an existing stream with ConcurrencyError and appends nothing', async () => {
      const stream = `${prefix}_a`;
      await store.append(stream, [event('A', 1)], { expectedRevision: 'no_stream' });
      await expect(store.append(stream, [event('A', 2)], { expectedRevision: 'no_stream' })).rejects.toBeInstanceOf(
        ConcurrencyError,
      );
      expect(await store.readStream(stream)).toHaveLength(1);
    });

    it('appends at the exact expected revision and refuses a stale one', async () => {
      const stream = `${prefix}_a`;
      const first = await store.append(stream, [event('A', 1)], { expectedRevision: 'no_stream' });
      await store.append(stream, [event('A', 2)], { expectedRevision: first.nextExpectedRevision });
      await expect(
        store.append(stream, [event('A', 3)], { expectedRevision: first.nextExpectedRevision }),
      ).rejects.toBeInstanceOf(ConcurrencyError);
      expect((await store.readStream(stream)).map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }]);
    });

    it('refuses stream_exists on a missing stream', async () => {
      await expect(
        store.append(`${prefix}_none`, [event('A', 1)], { expectedRevision: 'stream_exists' }),
      ).rejects.toBeInstanceOf(ConcurrencyError);
    });

    it('lets exactly one of two racing appends with the same expected revision win', async () => {
      const stream = `${prefix}_race`;
      const first = await store.append(stream, [event('A', 0)]);
      const outcomes = await Promise.allSettled([
        store.append(stream, [event('A', 1)], { expectedRevision: first.nextExpectedRevision }),
        store.append(stream, [event('A', 2)], { expectedRevision: first.nextExpectedRevision }),
      ]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      expect(await store.readStream(stream)).toHaveLength(2);
    });

    it('orders the whole log by strictly increasing positions across streams', async () => {
      const before = await store.headPosition();
      await store.append(`${prefix}_x`, [event('X', 1)]);
      await store.append(`${prefix}_y`, [event('Y', 2), event('Y', 3)]);
      const last = await store.append(`${prefix}_x`, [event('X', 4)]);
      const all = mine(await store.readAll(before === null ? {} : { after: before }));
      expect(all.map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }]);
      for (let i = 1; i < all.length; i += 1) expect(all[i]!.position > all[i - 1]!.position).toBe(true);
      expect(all.at(-1)?.position).toBe(last.position);
      expect(await store.headPosition()).toBe(last.position);
    });

    it('reads all strictly after a position, bounded by maxCount', async () => {
      await store.append(`${prefix}_x`, [event('X', 1), event('X', 2), event('X', 3)]);
      const all = mine(await store.readAll());
      const afterFirst = mine(await store.readAll({ after: all[0]!.position, maxCount: 1 }));
      expect(afterFirst.map((e) => e.data)).toEqual([{ n: 2 }]);
    });

    it('catches up from a position, then follows live appends', async () => {
      const before = await store.headPosition();
      await store.append(`${prefix}_s`, [event('S', 1), event('S', 2)]);
      const subscription = store.subscribeToAll(before === null ? {} : { after: before });
      const seen: number[] = [];
      const reading = (async () => {
        for await (const e of subscription) {
          if (!e.streamId.startsWith(prefix)) continue;
          seen.push((e.data as { n: number }).n);
          if (seen.length === 4) break;
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 50));
      await store.append(`${prefix}_s`, [event('S', 3)]);
      await store.append(`${prefix}_t`, [event('T', 4)]);
      await reading;
      await subscription.close();
      expect(seen).toEqual([1, 2, 3, 4]);
    });

    it('delivers every event, in order, to a slow consumer (back-pressure, never dropped)', async () => {
      const before = await store.headPosition();
      const total = 1_200;
      for (let batch = 0; batch < total / 100; batch += 1) {
        await store.append(
          `${prefix}_bulk`,
          Array.from({ length: 100 }, (_, i) => event('Bulk', batch * 100 + i)),
        );
      }
      const subscription = store.subscribeToAll(before === null ? {} : { after: before });
      const seen: number[] = [];
      for await (const e of subscription) {
        if (!e.streamId.startsWith(prefix)) continue;
        seen.push((e.data as { n: number }).n);
        if (seen.length % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
        if (seen.length === total) break;
      }
      await subscription.close();
      expect(seen).toEqual(Array.from({ length: total }, (_, i) => i));
    });

    describe('deduplicated appends', () => {
      const usage = (key: string, n: number) => ({ streamId: `${prefix}_usage`, dedupKey: `${prefix}/${key}`, event: event('Metered', n) });

      it('appends new keys and reports keys seen in an earlier batch or earlier in the batch as duplicates', async () => {
        const first = await store.appendDeduplicated([usage('a', 1), usage('b', 2), usage('a', 3)]);
        expect(first.map((o) => o.status)).toEqual(['appended', 'appended', 'duplicate']);
        const second = await store.appendDeduplicated([usage('b', 4), usage('c', 5)]);
        expect(second.map((o) => o.status)).toEqual(['duplicate', 'appended']);
        const logged = mine(await store.readAll()).map((e) => (e.data as { n: number }).n);
        expect(logged).toEqual([1, 2, 5]);
      });

      it('reports the log position of each appended event', async () => {
        const [outcome] = await store.appendDeduplicated([usage('p', 7)]);
        expect(outcome?.status).toBe('appended');
        const found = mine(await store.readAll()).find((e) => (e.data as { n: number }).n === 7);
        expect(outcome?.status === 'appended' && outcome.position).toBe(found?.position);
      });

      it('appends each key exactly once when concurrent callers send overlapping batches', async () => {
        const batches = Array.from({ length: 6 }, (_, b) => Array.from({ length: 50 }, (_, i) => usage(`k${(b * 17 + i) % 60}`, b * 100 + i)));
        const outcomes = (await Promise.all(batches.map((batch) => store.appendDeduplicated(batch)))).flat();
        const appended = outcomes.filter((o) => o.status === 'appended').length;
        expect(appended).toBe(new Set(batches.flat().map((item) => item.dedupKey)).size);
        expect(mine(await store.readAll())).toHaveLength(appended);
      });
    });
  });
}

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

    describe('multi-stream appends (appendMany) and stream heads', () => {
      it('reports a stream head: null for an unknown stream, else its last revision and position', async () => {
        expect(await store.streamHead(`${prefix}_none`)).toBeNull();
        await store.append(`${prefix}_h`, [event('H', 1)]);
        const last = await store.append(`${prefix}_h`, [event('H', 2), event('H', 3)]);
        await store.append(`${prefix}_other`, [event('O', 4)]);
        expect(await store.streamHead(`${prefix}_h`)).toEqual({ revision: 2n, position: last.position });
      });

      it('appends to several streams at once, positions in entry order; a condition-only entry appends nothing', async () => {
        const [a, b, c] = [`${prefix}_a`, `${prefix}_b`, `${prefix}_c`];
        const before = await store.append(b, [event('B', 0)]);
        const result = await store.appendMany([
          { streamId: a, events: [event('A', 1), event('A', 2)], expectedRevision: 'no_stream' },
          { streamId: c, events: [], expectedRevision: 'no_stream' },
          { streamId: b, events: [event('B', 3)], expectedRevision: before.nextExpectedRevision },
        ]);
        expect(result.streams).toEqual([
          { streamId: a, nextExpectedRevision: 1n },
          { streamId: c, nextExpectedRevision: null },
          { streamId: b, nextExpectedRevision: 1n },
        ]);
        const log = mine(await store.readAll({ after: before.position }));
        expect(log.map((e) => [e.streamId, e.revision, e.data])).toEqual([
          [a, 0n, { n: 1 }],
          [a, 1n, { n: 2 }],
          [b, 1n, { n: 3 }],
        ]);
        expect(result.position).toBe(log.at(-1)!.position);
        expect(await store.readStream(c)).toEqual([]);
        expect(await store.headPosition()).toBe(result.position);
      });

      it('appends nothing anywhere when one expected revision does not hold (all or nothing)', async () => {
        const [a, b, c] = [`${prefix}_a`, `${prefix}_b`, `${prefix}_c`];
        const bAt = await store.append(b, [event('B', 0), event('B', 1)]);
        await store.append(c, [event('C', 0)]);
        const head = await store.headPosition();
        const refusals = [
          // stale revision on the last entry, after an entry that alone would pass
          [{ streamId: a, events: [event('A', 1)], expectedRevision: 'no_stream' }, { streamId: b, events: [event('B', 2)], expectedRevision: 0n }],
          // no_stream on an existing stream, first entry
          [{ streamId: c, events: [event('C', 1)], expectedRevision: 'no_stream' }, { streamId: a, events: [event('A', 1)], expectedRevision: 'no_stream' }],
          // a condition-only entry that does not hold
          [{ streamId: a, events: [event('A', 1)], expectedRevision: 'no_stream' }, { streamId: b, events: [], expectedRevision: 0n }],
          // stream_exists on a missing stream, condition only
          [{ streamId: a, events: [event('A', 1)], expectedRevision: 'no_stream' }, { streamId: `${prefix}_none`, events: [], expectedRevision: 'stream_exists' }],
        ] as const;
        for (const entries of refusals) {
          await expect(store.appendMany(entries.map((entry) => ({ ...entry, events: [...entry.events] })))).rejects.toBeInstanceOf(ConcurrencyError);
        }
        expect(await store.headPosition()).toBe(head);
        expect(await store.readStream(a)).toEqual([]);
        expect((await store.readStream(b)).map((e) => e.data)).toEqual([{ n: 0 }, { n: 1 }]);
        expect(await store.readStream(c)).toHaveLength(1);
        // The same entries at the right revisions go through.
        await store.appendMany([
          { streamId: a, events: [event('A', 1)], expectedRevision: 'no_stream' },
          { streamId: b, events: [], expectedRevision: bAt.nextExpectedRevision },
          { streamId: c, events: [event('C', 1)], expectedRevision: 'stream_exists' },
        ]);
        expect((await store.readStream(a)).map((e) => e.data)).toEqual([{ n: 1 }]);
        expect(await store.readStream(c)).toHaveLength(2);
      });

      it('refuses an append with no event at all, or naming a stream twice', async () => {
        await expect(store.appendMany([{ streamId: `${prefix}_a`, events: [], expectedRevision: 'any' }])).rejects.toThrow(/at least one event/);
        await expect(
          store.appendMany([
            { streamId: `${prefix}_a`, events: [event('A', 1)], expectedRevision: 'any' },
            { streamId: `${prefix}_a`, events: [event('A', 2)], expectedRevision: 'any' },
          ]),
        ).rejects.toThrow(/twice/);
        expect(await store.readStream(`${prefix}_a`)).toEqual([]);
      });

      /** The ConcurrencyError an append is refused with, to check the stream it names. */
      const refusal = async (append: Promise<unknown>): Promise<ConcurrencyError> => {
        const error = await append.then(() => null, (reason: unknown) => reason);
        expect(error).toBeInstanceOf(ConcurrencyError);
        return error as ConcurrencyError;
      };

      it('refuses a wrong expected revision on the second entry, naming it, and appends nothing to the first', async () => {
        const [a, b] = [`${prefix}_a`, `${prefix}_b`];
        const aAt = await store.append(a, [event('A', 0)]);
        await store.append(b, [event('B', 0), event('B', 1)]);
        const head = await store.headPosition();
        const error = await refusal(
          store.appendMany([
            // would pass alone: a is at exactly this revision
            { streamId: a, events: [event('A', 1), event('A', 2)], expectedRevision: aAt.nextExpectedRevision },
            { streamId: b, events: [event('B', 2)], expectedRevision: 0n },
          ]),
        );
        expect(error.streamId).toBe(b);
        expect((await store.readStream(a)).map((e) => e.data)).toEqual([{ n: 0 }]);
        expect(await store.streamHead(a)).toEqual({ revision: 0n, position: aAt.position });
        expect(await store.readStream(b)).toHaveLength(2);
        expect(await store.headPosition()).toBe(head);
        expect(mine(await store.readAll(head === null ? {} : { after: head }))).toEqual([]);
      });

      it('refuses the whole append when a condition-only entry does not hold, naming its stream', async () => {
        const [own, guard, missing] = [`${prefix}_own`, `${prefix}_guard`, `${prefix}_missing`];
        const guardAt = await store.append(guard, [event('G', 0)]);
        await store.append(guard, [event('G', 1)]);
        const head = await store.headPosition();
        // the guard moved since it was read (revision 0, now 1)
        const moved = await refusal(
          store.appendMany([
            { streamId: own, events: [event('Own', 1)], expectedRevision: 'no_stream' },
            { streamId: guard, events: [], expectedRevision: guardAt.nextExpectedRevision },
          ]),
        );
        expect(moved.streamId).toBe(guard);
        // the condition comes first and fails, the entry after it would pass
        const first = await refusal(
          store.appendMany([
            { streamId: guard, events: [], expectedRevision: 'no_stream' },
            { streamId: own, events: [event('Own', 2)], expectedRevision: 'no_stream' },
          ]),
        );
        expect(first.streamId).toBe(guard);
        // a condition on a stream that does not exist
        const absent = await refusal(
          store.appendMany([
            { streamId: own, events: [event('Own', 3)], expectedRevision: 'no_stream' },
            { streamId: missing, events: [], expectedRevision: 0n },
          ]),
        );
        expect(absent.streamId).toBe(missing);
        expect(await store.readStream(own)).toEqual([]);
        expect(await store.readStream(missing)).toEqual([]);
        expect(await store.streamHead(guard)).toEqual({ revision: 1n, position: head });
        expect(await store.headPosition()).toBe(head);
      });

      it('gives the events increasing positions in entry order, then event order, as readAll and readStream see them, metadata intact', async () => {
        const [a, b, c, guard] = [`${prefix}_a`, `${prefix}_b`, `${prefix}_c`, `${prefix}_guard`];
        const guardAt = await store.append(guard, [event('G', 0)]);
        const bAt = await store.append(b, [event('B', 0)]);
        const metadata = {
          organizationId: 'org',
          recordedAt: '2026-01-01T00:00:00.000Z',
          actor: 'key:1',
          correlationId: 'c-1',
          causationId: 'c-0',
          // not a string: the metadata must come back as appended, whatever the adapter's encoding
          extra: { n: 1, list: [true, null] },
        };
        const withMetadata = (type: string, n: number): NewEvent => ({ ...event(type, n), metadata });
        const result = await store.appendMany([
          { streamId: c, events: [withMetadata('C', 1)], expectedRevision: 'no_stream' },
          { streamId: guard, events: [], expectedRevision: guardAt.nextExpectedRevision },
          { streamId: a, events: [withMetadata('A', 2), withMetadata('A', 3), withMetadata('A', 4)], expectedRevision: 'no_stream' },
          { streamId: b, events: [withMetadata('B', 5), withMetadata('B', 6)], expectedRevision: bAt.nextExpectedRevision },
        ]);
        expect(result.streams).toEqual([
          { streamId: c, nextExpectedRevision: 0n },
          { streamId: guard, nextExpectedRevision: 0n },
          { streamId: a, nextExpectedRevision: 2n },
          { streamId: b, nextExpectedRevision: 2n },
        ]);
        const log = mine(await store.readAll({ after: bAt.position }));
        expect(log.map((e) => [e.streamId, e.revision, (e.data as { n: number }).n])).toEqual([
          [c, 0n, 1],
          [a, 0n, 2],
          [a, 1n, 3],
          [a, 2n, 4],
          [b, 1n, 5],
          [b, 2n, 6],
        ]);
        for (let i = 1; i < log.length; i += 1) expect(log[i]!.position > log[i - 1]!.position).toBe(true);
        expect(log[0]!.position > bAt.position).toBe(true);
        expect(result.position).toBe(log.at(-1)!.position);
        expect(await store.headPosition()).toBe(result.position);
        for (const e of log) expect(e.metadata).toEqual(metadata);
        // a stream read gives the same events, positions and metadata as the log
        const readA = await store.readStream(a);
        expect(readA.map((e) => [e.revision, e.position, e.metadata])).toEqual(log.filter((e) => e.streamId === a).map((e) => [e.revision, e.position, e.metadata]));
        expect(await store.streamHead(b)).toEqual({ revision: 2n, position: result.position });
        // the condition-only guard is untouched: same head, so the next one can be conditioned on the same revision
        expect(await store.streamHead(guard)).toEqual({ revision: 0n, position: guardAt.position });
      });

      it('lets appends conditioned on one stream, without appending to it, all go through (conditions never conflict)', async () => {
        const guard = `${prefix}_guard`;
        const at = await store.append(guard, [event('G', 0)]);
        const outcomes = await Promise.allSettled(
          Array.from({ length: 4 }, (_, i) =>
            store.appendMany([
              { streamId: `${prefix}_own${i}`, events: [event('Own', i)], expectedRevision: 'no_stream' },
              { streamId: guard, events: [], expectedRevision: at.nextExpectedRevision },
            ]),
          ),
        );
        expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
        for (let i = 0; i < 4; i += 1) expect(await store.readStream(`${prefix}_own${i}`)).toHaveLength(1);
        expect(await store.streamHead(guard)).toEqual({ revision: 0n, position: at.position });
      });

      it('lets exactly one of racing appends conditioned on the same guard revision win', async () => {
        const guard = `${prefix}_guard`;
        const at = await store.append(guard, [event('G', 0)]);
        // Each racer: its own events first, then a marker on the shared guard at the revision it read.
        const racers = Array.from({ length: 4 }, (_, i) =>
          store.appendMany([
            { streamId: `${prefix}_own${i}`, events: [event('Own', i)], expectedRevision: 'no_stream' },
            { streamId: guard, events: [event('G', i + 1)], expectedRevision: at.nextExpectedRevision },
          ]),
        );
        const outcomes = await Promise.allSettled(racers);
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(ConcurrencyError);
        expect(await store.readStream(guard)).toHaveLength(2);
        const owners = await Promise.all(racers.map((_, i) => store.readStream(`${prefix}_own${i}`)));
        // A loser appended nothing at all (every adapter here is atomic; one that is not says so).
        if (store.atomicMultiStreamAppend) expect(owners.filter((events) => events.length > 0)).toHaveLength(1);
      });
    });

    describe('usage appends', () => {
      const org = () => `${prefix}-org`;
      const usage = (transactionId: string, n: number, externalSubscriptionId = 'sub_a') => ({
        transactionId,
        externalSubscriptionId,
        code: 'calls',
        timestamp: '2026-01-01T00:00:00.000Z',
        properties: { n },
        preciseTotalAmountCents: null,
      });
      const batch = (events: ReturnType<typeof usage>[]) => ({ organizationId: org(), metadata: { organizationId: org(), actor: 'test', recordedAt: '2026-01-02T00:00:00.000Z' }, events });
      const ours = (events: RecordedEvent[]) => events.filter((e) => (e.data as { organizationId?: string }).organizationId === org());
      const ns = (events: RecordedEvent[]) => events.map((e) => (e.data as { properties: { n: number } }).properties.n);

      it('appends new keys and reports keys seen in an earlier batch or earlier in the batch as duplicates', async () => {
        const first = await store.appendUsage(batch([usage('a', 1), usage('b', 2), usage('a', 3)]));
        expect(first.map((o) => o.status)).toEqual(['appended', 'appended', 'duplicate']);
        const second = await store.appendUsage(batch([usage('b', 4), usage('c', 5)]));
        expect(second.map((o) => o.status)).toEqual(['duplicate', 'appended']);
        expect(ns(ours(await store.readAll()))).toEqual([1, 2, 5]);
      });

      it('keys a transaction id per external subscription: the same id on another subscription is a new event', async () => {
        const outcomes = await store.appendUsage(batch([usage('t', 1, 'sub_a'), usage('t', 2, 'sub_b'), usage('t', 3, 'sub_b')]));
        expect(outcomes.map((o) => o.status)).toEqual(['appended', 'appended', 'duplicate']);
      });

      it('logs each appended event as UsageEventIngested with its data, the batch metadata and its position', async () => {
        const [outcome] = await store.appendUsage(batch([usage('p', 7)]));
        const [found] = ours(await store.readAll());
        expect(outcome?.status === 'appended' && outcome.position).toBe(found?.position);
        expect(found?.type).toBe('UsageEventIngested');
        expect(found?.data).toEqual({ organizationId: org(), ingestedAt: '2026-01-02T00:00:00.000Z', ...usage('p', 7) });
        expect(found?.metadata).toMatchObject({ organizationId: org(), actor: 'test' });
        expect(await store.headPosition()).toBe(found?.position);
      });

      it('reports the head as the last event appended, domain or usage; a subscription after one resumes strictly after it', async () => {
        const domain = await store.append(`${prefix}_head`, [event('H', 1)]);
        expect(await store.headPosition()).toBe(domain.position);
        const [outcome] = await store.appendUsage(batch([usage('h', 2)]));
        const usagePosition = outcome?.status === 'appended' ? outcome.position : null;
        expect(await store.headPosition()).toBe(usagePosition);
        const next = await store.append(`${prefix}_head`, [event('H', 3)]);
        expect(await store.headPosition()).toBe(next.position);
        // A resubscribe from a checkpoint: the next event comes first, never the checkpoint's own again.
        const subscription = store.subscribeToAll({ after: usagePosition! });
        const first = await subscription[Symbol.asyncIterator]().next();
        await subscription.close();
        expect(first.value?.position).toBe(next.position);
      });

      it("follows domain events only with usage: 'none' (the log followers that never look at usage)", async () => {
        const before = await store.headPosition();
        await store.append(`${prefix}_dom`, [event('D', 1)]);
        await store.appendUsage(batch([usage('skip', 2)]));
        await store.append(`${prefix}_dom`, [event('D', 3)]);
        const subscription = store.subscribeToAll({ ...(before === null ? {} : { after: before }), usage: 'none' });
        const seen: RecordedEvent[] = [];
        for await (const e of subscription) {
          if (e.streamId.startsWith(prefix) || (e.data as { organizationId?: string }).organizationId === org()) seen.push(e);
          if (seen.length === 2) break;
        }
        await subscription.close();
        expect(seen.map((e) => [e.type, (e.data as { n: number }).n])).toEqual([
          ['D', 1],
          ['D', 3],
        ]);
      });

      it('appends each key exactly once when concurrent callers send overlapping batches', async () => {
        const batches = Array.from({ length: 6 }, (_, b) => Array.from({ length: 50 }, (_, i) => usage(`k${(b * 17 + i) % 60}`, b * 100 + i)));
        const outcomes = (await Promise.all(batches.map((events) => store.appendUsage(batch(events))))).flat();
        const appended = outcomes.filter((o) => o.status === 'appended').length;
        expect(appended).toBe(new Set(batches.flat().map((e) => e.transactionId)).size);
        expect(ours(await store.readAll())).toHaveLength(appended);
      });

      it('reads one subscription\'s events forwards or backwards, between positions, bounded', async () => {
        await store.appendUsage(batch([usage('a1', 1, 'sub_a'), usage('b1', 2, 'sub_b'), usage('a2', 3, 'sub_a')]));
        await store.append(`${prefix}_domain`, [event('D', 0)]);
        await store.appendUsage(batch([usage('a3', 4, 'sub_a')]));
        const all = await store.readUsage(org(), 'sub_a');
        expect(ns(all)).toEqual([1, 3, 4]);
        expect(ns(await store.readUsage(org(), 'sub_a', { direction: 'backwards', maxCount: 2 }))).toEqual([4, 3]);
        expect(ns(await store.readUsage(org(), 'sub_a', { after: all[0]!.position, before: all[2]!.position }))).toEqual([3]);
        expect(await store.readUsage(org(), 'sub_none')).toEqual([]);
      });

      it('finds events by transaction id, narrowed by external subscription id, newest first', async () => {
        await store.appendUsage(batch([usage('same', 1, 'sub_a'), usage('same', 2, 'sub_b'), usage('other', 3, 'sub_a')]));
        expect(ns(await store.findUsage(org(), 'same'))).toEqual([2, 1]);
        expect(ns(await store.findUsage(org(), 'same', 'sub_a'))).toEqual([1]);
        expect(await store.findUsage(org(), 'missing')).toEqual([]);
        expect(await store.findUsage(`${org()}-elsewhere`, 'same')).toEqual([]);
      });
    });
  });
}

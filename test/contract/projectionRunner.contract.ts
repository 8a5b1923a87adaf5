import { describe, expect, it } from 'vitest';
import type { ReadModelStore } from '../../src/application/ports/readModelStore.ts';
import { createSqliteEventStore } from '../../src/infrastructure/eventStore/sqlite.ts';
import { openDatabase } from '../../src/infrastructure/sqlite/database.ts';
import { defineProjection } from '../../projections/projection.ts';
import { ProjectionRunner } from '../../projections/runner.ts';

type Counter = { _id: string; total: number; events: number };
export const counters = defineProjection<Counter>({
  name: 'counters',
  collection: 'counters',
  indexes: [{ name: 'byTotal', keys: { total: 1 } }],
  handles: ['Added'],
  documentIds: (event) => [(event.data as { key: string }).key],
  fold: (doc, event, id) => ({
    _id: id,
    total: (doc?.total ?? 0) + (event.data as { n: number }).n,
    events: (doc?.events ?? 0) + 1,
  }),
});

const meta = { organizationId: 'o', recordedAt: '2026-01-01T00:00:00.000Z' };

/** A log of 30 `Added` events over 4 documents and one event no projection handles, plus the given read models. */
export async function seededLog(readModels: ReadModelStore) {
  const eventStore = createSqliteEventStore(openDatabase(':memory:'));
  for (let i = 0; i < 30; i += 1) {
    await eventStore.append(`s-${i % 3}`, [{ type: 'Added', data: { key: `k${i % 4}`, n: i }, metadata: meta }]);
  }
  await eventStore.append('other', [{ type: 'Ignored', data: {}, metadata: meta }]);
  return { eventStore, readModels };
}

export const snapshot = async (store: ReadModelStore, collection = 'counters') =>
  store.collection<Counter>(collection).find({}, { sort: { _id: 1 } });

/**
 * What every read-model adapter must give the projection runner: catch-up then live, idempotent replay, identical
 * rebuilds, survival of odd events.
 */
export function projectionRunnerContract(name: string, factory: () => Promise<ReadModelStore>): void {
  const setup = async () => seededLog(await factory());
  describe(`projection runner contract: ${name}`, () => {
    it('catches up from zero, then folds live appends', async () => {
      const { eventStore, readModels } = await setup();
      const runner = new ProjectionRunner(eventStore, readModels, [counters], { batchSize: 7 });
      await runner.start();
      await runner.waitFor((await eventStore.headPosition())!);
      const live = await eventStore.append('s-0', [{ type: 'Added', data: { key: 'k0', n: 1000 }, metadata: meta }]);
      await runner.waitFor(live.position);
      await runner.stop();
      const docs = await snapshot(readModels);
      expect(docs.reduce((sum, d) => sum + d.total, 0)).toBe((29 * 30) / 2 + 1000);
      expect(docs.reduce((sum, d) => sum + d.events, 0)).toBe(31);
      expect(await readModels.getCheckpoint('counters')).toBe(live.position);
    });

    it('applies a replayed batch only once (documents remember their last position)', async () => {
      const { eventStore, readModels } = await setup();
      // A fresh runner each time knows no checkpoint: only the positions stored in the documents guard them.
      const apply = (events: typeof log) => new ProjectionRunner(eventStore, readModels, [counters]).apply(events);
      const log = await eventStore.readAll();
      await apply(log.slice(0, 20));
      await apply(log.slice(10)); // overlaps events 10..19
      await apply(log); // the whole log again
      const docs = await snapshot(readModels);
      expect(docs.reduce((sum, d) => sum + d.events, 0)).toBe(30);
    });

    it('rebuilds into identical documents after a reset', async () => {
      const { eventStore, readModels } = await setup();
      const runner = new ProjectionRunner(eventStore, readModels, [counters], { batchSize: 4 });
      await runner.start();
      await runner.waitFor((await eventStore.headPosition())!);
      await runner.stop();
      const before = await snapshot(readModels);
      await readModels.reset('counters', ['counters']);
      expect(await snapshot(readModels)).toEqual([]);
      const again = new ProjectionRunner(eventStore, readModels, [counters], { batchSize: 11 });
      await again.start();
      await again.waitFor((await eventStore.headPosition())!);
      await again.stop();
      expect(await snapshot(readModels)).toEqual(before);
    });

    it('quarantines, logs and survives an event its fold cannot handle', async () => {
      const { eventStore, readModels } = await setup();
      const warnings: string[] = [];
      const fragile = defineProjection<Counter>({ ...counters, name: 'fragile', collection: 'fragile', fold: (doc, event, id) => {
        if ((event.data as { n: number }).n === 3) throw new Error('odd data');
        return counters.fold(doc, event, id) as Counter;
      } });
      const runner = new ProjectionRunner(eventStore, readModels, [fragile], {
        logger: { debug() {}, info() {}, error() {}, warn: (message) => warnings.push(message) },
      });
      await runner.apply(await eventStore.readAll());
      const docs = await readModels.collection<Counter>('fragile').find({});
      expect(docs.reduce((sum, d) => sum + d.events, 0)).toBe(29);
      expect(warnings).toEqual(['projection quarantined an event']);
      const [record] = await readModels.collection('quarantine').find({});
      expect(record).toMatchObject({ projection: 'fragile', eventType: 'Added', organizationId: 'o', error: 'Error: odd data' });
      expect(runner.quarantined()).toBe(1);
    });
  });
}

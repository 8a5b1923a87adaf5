import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/application/ports/eventStore.ts';
import { createSqliteReadModelStore } from '../../src/infrastructure/readModels/sqlite.ts';
import { openDatabase } from '../../src/infrastructure/sqlite/database.ts';
import { ProjectionRunner } from '../../projections/runner.ts';
import { counters, projectionRunnerContract, seededLog, snapshot } from './projectionRunner.contract.ts';

projectionRunnerContract('embedded sqlite', async () => createSqliteReadModelStore(openDatabase(':memory:')));

describe('projection runner on the embedded store', () => {
  const setup = async () => seededLog(createSqliteReadModelStore(openDatabase(':memory:')));
  it('quarantines a document the store refuses and commits the others with the checkpoint', async () => {
    const { eventStore, readModels } = await setup();
    await readModels.ensureIndexes('counters', [{ name: 'uniqueTotal', keys: { total: 1 }, unique: true }]);
    const runner = new ProjectionRunner(eventStore, readModels, [counters]);
    const log = await eventStore.readAll();
    await runner.apply(log.slice(0, 1)); // k0 total 0
    const clash: RecordedEvent[] = [
      { ...log[1]!, data: { key: 'kA', n: 5 } },
      { ...log[2]!, data: { key: 'kB', n: 5 } }, // same total as kA: the unique index refuses one of them
    ];
    await runner.apply(clash);
    expect((await snapshot(readModels)).map((d) => d._id)).toEqual(['k0', 'kA']);
    expect(await readModels.getCheckpoint('counters')).toBe(log[2]!.position);
    const [record] = await readModels.collection('quarantine').find({});
    expect(record).toMatchObject({ projection: 'counters', documentId: 'counters/kB', position: log[2]!.position.toString() });
  });

  it('moves the catalog version only for writes of catalog read models, not of those marked catalog: false', async () => {
    const { eventStore, readModels } = await setup();
    // The same fold as a read model nothing is priced from (invoices are one): its writes leave the version alone.
    const ledger = { ...counters, name: 'ledger', collection: 'ledger', catalog: false };
    const log = await eventStore.readAll();
    const onlyLedger = new ProjectionRunner(eventStore, readModels, [ledger]);
    await onlyLedger.apply(log.slice(0, 3));
    expect(onlyLedger.catalogPosition()).toBe(0n);
    const both = new ProjectionRunner(eventStore, readModels, [ledger, counters]);
    await both.apply(log.slice(0, 3));
    expect(both.catalogPosition()).toBe(log[2]!.position);
  });

  it('commits documents and checkpoint atomically: when the store refuses the only write, neither is stored', async () => {
    const { eventStore, readModels } = await setup();
    await readModels.ensureIndexes('counters', [{ name: 'uniqueTotal', keys: { total: 1 }, unique: true }]);
    const runner = new ProjectionRunner(eventStore, readModels, [counters]);
    const log = await eventStore.readAll();
    await runner.apply(log.slice(0, 1));
    await expect(runner.apply([{ ...log[1]!, data: { key: 'kA', n: 0 } }])).rejects.toThrow();
    expect((await snapshot(readModels)).map((d) => d._id)).toEqual(['k0']);
    expect(await readModels.getCheckpoint('counters')).toBe(log[0]!.position);
  });
});

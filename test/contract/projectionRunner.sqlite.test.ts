import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/application/ports/eventStore.ts';
import { createSqliteReadModelStore } from '../../src/infrastructure/readModels/sqlite.ts';
import { openDatabase } from '../../src/infrastructure/sqlite/database.ts';
import { ProjectionRunner } from '../../projections/runner.ts';
import { counters, projectionRunnerContract, seededLog, snapshot } from './projectionRunner.contract.ts';

projectionRunnerContract('embedded sqlite', async () => createSqliteReadModelStore(openDatabase(':memory:')));

describe('projection runner on the embedded store', () => {
  const setup = async () => seededLog(createSqliteReadModelStore(openDatabase(':memory:')));
  it('commits documents and checkpoint atomically: a failed batch leaves neither', async () => {
    const { eventStore, readModels } = await setup();
    await readModels.ensureIndexes('counters', [{ name: 'uniqueTotal', keys: { total: 1 }, unique: true }]);
    const runner = new ProjectionRunner(eventStore, readModels, [counters]);
    const log = await eventStore.readAll();
    await runner.apply(counters, log.slice(0, 1)); // k0 total 0
    const clash: RecordedEvent[] = [
      { ...log[1]!, data: { key: 'kA', n: 5 } },
      { ...log[2]!, data: { key: 'kB', n: 5 } }, // same total as kA: the unique index refuses the batch
    ];
    await expect(runner.apply(counters, clash)).rejects.toThrow();
    expect((await snapshot(readModels)).map((d) => d._id)).toEqual(['k0']);
    expect(await readModels.getCheckpoint('counters')).toBe(log[0]!.position);
  });
});

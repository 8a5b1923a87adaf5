import { describe, expect, it } from 'vitest';
import { executeGuarded, GUARD_MARKED, readersStream, writersStream } from '../../../src/application/consistency.ts';
import type { AppDeps } from '../../../src/application/context.ts';
import { execute } from '../../../src/application/execute.ts';
import type { Decider } from '../../../src/domain/shared/decider.ts';
import { ConcurrencyError } from '../../../src/domain/shared/errors.ts';
import { createSqliteEventStore } from '../../../src/infrastructure/eventStore/sqlite.ts';
import { openDatabase } from '../../../src/infrastructure/sqlite/database.ts';

/** A toy aggregate: `Do` appends `Done` carrying what the decision read; `Noop` appends nothing. */
type Command = { type: 'Do'; read: string } | { type: 'Noop' };
type Event = { type: 'Done'; data: { read: string } };
const decider: Decider<Command, Event, number> = {
  initialState: () => 0,
  evolve: (count) => count + 1,
  decide: (command) => (command.type === 'Do' ? [{ type: 'Done', data: { read: command.read } }] : []),
};
const doing = (read: string): Command => ({ type: 'Do', read });
const NOOP: Command = { type: 'Noop' };

function setup() {
  const eventStore = createSqliteEventStore(openDatabase(':memory:'));
  const waits: bigint[] = [];
  const deps = {
    eventStore,
    clock: { now: () => new Date('2026-01-01T00:00:00Z') },
    waitForProjections: async (position: bigint) => void waits.push(position),
  } as unknown as AppDeps;
  return { eventStore, deps, waits, actor: { organizationId: 'o', actor: 'test' } };
}

/** A promise and its release: holds a command inside its decision, so another one can overtake it. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('executeGuarded: decisions on another aggregate hold under concurrency', () => {
  it('a reader overtaken by a writer of its key starts over, after the writer, and decides again', async () => {
    const { eventStore, deps, waits, actor } = setup();
    const held = gate();
    let readerPrepares = 0;
    const reader = executeGuarded(deps, actor, 'plan-o_p', decider, { reads: ['metric/m'] }, async () => {
      readerPrepares += 1;
      if (readerPrepares === 1) await held.opened;
      return doing(`attempt ${readerPrepares}`);
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const writer = await executeGuarded(deps, actor, 'metric-o_m', decider, { writes: ['metric/m'] }, async () => doing('writer'));
    held.open();
    await reader;
    expect(readerPrepares).toBe(2);
    // The retry waited for the read models to include the writer's append before deciding again.
    expect(waits).toContain(writer.position);
    expect((await eventStore.readStream('plan-o_p')).map((e) => e.data)).toEqual([{ read: 'attempt 2' }]);
    expect((await eventStore.readStream(readersStream('o', 'metric/m'))).map((e) => [e.type, (e.data as { access: string }).access])).toEqual([[GUARD_MARKED, 'read']]);
  });

  it('a writer overtaken by a reader of its key starts over and sees it', async () => {
    const { eventStore, deps, waits, actor } = setup();
    const held = gate();
    let writerPrepares = 0;
    const writer = executeGuarded(deps, actor, 'tax-o_t', decider, { writes: ['tax/t'] }, async () => {
      writerPrepares += 1;
      if (writerPrepares === 1) await held.opened;
      return doing(`attempt ${writerPrepares}`);
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const reader = await executeGuarded(deps, actor, 'customer-o_c', decider, { reads: ['tax/t'] }, async () => doing('reader'));
    held.open();
    await writer;
    expect(writerPrepares).toBe(2);
    expect(waits).toContain(reader.position);
    expect((await eventStore.readStream(writersStream('o', 'tax/t'))).map((e) => (e.data as { access: string }).access)).toEqual(['write']);
  });

  it('readers of one key never make each other start over', async () => {
    const { eventStore, deps, actor } = setup();
    const held = gate();
    let prepares = 0;
    const readers = Array.from({ length: 5 }, (_, i) =>
      executeGuarded(deps, actor, `customer-o_${i}`, decider, { reads: ['tax/t'] }, async () => {
        prepares += 1;
        await held.opened;
        return doing('tax t exists');
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 5));
    held.open();
    await Promise.all(readers);
    expect(prepares).toBe(5);
    expect(await eventStore.readStream(readersStream('o', 'tax/t'))).toHaveLength(5);
  });

  it('two writers of one key: the second starts over after the first', async () => {
    const { deps, actor } = setup();
    const held = gate();
    let prepares = 0;
    const first = executeGuarded(deps, actor, 'customer-o_c', decider, { writes: ['customer/c'] }, async () => {
      prepares += 1;
      if (prepares === 1) await held.opened;
      return doing('first');
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    await executeGuarded(deps, actor, 'subscription-o_s', decider, { writes: ['customer/c'] }, async () => doing('second'));
    held.open();
    await first;
    expect(prepares).toBe(2);
  });

  it('gives up with ConcurrencyError (CONFLICT) when the key keeps moving', async () => {
    const { deps, actor } = setup();
    let attempts = 0;
    const attempt = executeGuarded(deps, actor, 'plan-o_p', decider, { reads: ['metric/m'] }, async () => {
      attempts += 1;
      // Another writer of the key commits during every decision.
      await executeGuarded(deps, actor, 'metric-o_m', decider, { writes: ['metric/m'] }, async () => doing('writer'));
      return doing('reader');
    });
    await expect(attempt).rejects.toBeInstanceOf(ConcurrencyError);
    expect(attempts).toBe(10);
  });

  it('validation errors from decide propagate at once and append nothing', async () => {
    const { eventStore, deps, actor } = setup();
    const failing: Decider<Command, Event, number> = { ...decider, decide: () => { throw new Error('refused'); } };
    await expect(executeGuarded(deps, actor, 'plan-o_p', failing, { reads: ['metric/m'] }, async () => NOOP)).rejects.toThrow('refused');
    expect(await eventStore.headPosition()).toBeNull();
  });
});

describe('idempotent repeats wait for the stream (read-your-writes)', () => {
  it('a guarded no-op appends nothing and waits for the stream’s last event', async () => {
    const { eventStore, deps, waits, actor } = setup();
    const first = await executeGuarded(deps, actor, 'customer-o_c', decider, { writes: ['customer/c'] }, async () => doing('x'));
    waits.length = 0;
    const repeat = await executeGuarded(deps, actor, 'customer-o_c', decider, { writes: ['customer/c'] }, async () => NOOP);
    const last = (await eventStore.readStream('customer-o_c')).at(-1)!.position;
    expect(repeat.position).toBeNull();
    expect(repeat.streamPosition).toBe(last);
    expect(waits.at(-1)).toBe(last);
    expect(await eventStore.headPosition()).toBe(first.position);
  });

  it('an unguarded no-op (execute) waits for the stream’s last event too', async () => {
    const { deps, waits, actor } = setup();
    const first = await execute(deps, actor, 'tax-o_t', decider, { type: 'Do', read: 'x' });
    waits.length = 0;
    const repeat = await execute(deps, actor, 'tax-o_t', decider, { type: 'Noop' });
    expect(repeat.position).toBeNull();
    expect(waits).toEqual([first.position]);
  });
});

import type { Clock } from '../application/ports/clock.ts';
import type { ManualClock } from '../application/ports/clockControl.ts';
import type { EventStore } from '../application/ports/eventStore.ts';
import { ValidationError } from '../domain/shared/errors.ts';

export const systemClock: Clock = { mode: 'system', now: () => new Date() };

const STREAM = 'clock-manual';

/**
 * Manual clock for tests and demos. Each move is a `ClockAdvanced` event, so a restart resumes at the same
 * instant and an audit shows when the demo time moved. Time only moves forward.
 */
export async function createManualClock(eventStore: EventStore, start: Date = new Date()): Promise<ManualClock> {
  const history = await eventStore.readStream(STREAM);
  const last = history.at(-1)?.data as { to: string } | undefined;
  let current = last ? new Date(last.to) : start;
  return {
    mode: 'manual',
    now: () => new Date(current),
    async advance(to: Date) {
      if (Number.isNaN(to.getTime())) throw new ValidationError('to: not a valid instant', 'to');
      if (to.getTime() < current.getTime()) {
        throw new ValidationError(`to: the clock only moves forward (now ${current.toISOString()})`, 'to');
      }
      await eventStore.append(STREAM, [
        { type: 'ClockAdvanced', data: { from: current.toISOString(), to: to.toISOString() }, metadata: { organizationId: 'system', recordedAt: new Date().toISOString() } },
      ]);
      current = new Date(to);
    },
  };
}

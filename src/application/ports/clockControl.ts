import type { Clock } from './clock.ts';

/** A clock that tests and demos can move forward (`CLOCK=manual`). */
export interface ManualClock extends Clock {
  readonly mode: 'manual';
  advance(to: Date): Promise<void>;
}

export function isManualClock(clock: Clock): clock is ManualClock {
  return clock.mode === 'manual';
}

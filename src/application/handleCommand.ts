import type { EventMetadata, EventStore } from './ports/eventStore.ts';
import type { Decider, DomainEvent } from '../domain/shared/decider.ts';
import { fold } from '../domain/shared/decider.ts';
import { ConcurrencyError } from '../domain/shared/errors.ts';

export interface CommandResult<Event extends DomainEvent, State> {
  events: Event[];
  state: State;
  /** Global position of the last appended event; `null` when the command was an idempotent no-op. */
  position: bigint | null;
  /**
   * A position the read models must reach to include the stream's last event after the command (appended, or
   * already there for a no-op): what read-your-writes waits for.
   */
  streamPosition: bigint | null;
}

/**
 * Load stream → fold → decide → append with the expected revision; on a concurrent write, catch up and decide
 * again (bounded). Validation errors from `decide` propagate untouched and nothing is appended.
 */
export async function handleCommand<Command, Event extends DomainEvent, State>(
  eventStore: EventStore,
  streamId: string,
  decider: Decider<Command, Event, State>,
  command: Command,
  metadata: EventMetadata,
  maxAttempts = 5,
): Promise<CommandResult<Event, State>> {
  for (let attempt = 1; ; attempt += 1) {
    const recorded = await eventStore.readStream(streamId);
    const history = recorded.map((e) => ({ type: e.type, data: e.data }) as Event);
    const state = fold(decider, history);
    const events = decider.decide(command, state);
    const last = recorded.at(-1);
    if (events.length === 0) return { events, state, position: null, streamPosition: last?.position ?? null };
    try {
      const result = await eventStore.append(
        streamId,
        events.map((event) => ({ type: event.type, data: event.data, metadata })),
        { expectedRevision: last ? last.revision : 'no_stream' },
      );
      return { events, state: events.reduce(decider.evolve, state), position: result.position, streamPosition: result.position };
    } catch (error) {
      if (!(error instanceof ConcurrencyError) || attempt >= maxAttempts) throw error;
    }
  }
}

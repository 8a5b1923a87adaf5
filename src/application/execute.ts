import type { Actor, AppDeps } from './context.ts';
import { eventMetadata } from './context.ts';
import { handleCommand, type CommandResult } from './handleCommand.ts';
import type { Decider, DomainEvent } from '../domain/shared/decider.ts';

/**
 * Runs a command against one aggregate stream for an actor, then waits until the read models include the new
 * events, so the caller can answer from them (read-your-writes). An idempotent repeat (no event) waits for the
 * stream's last event instead: the entity a concurrent first call created is then in the read models too. Usage is
 * left out: terminating a subscription with millions of events re-folds them, and the command's answer does not
 * depend on it. Commands that decide from other aggregates use `executeGuarded` (consistency.ts).
 */
export async function execute<Command, Event extends DomainEvent, State>(
  deps: AppDeps,
  actor: Actor,
  streamId: string,
  decider: Decider<Command, Event, State>,
  command: Command,
): Promise<CommandResult<Event, State>> {
  const result = await handleCommand(deps.eventStore, streamId, decider, command, eventMetadata(deps, actor));
  const position = result.position ?? result.streamPosition;
  if (position !== null) await deps.waitForProjections(position, { usage: false });
  return result;
}

import type { SubscriptionCommand } from './commands.ts';
import { decideCreate } from './create.ts';
import type { SubscriptionEvent } from './events.ts';
import { decideActivateDue, decideTerminate, decideUpdate } from './lifecycle.ts';
import type { SubscriptionState } from './state.ts';

/**
 * One stream per external id holds its successive subscriptions; every rule of §3.2 is decided here from the
 * history and the lookups the application put in the command (time, plan, customer).
 */
export function decide(command: SubscriptionCommand, state: SubscriptionState): SubscriptionEvent[] {
  switch (command.type) {
    case 'CreateSubscription':
      return decideCreate(command, state);
    case 'UpdateSubscription':
      return decideUpdate(command, state);
    case 'TerminateSubscription':
      return decideTerminate(command, state);
    case 'ActivateDueSubscriptions':
      return decideActivateDue(command, state);
    default: {
      const unknownCommand: never = command;
      return unknownCommand;
    }
  }
}

import { expect } from 'vitest';
import type { Decider, DomainEvent } from '../../src/domain/shared/decider.ts';
import { fold } from '../../src/domain/shared/decider.ts';

/**
 * Given/when/then specifications for deciders:
 * `spec(decider).given([created]).when(command).then([updated])` or `.thenThrows(ValidationError, /field/)`.
 */
export function spec<Command, Event extends DomainEvent, State>(decider: Decider<Command, Event, State>) {
  return {
    given(history: Event[]) {
      return {
        when(command: Command) {
          const run = () => decider.decide(command, fold(decider, history));
          return {
            then(expected: Event[]) {
              expect(run()).toEqual(expected);
            },
            thenThrows(errorType: abstract new (...args: never[]) => Error, message?: RegExp) {
              let thrown: unknown;
              try {
                run();
              } catch (error) {
                thrown = error;
              }
              expect(thrown).toBeInstanceOf(errorType);
              if (message) expect((thrown as Error).message).toMatch(message);
              return thrown;
            },
            thenState(check: (state: State) => void) {
              const state = run().reduce(decider.evolve, fold(decider, history));
              check(state);
            },
          };
        },
      };
    },
  };
}

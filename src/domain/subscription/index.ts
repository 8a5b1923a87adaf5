import type { Decider } from '../shared/decider.ts';
import type { SubscriptionCommand } from './commands.ts';
import { decide } from './decide.ts';
import type { SubscriptionEvent } from './events.ts';
import { evolve, initialState, type SubscriptionState } from './state.ts';

export type * from './commands.ts';
export type * from './events.ts';
export type { SubscriptionRecord, SubscriptionState } from './state.ts';
export type { SubscriptionPlan } from './plan.ts';
export { SUBSCRIPTION_EVENT_TYPES } from './events.ts';
export { activeOf, pendingOf } from './history.ts';

export const subscriptionDecider: Decider<SubscriptionCommand, SubscriptionEvent, SubscriptionState> = {
  initialState,
  evolve,
  decide,
};

import type { PlanEvent } from './events.ts';
import type { PlanDefinition } from './types.ts';

/**
 * One stream per (organization, plan code). After a deletion the code is free again: a new plan (new id) can be
 * created on the same stream.
 */
export type PlanState =
  | { status: 'none' }
  | { status: 'active' | 'deleted'; planId: string; organizationId: string; plan: PlanDefinition };

export const initialState = (): PlanState => ({ status: 'none' });

/** The definition part of an event's data (without ids and timestamps). */
export function definitionOf(data: PlanDefinition): PlanDefinition {
  const { code, name, description, invoiceDisplayName, interval, amountCents, amountCurrency, payInAdvance, trialPeriod } = data;
  const { billChargesMonthly, taxCodes, minimumCommitment, usageThresholds, charges } = data;
  return {
    code, name, description, invoiceDisplayName, interval, amountCents, amountCurrency, payInAdvance, trialPeriod,
    billChargesMonthly, taxCodes, minimumCommitment, usageThresholds, charges,
  };
}

/** Only assigns: every event carries the whole plan. */
export function evolve(state: PlanState, event: PlanEvent): PlanState {
  switch (event.type) {
    case 'PlanCreated':
      return { status: 'active', planId: event.data.planId, organizationId: event.data.organizationId, plan: definitionOf(event.data) };
    case 'PlanUpdated':
      return state.status === 'none' ? state : { ...state, plan: definitionOf(event.data) };
    case 'PlanDeleted':
      return state.status === 'none' ? state : { ...state, status: 'deleted' };
    default: {
      const unknownEvent: never = event;
      return unknownEvent;
    }
  }
}

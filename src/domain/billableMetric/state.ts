import type { BillableMetricDefinition, BillableMetricEvent } from './events.ts';

/**
 * One stream per (organization, code). `deleted` keeps the identity so a later create can reuse the code with a
 * new id: codes are unique among live metrics only, as in Lago.
 */
export type BillableMetricState =
  | { status: 'none' }
  | { status: 'active' | 'deleted'; organizationId: string; metricId: string; code: string; definition: BillableMetricDefinition };

export const initialState = (): BillableMetricState => ({ status: 'none' });

/** The definition fields of an event, in one fixed order (so two definitions compare as JSON). */
export function definitionOf(data: BillableMetricDefinition): BillableMetricDefinition {
  const { name, description, aggregationType, fieldName, recurring, weightedInterval, roundingFunction, roundingPrecision, filters } = data;
  return { name, description, aggregationType, fieldName, recurring, weightedInterval, roundingFunction, roundingPrecision, filters };
}

export function evolve(state: BillableMetricState, event: BillableMetricEvent): BillableMetricState {
  switch (event.type) {
    case 'BillableMetricCreated': {
      const { organizationId, metricId, code } = event.data;
      return { status: 'active', organizationId, metricId, code, definition: definitionOf(event.data) };
    }
    case 'BillableMetricUpdated':
      return state.status === 'none' ? state : { ...state, definition: definitionOf(event.data) };
    case 'BillableMetricDeleted':
      return state.status === 'none' ? state : { ...state, status: 'deleted' };
    default: {
      const unknownEvent: never = event;
      return unknownEvent;
    }
  }
}

import type { AlertCreated, AlertEvent } from './events.ts';

/** One stream per (organization, target, code): a deleted alert's code may be taken again by a new alert. */
export type AlertState = { status: 'none' } | { status: 'active' | 'deleted'; alert: Omit<AlertCreated['data'], 'createdAt'> };

export const initialAlertState = (): AlertState => ({ status: 'none' });

export function evolveAlert(state: AlertState, event: AlertEvent): AlertState {
  switch (event.type) {
    case 'AlertCreated': {
      const { createdAt: _c, ...alert } = event.data;
      return { status: 'active', alert };
    }
    case 'AlertUpdated':
      return state.status === 'none' ? state : { ...state, alert: { ...state.alert, name: event.data.name, thresholds: event.data.thresholds } };
    case 'AlertDeleted':
      return state.status === 'none' ? state : { ...state, status: 'deleted' };
    case 'AlertTriggered':
    case 'AlertChecked':
      return state.status === 'none' ? state : { ...state, alert: { ...state.alert, previousValue: event.data.currentValue } };
    default: {
      const unknownEvent: never = event;
      return unknownEvent;
    }
  }
}

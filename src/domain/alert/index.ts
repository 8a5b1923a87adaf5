import type { Decider } from '../shared/decider.ts';
import { decideAlert, type AlertCommand } from './decide.ts';
import type { AlertEvent } from './events.ts';
import { evolveAlert, initialAlertState, type AlertState } from './state.ts';

export type { AlertCommand, AlertOwner, AlertThresholdInput, CreateAlertData } from './decide.ts';
export * from './events.ts';
export type { AlertState } from './state.ts';

/**
 * A usage monitoring alert (Lago's `usage_monitoring/alert`, §6.3). Streams are keyed by the target (subscription
 * external id or wallet) and the code, so the event store's `no_stream` append makes codes unique per target; checks
 * are decided on the stream's previous value, so one crossing triggers once whoever checks.
 */
export const alertDecider: Decider<AlertCommand, AlertEvent, AlertState> = { initialState: initialAlertState, evolve: evolveAlert, decide: decideAlert };

import type { SubscriptionRecord, SubscriptionState } from './state.ts';

/** Queries over an external id's history that every command needs. */
export const activeOf = (state: SubscriptionState): SubscriptionRecord | undefined => state.subscriptions.find((s) => s.status === 'ACTIVE');

export const pendingOf = (state: SubscriptionState): SubscriptionRecord | undefined => state.subscriptions.find((s) => s.status === 'PENDING');

/** Lago `initial_started_at`: the first start of any subscription with this external id (trials never restart). */
export function initialStartedAt(state: SubscriptionState): string | null {
  const starts = state.subscriptions.map((s) => s.startedAt).filter((s): s is string => s !== null);
  return starts.length === 0 ? null : starts.reduce((a, b) => (Date.parse(a) <= Date.parse(b) ? a : b));
}

export function lastTerminatedAt(state: SubscriptionState): string | null {
  const ends = state.subscriptions.map((s) => s.terminatedAt).filter((s): s is string => s !== null);
  return ends.length === 0 ? null : ends.reduce((a, b) => (Date.parse(a) >= Date.parse(b) ? a : b));
}

export const toMs = (iso: string): number => Date.parse(iso);
export const laterOf = (a: string, b: string | null): string => (b !== null && toMs(b) > toMs(a) ? b : a);

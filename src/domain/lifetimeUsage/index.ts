import type { Decider, DomainEvent } from '../shared/decider.ts';
import { ValidationError } from '../shared/errors.ts';

/** The usage a subscription had before it was billed here (Lago's `historical_usage_amount_cents`), settable. */
export type LifetimeUsageHistoricalSet = DomainEvent<
  'LifetimeUsageHistoricalSet',
  { organizationId: string; externalSubscriptionId: string; historicalUsageAmountCents: string; setAt: string }
>;
export type LifetimeUsageEvent = LifetimeUsageHistoricalSet;
export const LIFETIME_USAGE_EVENT_TYPES = ['LifetimeUsageHistoricalSet'] as const satisfies readonly LifetimeUsageEvent['type'][];

export type LifetimeUsageState = { historicalUsageAmountCents: string };

export type LifetimeUsageCommand = {
  type: 'SetHistoricalUsage';
  data: { organizationId: string; externalSubscriptionId: string; historicalUsageAmountCents: string };
  metadata: { now: string };
};

/** Lago's `PUT /subscriptions/:external_id/lifetime_usage`: integer cents ≥ 0; the same value again decides nothing. */
export function decide(command: LifetimeUsageCommand, state: LifetimeUsageState): LifetimeUsageEvent[] {
  const { historicalUsageAmountCents: amount } = command.data;
  if (!/^\d{1,18}$/.test(amount)) throw new ValidationError('externalHistoricalUsageAmountCents: integer cents (a non-negative integer string)', 'externalHistoricalUsageAmountCents');
  const normalized = BigInt(amount).toString();
  if (normalized === state.historicalUsageAmountCents) return [];
  return [{ type: 'LifetimeUsageHistoricalSet', data: { ...command.data, historicalUsageAmountCents: normalized, setAt: command.metadata.now } }];
}

export const lifetimeUsageDecider: Decider<LifetimeUsageCommand, LifetimeUsageEvent, LifetimeUsageState> = {
  initialState: () => ({ historicalUsageAmountCents: '0' }),
  evolve: (_state, event) => ({ historicalUsageAmountCents: event.data.historicalUsageAmountCents }),
  decide,
};

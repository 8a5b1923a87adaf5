import { IllegalStateError, NotFoundError } from '../shared/errors.ts';
import type { ActivateDueSubscriptions, TerminateSubscription, UpdateSubscription } from './commands.ts';
import { assertEndingAt } from './create.ts';
import type { SubscriptionEvent, SubscriptionUpdated } from './events.ts';
import { activeOf, initialStartedAt, lastTerminatedAt, laterOf, pendingOf, toMs } from './history.ts';
import { effectivePlan, trialEnd } from './plan.ts';
import { evolve, type SubscriptionRecord, type SubscriptionState } from './state.ts';

const keys = (state: SubscriptionState, subscriptionId: string) => ({
  organizationId: state.organizationId ?? '',
  externalId: state.externalId ?? '',
  subscriptionId,
});

function currentOrThrow(state: SubscriptionState, externalId: string): SubscriptionRecord {
  if (state.subscriptions.length === 0) throw new NotFoundError(`subscription ${externalId} not found`);
  const current = activeOf(state) ?? pendingOf(state);
  if (!current) throw new IllegalStateError(`subscription ${externalId} is already terminated`);
  return current;
}

/** UpdateSubscription: name, `endingAt` and plan overrides of the active (else pending) subscription. */
export function decideUpdate(command: UpdateSubscription, state: SubscriptionState): SubscriptionEvent[] {
  const { data, metadata } = command;
  const target = currentOrThrow(state, data.externalId);
  const name = data.name === undefined ? target.name : data.name;
  const endingAt = data.endingAt === undefined ? target.endingAt : data.endingAt;
  if (data.endingAt !== undefined) assertEndingAt(data.endingAt, target.downgradePlanDate && target.status === 'PENDING' ? target.downgradePlanDate : target.subscriptionAt, metadata.now);
  let { planOverrides, trialPeriod } = target;
  if (data.planOverrides !== undefined) {
    if (!data.plan || data.plan._id !== target.planId) throw new NotFoundError(`plan ${target.planCode} not found`);
    planOverrides = data.planOverrides;
    trialPeriod = effectivePlan(data.plan, planOverrides, data.overrideLookups).trialPeriod;
  }
  const trialEndsAt = trialEnd(initialStartedAt(state) ?? target.startedAt, trialPeriod);
  const unchanged =
    name === target.name &&
    endingAt === target.endingAt &&
    JSON.stringify(planOverrides) === JSON.stringify(target.planOverrides) &&
    trialEndsAt === target.trialEndsAt;
  if (unchanged) return [];
  const updated: SubscriptionUpdated = {
    type: 'SubscriptionUpdated',
    data: { ...keys(state, target.id), name, endingAt, planOverrides, trialPeriod, trialEndsAt, updatedAt: metadata.now },
  };
  return [updated];
}

/** TerminateSubscription: an active one is terminated now (its pending downgrade canceled); a pending one canceled. */
export function decideTerminate(command: TerminateSubscription, state: SubscriptionState): SubscriptionEvent[] {
  const { data, metadata } = command;
  const target = data.status ? state.subscriptions.find((s) => s.status === data.status) : currentOrThrow(state, data.externalId);
  if (!target) {
    if (state.subscriptions.length === 0) throw new NotFoundError(`subscription ${data.externalId} not found`);
    throw new IllegalStateError(`subscription ${data.externalId} has no ${data.status} subscription`);
  }
  if (target.status === 'PENDING') {
    return [{ type: 'SubscriptionCanceled', data: { ...keys(state, target.id), canceledAt: metadata.now, reason: 'REQUESTED', previousSubscriptionId: target.previousSubscriptionId } }];
  }
  return terminate(state, target, metadata.now, 'REQUESTED', data.onTerminationInvoice, data.onTerminationCreditNote ?? 'CREDIT');
}

function terminate(
  state: SubscriptionState,
  target: SubscriptionRecord,
  at: string,
  reason: 'REQUESTED' | 'ENDING_AT',
  onTerminationInvoice: 'GENERATE' | 'SKIP',
  onTerminationCreditNote: 'CREDIT' | 'REFUND' | 'OFFSET' | 'SKIP' = 'CREDIT',
): SubscriptionEvent[] {
  const next = target.nextSubscriptionId ? state.subscriptions.find((s) => s.id === target.nextSubscriptionId && s.status === 'PENDING') : undefined;
  return [
    { type: 'SubscriptionTerminated', data: { ...keys(state, target.id), terminatedAt: at, reason, onTerminationInvoice, onTerminationCreditNote, nextSubscriptionId: null, nextPlanCode: null } },
    ...(next
      ? [{ type: 'SubscriptionCanceled' as const, data: { ...keys(state, next.id), canceledAt: at, reason: 'PREVIOUS_TERMINATED' as const, previousSubscriptionId: target.id } }]
      : []),
  ];
}

type Due = { at: string; events: (state: SubscriptionState) => SubscriptionEvent[] };

/** The earliest transition due at or before `now`; endings first on a tie (an ended subscription is not replaced). */
function nextDue(state: SubscriptionState, now: string): Due | null {
  const due: Due[] = [];
  for (const s of state.subscriptions) {
    if (s.status === 'ACTIVE' && s.endingAt && toMs(s.endingAt) <= toMs(now)) {
      due.push({ at: s.endingAt, events: (st) => terminate(st, s, s.endingAt!, 'ENDING_AT', 'GENERATE') });
    }
    if (s.status !== 'PENDING') continue;
    const at = s.downgradePlanDate ?? s.subscriptionAt;
    if (toMs(at) <= toMs(now)) due.push({ at, events: (st) => activate(st, s, at) });
  }
  due.sort((a, b) => toMs(a.at) - toMs(b.at));
  return due[0] ?? null;
}

function activate(state: SubscriptionState, pending: SubscriptionRecord, at: string): SubscriptionEvent[] {
  const previous = pending.previousSubscriptionId ? state.subscriptions.find((s) => s.id === pending.previousSubscriptionId && s.status === 'ACTIVE') : undefined;
  // A downgrade starts exactly at the period boundary; a scheduled start at `subscriptionAt` (after any termination).
  const startedAt = pending.downgradePlanDate ? at : laterOf(at, lastTerminatedAt(state));
  const switched: SubscriptionEvent[] = previous
    ? [{ type: 'SubscriptionTerminated', data: { ...keys(state, previous.id), terminatedAt: at, reason: 'DOWNGRADED', onTerminationInvoice: 'GENERATE', nextSubscriptionId: pending.id, nextPlanCode: pending.planCode } }]
    : [];
  const trialEndsAt = trialEnd(initialStartedAt(state) ?? startedAt, pending.trialPeriod);
  return [...switched, { type: 'SubscriptionActivated', data: { ...keys(state, pending.id), startedAt, trialEndsAt } }];
}

/** ActivateDueSubscriptions: replays every transition due by `now`, in time order, as the clock passed them. */
export function decideActivateDue(command: ActivateDueSubscriptions, state: SubscriptionState): SubscriptionEvent[] {
  const events: SubscriptionEvent[] = [];
  let current = state;
  // Each step ends or starts a subscription, so the loop is bounded by twice the history's length.
  for (let step = 0; step <= state.subscriptions.length * 2; step += 1) {
    const due = nextDue(current, command.metadata.now);
    if (!due) break;
    const produced = due.events(current);
    events.push(...produced);
    current = produced.reduce(evolve, current);
  }
  return events;
}

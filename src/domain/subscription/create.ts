import { DateTime } from 'luxon';
import { periodContaining } from '../../billing/periods/index.ts';
import { IllegalStateError, NotFoundError, ValidationError } from '../shared/errors.ts';
import type { CreateSubscription, SubscriptionCustomer } from './commands.ts';
import type { SubscriptionCanceled, SubscriptionCreated, SubscriptionEvent } from './events.ts';
import { activeOf, initialStartedAt, lastTerminatedAt, laterOf, pendingOf, toMs } from './history.ts';
import { currentYearlyAmount, effectivePlan, isUpgrade, trialEnd, type SubscriptionPlan } from './plan.ts';
import type { SubscriptionRecord, SubscriptionState } from './state.ts';

type Data = CreateSubscription['data'];

/** `endingAt` must come after the start and after now: a subscription never ends in the past. */
export function assertEndingAt(endingAt: string | null | undefined, startsAt: string, now: string): void {
  if (endingAt === null || endingAt === undefined) return;
  if (toMs(endingAt) <= toMs(startsAt)) throw new ValidationError(`input.endingAt: must be after ${startsAt}`, 'input.endingAt');
  if (toMs(endingAt) <= toMs(now)) throw new ValidationError(`input.endingAt: must be in the future (now ${now})`, 'input.endingAt');
}

function lookups(data: Data): { customer: SubscriptionCustomer; plan: SubscriptionPlan } {
  const { customer, plan } = data;
  if (!customer || customer.deletedAt) throw new NotFoundError(`customer ${data.externalCustomerId} not found`);
  if (!plan || plan.deletedAt) throw new NotFoundError(`plan ${data.planCode} not found`);
  const effective = effectivePlan(plan, data.planOverrides ?? null, data.overrideLookups);
  // A customer without a currency takes the plan's on its first subscription (the customer aggregate records it).
  if (customer.currency && customer.currency !== effective.amountCurrency) {
    throw new ValidationError(`input.planCode: plan currency ${effective.amountCurrency} differs from the customer's ${customer.currency}`, 'input.planCode');
  }
  return { customer, plan: effective };
}

/** CreateSubscription: a new subscription, an idempotent repeat, or a plan change of the active one. */
export function decideCreate(command: CreateSubscription, state: SubscriptionState): SubscriptionEvent[] {
  const { data } = command;
  const { customer, plan } = lookups(data);
  const active = activeOf(state);
  const pending = pendingOf(state);
  const current = active ?? pending;
  if (current && current.externalCustomerId !== data.externalCustomerId) {
    throw new ValidationError(`input.externalId: ${data.externalId} belongs to customer ${current.externalCustomerId}`, 'input.externalId');
  }
  if (current && (current.planCode === data.planCode || pending?.planCode === data.planCode)) return [];
  if (active) return planChange(command, state, active, plan, customer);
  if (pending) throw new IllegalStateError(`subscription ${data.externalId} is pending on plan ${pending.planCode}: terminate it first`);
  return [createNew(command, state, plan, customer)];
}

function base(command: CreateSubscription, plan: SubscriptionPlan, customer: SubscriptionCustomer): SubscriptionCreated['data'] {
  const { data, metadata } = command;
  return {
    organizationId: data.organizationId,
    externalId: data.externalId,
    subscriptionId: data.subscriptionId,
    externalCustomerId: data.externalCustomerId,
    customerId: customer._id,
    planId: plan._id,
    planCode: plan.code,
    name: data.name ?? null,
    billingTime: data.billingTime ?? 'CALENDAR',
    subscriptionAt: data.subscriptionAt ?? metadata.now,
    endingAt: data.endingAt ?? null,
    status: 'ACTIVE',
    startedAt: null,
    trialPeriod: plan.trialPeriod,
    trialEndsAt: null,
    planOverrides: data.planOverrides ?? null,
    previousSubscriptionId: null,
    previousPlanCode: null,
    downgradePlanDate: null,
    createdAt: metadata.now,
  };
}

/** §3.2: `subscriptionAt`'s date in the customer's timezone — today: starts now; past: started then; future: pending. */
function createNew(command: CreateSubscription, state: SubscriptionState, plan: SubscriptionPlan, customer: SubscriptionCustomer): SubscriptionCreated {
  const data = base(command, plan, customer);
  const { now } = command.metadata;
  assertEndingAt(data.endingAt, data.subscriptionAt, now);
  const day = (iso: string) => DateTime.fromISO(iso, { zone: customer.timezone }).toISODate() ?? '';
  const [subscriptionDay, today] = [day(data.subscriptionAt), day(now)];
  if (subscriptionDay > today) {
    return { type: 'SubscriptionCreated', data: { ...data, status: 'PENDING', trialEndsAt: trialEnd(initialStartedAt(state), data.trialPeriod) } };
  }
  const startedAt = subscriptionDay === today ? now : laterOf(data.subscriptionAt, lastTerminatedAt(state));
  const trialEndsAt = trialEnd(initialStartedAt(state) ?? startedAt, data.trialPeriod);
  return { type: 'SubscriptionCreated', data: { ...data, status: 'ACTIVE', startedAt, trialEndsAt } };
}

/** An active subscription and another plan: upgrade now (equal price included), or downgrade at the period end. */
function planChange(
  command: CreateSubscription,
  state: SubscriptionState,
  active: SubscriptionRecord,
  plan: SubscriptionPlan,
  customer: SubscriptionCustomer,
): SubscriptionEvent[] {
  const { data, metadata } = command;
  const { now } = metadata;
  const currentPlan = data.currentPlan;
  if (!currentPlan || currentPlan._id !== active.planId) {
    throw new IllegalStateError(`subscription ${data.externalId} changed while the plan change was prepared; retry`);
  }
  const pending = pendingOf(state);
  const replaced: SubscriptionCanceled[] = pending
    ? [{ type: 'SubscriptionCanceled', data: { ...keys(data, pending.id), canceledAt: now, reason: 'REPLACED', previousSubscriptionId: pending.previousSubscriptionId } }]
    : [];
  // The plan changes, the subscription continues: anniversary and billing time stay the original ones.
  const next: SubscriptionCreated['data'] = {
    ...base(command, plan, customer),
    name: data.name ?? active.name,
    billingTime: active.billingTime,
    subscriptionAt: active.subscriptionAt,
    endingAt: data.endingAt === undefined ? active.endingAt : data.endingAt,
    previousSubscriptionId: active.id,
    previousPlanCode: active.planCode,
    trialEndsAt: trialEnd(initialStartedAt(state), plan.trialPeriod),
  };
  const changed = isUpgrade(plan, currentYearlyAmount(currentPlan, active.planOverrides))
    ? upgrade(command, active, next)
    : downgrade(command, active, next, nextPeriodStart(active, currentPlan, customer.timezone, now));
  return [...replaced, ...changed];
}

/** Lago `PlanUpgradeService`: the current subscription ends now and the new one starts now. */
function upgrade(command: CreateSubscription, active: SubscriptionRecord, next: SubscriptionCreated['data']): SubscriptionEvent[] {
  const { data, metadata } = command;
  if (data.endingAt !== undefined) assertEndingAt(data.endingAt, metadata.now, metadata.now);
  return [
    {
      type: 'SubscriptionTerminated',
      data: { ...keys(data, active.id), terminatedAt: metadata.now, reason: 'UPGRADED', onTerminationInvoice: 'GENERATE', nextSubscriptionId: next.subscriptionId, nextPlanCode: next.planCode },
    },
    { type: 'SubscriptionCreated', data: { ...next, status: 'ACTIVE', startedAt: metadata.now } },
  ];
}

/** Lago `PlanDowngradeService`: the new subscription waits, pending, for the next period start. */
function downgrade(command: CreateSubscription, active: SubscriptionRecord, next: SubscriptionCreated['data'], downgradePlanDate: string): SubscriptionEvent[] {
  const { data, metadata } = command;
  if (data.endingAt !== undefined) assertEndingAt(data.endingAt, downgradePlanDate, metadata.now);
  return [
    { type: 'SubscriptionCreated', data: { ...next, status: 'PENDING', downgradePlanDate } },
    {
      type: 'SubscriptionDowngradeScheduled',
      data: { ...keys(data, active.id), nextSubscriptionId: next.subscriptionId, nextPlanCode: next.planCode, downgradePlanDate },
    },
  ];
}

/** The start of the billing period after the one containing `now` (end of the current period + 1 ms). */
function nextPeriodStart(active: SubscriptionRecord, plan: SubscriptionPlan, timezone: string, now: string): string {
  const period = periodContaining(
    {
      interval: plan.interval,
      billingTime: active.billingTime,
      subscriptionAt: active.subscriptionAt,
      startedAt: active.startedAt ?? now,
      timezone,
      payInAdvance: plan.payInAdvance,
      billChargesMonthly: plan.billChargesMonthly ?? false,
    },
    now,
  );
  return new Date(toMs(period.to) + 1).toISOString();
}

const keys = (data: { organizationId: string; externalId: string }, subscriptionId: string) => ({
  organizationId: data.organizationId,
  externalId: data.externalId,
  subscriptionId,
});

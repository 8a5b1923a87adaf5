import { describe, expect, it } from 'vitest';
import { subscriptionDecider, type SubscriptionCommand, type SubscriptionEvent, type SubscriptionPlan, type SubscriptionState } from '../../../src/domain/subscription/index.ts';
import type { CreateSubscription, SubscriptionCustomer } from '../../../src/domain/subscription/commands.ts';
import type { SubscriptionCreated } from '../../../src/domain/subscription/events.ts';
import { IllegalStateError, NotFoundError, ValidationError } from '../../../src/domain/shared/errors.ts';
import { spec } from '../../support/decider.ts';

const subscription = spec<SubscriptionCommand, SubscriptionEvent, SubscriptionState>(subscriptionDecider);
const keys = (subscriptionId: string) => ({ organizationId: 'org1', externalId: 'sub_1', subscriptionId });

const plan = (code: string, amountCents: string, extra: Partial<SubscriptionPlan> = {}): SubscriptionPlan => ({
  _id: `plan-${code}`,
  code,
  name: code,
  description: null,
  invoiceDisplayName: null,
  interval: 'MONTHLY',
  amountCents,
  amountCurrency: 'EUR',
  payInAdvance: false,
  billChargesMonthly: null,
  trialPeriod: 0,
  yearlyAmountCents: (BigInt(amountCents) * 12n).toString(),
  taxCodes: [],
  minimumCommitment: null,
  usageThresholds: [],
  charges: [],
  deletedAt: null,
  ...extra,
});
const basic = plan('basic', '1000');
const pro = plan('pro', '2000');
const starter = plan('starter', '500');
const yearlyBasic = plan('yearly_basic', '12000', { interval: 'YEARLY', yearlyAmountCents: '12000' });
const customer: SubscriptionCustomer = { _id: 'c1', externalId: 'cus_1', currency: 'EUR', timezone: 'UTC', deletedAt: null };

const NOW = '2026-03-10T12:00:00.000Z';
type CreateData = Partial<CreateSubscription['data']>;
const create = (data: CreateData = {}, now = NOW): SubscriptionCommand => ({
  type: 'CreateSubscription',
  data: { organizationId: 'org1', subscriptionId: 's1', externalId: 'sub_1', externalCustomerId: 'cus_1', planCode: 'basic', plan: basic, customer, currentPlan: null, ...data },
  metadata: { now },
});
const created = (data: Partial<SubscriptionCreated['data']> = {}): SubscriptionEvent => ({
  type: 'SubscriptionCreated',
  data: {
    ...keys('s1'),
    externalCustomerId: 'cus_1',
    customerId: 'c1',
    planId: 'plan-basic',
    planCode: 'basic',
    name: null,
    billingTime: 'CALENDAR',
    subscriptionAt: NOW,
    endingAt: null,
    status: 'ACTIVE',
    startedAt: NOW,
    trialPeriod: 0,
    trialEndsAt: null,
    planOverrides: null,
    previousSubscriptionId: null,
    previousPlanCode: null,
    downgradePlanDate: null,
    createdAt: NOW,
    ...data,
  },
});
const activateDue = (now: string): SubscriptionCommand => ({ type: 'ActivateDueSubscriptions', data: { organizationId: 'org1', externalId: 'sub_1' }, metadata: { now } });
const terminate = (now = NOW, status?: 'ACTIVE' | 'PENDING'): SubscriptionCommand => ({
  type: 'TerminateSubscription',
  data: { organizationId: 'org1', externalId: 'sub_1', onTerminationInvoice: 'GENERATE', ...(status ? { status } : {}) },
  metadata: { now },
});
const terminated = (id: string, at: string, reason: 'REQUESTED' | 'ENDING_AT' | 'UPGRADED' | 'DOWNGRADED', next: [string, string] | null = null): SubscriptionEvent => ({
  type: 'SubscriptionTerminated',
  // A requested or `endingAt` termination records what the unused part of an in-advance fee becomes (default CREDIT).
  data: { ...keys(id), terminatedAt: at, reason, onTerminationInvoice: 'GENERATE', ...(reason === 'REQUESTED' || reason === 'ENDING_AT' ? { onTerminationCreditNote: 'CREDIT' as const } : {}), nextSubscriptionId: next?.[0] ?? null, nextPlanCode: next?.[1] ?? null },
});

/** Active on basic since Jan 15 (anniversary when asked), the state every "when active" spec starts from. */
const JAN15 = '2026-01-15T00:00:00.000Z';
const activeBasic = (extra: Partial<SubscriptionCreated['data']> = {}) =>
  created({ subscriptionAt: JAN15, startedAt: JAN15, createdAt: JAN15, ...extra });
const change = (target: SubscriptionPlan, data: CreateData = {}, now = NOW) =>
  create({ subscriptionId: 's2', planCode: target.code, plan: target, currentPlan: basic, ...data }, now);

describe('subscription', () => {
  describe('when it does not exist', () => {
    it('starts now when subscriptionAt is today in the customer timezone', () => subscription.given([]).when(create()).then([created()]));

    it('starts at subscriptionAt when it is in the past', () =>
      subscription.given([]).when(create({ subscriptionAt: '2026-02-01T00:00:00.000Z' })).then([created({ subscriptionAt: '2026-02-01T00:00:00.000Z', startedAt: '2026-02-01T00:00:00.000Z' })]));

    it('is pending when subscriptionAt is a later day', () =>
      subscription.given([]).when(create({ subscriptionAt: '2026-04-01T00:00:00.000Z' })).then([created({ subscriptionAt: '2026-04-01T00:00:00.000Z', status: 'PENDING', startedAt: null })]));

    it('compares dates in the customer timezone, not in UTC', () => {
      const ny = { ...customer, timezone: 'America/New_York' };
      const now = '2026-03-10T03:00:00.000Z'; // March 9, 23:00 in New York
      subscription.given([]).when(create({ customer: ny, subscriptionAt: '2026-03-09T12:00:00.000Z' }, now)).then([
        created({ subscriptionAt: '2026-03-09T12:00:00.000Z', startedAt: now, createdAt: now }),
      ]);
      subscription.given([]).when(create({ customer: ny, subscriptionAt: '2026-03-10T10:00:00.000Z' }, now)).then([
        created({ subscriptionAt: '2026-03-10T10:00:00.000Z', status: 'PENDING', startedAt: null, createdAt: now }),
      ]);
    });

    it('computes the trial end from the start', () =>
      subscription.given([]).when(create({ plan: { ...basic, trialPeriod: 14 } })).then([created({ trialPeriod: 14, trialEndsAt: '2026-03-24T12:00:00.000Z' })]));

    it('applies plan overrides (trial) and keeps them', () =>
      subscription.given([]).when(create({ planOverrides: { trialPeriod: 1.5 } })).then([
        created({ trialPeriod: 1.5, trialEndsAt: '2026-03-12T00:00:00.000Z', planOverrides: { trialPeriod: 1.5 } }),
      ]));

    it('refuses invalid plan overrides naming the field', () =>
      subscription.given([]).when(create({ planOverrides: { amountCents: '-1' } })).thenThrows(ValidationError, /planOverrides\.amountCents/));

    it('refuses a plan in another currency than the customer’s', () =>
      subscription.given([]).when(create({ plan: { ...basic, amountCurrency: 'USD' } })).thenThrows(ValidationError, /planCode.*USD.*EUR/));

    it('accepts any plan currency for a customer without a currency', () =>
      subscription.given([]).when(create({ customer: { ...customer, currency: null }, plan: { ...basic, amountCurrency: 'USD' } })).then([created()]));

    it('refuses an endingAt before subscriptionAt', () =>
      subscription.given([]).when(create({ subscriptionAt: '2026-04-01T00:00:00.000Z', endingAt: '2026-03-31T00:00:00.000Z' })).thenThrows(ValidationError, /endingAt/));

    it('refuses an endingAt in the past', () =>
      subscription.given([]).when(create({ subscriptionAt: '2026-01-01T00:00:00.000Z', endingAt: '2026-02-01T00:00:00.000Z' })).thenThrows(ValidationError, /endingAt/));

    it('refuses an unknown customer, naming it', () => subscription.given([]).when(create({ customer: null })).thenThrows(NotFoundError, /customer cus_1/));
    it('refuses a deleted customer', () => subscription.given([]).when(create({ customer: { ...customer, deletedAt: NOW } })).thenThrows(NotFoundError, /customer/));
    it('refuses an unknown plan, naming it', () => subscription.given([]).when(create({ plan: null })).thenThrows(NotFoundError, /plan basic/));
    it('cannot be terminated', () => subscription.given([]).when(terminate()).thenThrows(NotFoundError));
    it('has nothing to activate', () => subscription.given([]).when(activateDue(NOW)).then([]));
  });

  describe('when pending', () => {
    const APR = '2026-04-01T00:00:00.000Z';
    const pending = created({ subscriptionAt: APR, status: 'PENDING', startedAt: null });

    it('is not activated before subscriptionAt', () => subscription.given([pending]).when(activateDue('2026-03-31T23:59:59.999Z')).then([]));
    it('is activated at subscriptionAt once the clock passed it', () =>
      subscription.given([pending]).when(activateDue('2026-04-03T08:00:00.000Z')).then([
        { type: 'SubscriptionActivated', data: { ...keys('s1'), startedAt: APR, trialEndsAt: null } },
      ]));
    it('starts its trial at activation', () =>
      subscription.given([created({ subscriptionAt: APR, status: 'PENDING', startedAt: null, trialPeriod: 10 })]).when(activateDue(APR)).then([
        { type: 'SubscriptionActivated', data: { ...keys('s1'), startedAt: APR, trialEndsAt: '2026-04-11T00:00:00.000Z' } },
      ]));
    it('is activated then terminated when both subscriptionAt and endingAt have passed', () =>
      subscription.given([created({ subscriptionAt: APR, status: 'PENDING', startedAt: null, endingAt: '2026-04-20T00:00:00.000Z' })]).when(activateDue('2026-05-01T00:00:00.000Z')).then([
        { type: 'SubscriptionActivated', data: { ...keys('s1'), startedAt: APR, trialEndsAt: null } },
        terminated('s1', '2026-04-20T00:00:00.000Z', 'ENDING_AT'),
      ]));
    it('is canceled, not terminated, by a termination', () =>
      subscription.given([pending]).when(terminate()).then([
        { type: 'SubscriptionCanceled', data: { ...keys('s1'), canceledAt: NOW, reason: 'REQUESTED', previousSubscriptionId: null } },
      ]));
    it('treats a repeated creation on the same plan as a no-op', () => subscription.given([pending]).when(create({ subscriptionId: 's9', subscriptionAt: APR })).then([]));
    it('refuses another plan until it is terminated', () => subscription.given([pending]).when(change(pro)).thenThrows(IllegalStateError, /pending/));
  });

  describe('when active', () => {
    it('treats a repeated creation on the same plan as a no-op', () => subscription.given([activeBasic()]).when(create({ subscriptionId: 's9' })).then([]));

    it('refuses the external id for another customer', () =>
      subscription.given([activeBasic()]).when(change(pro, { externalCustomerId: 'cus_2', customer: { ...customer, externalId: 'cus_2' } })).thenThrows(ValidationError, /externalId/));

    it('upgrades immediately to a dearer plan, keeping subscriptionAt and billingTime', () =>
      subscription.given([activeBasic({ billingTime: 'ANNIVERSARY' })]).when(change(pro, { billingTime: 'CALENDAR', subscriptionAt: NOW })).then([
        terminated('s1', NOW, 'UPGRADED', ['s2', 'pro']),
        created({ subscriptionId: 's2', planId: 'plan-pro', planCode: 'pro', billingTime: 'ANNIVERSARY', subscriptionAt: JAN15, previousSubscriptionId: 's1', previousPlanCode: 'basic' }),
      ]));

    it('counts an equal yearly price as an upgrade (monthly 10.00 → yearly 120.00)', () =>
      subscription.given([activeBasic()]).when(change(yearlyBasic)).then([
        terminated('s1', NOW, 'UPGRADED', ['s2', 'yearly_basic']),
        created({ subscriptionId: 's2', planId: 'plan-yearly_basic', planCode: 'yearly_basic', subscriptionAt: JAN15, previousSubscriptionId: 's1', previousPlanCode: 'basic' }),
      ]));

    it('compares the overridden price of the current subscription', () =>
      subscription.given([activeBasic({ planOverrides: { amountCents: '3000' } })]).when(change(pro)).then([
        created({ subscriptionId: 's2', planId: 'plan-pro', planCode: 'pro', subscriptionAt: JAN15, status: 'PENDING', startedAt: null, previousSubscriptionId: 's1', previousPlanCode: 'basic', downgradePlanDate: '2026-04-01T00:00:00.000Z' }),
        { type: 'SubscriptionDowngradeScheduled', data: { ...keys('s1'), nextSubscriptionId: 's2', nextPlanCode: 'pro', downgradePlanDate: '2026-04-01T00:00:00.000Z' } },
      ]));

    it('downgrades at the start of the next calendar period', () =>
      subscription.given([activeBasic()]).when(change(starter)).then([
        created({ subscriptionId: 's2', planId: 'plan-starter', planCode: 'starter', subscriptionAt: JAN15, status: 'PENDING', startedAt: null, previousSubscriptionId: 's1', previousPlanCode: 'basic', downgradePlanDate: '2026-04-01T00:00:00.000Z' }),
        { type: 'SubscriptionDowngradeScheduled', data: { ...keys('s1'), nextSubscriptionId: 's2', nextPlanCode: 'starter', downgradePlanDate: '2026-04-01T00:00:00.000Z' } },
      ]));

    it('downgrades at the next anniversary, in the customer timezone', () => {
      const events = subscriptionDecider.decide(
        change(starter, { customer: { ...customer, timezone: 'America/New_York' } }),
        [activeBasic({ billingTime: 'ANNIVERSARY', subscriptionAt: '2026-01-15T12:00:00.000Z' })].reduce(subscriptionDecider.evolve, subscriptionDecider.initialState()),
      );
      expect(events.map((e) => (e.data as { downgradePlanDate?: string }).downgradePlanDate)).toEqual(['2026-03-15T04:00:00.000Z', '2026-03-15T04:00:00.000Z']);
    });

    const downgraded = [
      activeBasic(),
      created({ subscriptionId: 's2', planId: 'plan-starter', planCode: 'starter', subscriptionAt: JAN15, status: 'PENDING', startedAt: null, previousSubscriptionId: 's1', previousPlanCode: 'basic', downgradePlanDate: '2026-04-01T00:00:00.000Z' }),
      { type: 'SubscriptionDowngradeScheduled', data: { ...keys('s1'), nextSubscriptionId: 's2', nextPlanCode: 'starter', downgradePlanDate: '2026-04-01T00:00:00.000Z' } },
    ] satisfies SubscriptionEvent[];

    it('keeps the current plan until the downgrade date', () => subscription.given(downgraded).when(activateDue('2026-03-31T23:59:59.999Z')).then([]));
    it('switches to the downgraded plan at the period end', () =>
      subscription.given(downgraded).when(activateDue('2026-04-02T00:00:00.000Z')).then([
        terminated('s1', '2026-04-01T00:00:00.000Z', 'DOWNGRADED', ['s2', 'starter']),
        { type: 'SubscriptionActivated', data: { ...keys('s2'), startedAt: '2026-04-01T00:00:00.000Z', trialEndsAt: null } },
      ]));
    it('treats asking again for the pending downgrade as a no-op', () => subscription.given(downgraded).when(change(starter, { subscriptionId: 's3' })).then([]));
    it('replaces a pending downgrade by a later upgrade', () =>
      subscription.given(downgraded).when(change(pro, { subscriptionId: 's3' })).then([
        { type: 'SubscriptionCanceled', data: { ...keys('s2'), canceledAt: NOW, reason: 'REPLACED', previousSubscriptionId: 's1' } },
        terminated('s1', NOW, 'UPGRADED', ['s3', 'pro']),
        created({ subscriptionId: 's3', planId: 'plan-pro', planCode: 'pro', subscriptionAt: JAN15, previousSubscriptionId: 's1', previousPlanCode: 'basic' }),
      ]));
    it('cancels the pending downgrade when terminated', () =>
      subscription.given(downgraded).when(terminate()).then([
        terminated('s1', NOW, 'REQUESTED'),
        { type: 'SubscriptionCanceled', data: { ...keys('s2'), canceledAt: NOW, reason: 'PREVIOUS_TERMINATED', previousSubscriptionId: 's1' } },
      ]));
    it('cancels only the pending downgrade when asked with status PENDING', () =>
      subscription.given(downgraded).when(terminate(NOW, 'PENDING')).thenState((state) => {
        expect(state.subscriptions.map((s) => s.status)).toEqual(['ACTIVE', 'CANCELED']);
        expect(state.subscriptions[0]?.nextSubscriptionId).toBeNull();
      }));

    it('carries the trial over a plan change instead of restarting it', () => {
      const trial = (p: SubscriptionPlan) => ({ ...p, trialPeriod: 30 });
      const withTrial = activeBasic({ trialPeriod: 30, trialEndsAt: '2026-02-14T00:00:00.000Z' });
      subscription.given([withTrial]).when(change(trial(pro), { currentPlan: trial(basic) })).thenState((state) => {
        expect(state.subscriptions[1]?.trialEndsAt).toBe('2026-02-14T00:00:00.000Z');
      });
    });

    it('is terminated now on request', () => subscription.given([activeBasic()]).when(terminate()).then([terminated('s1', NOW, 'REQUESTED')]));
    it('is terminated at endingAt once the clock passed it', () =>
      subscription.given([activeBasic({ endingAt: '2026-03-01T00:00:00.000Z' })]).when(activateDue(NOW)).then([terminated('s1', '2026-03-01T00:00:00.000Z', 'ENDING_AT')]));
    it('refuses a downgrade ending before it starts', () =>
      subscription.given([activeBasic()]).when(change(starter, { endingAt: '2026-03-20T00:00:00.000Z' })).thenThrows(ValidationError, /endingAt/));

    it('updates its name and endingAt', () =>
      subscription.given([activeBasic()]).when({ type: 'UpdateSubscription', data: { organizationId: 'org1', externalId: 'sub_1', name: 'Main', endingAt: '2026-12-31T00:00:00.000Z', plan: null }, metadata: { now: NOW } }).then([
        { type: 'SubscriptionUpdated', data: { ...keys('s1'), name: 'Main', endingAt: '2026-12-31T00:00:00.000Z', planOverrides: null, trialPeriod: 0, trialEndsAt: null, updatedAt: NOW } },
      ]));
    it('refuses an update ending in the past', () =>
      subscription.given([activeBasic()]).when({ type: 'UpdateSubscription', data: { organizationId: 'org1', externalId: 'sub_1', endingAt: '2026-02-01T00:00:00.000Z', plan: null }, metadata: { now: NOW } }).thenThrows(ValidationError, /endingAt/));
    it('treats an update changing nothing as a no-op', () =>
      subscription.given([activeBasic()]).when({ type: 'UpdateSubscription', data: { organizationId: 'org1', externalId: 'sub_1', name: null, plan: null }, metadata: { now: NOW } }).then([]));
  });

  describe('when terminated', () => {
    const ended = [activeBasic(), terminated('s1', '2026-03-01T00:00:00.000Z', 'REQUESTED')] satisfies SubscriptionEvent[];

    it('cannot be terminated again', () => subscription.given(ended).when(terminate()).thenThrows(IllegalStateError, /terminated/));
    it('cannot be updated', () =>
      subscription.given(ended).when({ type: 'UpdateSubscription', data: { organizationId: 'org1', externalId: 'sub_1', name: 'x', plan: null }, metadata: { now: NOW } }).thenThrows(IllegalStateError));
    it('has nothing to activate', () => subscription.given(ended).when(activateDue(NOW)).then([]));
    it('lets the external id start again, not before the last termination', () =>
      subscription.given(ended).when(create({ subscriptionId: 's2', subscriptionAt: '2026-02-01T00:00:00.000Z' })).then([
        created({ subscriptionId: 's2', subscriptionAt: '2026-02-01T00:00:00.000Z', startedAt: '2026-03-01T00:00:00.000Z' }),
      ]));
    it('keeps the trial anchored on the first start of the external id', () =>
      subscription.given(ended).when(create({ subscriptionId: 's2', plan: { ...basic, trialPeriod: 60 } })).thenState((state) => {
        expect(state.subscriptions[1]?.trialEndsAt).toBe('2026-03-16T00:00:00.000Z');
      }));
  });
});

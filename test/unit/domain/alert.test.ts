import { describe, expect, it } from 'vitest';
import { alertDecider, type AlertCommand, type AlertEvent, type AlertState, type CreateAlertData } from '../../../src/domain/alert/index.ts';
import { IllegalStateError, NotFoundError, ValidationError } from '../../../src/domain/shared/errors.ts';
import { spec } from '../../support/decider.ts';

const now = '2026-01-01T00:00:00.000Z';
const later = '2026-01-02T00:00:00.000Z';
const alert = spec<AlertCommand, AlertEvent, AlertState>(alertDecider);
const owner = { customerId: 'k1', externalCustomerId: 'c1' };
const lookups = { subscription: owner, wallet: null, billableMetricKnown: true, currentValue: null };

const create = (data: Partial<CreateAlertData> = {}, more: Partial<Extract<AlertCommand, { type: 'CreateAlert' }>['lookups']> = {}): AlertCommand => ({
  type: 'CreateAlert',
  data: { organizationId: 'o', alertId: 'a1', alertType: 'CURRENT_USAGE_AMOUNT', code: 'spend', name: 'Spend', externalSubscriptionId: 's1', thresholds: [{ value: '1000' }, { value: '5000' }], ...data },
  lookups: { ...lookups, ...more },
  metadata: { now },
});
const created: AlertEvent = {
  type: 'AlertCreated',
  data: {
    organizationId: 'o',
    alertId: 'a1',
    alertType: 'CURRENT_USAGE_AMOUNT',
    code: 'spend',
    name: 'Spend',
    externalSubscriptionId: 's1',
    walletId: null,
    customerId: 'k1',
    externalCustomerId: 'c1',
    billableMetricCode: null,
    direction: 'INCREASING',
    thresholds: [
      { value: '1000', code: null, recurring: false },
      { value: '5000', code: null, recurring: false },
    ],
    previousValue: '0',
    createdAt: now,
  },
};
const check = (currentValue: string, triggeredAlertId = 't1', at = later): AlertCommand => ({ type: 'CheckAlert', data: { alertId: 'a1', triggeredAlertId, currentValue }, metadata: { now: at } });
const deleted: AlertEvent = { type: 'AlertDeleted', data: { organizationId: 'o', alertId: 'a1', code: 'spend', externalSubscriptionId: 's1', walletId: null, customerId: 'k1', externalCustomerId: 'c1', deletedAt: later } };

/** The field a refused command names. */
function fieldOf(command: AlertCommand, history: AlertEvent[] = []): string | undefined {
  return (alert.given(history).when(command).thenThrows(ValidationError) as ValidationError).field;
}

describe('alert decider: create', () => {
  it('creates a subscription alert increasing from 0, thresholds stored as Lago rounds them (5 places)', () => {
    alert.given([]).when(create()).then([created]);
    alert
      .given([])
      .when(create({ thresholds: [{ value: ' 1_000.123456 ', code: 'warn' }, { value: '100', recurring: true }] }))
      .thenState((state) => {
        expect(state.status === 'active' && state.alert.thresholds).toEqual([
          { value: '1000.12346', code: 'warn', recurring: false },
          { value: '100', code: null, recurring: true },
        ]);
      });
  });

  it('a wallet alert decreases from the value it watches now', () =>
    alert
      .given([])
      .when(create({ alertType: 'WALLET_ONGOING_BALANCE_AMOUNT', externalSubscriptionId: null, walletId: 'w1' }, { subscription: null, wallet: owner, currentValue: '1234.567891' }))
      .thenState((state) => {
        expect(state.status === 'active' && [state.alert.direction, state.alert.previousValue, state.alert.walletId]).toEqual(['DECREASING', '1234.56789', 'w1']);
      }));

  it('refuses what Lago refuses, naming the field', () => {
    expect(fieldOf(create({ alertType: 'SOMETHING' }))).toBe('alertType');
    expect(fieldOf(create({ code: ' ' }))).toBe('code');
    expect(fieldOf(create({ walletId: 'w1' }))).toBe('walletId');
    expect(fieldOf(create({ externalSubscriptionId: null }))).toBe('externalSubscriptionId');
    expect(fieldOf(create({}, { subscription: null }))).toBe('externalSubscriptionId');
    expect(fieldOf(create({ alertType: 'WALLET_BALANCE_AMOUNT', walletId: 'w1' }, { wallet: owner }))).toBe('externalSubscriptionId');
    expect(fieldOf(create({ alertType: 'WALLET_BALANCE_AMOUNT', externalSubscriptionId: null, walletId: 'w1' }))).toBe('walletId');
    expect(fieldOf(create({ alertType: 'BILLABLE_METRIC_CURRENT_USAGE_UNITS' }))).toBe('billableMetricCode');
    expect(fieldOf(create({ billableMetricCode: 'calls' }))).toBe('billableMetricCode');
    expect(fieldOf(create({ alertType: 'BILLABLE_METRIC_LIFETIME_USAGE_UNITS', billableMetricCode: 'nope' }, { billableMetricKnown: false }))).toBe('billableMetricCode');
  });

  it('validates thresholds with Lago’s rules, naming the threshold', () => {
    expect(fieldOf(create({ thresholds: [] }))).toBe('thresholds');
    expect(fieldOf(create({ thresholds: Array.from({ length: 21 }, (_, i) => ({ value: String(i) })) }))).toBe('thresholds');
    expect(fieldOf(create({ thresholds: [{ value: '10' }, { value: '10' }] }))).toBe('thresholds');
    expect(fieldOf(create({ thresholds: [{ value: '10' }, { value: 'ten' }] }))).toBe('thresholds.1.value');
    expect(fieldOf(create({ thresholds: [{ value: '10' }, {}] }))).toBe('thresholds.1.value');
    expect(fieldOf(create({ thresholds: [{ value: '0', recurring: true }] }))).toBe('thresholds.0.value');
    expect(fieldOf(create({ thresholds: [{ value: '5', recurring: true }, { value: '6', recurring: true }] }))).toBe('thresholds');
    // A one-time and a recurring threshold may share a value; one-time values may be 0 or negative.
    alert.given([]).when(create({ thresholds: [{ value: '-5' }, { value: '0' }, { value: '10' }, { value: '10', recurring: true }] })).thenState((s) => expect(s.status).toBe('active'));
  });

  it('a repeat is a no-op; another alert with the code on the same target is a conflict, until the first is deleted', () => {
    alert.given([created]).when(create()).then([]);
    alert.given([created]).when(create({ alertId: 'a2' })).thenThrows(IllegalStateError, /"spend" already exists/);
    alert.given([created, deleted]).when(create({ alertId: 'a2' })).thenState((state) => expect(state.status === 'active' && state.alert.alertId).toBe('a2'));
  });
});

describe('alert decider: update and delete', () => {
  const update = (data: Partial<Extract<AlertCommand, { type: 'UpdateAlert' }>['data']>): AlertCommand => ({ type: 'UpdateAlert', data: { alertId: 'a1', ...data }, metadata: { now: later } });

  it('renames and replaces the thresholds; empty or omitted thresholds are kept; nothing changed appends nothing', () => {
    alert.given([created]).when(update({ name: 'Budget', thresholds: [{ value: '200', recurring: true }] })).then([
      { type: 'AlertUpdated', data: { organizationId: 'o', alertId: 'a1', name: 'Budget', thresholds: [{ value: '200', code: null, recurring: true }], updatedAt: later } },
    ]);
    alert.given([created]).when(update({ name: 'Budget', thresholds: [] })).thenState((s) => expect(s.status === 'active' && s.alert.thresholds).toEqual(created.type === 'AlertCreated' && created.data.thresholds));
    alert.given([created]).when(update({ name: 'Spend' })).then([]);
    expect(fieldOf(update({ thresholds: [{ value: 'x' }] }), [created])).toBe('thresholds.0.value');
    alert.given([]).when(update({ name: 'x' })).thenThrows(NotFoundError);
    alert.given([created, deleted]).when(update({ name: 'x' })).thenThrows(NotFoundError);
  });

  it('deletes once', () => {
    alert.given([created]).when({ type: 'DeleteAlert', data: { alertId: 'a1' }, metadata: { now: later } }).then([deleted]);
    alert.given([created, deleted]).when({ type: 'DeleteAlert', data: { alertId: 'a1' }, metadata: { now: later } }).then([]);
    alert.given([]).when({ type: 'DeleteAlert', data: { alertId: 'a1' }, metadata: { now: later } }).thenThrows(NotFoundError);
  });
});

describe('alert decider: check', () => {
  const triggered = (crossed: string[], currentValue: string, previousValue = '0'): AlertEvent => ({
    type: 'AlertTriggered',
    data: {
      organizationId: 'o',
      alertId: 'a1',
      triggeredAlertId: 't1',
      alertType: 'CURRENT_USAGE_AMOUNT',
      code: 'spend',
      externalSubscriptionId: 's1',
      walletId: null,
      crossedThresholds: crossed.map((value) => ({ value, code: null, recurring: false })),
      currentValue,
      previousValue,
      triggeredAt: later,
    },
  });

  it('triggers with the thresholds crossed since the previous value, which moves to the current one', () => {
    alert.given([created]).when(check('1500')).then([triggered(['1000'], '1500')]);
    alert.given([created]).when(check('6000')).then([triggered(['1000', '5000'], '6000')]);
    alert.given([created, triggered(['1000'], '1500')]).when(check('5000')).then([triggered(['5000'], '5000', '1500')]);
  });

  it('a second check of the same value (a race, a retry) appends nothing', () => {
    alert.given([created, triggered(['1000'], '1500')]).when(check('1500', 't2')).then([]);
    alert.given([created]).when(check('0')).then([]);
  });

  it('a value that moves without crossing anything is recorded once, and crosses again after dropping', () => {
    const checked: AlertEvent = { type: 'AlertChecked', data: { organizationId: 'o', alertId: 'a1', currentValue: '500', checkedAt: later } };
    alert.given([created]).when(check('500')).then([checked]);
    alert.given([created, checked]).when(check('500')).then([]);
    const dropped: AlertEvent = { type: 'AlertChecked', data: { organizationId: 'o', alertId: 'a1', currentValue: '0', checkedAt: later } };
    alert.given([created, triggered(['1000'], '1500')]).when(check('0')).then([dropped]);
    alert.given([created, triggered(['1000'], '1500'), dropped]).when(check('1200')).then([triggered(['1000'], '1200')]);
  });

  it('reports every recurring level a jump crosses, with the step’s code', () => {
    const recurring = [created].map((e) => ({ ...e, data: { ...e.data, thresholds: [{ value: '1000', code: null, recurring: false }, { value: '500', code: 'step', recurring: true }] } })) as AlertEvent[];
    alert
      .given(recurring)
      .when(check('2100'))
      .thenState((state) => expect(state.status === 'active' && state.alert.previousValue).toBe('2100'));
    const [event] = alertDecider.decide(check('2100'), recurring.reduce(alertDecider.evolve, alertDecider.initialState()));
    expect(event?.type === 'AlertTriggered' && event.data.crossedThresholds).toEqual([
      { value: '1000', code: null, recurring: false },
      { value: '1500', code: 'step', recurring: true },
      { value: '2000', code: 'step', recurring: true },
    ]);
  });

  it('a wallet alert triggers as its value falls', () => {
    const wallet = alertDecider.decide(create({ alertType: 'WALLET_CREDITS_BALANCE', externalSubscriptionId: null, walletId: 'w1', thresholds: [{ value: '10' }] }, { subscription: null, wallet: owner, currentValue: '50' }), alertDecider.initialState());
    const [event] = alertDecider.decide(check('9.5'), wallet.reduce(alertDecider.evolve, alertDecider.initialState()));
    expect(event).toMatchObject({ type: 'AlertTriggered', data: { walletId: 'w1', previousValue: '50', currentValue: '9.5', crossedThresholds: [{ value: '10' }] } });
  });

  it('a deleted (or unknown) alert is checked no more', () => {
    alert.given([created, deleted]).when(check('9000')).then([]);
    alert.given([]).when(check('9000')).then([]);
  });
});

import BigNumber from 'bignumber.js';
import {
  ALERT_TYPES,
  alertDirectionFor,
  alertNeedsBillableMetric,
  alertThresholdsCrossed,
  initialAlertPreviousValue,
  isWalletAlert,
  validateAlertThresholds,
  type AlertThresholdError,
  type AlertThresholdParams,
  type AlertType,
} from '../../billing/alerts.ts';
import { codeOf, optionalText } from '../plan/fields.ts';
import { IllegalStateError, NotFoundError, ValidationError } from '../shared/errors.ts';
import type { AlertEvent, AlertThresholdData } from './events.ts';
import type { AlertState } from './state.ts';

/** A threshold as a command gives it: the value a decimal string (Ruby `Float()` syntax, as Lago takes it). */
export type AlertThresholdInput = { value?: string | null | undefined; code?: string | null; recurring?: boolean | null };

/** Who an alert's target belongs to, as the application looked it up (null: not found in the organization). */
export type AlertOwner = { customerId: string; externalCustomerId: string } | null;

/** What a create names; the target, metric and thresholds are validated by the decider against the lookups. */
export type CreateAlertData = {
  organizationId: string;
  alertId: string;
  alertType: string;
  code: string;
  name?: string | null;
  externalSubscriptionId?: string | null;
  walletId?: string | null;
  billableMetricCode?: string | null;
  thresholds: AlertThresholdInput[];
};

type Now = { now: string };

/** Create, update, delete, and check (the watched value now) an alert. */
export type AlertCommand =
  | {
      type: 'CreateAlert';
      data: CreateAlertData;
      /** Looked up by the application: the live subscription / active wallet named, the metric, the watched value now. */
      lookups: { subscription: AlertOwner; wallet: AlertOwner; billableMetricKnown: boolean; currentValue: string | null };
      metadata: Now;
    }
  | { type: 'UpdateAlert'; data: { alertId: string; name?: string | null; thresholds?: AlertThresholdInput[] | null }; metadata: Now }
  | { type: 'DeleteAlert'; data: { alertId: string }; metadata: Now }
  /** The watched value now: decided on the stream's previous value, so a crossing seen twice triggers once. */
  | { type: 'CheckAlert'; data: { alertId: string; triggeredAlertId: string; currentValue: string }; metadata: Now };

const MESSAGES: Record<string, string> = {
  value_is_mandatory: 'is required',
  too_many_thresholds: 'at most 20 thresholds',
  duplicate_threshold_values: 'two thresholds have the same value and recurring flag',
  value_is_invalid: 'must be a decimal number such as "100" or "12.5"',
  recurring_value_is_negative: 'a recurring threshold must be above 0',
  alert_already_exists: 'at most one recurring threshold',
};

/** A threshold as `validateAlertThresholds` reads it (a value not given is a missing one). */
const paramsOf = (t: AlertThresholdInput): AlertThresholdParams => ({ value: t.value, code: t.code ?? null, recurring: t.recurring ?? null });

/** `validateAlertThresholds`' first error as a ValidationError naming the input field (`thresholds.<i>.value`). */
function assertThresholds(list: readonly AlertThresholdInput[] | null | undefined, mode: 'CREATE' | 'UPDATE'): void {
  const [error] = validateAlertThresholds(list?.map(paramsOf), mode);
  if (error === undefined) return;
  const field = error.field === 'thresholds:value' ? `thresholds.${Math.max(0, offendingIndex(list ?? []))}.value` : 'thresholds';
  throw new ValidationError(`${field}: ${MESSAGES[error.errorCode] ?? error.errorCode} (${error.errorCode})`, field);
}

/** The first threshold that fails on its own (its value missing, not numeric, or a recurring one ≤ 0). */
const offendingIndex = (list: readonly AlertThresholdInput[]): number => list.findIndex((t) => validateAlertThresholds([paramsOf(t)], 'UPDATE').some((e: AlertThresholdError) => e.field === 'thresholds:value'));

/** A validated threshold as stored: the value rounded half up to 5 places (numeric(30,5)), a blank code null. */
function thresholdOf(input: AlertThresholdInput): AlertThresholdData {
  const value = new BigNumber(String(input.value).trim().replaceAll('_', '')).decimalPlaces(5, BigNumber.ROUND_HALF_UP);
  return { value: value.toFixed(), code: optionalText(input.code, 'code'), recurring: input.recurring === true };
}

/** The alert's target from what the command names: a subscription for subscription types, a wallet for wallet types. */
function targetOf(type: AlertType, data: CreateAlertData, lookups: Extract<AlertCommand, { type: 'CreateAlert' }>['lookups']) {
  const [needed, refused] = isWalletAlert(type) ? (['walletId', 'externalSubscriptionId'] as const) : (['externalSubscriptionId', 'walletId'] as const);
  const what = needed === 'walletId' ? 'a wallet' : 'a subscription';
  if (data[refused] != null) throw new ValidationError(`${refused}: a ${type} alert watches ${what}, not a ${refused === 'walletId' ? 'wallet' : 'subscription'}`, refused);
  const id = data[needed];
  if (id == null || id === '') throw new ValidationError(`${needed}: a ${type} alert watches ${what}`, needed);
  const owner = needed === 'walletId' ? lookups.wallet : lookups.subscription;
  if (owner === null) throw new ValidationError(`${needed}: no ${needed === 'walletId' ? 'active wallet' : 'live subscription'} "${id}"`, needed);
  return { externalSubscriptionId: needed === 'externalSubscriptionId' ? id : null, walletId: needed === 'walletId' ? id : null, ...owner };
}

function createAlert(command: Extract<AlertCommand, { type: 'CreateAlert' }>, state: AlertState): AlertEvent[] {
  const { data, lookups } = command;
  if (!(ALERT_TYPES as readonly string[]).includes(data.alertType)) throw new ValidationError(`alertType: one of ${ALERT_TYPES.join(', ')}`, 'alertType');
  const alertType = data.alertType as AlertType;
  const code = codeOf(data.code, 'code');
  const name = optionalText(data.name, 'name');
  const target = targetOf(alertType, data, lookups);
  const metric = data.billableMetricCode ?? null;
  if (alertNeedsBillableMetric(alertType) && metric === null) throw new ValidationError(`billableMetricCode: a ${alertType} alert needs a billable metric`, 'billableMetricCode');
  if (!alertNeedsBillableMetric(alertType) && metric !== null) throw new ValidationError(`billableMetricCode: a ${alertType} alert takes no billable metric`, 'billableMetricCode');
  if (metric !== null && !lookups.billableMetricKnown) throw new ValidationError(`billableMetricCode: no billable metric with code "${metric}"`, 'billableMetricCode');
  assertThresholds(data.thresholds, 'CREATE');
  if (state.status === 'active') {
    if (state.alert.alertId === data.alertId) return [];
    throw new IllegalStateError(`an alert with code "${code}" already exists for ${target.walletId !== null ? `wallet ${target.walletId}` : `subscription "${target.externalSubscriptionId}"`}`);
  }
  const direction = alertDirectionFor(alertType);
  const previousValue = initialAlertPreviousValue(direction, lookups.currentValue === null ? null : new BigNumber(lookups.currentValue)).toFixed();
  const event = { organizationId: data.organizationId, alertId: data.alertId, alertType, code, name, ...target, billableMetricCode: metric, direction };
  return [{ type: 'AlertCreated', data: { ...event, thresholds: data.thresholds.map(thresholdOf), previousValue, createdAt: command.metadata.now } }];
}

function liveAlert(state: AlertState, alertId: string) {
  if (state.status !== 'active' || state.alert.alertId !== alertId) throw new NotFoundError(`alert ${alertId} not found`);
  return state.alert;
}

function updateAlert(command: Extract<AlertCommand, { type: 'UpdateAlert' }>, state: AlertState): AlertEvent[] {
  const alert = liveAlert(state, command.data.alertId);
  const { name: saidName, thresholds: saidThresholds } = command.data;
  const name = saidName === undefined ? alert.name : optionalText(saidName, 'name');
  // Lago's update keeps the thresholds when none are given.
  assertThresholds(saidThresholds, 'UPDATE');
  const thresholds = saidThresholds == null || saidThresholds.length === 0 ? alert.thresholds : saidThresholds.map(thresholdOf);
  if (name === alert.name && JSON.stringify(thresholds) === JSON.stringify(alert.thresholds)) return [];
  return [{ type: 'AlertUpdated', data: { organizationId: alert.organizationId, alertId: alert.alertId, name, thresholds, updatedAt: command.metadata.now } }];
}

/**
 * `UsageMonitoring::ProcessAlertService` on the stream's state: the crossed thresholds from the stored previous value
 * to the value given. Nothing is appended when the stored value would not change (a repeat, a racing check of the
 * same value); otherwise one event, AlertTriggered when something was crossed, AlertChecked when only the value moved.
 */
function checkAlert(command: Extract<AlertCommand, { type: 'CheckAlert' }>, state: AlertState): AlertEvent[] {
  if (state.status !== 'active' || state.alert.alertId !== command.data.alertId) return [];
  const { alert } = state;
  const check = alertThresholdsCrossed({
    direction: alert.direction,
    thresholds: alert.thresholds.map((t) => ({ ...t, value: new BigNumber(t.value) })),
    previousValue: new BigNumber(alert.previousValue),
    currentValue: new BigNumber(command.data.currentValue),
  });
  if (check.previousValue.eq(alert.previousValue)) return [];
  const identity = { organizationId: alert.organizationId, alertId: alert.alertId };
  const currentValue = check.previousValue.toFixed();
  if (check.crossed.length === 0) return [{ type: 'AlertChecked', data: { ...identity, currentValue, checkedAt: command.metadata.now } }];
  const crossedThresholds = check.crossed.map((t) => ({ value: t.value.toFixed(), code: t.code, recurring: t.recurring }));
  const { alertType, code, externalSubscriptionId, walletId } = alert;
  return [
    {
      type: 'AlertTriggered',
      data: { ...identity, triggeredAlertId: command.data.triggeredAlertId, alertType, code, externalSubscriptionId, walletId, crossedThresholds, currentValue, previousValue: alert.previousValue, triggeredAt: command.metadata.now },
    },
  ];
}

/** Lago's usage monitoring alerts (§6.3): created, updated, deleted, and checked against the watched value. */
export function decideAlert(command: AlertCommand, state: AlertState): AlertEvent[] {
  switch (command.type) {
    case 'CreateAlert':
      return createAlert(command, state);
    case 'UpdateAlert':
      return updateAlert(command, state);
    case 'DeleteAlert': {
      if (state.status === 'deleted' && state.alert.alertId === command.data.alertId) return [];
      const { organizationId, alertId, code, externalSubscriptionId, walletId, customerId, externalCustomerId } = liveAlert(state, command.data.alertId);
      return [{ type: 'AlertDeleted', data: { organizationId, alertId, code, externalSubscriptionId, walletId, customerId, externalCustomerId, deletedAt: command.metadata.now } }];
    }
    case 'CheckAlert':
      return checkAlert(command, state);
    default: {
      const unknownCommand: never = command;
      return unknownCommand;
    }
  }
}

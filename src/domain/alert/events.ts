import type { AlertDirection, AlertType } from '../../billing/alerts.ts';
import type { DomainEvent } from '../shared/decider.ts';

/** A threshold as stored: `value` a decimal string rounded to 5 places (Lago's numeric(30,5)). */
export type AlertThresholdData = { value: string; code: string | null; recurring: boolean };

/**
 * What an alert watches: a subscription (by external id) or a wallet, and the customer either belongs to (the
 * monitor keeps a customer's wallets computed while it has wallet alerts).
 */
export type AlertTarget = { externalSubscriptionId: string | null; walletId: string | null; customerId: string; externalCustomerId: string };

type AlertIdentity = { organizationId: string; alertId: string };

/** A new alert on a subscription or a wallet, with its direction and the value it starts from. */
export type AlertCreated = DomainEvent<
  'AlertCreated',
  AlertIdentity &
    AlertTarget & {
      alertType: AlertType;
      code: string;
      name: string | null;
      billableMetricCode: string | null;
      direction: AlertDirection;
      thresholds: AlertThresholdData[];
      /** `initialAlertPreviousValue`: 0, or the watched value when decreasing. */
      previousValue: string;
      createdAt: string;
    }
>;

/** Carries the whole name and thresholds after the update, so a fold only assigns. */
export type AlertUpdated = DomainEvent<'AlertUpdated', AlertIdentity & { name: string | null; thresholds: AlertThresholdData[]; updatedAt: string }>;

/** Carries the target so a follower of the log can stop watching it without a lookup. */
export type AlertDeleted = DomainEvent<'AlertDeleted', AlertIdentity & AlertTarget & { code: string; deletedAt: string }>;

/**
 * A check crossed thresholds (Lago's `triggered_alert`). `previousValue` is the alert's value before the check (what
 * the triggered alert records); `currentValue` (rounded as stored) becomes the alert's previous value. Carries the
 * alert's type, code and target so the triggered alert's document folds from this event alone.
 */
export type AlertTriggered = DomainEvent<
  'AlertTriggered',
  AlertIdentity & {
    triggeredAlertId: string;
    alertType: AlertType;
    code: string;
    externalSubscriptionId: string | null;
    walletId: string | null;
    crossedThresholds: AlertThresholdData[];
    currentValue: string;
    previousValue: string;
    triggeredAt: string;
  }
>;

/** A check moved the watched value without crossing anything: it becomes the alert's previous value. */
export type AlertChecked = DomainEvent<'AlertChecked', AlertIdentity & { currentValue: string; checkedAt: string }>;

/** Every event of an alert's stream. */
export type AlertEvent = AlertCreated | AlertUpdated | AlertDeleted | AlertTriggered | AlertChecked;

/** The alert event types (what the alerts read model folds). */
export const ALERT_EVENT_TYPES = ['AlertCreated', 'AlertUpdated', 'AlertDeleted', 'AlertTriggered', 'AlertChecked'] as const;

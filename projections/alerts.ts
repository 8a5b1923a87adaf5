import { ALERT_EVENT_TYPES, type AlertCreated, type AlertEvent, type AlertThresholdData, type AlertTriggered } from '../src/domain/alert/index.ts';
import { defineProjection } from './projection.ts';

/** A usage monitoring alert with the value it last saw; deleted alerts are kept (their triggered alerts name them). */
export type AlertDocument = Omit<AlertCreated['data'], 'alertId'> & {
  _id: string;
  /** When a check last moved the value (a check that changes nothing appends nothing). */
  lastProcessedAt: string | null;
  updatedAt: string;
  deletedAt: string | null;
};

/** One crossing of an alert's thresholds (Lago's `triggered_alert`). */
export type TriggeredAlertDocument = Omit<AlertTriggered['data'], 'triggeredAlertId'> & {
  _id: string;
  /** Its log position, zero-padded: newest first even when several share an instant. */
  sequence: string;
  crossedThresholds: AlertThresholdData[];
};

export const ALERTS = 'alerts';
export const TRIGGERED_ALERTS = 'triggeredAlerts';

/** Alerts by id, with the value each last saw. */
export const alertsProjection = defineProjection<AlertDocument>({
  name: 'alerts',
  collection: ALERTS,
  indexes: [
    { name: 'byOrganizationCreated', keys: { organizationId: 1, deletedAt: 1, createdAt: 1, _id: 1 } },
    { name: 'bySubscription', keys: { organizationId: 1, externalSubscriptionId: 1, deletedAt: 1, createdAt: 1, _id: 1 } },
    { name: 'byWallet', keys: { organizationId: 1, walletId: 1, deletedAt: 1, createdAt: 1, _id: 1 } },
  ],
  handles: ALERT_EVENT_TYPES,
  // Nothing is priced from alerts: their writes must not invalidate cached usage contexts.
  catalog: false,
  documentIds: (event) => [String((event.data as { alertId: string }).alertId)],
  fold(doc, recorded, id) {
    const event = recorded as unknown as AlertEvent;
    switch (event.type) {
      case 'AlertCreated': {
        if (doc !== null) return doc;
        const { alertId: _a, ...data } = event.data;
        return { ...data, _id: id, lastProcessedAt: null, updatedAt: data.createdAt, deletedAt: null };
      }
      case 'AlertUpdated':
        return doc === null ? doc : { ...doc, name: event.data.name, thresholds: event.data.thresholds, updatedAt: event.data.updatedAt };
      case 'AlertDeleted':
        return doc === null ? doc : { ...doc, deletedAt: event.data.deletedAt, updatedAt: event.data.deletedAt };
      case 'AlertTriggered':
        return doc === null ? doc : { ...doc, previousValue: event.data.currentValue, lastProcessedAt: event.data.triggeredAt };
      case 'AlertChecked':
        return doc === null ? doc : { ...doc, previousValue: event.data.currentValue, lastProcessedAt: event.data.checkedAt };
      default:
        return doc;
    }
  },
});

/** Triggered alerts by id, in log order (`sequence`). */
export const triggeredAlertsProjection = defineProjection<TriggeredAlertDocument>({
  name: 'triggeredAlerts',
  collection: TRIGGERED_ALERTS,
  indexes: [
    { name: 'byOrganizationSequence', keys: { organizationId: 1, sequence: 1, _id: 1 } },
    { name: 'bySubscriptionSequence', keys: { organizationId: 1, externalSubscriptionId: 1, sequence: 1, _id: 1 } },
    { name: 'byWalletSequence', keys: { organizationId: 1, walletId: 1, sequence: 1, _id: 1 } },
  ],
  handles: ['AlertTriggered'],
  catalog: false,
  documentIds: (event) => [String((event.data as { triggeredAlertId: string }).triggeredAlertId)],
  fold(doc, recorded, id) {
    const event = recorded as unknown as AlertEvent;
    if (event.type !== 'AlertTriggered' || doc !== null) return doc;
    const { triggeredAlertId: _t, ...data } = event.data;
    return { ...data, _id: id, sequence: recorded.position.toString().padStart(20, '0') };
  },
});

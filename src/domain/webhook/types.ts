/**
 * The webhook types the engine sends (Lago's names, reference §8), each with its object type. An endpoint's
 * `eventTypes` is a subset of these (validated); null means all of them.
 */
export const WEBHOOK_TYPES = {
  'alert.triggered': 'triggered_alert',
  'billable_metric.created': 'billable_metric',
  'billable_metric.updated': 'billable_metric',
  'billable_metric.deleted': 'billable_metric',
  'credit_note.created': 'credit_note',
  'customer.created': 'customer',
  'customer.updated': 'customer',
  'fee.created': 'fee',
  'invoice.created': 'invoice',
  'invoice.drafted': 'invoice',
  'invoice.one_off_created': 'invoice',
  'invoice.paid_credit_added': 'invoice',
  'invoice.payment_status_updated': 'invoice',
  'invoice.voided': 'invoice',
  'plan.created': 'plan',
  'plan.updated': 'plan',
  'plan.deleted': 'plan',
  'subscription.started': 'subscription',
  'subscription.updated': 'subscription',
  'subscription.canceled': 'subscription',
  'subscription.terminated': 'subscription',
  'subscription.usage_threshold_reached': 'subscription',
  'wallet.created': 'wallet',
  'wallet.updated': 'wallet',
  'wallet.terminated': 'wallet',
  'wallet_transaction.created': 'wallet_transaction',
  'wallet_transaction.updated': 'wallet_transaction',
  'wallet_transaction.payment_failure': 'wallet_transaction',
} as const;

export type WebhookType = keyof typeof WEBHOOK_TYPES;
export const WEBHOOK_TYPE_NAMES = Object.keys(WEBHOOK_TYPES) as WebhookType[];
export const isWebhookType = (name: string): name is WebhookType => Object.hasOwn(WEBHOOK_TYPES, name);

/** At most this many live endpoints per organization. */
export const MAX_WEBHOOK_ENDPOINTS = 10;

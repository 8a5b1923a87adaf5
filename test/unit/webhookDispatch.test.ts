import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/application/ports/eventStore.ts';
import { webhookIdOf, webhookPayload, webhookSources } from '../../src/application/webhookDispatcher.ts';
import { WEBHOOK_TYPE_NAMES, WEBHOOK_TYPES } from '../../src/domain/webhook/types.ts';
import { newWebhookSecret } from '../../src/application/webhookEndpoints.ts';
import { signatureHeaders } from '../../src/infrastructure/webhookSigning.ts';

const event = (type: string, data: Record<string, unknown>, streamId = 'stream-1'): RecordedEvent => ({
  id: 'e1',
  streamId,
  type,
  data: { organizationId: 'org', ...data },
  metadata: { organizationId: 'org', recordedAt: '2026-01-01T00:00:00.000Z' },
  revision: 0n,
  position: 10n,
});

/** One event of each kind the dispatcher maps, with the invoice type when it matters. */
const samples: [RecordedEvent, string | undefined][] = [
  [event('CustomerCreated', { customerId: 'c' }), undefined],
  [event('CustomerUpdated', { customerId: 'c' }), undefined],
  [event('BillableMetricCreated', { metricId: 'm' }), undefined],
  [event('BillableMetricUpdated', { metricId: 'm' }), undefined],
  [event('BillableMetricDeleted', { metricId: 'm' }), undefined],
  [event('PlanCreated', { planId: 'p' }), undefined],
  [event('PlanUpdated', { planId: 'p' }), undefined],
  [event('PlanDeleted', { planId: 'p' }), undefined],
  [event('SubscriptionCreated', { subscriptionId: 's', status: 'ACTIVE' }), undefined],
  [event('SubscriptionActivated', { subscriptionId: 's' }), undefined],
  [event('SubscriptionUpdated', { subscriptionId: 's' }), undefined],
  [event('SubscriptionCanceled', { subscriptionId: 's' }), undefined],
  [event('SubscriptionTerminated', { subscriptionId: 's' }), undefined],
  [event('InvoiceCreated', { invoiceId: 'i', subscriptionId: 's', invoiceType: 'PROGRESSIVE_BILLING', finalizesAt: '2026-01-03T00:00:00Z' }), undefined],
  [event('InvoiceFinalized', { invoiceId: 'i' }), 'SUBSCRIPTION'],
  [event('InvoiceFinalized', { invoiceId: 'i' }), 'ONE_OFF'],
  [event('InvoicePaymentStatusUpdated', { invoiceId: 'i', paymentStatus: 'SUCCEEDED' }), 'CREDIT'],
  [event('InvoiceVoided', { invoiceId: 'i' }), undefined],
  [event('InAdvanceFeeCreated', {}, 'inAdvanceFee-org_x'), undefined],
  [event('CreditNoteCreated', { creditNoteId: 'n' }), undefined],
  [event('WalletCreated', { walletId: 'w' }), undefined],
  [event('WalletUpdated', { walletId: 'w' }), undefined],
  [event('WalletTerminated', { walletId: 'w' }), undefined],
  [event('WalletTransactionCreated', { walletTransactionId: 't' }), undefined],
  [event('WalletTransactionSettled', { walletTransactionId: 't' }), undefined],
  [event('WalletTransactionFailed', { walletTransactionId: 't' }), undefined],
  [event('AlertTriggered', { triggeredAlertId: 'a' }), undefined],
];

describe('webhookSources', () => {
  it('makes every webhook type the engine lists, each with its object type’s collection and the object’s id', () => {
    const made = samples.flatMap(([e, invoiceType]) => webhookSources(e, invoiceType));
    expect(new Set(made.map((s) => s.webhookType))).toEqual(new Set(WEBHOOK_TYPE_NAMES));
    for (const s of made) expect(s.objectId).toMatch(/^(c|m|p|s|i|n|w|t|a|inAdvanceFee-org_x)$/);
    expect(webhookSources(event('InAdvanceFeeCreated', {}, 'inAdvanceFee-org_x'))).toEqual([{ webhookType: 'fee.created', collection: 'inAdvanceFees', objectId: 'inAdvanceFee-org_x' }]);
  });

  it('tells drafts, one-off and credit invoices apart, and pending subscriptions from started ones', () => {
    const types = (e: RecordedEvent, invoiceType?: string) => webhookSources(e, invoiceType).map((s) => s.webhookType);
    expect(types(event('InvoiceCreated', { invoiceId: 'i', invoiceType: 'SUBSCRIPTION', finalizesAt: null }))).toEqual([]);
    expect(types(event('InvoiceCreated', { invoiceId: 'i', invoiceType: 'SUBSCRIPTION', finalizesAt: '2026-01-03T00:00:00Z' }))).toEqual(['invoice.drafted']);
    expect(types(event('InvoiceFinalized', { invoiceId: 'i' }), 'SUBSCRIPTION')).toEqual(['invoice.created']);
    expect(types(event('InvoiceFinalized', { invoiceId: 'i' }), 'ONE_OFF')).toEqual(['invoice.one_off_created']);
    expect(types(event('InvoicePaymentStatusUpdated', { invoiceId: 'i', paymentStatus: 'SUCCEEDED' }), 'SUBSCRIPTION')).toEqual(['invoice.payment_status_updated']);
    expect(types(event('InvoicePaymentStatusUpdated', { invoiceId: 'i', paymentStatus: 'FAILED' }), 'CREDIT')).toEqual(['invoice.payment_status_updated']);
    expect(types(event('SubscriptionCreated', { subscriptionId: 's', status: 'PENDING' }))).toEqual([]);
  });

  it('makes nothing of usage, its own events, or events nobody is sent', () => {
    for (const type of ['UsageEventIngested', 'WebhookCreated', 'WebhookAttempted', 'WebhookEndpointCreated', 'AlertChecked', 'ApiKeyCreated', 'InvoiceRefreshed']) {
      expect(webhookSources(event(type, { invoiceId: 'i' }))).toEqual([]);
    }
  });
});

describe('webhookIdOf', () => {
  it('is one UUID per event, endpoint and type: the same when decided again, another when any differs', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.uuid(), fc.constantFrom(...WEBHOOK_TYPE_NAMES), fc.uuid(), (eventId, endpointId, type, other) => {
        const id = webhookIdOf(eventId, endpointId, type);
        expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(webhookIdOf(eventId, endpointId, type)).toBe(id);
        if (other !== eventId) expect(webhookIdOf(other, endpointId, type)).not.toBe(id);
        if (other !== endpointId) expect(webhookIdOf(eventId, other, type)).not.toBe(id);
        expect(webhookIdOf(eventId, endpointId, `${type}.x`)).not.toBe(id);
      }),
    );
  });
});

describe('webhookPayload', () => {
  it('is Lago’s envelope with the document as the object, its _id as id', () => {
    const body = JSON.parse(webhookPayload('wallet_transaction.created', 'org', { _id: 't1', amount: '10.5' }));
    expect(body).toEqual({ webhook_type: 'wallet_transaction.created', object_type: 'wallet_transaction', organization_id: 'org', wallet_transaction: { id: 't1', amount: '10.5' } });
    expect(Object.values(WEBHOOK_TYPES)).toContain(body.object_type);
  });
});

describe('signatureHeaders', () => {
  const body = '{"webhook_type":"customer.created"}';
  const at = new Date('2026-01-01T00:00:00Z');

  it('STANDARD: verified by the Standard Webhooks library; a changed body, id or timestamp is not', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const headers = signatureHeaders('STANDARD', secret, 'msg_1', body, new Date());
    const receiver = new Webhook(secret);
    expect(receiver.verify(body, headers)).toEqual({ webhook_type: 'customer.created' });
    expect(() => receiver.verify(`${body} `, headers)).toThrow();
    expect(() => receiver.verify(body, { ...headers, 'webhook-id': 'msg_2' })).toThrow();
    expect(() => receiver.verify(body, { ...headers, 'webhook-timestamp': String(Number(headers['webhook-timestamp']) + 1) })).toThrow();
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow();
  });

  it('STANDARD: matches a signature computed independently (HMAC-SHA256 of "id.timestamp.body" with the decoded secret)', () => {
    const headers = signatureHeaders('STANDARD', 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0', 'msg_1', body, at);
    expect(headers).toEqual({ 'webhook-id': 'msg_1', 'webhook-timestamp': '1767225600', 'webhook-signature': 'v1,y4lydxQPJrOl7XbJDbzyGmcOgIQw/Zwv5KFBIlCau4A=' });
  });

  it('HMAC (Lago’s): base64 HMAC-SHA256 of the body keyed by the secret, with the webhook id as the unique key', () => {
    const headers = signatureHeaders('HMAC', 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0', 'msg_1', body, at);
    expect(headers).toEqual({ 'webhook-id': 'msg_1', 'x-lago-signature': 'bNC8J75k9PFjNqADcL1lSFnJyKFMfxaDgHnelGNb04E=', 'x-lago-signature-algorithm': 'hmac', 'x-lago-unique-key': 'msg_1' });
  });
});

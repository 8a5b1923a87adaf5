import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { WebhookSignatureAlgorithm } from '../domain/webhook/events.ts';

/**
 * The headers one delivery attempt carries. `STANDARD` (Standard Webhooks, through its reference library):
 * `webhook-id` (the webhook's id, the same on every attempt: receivers deduplicate by it), `webhook-timestamp` (unix
 * seconds of this attempt) and `webhook-signature` (`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`). `HMAC`
 * (Lago's): `X-Lago-Signature` = base64 HMAC-SHA256 of the body keyed by the secret as text,
 * `X-Lago-Signature-Algorithm: hmac` and `X-Lago-Unique-Key` (the webhook id). Both carry the webhook id as
 * `webhook-id` too, so either kind of receiver can deduplicate.
 */
export function signatureHeaders(algorithm: WebhookSignatureAlgorithm, secret: string, webhookId: string, body: string, at: Date): Record<string, string> {
  if (algorithm === 'HMAC') {
    const signature = createHmac('sha256', secret).update(body).digest('base64');
    return { 'webhook-id': webhookId, 'x-lago-signature': signature, 'x-lago-signature-algorithm': 'hmac', 'x-lago-unique-key': webhookId };
  }
  return {
    'webhook-id': webhookId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(webhookId, at, body),
  };
}

import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import type { WebhookSignatureAlgorithm } from '../domain/webhook/events.ts';

/** Secrets as key objects, made once each (an endpoint's secret signs every one of its webhooks). */
const keys = new Map<string, KeyObject>();
function keyOf(secret: string, decode: boolean): KeyObject {
  const id = `${decode ? 'b64' : 'raw'}:${secret}`;
  let key = keys.get(id);
  if (key === undefined) {
    key = createSecretKey(decode ? Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64') : Buffer.from(secret, 'utf8'));
    if (keys.size >= 1_000) keys.delete(keys.keys().next().value!);
    keys.set(id, key);
  }
  return key;
}

/**
 * The headers one delivery attempt carries. `STANDARD` (Standard Webhooks):
 * `webhook-id` (the webhook's id, the same on every attempt: receivers deduplicate by it), `webhook-timestamp` (unix
 * seconds of this attempt) and `webhook-signature` (`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`). `HMAC`
 * (Lago's): `X-Lago-Signature` = base64 HMAC-SHA256 of the body keyed by the secret as text,
 * `X-Lago-Signature-Algorithm: hmac` and `X-Lago-Unique-Key` (the webhook id). Both carry the webhook id as
 * `webhook-id` too, so either kind of receiver can deduplicate.
 */
export function signatureHeaders(algorithm: WebhookSignatureAlgorithm, secret: string, webhookId: string, body: string, at: Date): Record<string, string> {
  if (algorithm === 'HMAC') {
    const signature = createHmac('sha256', keyOf(secret, false)).update(body).digest('base64');
    return { 'webhook-id': webhookId, 'x-lago-signature': signature, 'x-lago-signature-algorithm': 'hmac', 'x-lago-unique-key': webhookId };
  }
  // Standard Webhooks' v1 scheme, computed with node:crypto (the reference library hashes in JavaScript, several
  // times slower); the tests check it against the library's `verify` and an independently computed signature.
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const signature = createHmac('sha256', keyOf(secret, true)).update(`${webhookId}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': webhookId, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
}

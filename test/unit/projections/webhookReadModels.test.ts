import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../../src/application/ports/eventStore.ts';
import type { Document } from '../../../src/application/ports/readModelStore.ts';
import type { WebhookAttempted, WebhookCreated, WebhookEndpointEvent, WebhookEvent } from '../../../src/domain/webhook/index.ts';
import type { Projection } from '../../../projections/projection.ts';
import { webhookEndpointsProjection, webhooksProjection, WEBHOOK_HISTORY_LIMIT, type WebhookDocument, type WebhookEndpointDocument } from '../../../projections/webhooks.ts';

/** Folds events of one stream as the runner would: revisions from 0, positions as given. */
function foldAll<D extends Document>(projection: Projection, events: { event: WebhookEndpointEvent | WebhookEvent; position: bigint }[]): D | null {
  let doc: D | null = null;
  events.forEach(({ event, position }, revision) => {
    const recorded: RecordedEvent = { id: `ev${revision}`, streamId: 's', type: event.type, data: event.data, metadata: { organizationId: 'org1', recordedAt: '2026-01-01T00:00:00.000Z' }, revision: BigInt(revision), position };
    expect(projection.handles).toContain(event.type);
    const [id] = projection.documentIds(recorded);
    doc = projection.fold(doc, recorded, id!) as D | null;
  });
  return doc;
}

const endpointIdentity = { organizationId: 'org1', webhookEndpointId: 'e1' };
const endpointCreated: WebhookEndpointEvent = {
  type: 'WebhookEndpointCreated',
  data: { ...endpointIdentity, url: 'https://example.com/hooks', eventTypes: null, signatureAlgorithm: 'STANDARD', secret: 'whsec_one', createdAt: '2026-01-01T00:00:00.000Z' },
};

describe('webhookEndpoints read model', () => {
  it('declares the list index and stays out of the catalog', () => {
    expect(webhookEndpointsProjection.catalog).toBe(false);
    expect(webhookEndpointsProjection.indexes).toContainEqual({ name: 'byOrganizationCreated', keys: { organizationId: 1, deletedAt: 1, createdAt: 1, _id: 1 } });
  });

  it('folds creation, update, rotation and deletion, keeping the deleted endpoint', () => {
    const created = foldAll<WebhookEndpointDocument>(webhookEndpointsProjection, [{ event: endpointCreated, position: 42n }]);
    expect(created).toEqual({
      _id: 'e1',
      organizationId: 'org1',
      url: 'https://example.com/hooks',
      eventTypes: null,
      signatureAlgorithm: 'STANDARD',
      secret: 'whsec_one',
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      deletedAt: null,
      createdPosition: '00000000000000000042',
      deletedPosition: null,
    });
    const history = [
      { event: endpointCreated, position: 42n },
      { event: { type: 'WebhookEndpointUpdated', data: { ...endpointIdentity, url: 'https://example.com/v2', eventTypes: ['invoice.created'], signatureAlgorithm: 'HMAC', updatedAt: '2026-01-02T00:00:00.000Z' } } as WebhookEndpointEvent, position: 50n },
      { event: { type: 'WebhookEndpointSecretRotated', data: { ...endpointIdentity, secret: 'whsec_two', rotatedAt: '2026-01-03T00:00:00.000Z' } } as WebhookEndpointEvent, position: 60n },
      { event: { type: 'WebhookEndpointDeleted', data: { ...endpointIdentity, deletedAt: '2026-01-04T00:00:00.000Z' } } as WebhookEndpointEvent, position: 12_345_678_901n },
    ];
    expect(foldAll<WebhookEndpointDocument>(webhookEndpointsProjection, history)).toEqual({
      _id: 'e1',
      organizationId: 'org1',
      url: 'https://example.com/v2',
      eventTypes: ['invoice.created'],
      signatureAlgorithm: 'HMAC',
      secret: 'whsec_two',
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-04T00:00:00.000Z',
      deletedAt: '2026-01-04T00:00:00.000Z',
      createdPosition: '00000000000000000042',
      deletedPosition: '00000000012345678901',
    });
  });

  it('ignores events of an endpoint it never saw created, and a second creation', () => {
    expect(foldAll(webhookEndpointsProjection, [{ event: { type: 'WebhookEndpointDeleted', data: { ...endpointIdentity, deletedAt: 'x' } }, position: 1n }])).toBeNull();
    const twice = foldAll<WebhookEndpointDocument>(webhookEndpointsProjection, [
      { event: endpointCreated, position: 1n },
      { event: { ...endpointCreated, data: { ...endpointCreated.data, url: 'https://other.example.com/' } } as WebhookEndpointEvent, position: 2n },
    ]);
    expect(twice?.url).toBe('https://example.com/hooks');
  });
});

const identity = { organizationId: 'org1', webhookId: 'w1' };
const created: WebhookCreated = {
  type: 'WebhookCreated',
  data: {
    ...identity,
    webhookEndpointId: 'e1',
    webhookType: 'invoice.created',
    objectType: 'invoice',
    objectId: 'inv1',
    sourceEventId: 'src1',
    sourcePosition: '00000000000000000007',
    payload: '{"webhook_type":"invoice.created","object_type":"invoice","organization_id":"org1","invoice":{"lago_id":"inv1"}}',
    createdAt: '2026-01-01T00:00:00.000Z',
  },
};
const attempted = (attempt: number, outcome: WebhookAttempted['data']['outcome'], nextAttemptAt: string | null, at = `2026-01-01T00:00:${String(attempt).padStart(2, '0')}.000Z`): WebhookAttempted => ({
  type: 'WebhookAttempted',
  data: { ...identity, attempt, outcome, httpStatus: outcome === 'SUCCEEDED' ? 200 : 500, error: outcome === 'SUCCEEDED' ? null : 'HTTP 500', response: outcome === 'SUCCEEDED' ? 'ok' : 'boom', durationMs: 12, attemptedAt: at, nextAttemptAt },
});

describe('webhooks read model', () => {
  it('declares the list and delivery indexes and stays out of the catalog', () => {
    expect(webhooksProjection.catalog).toBe(false);
    expect(webhooksProjection.indexes.map((index) => [index.name, index.keys])).toEqual([
      ['byOrganizationSequence', { organizationId: 1, sequence: 1, _id: 1 }],
      ['byEndpointSequence', { organizationId: 1, webhookEndpointId: 1, sequence: 1, _id: 1 }],
      ['byOrganizationStatusSequence', { organizationId: 1, status: 1, sequence: 1, _id: 1 }],
      ['byStatusDue', { status: 1, nextAttemptAt: 1, _id: 1 }],
    ]);
  });

  it('starts PENDING, due at once, in log order', () => {
    const { webhookId: _w, ...data } = created.data;
    expect(foldAll<WebhookDocument>(webhooksProjection, [{ event: created, position: 99n }])).toEqual({
      ...data,
      _id: 'w1',
      status: 'PENDING',
      attempts: 0,
      lastHttpStatus: null,
      lastError: null,
      lastResponse: null,
      lastAttemptAt: null,
      nextAttemptAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      sequence: '00000000000000000099',
      revision: '0',
      history: [],
    });
  });

  it('folds each attempt: the outcome as status, the last attempt’s details, the next due instant, the history', () => {
    const retrying = foldAll<WebhookDocument>(webhooksProjection, [
      { event: created, position: 1n },
      { event: attempted(1, 'RETRYING', '2026-01-01T00:01:00.000Z'), position: 2n },
    ])!;
    expect(retrying).toMatchObject({
      status: 'RETRYING',
      attempts: 1,
      lastHttpStatus: 500,
      lastError: 'HTTP 500',
      lastResponse: 'boom',
      lastAttemptAt: '2026-01-01T00:00:01.000Z',
      nextAttemptAt: '2026-01-01T00:01:00.000Z',
      updatedAt: '2026-01-01T00:00:01.000Z',
      revision: '1',
      sequence: '00000000000000000001',
      history: [{ attempt: 1, outcome: 'RETRYING', httpStatus: 500, error: 'HTTP 500', durationMs: 12, attemptedAt: '2026-01-01T00:00:01.000Z' }],
    });
    const failed = foldAll<WebhookDocument>(webhooksProjection, [
      { event: created, position: 1n },
      { event: attempted(1, 'RETRYING', '2026-01-01T00:01:00.000Z'), position: 2n },
      { event: attempted(2, 'FAILED', null), position: 3n },
    ])!;
    expect(failed).toMatchObject({ status: 'FAILED', attempts: 2, nextAttemptAt: null, revision: '2' });
    expect(failed.history.map((h) => h.outcome)).toEqual(['RETRYING', 'FAILED']);
  });

  it('a retry request makes a FAILED webhook PENDING, due at the request; a later success settles it', () => {
    const events = [
      { event: created, position: 1n },
      { event: attempted(1, 'FAILED', null), position: 2n },
      { event: { type: 'WebhookRetryRequested', data: { ...identity, requestedAt: '2026-01-02T00:00:00.000Z' } } as WebhookEvent, position: 3n },
    ];
    expect(foldAll<WebhookDocument>(webhooksProjection, events)).toMatchObject({ status: 'PENDING', attempts: 1, nextAttemptAt: '2026-01-02T00:00:00.000Z', updatedAt: '2026-01-02T00:00:00.000Z', revision: '2', lastError: 'HTTP 500' });
    const succeeded = foldAll<WebhookDocument>(webhooksProjection, [...events, { event: attempted(2, 'SUCCEEDED', null, '2026-01-02T00:00:01.000Z'), position: 4n }])!;
    expect(succeeded).toMatchObject({ status: 'SUCCEEDED', attempts: 2, lastHttpStatus: 200, lastError: null, lastResponse: 'ok', nextAttemptAt: null, revision: '3' });
  });

  it(`keeps the last ${WEBHOOK_HISTORY_LIMIT} attempts`, () => {
    const attempts = Array.from({ length: 30 }, (_, i) => ({ event: attempted(i + 1, i === 29 ? 'FAILED' : 'RETRYING', i === 29 ? null : '2026-01-03T00:00:00.000Z'), position: BigInt(i + 2) }));
    const doc = foldAll<WebhookDocument>(webhooksProjection, [{ event: created, position: 1n }, ...attempts])!;
    expect(doc.attempts).toBe(30);
    expect(doc.history).toHaveLength(WEBHOOK_HISTORY_LIMIT);
    expect(doc.history.map((h) => h.attempt)).toEqual(Array.from({ length: 25 }, (_, i) => i + 6));
  });

  it('ignores attempts of a webhook it never saw created', () => {
    expect(foldAll(webhooksProjection, [{ event: attempted(1, 'FAILED', null), position: 1n }])).toBeNull();
  });
});

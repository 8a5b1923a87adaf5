import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IllegalStateError, NotFoundError, ValidationError } from '../../../src/domain/shared/errors.ts';
import {
  MAX_WEBHOOK_ENDPOINTS,
  WEBHOOK_TYPE_NAMES,
  isWebhookType,
  webhookEndpointDecider,
  type LiveWebhookEndpoints,
  type WebhookEndpointCommand,
  type WebhookEndpointEvent,
  type WebhookEndpointFields,
  type WebhookEndpointState,
} from '../../../src/domain/webhook/index.ts';
import { spec } from '../../support/decider.ts';

const now = '2026-01-01T00:00:00.000Z';
const later = '2026-01-02T00:00:00.000Z';
const endpoint = spec<WebhookEndpointCommand, WebhookEndpointEvent, WebhookEndpointState>(webhookEndpointDecider);
const SECRET = 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0';

const create = (fields: WebhookEndpointFields = {}, liveEndpoints: LiveWebhookEndpoints = [], webhookEndpointId = 'e1'): WebhookEndpointCommand => ({
  type: 'CreateWebhookEndpoint',
  data: { organizationId: 'org1', webhookEndpointId, url: 'https://example.com/hooks', secret: SECRET, ...fields } as Extract<WebhookEndpointCommand, { type: 'CreateWebhookEndpoint' }>['data'],
  lookups: { liveEndpoints },
  metadata: { now },
});
const update = (fields: WebhookEndpointFields, liveEndpoints: LiveWebhookEndpoints = [{ webhookEndpointId: 'e1', url: 'https://example.com/hooks' }]): WebhookEndpointCommand => ({
  type: 'UpdateWebhookEndpoint',
  data: { webhookEndpointId: 'e1', ...fields },
  lookups: { liveEndpoints },
  metadata: { now: later },
});
const rotate = (secret = 'whsec_bmV3LXNlY3JldA=='): WebhookEndpointCommand => ({ type: 'RotateWebhookEndpointSecret', data: { webhookEndpointId: 'e1', secret }, metadata: { now: later } });
const remove = (webhookEndpointId = 'e1'): WebhookEndpointCommand => ({ type: 'DeleteWebhookEndpoint', data: { webhookEndpointId }, metadata: { now: later } });

const identity = { organizationId: 'org1', webhookEndpointId: 'e1' };
const definition = { url: 'https://example.com/hooks', eventTypes: null, signatureAlgorithm: 'STANDARD' as const };
const created: WebhookEndpointEvent = { type: 'WebhookEndpointCreated', data: { ...identity, ...definition, secret: SECRET, createdAt: now } };
const deleted: WebhookEndpointEvent = { type: 'WebhookEndpointDeleted', data: { ...identity, deletedAt: later } };
const others = (count: number): LiveWebhookEndpoints => Array.from({ length: count }, (_, i) => ({ webhookEndpointId: `other${i}`, url: `https://other${i}.example.com/` }));

const refused = (history: WebhookEndpointEvent[], command: WebhookEndpointCommand) => endpoint.given(history).when(command).thenThrows(ValidationError) as ValidationError;
const fieldOf = (history: WebhookEndpointEvent[], command: WebhookEndpointCommand) => refused(history, command).field;

describe('webhook endpoint', () => {
  describe('when it does not exist', () => {
    it('is created for every type, signed STANDARD, by default', () => endpoint.given([]).when(create()).then([created]));

    it('is created with the types and algorithm given, the url kept exactly as sent', () =>
      endpoint.given([]).when(create({ url: 'HTTP://Example.com:8080/a?b=c#d', eventTypes: ['invoice.created', 'alert.triggered'], signatureAlgorithm: 'HMAC' })).then([
        {
          type: 'WebhookEndpointCreated',
          data: { ...identity, url: 'HTTP://Example.com:8080/a?b=c#d', eventTypes: ['invoice.created', 'alert.triggered'], signatureAlgorithm: 'HMAC', secret: SECRET, createdAt: now },
        },
      ]));

    it('refuses a url that is not an absolute http(s) URL, too long, or with whitespace, naming the field', () => {
      const bad = [
        '',
        'example.com/hooks',
        '/hooks',
        'ftp://example.com/hooks',
        'javascript:alert(1)',
        'mailto:ops@example.com',
        'http:example.com',
        'https://',
        'https://exa mple.com/',
        ' https://example.com/',
        'https://example.com/\n',
        'https://example.com/\ta',
        'https://example.com/\u00a0',
        'https://example.com/\u0000',
        `https://example.com/${'a'.repeat(2_029)}`,
      ];
      for (const url of bad) expect(fieldOf([], create({ url })), JSON.stringify(url)).toBe('url');
      // 2,048 characters exactly is allowed.
      const longest = `https://example.com/${'a'.repeat(2_028)}`;
      expect(longest).toHaveLength(2_048);
      expect(webhookEndpointDecider.decide(create({ url: longest }), webhookEndpointDecider.initialState())).toHaveLength(1);
    });

    it('refuses an empty list of types, an unknown type (naming it), a type listed twice', () => {
      expect(fieldOf([], create({ eventTypes: [] }))).toBe('eventTypes');
      const unknown = refused([], create({ eventTypes: ['invoice.created', 'invoice.exploded'] }));
      expect(unknown.field).toBe('eventTypes.1');
      expect(unknown.message).toContain('invoice.exploded');
      expect(fieldOf([], create({ eventTypes: ['invoice.created', 'plan.created', 'invoice.created'] }))).toBe('eventTypes.2');
    });

    it('refuses an unknown signature algorithm', () => expect(fieldOf([], create({ signatureAlgorithm: 'MD5' }))).toBe('signatureAlgorithm'));

    it('accepts any non-empty subset of the webhook types, in any order', () => {
      fc.assert(
        fc.property(fc.shuffledSubarray(WEBHOOK_TYPE_NAMES, { minLength: 1 }), (eventTypes) => {
          const [event] = webhookEndpointDecider.decide(create({ eventTypes }), webhookEndpointDecider.initialState());
          expect(event?.type === 'WebhookEndpointCreated' && event.data.eventTypes).toEqual(eventTypes);
        }),
      );
    });

    it('refuses any other name among them, naming its position', () => {
      fc.assert(
        fc.property(
          fc.shuffledSubarray(WEBHOOK_TYPE_NAMES),
          fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'Invoice.created', 'invoice.created ', 'invoice.*')).filter((name) => !isWebhookType(name)),
          fc.nat(),
          (known, name, at) => {
            const index = at % (known.length + 1);
            const eventTypes = [...known.slice(0, index), name, ...known.slice(index)];
            const error = refused([], create({ eventTypes }));
            expect(error.field).toBe(`eventTypes.${index}`);
            expect(error.message).toContain(`"${name}"`);
          },
        ),
      );
    });

    it(`refuses an organization's ${MAX_WEBHOOK_ENDPOINTS + 1}th live endpoint (CONFLICT)`, () => {
      expect(webhookEndpointDecider.decide(create({}, others(MAX_WEBHOOK_ENDPOINTS - 1)), webhookEndpointDecider.initialState())).toHaveLength(1);
      endpoint.given([]).when(create({}, others(MAX_WEBHOOK_ENDPOINTS))).thenThrows(IllegalStateError, /at most 10/);
    });

    it('refuses a url another live endpoint has, compared as URLs (CONFLICT)', () => {
      const live = [{ webhookEndpointId: 'e0', url: 'https://example.com/hooks' }];
      endpoint.given([]).when(create({}, live)).thenThrows(IllegalStateError, /already exists/);
      endpoint.given([]).when(create({ url: 'HTTPS://EXAMPLE.com:443/hooks' }, live)).thenThrows(IllegalStateError, /already exists/);
      expect(webhookEndpointDecider.decide(create({ url: 'https://example.com/hooks/' }, live), webhookEndpointDecider.initialState())).toHaveLength(1);
    });

    it('validates before the organization rules: a bad url is VALIDATION even past the limit', () => expect(fieldOf([], create({ url: 'nope' }, others(MAX_WEBHOOK_ENDPOINTS)))).toBe('url'));

    it('cannot be updated, rotated or deleted', () => {
      endpoint.given([]).when(update({ url: 'https://example.com/x' })).thenThrows(NotFoundError);
      endpoint.given([]).when(rotate()).thenThrows(NotFoundError);
      endpoint.given([]).when(remove()).thenThrows(NotFoundError);
    });
  });

  describe('when live', () => {
    it('is a no-op when created again under its own id (a repeat)', () => endpoint.given([created]).when(create()).then([]));

    it('updates only the fields given and records the whole definition', () =>
      endpoint.given([created]).when(update({ eventTypes: ['invoice.created'] })).then([
        { type: 'WebhookEndpointUpdated', data: { ...identity, ...definition, eventTypes: ['invoice.created'], updatedAt: later } },
      ]));

    it('goes back to every type with eventTypes null', () =>
      endpoint.given([created, { type: 'WebhookEndpointUpdated', data: { ...identity, ...definition, eventTypes: ['plan.created'], updatedAt: now } }]).when(update({ eventTypes: null })).then([
        { type: 'WebhookEndpointUpdated', data: { ...identity, ...definition, updatedAt: later } },
      ]));

    it('decides nothing for an update that changes nothing', () => {
      endpoint.given([created]).when(update({})).then([]);
      endpoint.given([created]).when(update({ url: 'https://example.com/hooks', signatureAlgorithm: 'STANDARD', eventTypes: null })).then([]);
    });

    it('refuses a bad url, list of types or algorithm on update', () => {
      expect(fieldOf([created], update({ url: 'ftp://example.com' }))).toBe('url');
      expect(fieldOf([created], update({ eventTypes: [] }))).toBe('eventTypes');
      expect(fieldOf([created], update({ eventTypes: ['nope'] }))).toBe('eventTypes.0');
      expect(fieldOf([created], update({ signatureAlgorithm: 'SHA1' }))).toBe('signatureAlgorithm');
    });

    it('refuses a url another live endpoint has, but not its own (and not past the limit: an update adds nothing)', () => {
      const live = [{ webhookEndpointId: 'e1', url: 'https://example.com/hooks' }, { webhookEndpointId: 'e2', url: 'https://other.example.com/' }];
      endpoint.given([created]).when(update({ url: 'https://other.example.com/' }, live)).thenThrows(IllegalStateError, /already exists/);
      endpoint.given([created]).when(update({ url: 'https://example.com/hooks', signatureAlgorithm: 'HMAC' }, live)).then([
        { type: 'WebhookEndpointUpdated', data: { ...identity, ...definition, signatureAlgorithm: 'HMAC', updatedAt: later } },
      ]);
      expect(webhookEndpointDecider.decide(update({ url: 'https://new.example.com/' }, [...live, ...others(8)]), [created].reduce(webhookEndpointDecider.evolve, webhookEndpointDecider.initialState()))).toHaveLength(1);
    });

    it('rotates its secret', () => {
      endpoint.given([created]).when(rotate('whsec_bmV3')).then([{ type: 'WebhookEndpointSecretRotated', data: { ...identity, secret: 'whsec_bmV3', rotatedAt: later } }]);
      endpoint.given([created]).when(rotate('whsec_bmV3')).thenState((state) => expect(state.status !== 'none' && state.secret).toBe('whsec_bmV3'));
    });

    it('is deleted, then a repeat deletes nothing and nothing else applies', () => {
      endpoint.given([created]).when(remove()).then([deleted]);
      endpoint.given([created, deleted]).when(remove()).then([]);
      endpoint.given([created, deleted]).when(update({ url: 'https://example.com/x' })).thenThrows(NotFoundError);
      endpoint.given([created, deleted]).when(rotate()).thenThrows(NotFoundError);
    });

    it('does not answer for another endpoint id', () => endpoint.given([created]).when(remove('e9')).thenThrows(NotFoundError));
  });
});

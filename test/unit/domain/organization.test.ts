import { describe, it } from 'vitest';
import { organizationDecider, type OrganizationEvent } from '../../../src/domain/organization/index.ts';
import type { OrganizationCommand } from '../../../src/domain/organization/decide.ts';
import { IllegalStateError, NotFoundError, ValidationError } from '../../../src/domain/shared/errors.ts';
import { spec } from '../../support/decider.ts';

const now = '2026-01-01T00:00:00.000Z';
const organization = spec<OrganizationCommand, OrganizationEvent, ReturnType<typeof organizationDecider.initialState>>(organizationDecider);
const create = (overrides: Partial<{ name: string; timezone: string; defaultCurrency: string }> = {}): OrganizationCommand => ({
  type: 'CreateOrganization',
  data: { organizationId: 'org1', name: 'Acme', timezone: 'Europe/Paris', defaultCurrency: 'EUR', ...overrides },
  metadata: { now },
});
const created: OrganizationEvent = {
  type: 'OrganizationCreated',
  data: { organizationId: 'org1', name: 'Acme', timezone: 'Europe/Paris', defaultCurrency: 'EUR', createdAt: now },
};
const keyCreated: OrganizationEvent = {
  type: 'ApiKeyCreated',
  data: { organizationId: 'org1', keyId: 'k1', name: 'default', keyHash: 'h', keyPrefix: 'bk_abcd', createdAt: now },
};
const createKey: OrganizationCommand = { type: 'CreateApiKey', data: { keyId: 'k1', name: 'default', keyHash: 'h', keyPrefix: 'bk_abcd' }, metadata: { now } };
const revoke: OrganizationCommand = { type: 'RevokeApiKey', data: { keyId: 'k1' }, metadata: { now } };
const revoked: OrganizationEvent = { type: 'ApiKeyRevoked', data: { organizationId: 'org1', keyId: 'k1', revokedAt: now } };

describe('organization', () => {
  describe('when it does not exist', () => {
    it('is created with its timezone and currency', () => organization.given([]).when(create()).then([created]));
    it('refuses an unknown timezone', () => organization.given([]).when(create({ timezone: 'Mars/Base' })).thenThrows(ValidationError, /timezone/));
    it('refuses an unknown currency', () => organization.given([]).when(create({ defaultCurrency: 'XYZ' })).thenThrows(ValidationError, /defaultCurrency/));
    it('refuses a blank name', () => organization.given([]).when(create({ name: ' ' })).thenThrows(ValidationError, /name/));
    it('cannot get a key', () => organization.given([]).when(createKey).thenThrows(NotFoundError));
  });

  describe('when active', () => {
    it('cannot be created twice', () => organization.given([created]).when(create()).thenThrows(IllegalStateError));
    it('creates a key', () => organization.given([created]).when(createKey).then([keyCreated]));
    it('treats a repeated key creation as a no-op', () => organization.given([created, keyCreated]).when(createKey).then([]));
    it('revokes a key', () => organization.given([created, keyCreated]).when(revoke).then([revoked]));
    it('treats revoking a revoked key as a no-op', () => organization.given([created, keyCreated, revoked]).when(revoke).then([]));
    it('refuses to revoke an unknown key', () => organization.given([created]).when(revoke).thenThrows(NotFoundError));
  });
});

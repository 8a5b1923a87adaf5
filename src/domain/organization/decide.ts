import { IANAZone } from 'luxon';
import cc from 'currency-codes';
import { IllegalStateError, NotFoundError, ValidationError } from '../shared/errors.ts';
import type { OrganizationEvent } from './events.ts';
import type { OrganizationState } from './state.ts';
import { resolveSettings, type OrganizationSettingsFields } from './settings.ts';

export type OrganizationCommand =
  | {
      type: 'CreateOrganization';
      data: { organizationId: string; name: string; timezone: string; defaultCurrency: string };
      metadata: { now: string };
    }
  | {
      type: 'CreateApiKey';
      data: { keyId: string; name: string; keyHash: string; keyPrefix: string };
      metadata: { now: string };
    }
  | { type: 'RevokeApiKey'; data: { keyId: string }; metadata: { now: string } }
  | { type: 'UpdateOrganization'; data: OrganizationSettingsFields; metadata: { now: string } };

/** Validates what every IANA-timezone input must be; shared by customers and organizations. */
export function assertTimezone(timezone: string, field: string): void {
  if (!IANAZone.isValidZone(timezone)) throw new ValidationError(`${field}: "${timezone}" is not an IANA timezone`, field);
}

/** ISO 4217 code known to the maintained currency list. */
export function assertCurrency(currency: string, field: string): void {
  if (!cc.code(currency)) throw new ValidationError(`${field}: "${currency}" is not an ISO 4217 currency code`, field);
}

export function decide(command: OrganizationCommand, state: OrganizationState): OrganizationEvent[] {
  switch (command.type) {
    case 'CreateOrganization': {
      if (state.status !== 'none') throw new IllegalStateError('organization already exists');
      const { organizationId, name, timezone, defaultCurrency } = command.data;
      if (name.trim() === '') throw new ValidationError('name: must not be empty', 'name');
      assertTimezone(timezone, 'timezone');
      assertCurrency(defaultCurrency, 'defaultCurrency');
      return [{ type: 'OrganizationCreated', data: { organizationId, name: name.trim(), timezone, defaultCurrency, createdAt: command.metadata.now } }];
    }
    case 'CreateApiKey': {
      if (state.status !== 'active') throw new NotFoundError('organization not found');
      const { keyId, name, keyHash, keyPrefix } = command.data;
      if (state.keys[keyId]) return [];
      return [{ type: 'ApiKeyCreated', data: { organizationId: state.organizationId, keyId, name, keyHash, keyPrefix, createdAt: command.metadata.now } }];
    }
    case 'RevokeApiKey': {
      if (state.status !== 'active') throw new NotFoundError('organization not found');
      const key = state.keys[command.data.keyId];
      if (!key) throw new NotFoundError(`API key ${command.data.keyId} not found`);
      if (key.revoked) return [];
      return [{ type: 'ApiKeyRevoked', data: { organizationId: state.organizationId, keyId: command.data.keyId, revokedAt: command.metadata.now } }];
    }
    case 'UpdateOrganization': {
      if (state.status !== 'active') throw new NotFoundError('organization not found');
      const settings = resolveSettings(state.settings, command.data, {
        timezone: (tz) => assertTimezone(tz, 'timezone'),
        currency: (code) => assertCurrency(code, 'defaultCurrency'),
      });
      if (JSON.stringify(settings) === JSON.stringify(state.settings)) return [];
      return [{ type: 'OrganizationUpdated', data: { organizationId: state.organizationId, ...settings, updatedAt: command.metadata.now } }];
    }
    default: {
      const unknownCommand: never = command;
      return unknownCommand;
    }
  }
}

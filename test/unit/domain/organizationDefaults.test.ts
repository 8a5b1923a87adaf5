import { describe, expect, it } from 'vitest';
import {
  defaultDocumentNumberPrefix,
  organizationDecider,
  type OrganizationCommand,
  type OrganizationEvent,
  type OrganizationSettingsFields,
  type OrganizationState,
} from '../../../src/domain/organization/index.ts';
import { NotFoundError, ValidationError } from '../../../src/domain/shared/errors.ts';
import { spec } from '../../support/decider.ts';

const now = '2026-01-01T00:00:00.000Z';
const organization = spec<OrganizationCommand, OrganizationEvent, OrganizationState>(organizationDecider);
const orgId = '6f1c2a9e-0000-4000-8000-00000000ab3f';

const created: OrganizationEvent = {
  type: 'OrganizationCreated',
  data: { organizationId: orgId, name: 'Acme', timezone: 'Europe/Paris', defaultCurrency: 'EUR', createdAt: now },
};
const update = (data: OrganizationSettingsFields): OrganizationCommand => ({ type: 'UpdateOrganization', data, metadata: { now } });
const defaults = {
  timezone: 'Europe/Paris',
  defaultCurrency: 'EUR',
  invoiceGracePeriod: 0,
  netPaymentTerm: 0,
  documentNumberPrefix: 'ACM-AB3F',
  documentNumbering: 'PER_CUSTOMER' as const,
};
const refusedField = (command: OrganizationCommand) =>
  (organization.given([created]).when(command).thenThrows(ValidationError) as ValidationError).field;

describe('organization defaults', () => {
  it('derives the document number prefix like Lago: first 3 characters of the name and last 4 of the id, upper case', () => {
    expect(defaultDocumentNumberPrefix('Acme', orgId)).toBe('ACM-AB3F');
    expect(defaultDocumentNumberPrefix('Default organization', 'abc-1234')).toBe('DEF-1234');
    expect(defaultDocumentNumberPrefix('Yo', 'x9z')).toBe('YO-X9Z');
  });

  it('starts with grace 0, net 0, PER_CUSTOMER numbering and the derived prefix', () =>
    organization.given([]).when({ type: 'CreateOrganization', data: { organizationId: orgId, name: 'Acme', timezone: 'Europe/Paris', defaultCurrency: 'EUR' }, metadata: { now } })
      .thenState((state) => expect(state.status === 'active' && state.settings).toEqual(defaults)));

  it('records every setting after an update, changing only those given', () =>
    organization.given([created]).when(update({ invoiceGracePeriod: 3, netPaymentTerm: 30 })).then([
      { type: 'OrganizationUpdated', data: { organizationId: orgId, ...defaults, invoiceGracePeriod: 3, netPaymentTerm: 30, updatedAt: now } },
    ]));

  it('changes timezone, currency and numbering', () =>
    organization.given([created]).when(update({ timezone: 'America/New_York', defaultCurrency: 'USD', documentNumbering: 'PER_ORGANIZATION' }))
      .thenState((state) =>
        expect(state.status === 'active' && state.settings).toMatchObject({ timezone: 'America/New_York', defaultCurrency: 'USD', documentNumbering: 'PER_ORGANIZATION' }),
      ));

  it('upper-cases the document number prefix', () =>
    organization.given([created]).when(update({ documentNumberPrefix: 'inv' }))
      .thenState((state) => expect(state.status === 'active' && state.settings.documentNumberPrefix).toBe('INV')));

  it('treats an update that changes nothing as a no-op', () => organization.given([created]).when(update({ invoiceGracePeriod: 0, timezone: 'Europe/Paris' })).then([]));

  it('keeps later updates on top of earlier ones', () => {
    const first: OrganizationEvent = { type: 'OrganizationUpdated', data: { organizationId: orgId, ...defaults, invoiceGracePeriod: 5, updatedAt: now } };
    organization.given([created, first]).when(update({ netPaymentTerm: 15 }))
      .thenState((state) => expect(state.status === 'active' && [state.settings.invoiceGracePeriod, state.settings.netPaymentTerm]).toEqual([5, 15]));
  });

  it('refuses negative or fractional day counts', () => {
    expect(refusedField(update({ invoiceGracePeriod: -1 }))).toBe('invoiceGracePeriod');
    expect(refusedField(update({ netPaymentTerm: -30 }))).toBe('netPaymentTerm');
    expect(refusedField(update({ netPaymentTerm: 1.5 }))).toBe('netPaymentTerm');
  });

  it('refuses a prefix that is blank or longer than 10 characters', () => {
    expect(refusedField(update({ documentNumberPrefix: '  ' }))).toBe('documentNumberPrefix');
    expect(refusedField(update({ documentNumberPrefix: 'ABCDEFGHIJK' }))).toBe('documentNumberPrefix');
  });

  it('refuses an unknown timezone, currency or numbering', () => {
    expect(refusedField(update({ timezone: 'Mars/Olympus' }))).toBe('timezone');
    expect(refusedField(update({ defaultCurrency: 'XYZ' }))).toBe('defaultCurrency');
    expect(refusedField(update({ documentNumbering: 'PER_YEAR' as never }))).toBe('documentNumbering');
  });

  it('cannot update an organization that does not exist', () => organization.given([]).when(update({ netPaymentTerm: 1 })).thenThrows(NotFoundError));
});

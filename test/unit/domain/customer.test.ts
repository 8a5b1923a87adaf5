import { describe, expect, it } from 'vitest';
import { customerDecider, type CustomerCommand, type CustomerEvent, type CustomerFields, type CustomerState } from '../../../src/domain/customer/index.ts';
import { NotFoundError, ValidationError } from '../../../src/domain/shared/errors.ts';
import { spec } from '../../support/decider.ts';

const now = '2026-01-01T00:00:00.000Z';
const later = '2026-01-02T00:00:00.000Z';
const customer = spec<CustomerCommand, CustomerEvent, CustomerState>(customerDecider);

type Lookups = { existingTaxCodes?: string[]; hasSubscriptions?: boolean; subscriptionCurrencies?: string[]; customerId?: string; sequentialId?: number };
const upsert = (fields: CustomerFields = {}, lookups: Lookups = {}, at = now): CustomerCommand => ({
  type: 'UpsertCustomer',
  data: {
    organizationId: 'org1',
    externalId: 'cus_1',
    customerId: lookups.customerId ?? 'c1',
    sequentialId: lookups.sequentialId ?? 1,
    existingTaxCodes: lookups.existingTaxCodes ?? [],
    hasSubscriptions: lookups.hasSubscriptions ?? false,
    ...(lookups.subscriptionCurrencies ? { subscriptionCurrencies: lookups.subscriptionCurrencies } : {}),
    ...fields,
  },
  metadata: { now: at },
});
const remove: CustomerCommand = { type: 'DeleteCustomer', data: { externalId: 'cus_1' }, metadata: { now: later } };

const emptyProfile = {
  name: null, legalName: null, taxIdentificationNumber: null, email: null, addressLine1: null, addressLine2: null, city: null,
  zipcode: null, state: null, country: null, currency: null, timezone: null, invoiceGracePeriod: null, netPaymentTerm: null,
  taxCodes: [], metadata: [],
};
const identity = { organizationId: 'org1', customerId: 'c1', externalId: 'cus_1' };
const profile = { ...emptyProfile, name: 'Acme', email: 'billing@acme.io', currency: 'EUR', country: 'FR', timezone: 'Europe/Paris' };
const created: CustomerEvent = { type: 'CustomerCreated', data: { ...identity, sequentialId: 1, ...profile, createdAt: now } };
const deleted: CustomerEvent = { type: 'CustomerDeleted', data: { ...identity, deletedAt: later } };

const refusedField = (history: CustomerEvent[], command: CustomerCommand) =>
  (customer.given(history).when(command).thenThrows(ValidationError) as ValidationError).field;
const profileAfter = (history: CustomerEvent[], command: CustomerCommand) => {
  let result: unknown;
  customer.given(history).when(command).thenState((state) => (result = state.status === 'active' ? state.profile : null));
  return result as typeof profile;
};

describe('customer', () => {
  describe('when it does not exist', () => {
    it('is created by the first upsert, with the sequential id it was given', () =>
      customer.given([]).when(upsert({ name: 'Acme', email: 'billing@acme.io', currency: 'EUR', country: 'FR', timezone: 'Europe/Paris' })).then([created]));

    it('leaves unset settings null (they fall back to the organization) and lists empty', () =>
      customer.given([]).when(upsert()).then([{ type: 'CustomerCreated', data: { ...identity, sequentialId: 1, ...emptyProfile, createdAt: now } }]));

    it('refuses a blank external id', () => {
      const command = upsert();
      if (command.type === 'UpsertCustomer') command.data.externalId = '  ';
      expect(refusedField([], command)).toBe('externalId');
    });

    it('refuses an invalid email', () => {
      for (const email of ['nope', 'a@b', 'a b@c.io', 'a@b.io,c@d.io']) expect(refusedField([], upsert({ email })), email).toBe('email');
    });

    it('refuses a country that is not ISO 3166-1 alpha-2, and upper-cases a valid one', () => {
      expect(refusedField([], upsert({ country: 'XX' }))).toBe('country');
      expect(refusedField([], upsert({ country: 'FRA' }))).toBe('country');
      expect(profileAfter([], upsert({ country: 'fr' })).country).toBe('FR');
    });

    it('refuses a currency that is not ISO 4217', () => expect(refusedField([], upsert({ currency: 'XYZ' }))).toBe('currency'));
    it('refuses a timezone that is not IANA', () => expect(refusedField([], upsert({ timezone: 'Mars/Olympus' }))).toBe('timezone'));

    it('refuses negative grace periods and payment terms', () => {
      expect(refusedField([], upsert({ invoiceGracePeriod: -1 }))).toBe('invoiceGracePeriod');
      expect(refusedField([], upsert({ netPaymentTerm: -1 }))).toBe('netPaymentTerm');
    });

    it('accepts tax codes that exist and refuses unknown or repeated ones, naming the entry', () => {
      expect(profileAfter([], upsert({ taxCodes: ['vat_20'] }, { existingTaxCodes: ['vat_20'] })).taxCodes).toEqual(['vat_20']);
      expect(refusedField([], upsert({ taxCodes: ['vat_20', 'nope'] }, { existingTaxCodes: ['vat_20'] }))).toBe('taxCodes.1');
      expect(refusedField([], upsert({ taxCodes: ['vat_20', 'vat_20'] }, { existingTaxCodes: ['vat_20'] }))).toBe('taxCodes.1');
    });

    it('keeps metadata with displayInInvoice defaulting to false', () =>
      expect(profileAfter([], upsert({ metadata: [{ key: 'crm', value: '42' }] })).metadata).toEqual([{ key: 'crm', value: '42', displayInInvoice: false }]));

    it('refuses metadata beyond Lago’s limits: 5 entries, keys ≤ 20 and unique, values 1 to 100 characters', () => {
      const entry = (key: string, value = 'v') => ({ key, value });
      expect(refusedField([], upsert({ metadata: ['a', 'b', 'c', 'd', 'e', 'f'].map((k) => entry(k)) }))).toBe('metadata');
      expect(refusedField([], upsert({ metadata: [entry('k'.repeat(21))] }))).toBe('metadata.0.key');
      expect(refusedField([], upsert({ metadata: [entry('a'), entry('a')] }))).toBe('metadata.1.key');
      expect(refusedField([], upsert({ metadata: [entry('a', ' ')] }))).toBe('metadata.0.value');
      expect(refusedField([], upsert({ metadata: [entry('a', 'v'.repeat(101))] }))).toBe('metadata.0.value');
    });

    it('stores blank text as null', () => expect(profileAfter([], upsert({ name: '  ', city: '' })).name).toBeNull());

    it('cannot be deleted', () => customer.given([]).when(remove).thenThrows(NotFoundError));
  });

  describe('when active', () => {
    it('is updated by a later upsert: given fields change, omitted ones stay, null clears', () =>
      customer.given([created]).when(upsert({ name: 'Acme Inc', email: null, netPaymentTerm: 30 }, { customerId: 'ignored', sequentialId: 9 }, later)).then([
        { type: 'CustomerUpdated', data: { ...identity, ...profile, name: 'Acme Inc', email: null, netPaymentTerm: 30, updatedAt: later } },
      ]));

    it('treats an upsert that changes nothing as a no-op', () => customer.given([created]).when(upsert({ name: 'Acme', country: 'fr' })).then([]));

    it('validates updated fields like new ones', () => expect(refusedField([created], upsert({ timezone: 'Nowhere/Land' }))).toBe('timezone'));

    it('replaces the tax codes and metadata lists when given', () => {
      const withTaxes = profileAfter([created], upsert({ taxCodes: ['vat_10'] }, { existingTaxCodes: ['vat_10'] }));
      expect(withTaxes.taxCodes).toEqual(['vat_10']);
      expect(profileAfter([created], upsert({ taxCodes: [] })).taxCodes).toEqual([]);
    });

    it('keeps its currency once it has a subscription, but may set one it lacked', () => {
      expect(refusedField([created], upsert({ currency: 'USD' }, { hasSubscriptions: true }))).toBe('currency');
      expect(refusedField([created], upsert({ currency: null }, { hasSubscriptions: true }))).toBe('currency');
      customer.given([created]).when(upsert({ currency: 'EUR' }, { hasSubscriptions: true })).then([]);
      expect(profileAfter([created], upsert({ currency: 'USD' }))).toMatchObject({ currency: 'USD' });
      const noCurrency: CustomerEvent = { type: 'CustomerCreated', data: { ...identity, sequentialId: 1, ...emptyProfile, createdAt: now } };
      expect(profileAfter([noCurrency], upsert({ currency: 'USD' }, { hasSubscriptions: true }))).toMatchObject({ currency: 'USD' });
    });

    it('without a currency but with subscriptions, takes only theirs (never a USD customer with an EUR subscription)', () => {
      const noCurrency: CustomerEvent = { type: 'CustomerCreated', data: { ...identity, sequentialId: 1, ...emptyProfile, createdAt: now } };
      expect(refusedField([noCurrency], upsert({ currency: 'USD' }, { hasSubscriptions: true, subscriptionCurrencies: ['EUR'] }))).toBe('currency');
      expect(profileAfter([noCurrency], upsert({ currency: 'EUR' }, { hasSubscriptions: true, subscriptionCurrencies: ['EUR'] }))).toMatchObject({ currency: 'EUR' });
      expect(profileAfter([noCurrency], upsert({ name: 'Renamed' }, { hasSubscriptions: true, subscriptionCurrencies: ['EUR'] }))).toMatchObject({ currency: null });
    });

    it('is deleted', () => customer.given([created]).when(remove).then([deleted]));
  });

  describe('when deleted', () => {
    it('cannot be deleted again', () => customer.given([created, deleted]).when(remove).thenThrows(NotFoundError));

    it('is created anew (new id, new sequential id) by the next upsert with its external id', () =>
      customer.given([created, deleted]).when(upsert({ name: 'Again' }, { customerId: 'c2', sequentialId: 2 }, later)).then([
        { type: 'CustomerCreated', data: { ...identity, customerId: 'c2', sequentialId: 2, ...emptyProfile, name: 'Again', createdAt: later } },
      ]));
  });
});

import { describe, expect, it } from 'vitest';
import { addOnDecider, type AddOnCommand, type AddOnEvent, type AddOnFields, type AddOnState } from '../../../src/domain/addOn/index.ts';
import { IllegalStateError, NotFoundError, ValidationError } from '../../../src/domain/shared/errors.ts';
import { LIST_LIMITS } from '../../../src/domain/shared/limits.ts';
import { spec } from '../../support/decider.ts';

const now = '2026-01-01T00:00:00.000Z';
const later = '2026-01-02T00:00:00.000Z';
const addOn = spec<AddOnCommand, AddOnEvent, AddOnState>(addOnDecider);
const live = ['vat_20', 'vat_5'];

const create = (fields: AddOnFields = {}, addOnId = 'a1', existingTaxCodes = live): AddOnCommand => ({
  type: 'CreateAddOn',
  data: { organizationId: 'org1', addOnId, code: 'setup', name: 'Setup', amountCents: '50000', amountCurrency: 'EUR', ...fields, existingTaxCodes },
  metadata: { now },
});
const update = (fields: AddOnFields, existingTaxCodes = live): AddOnCommand => ({ type: 'UpdateAddOn', data: { code: 'setup', ...fields, existingTaxCodes }, metadata: { now: later } });
const remove = (): AddOnCommand => ({ type: 'DeleteAddOn', data: { code: 'setup' }, metadata: { now: later } });

const identity = { organizationId: 'org1', addOnId: 'a1', code: 'setup' };
const definition = { name: 'Setup', invoiceDisplayName: null, description: null, amountCents: '50000', amountCurrency: 'EUR', taxCodes: [] as string[] };
const created: AddOnEvent = { type: 'AddOnCreated', data: { ...identity, ...definition, createdAt: now } };
const deleted: AddOnEvent = { type: 'AddOnDeleted', data: { ...identity, deletedAt: later } };

const refusedField = (history: AddOnEvent[], command: AddOnCommand) => (addOn.given(history).when(command).thenThrows(ValidationError) as ValidationError).field;
const createdWith = (fields: AddOnFields) => {
  const events = addOnDecider.decide(create(fields), addOnDecider.initialState());
  return events[0]?.type === 'AddOnCreated' ? events[0].data : undefined;
};

describe('add-on', () => {
  describe('when it does not exist', () => {
    it('is created with no display name, description or taxes by default', () => addOn.given([]).when(create()).then([created]));

    it('keeps every field given, the amount without leading zeros and repeated tax codes once', () => {
      expect(createdWith({ amountCents: '007', invoiceDisplayName: 'Setup fee', description: 'One-time setup', taxCodes: ['vat_20', 'vat_5', 'vat_20'] })).toMatchObject({
        amountCents: '7',
        invoiceDisplayName: 'Setup fee',
        description: 'One-time setup',
        taxCodes: ['vat_20', 'vat_5'],
      });
    });

    it('reads a blank display name or description as none', () =>
      expect(createdWith({ invoiceDisplayName: ' ', description: '' })).toMatchObject({ invoiceDisplayName: null, description: null }));

    it('refuses an amount that is not a positive integer number of cents (Lago: greater than 0)', () => {
      for (const amountCents of ['0', '000', '-1', '1.5', '1e3', '', ' 1', 'abc']) expect(refusedField([], create({ amountCents })), amountCents).toBe('amountCents');
      expect(refusedField([], create({ amountCents: null }))).toBe('amountCents');
    });

    it('refuses a currency that is not ISO 4217', () => {
      for (const amountCurrency of ['EURO', 'eur', 'XXY', '', null]) expect(refusedField([], create({ amountCurrency })), String(amountCurrency)).toBe('amountCurrency');
    });

    it('refuses a blank name, a blank or padded code', () => {
      expect(refusedField([], create({ name: ' ' }))).toBe('name');
      expect(refusedField([], create({ name: null }))).toBe('name');
      for (const code of ['', ' setup', 'setup ']) {
        const command = create();
        if (command.type === 'CreateAddOn') command.data.code = code;
        expect(refusedField([], command), JSON.stringify(code)).toBe('code');
      }
    });

    it('refuses a tax code that names no live tax, naming its position', () => {
      expect(refusedField([], create({ taxCodes: ['vat_20', 'gone'] }))).toBe('taxCodes.1');
      expect(refusedField([], create({ taxCodes: ['vat_20'] }, 'a1', []))).toBe('taxCodes.0');
    });

    it(`refuses more than ${LIST_LIMITS.taxCodes} tax codes`, () => {
      const many = Array.from({ length: LIST_LIMITS.taxCodes + 1 }, (_, i) => `t${i}`);
      expect(refusedField([], create({ taxCodes: many }, 'a1', many))).toBe('taxCodes');
    });

    it('cannot be updated or deleted', () => {
      addOn.given([]).when(update({ name: 'X' })).thenThrows(NotFoundError);
      addOn.given([]).when(remove()).thenThrows(NotFoundError);
    });
  });

  describe('when active', () => {
    it('refuses a second add-on with the same code', () => addOn.given([created]).when(create({}, 'a2')).thenThrows(IllegalStateError, /already exists/));

    it('treats the same creation again (same id) as a no-op', () => addOn.given([created]).when(create()).then([]));

    it('updates only the fields given and records the whole definition', () =>
      addOn.given([created]).when(update({ amountCents: '60000', amountCurrency: 'USD', taxCodes: ['vat_5'] })).then([
        { type: 'AddOnUpdated', data: { ...identity, ...definition, amountCents: '60000', amountCurrency: 'USD', taxCodes: ['vat_5'], updatedAt: later } },
      ]));

    it('clears the display name, the description and the tax codes with null', () => {
      const full: AddOnEvent = { type: 'AddOnCreated', data: { ...identity, ...definition, invoiceDisplayName: 'Setup fee', description: 'D', taxCodes: ['vat_20'], createdAt: now } };
      addOn.given([full]).when(update({ invoiceDisplayName: null, description: null, taxCodes: null })).then([{ type: 'AddOnUpdated', data: { ...identity, ...definition, updatedAt: later } }]);
    });

    it('keeps its tax codes when the update does not name them, without checking them again', () => {
      const taxed: AddOnEvent = { type: 'AddOnCreated', data: { ...identity, ...definition, taxCodes: ['vat_20'], createdAt: now } };
      addOn.given([taxed]).when(update({ name: 'Onboarding' }, [])).then([
        { type: 'AddOnUpdated', data: { ...identity, ...definition, name: 'Onboarding', taxCodes: ['vat_20'], updatedAt: later } },
      ]);
    });

    it('treats an update that changes nothing (same amount written differently) as a no-op', () =>
      addOn.given([created]).when(update({ amountCents: '050000', name: 'Setup', taxCodes: [] })).then([]));

    it('refuses bad fields on update, naming them', () => {
      expect(refusedField([created], update({ amountCents: '0' }))).toBe('amountCents');
      expect(refusedField([created], update({ amountCents: null }))).toBe('amountCents');
      expect(refusedField([created], update({ amountCurrency: 'ZZZ' }))).toBe('amountCurrency');
      expect(refusedField([created], update({ name: '' }))).toBe('name');
      expect(refusedField([created], update({ taxCodes: ['gone'] }))).toBe('taxCodes.0');
    });

    it('is deleted', () => addOn.given([created]).when(remove()).then([deleted]));
  });

  describe('when deleted', () => {
    it('cannot be updated or deleted again', () => {
      addOn.given([created, deleted]).when(update({ name: 'X' })).thenThrows(NotFoundError);
      addOn.given([created, deleted]).when(remove()).thenThrows(NotFoundError);
    });

    it('lets the code be used again by a new add-on', () =>
      addOn.given([created, deleted]).when(create({ amountCents: '100' }, 'a2')).then([
        { type: 'AddOnCreated', data: { ...identity, addOnId: 'a2', ...definition, amountCents: '100', createdAt: now } },
      ]));

    it('is folded as deleted', () =>
      addOn.given([created]).when(remove()).thenState((state) => expect(state).toMatchObject({ status: 'deleted', addOnId: 'a1' })));
  });
});

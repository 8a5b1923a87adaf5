import { describe, expect, it } from 'vitest';
import { IllegalStateError, NotFoundError, ValidationError } from '../../../src/domain/shared/errors.ts';
import { taxDecider, type TaxCommand, type TaxEvent, type TaxFields, type TaxState } from '../../../src/domain/tax/index.ts';
import { spec } from '../../support/decider.ts';

const now = '2026-01-01T00:00:00.000Z';
const later = '2026-01-02T00:00:00.000Z';
const tax = spec<TaxCommand, TaxEvent, TaxState>(taxDecider);

const create = (fields: TaxFields = {}, taxId = 't1'): TaxCommand => ({
  type: 'CreateTax',
  data: { organizationId: 'org1', taxId, code: 'vat_20', name: 'VAT', rate: '20', ...fields },
  metadata: { now },
});
const update = (fields: TaxFields): TaxCommand => ({ type: 'UpdateTax', data: { code: 'vat_20', ...fields }, metadata: { now: later } });
const remove = (usedByCustomerExternalIds: string[] = [], usedByPlanCodes: string[] = [], usedByAddOnCodes: string[] = []): TaxCommand => ({
  type: 'DeleteTax',
  data: { code: 'vat_20', usedByCustomerExternalIds, usedByPlanCodes, usedByAddOnCodes },
  metadata: { now: later },
});

const identity = { organizationId: 'org1', taxId: 't1', code: 'vat_20' };
const definition = { name: 'VAT', rate: '20', description: null, appliedToOrganization: false };
const created: TaxEvent = { type: 'TaxCreated', data: { ...identity, ...definition, createdAt: now } };
const deleted: TaxEvent = { type: 'TaxDeleted', data: { ...identity, deletedAt: later } };

const refusedField = (history: TaxEvent[], command: TaxCommand) => (tax.given(history).when(command).thenThrows(ValidationError) as ValidationError).field;
const rateOf = (rate: string) => {
  const events = taxDecider.decide(create({ rate }), taxDecider.initialState());
  return events[0]?.type === 'TaxCreated' ? events[0].data.rate : undefined;
};

describe('tax', () => {
  describe('when it does not exist', () => {
    it('is created, not applied to the organization by default', () => tax.given([]).when(create()).then([created]));

    it('normalises the rate as a plain decimal string', () => {
      expect(rateOf('20.50')).toBe('20.5');
      expect(rateOf('0')).toBe('0');
      expect(rateOf('100')).toBe('100');
      expect(rateOf('007.25')).toBe('7.25');
    });

    it('refuses a rate above 100, negative, or not a plain decimal', () => {
      for (const rate of ['100.01', '-1', 'abc', '1e2', '', '20%', '.5']) {
        expect(refusedField([], create({ rate })), rate).toBe('rate');
      }
    });

    it('refuses a blank name or code', () => {
      expect(refusedField([], create({ name: ' ' }))).toBe('name');
      const blankCode = create();
      if (blankCode.type === 'CreateTax') blankCode.data.code = '';
      expect(refusedField([], blankCode)).toBe('code');
    });

    it('cannot be updated or deleted', () => {
      tax.given([]).when(update({ name: 'X' })).thenThrows(NotFoundError);
      tax.given([]).when(remove()).thenThrows(NotFoundError);
    });
  });

  describe('when active', () => {
    it('refuses a second tax with the same code', () => tax.given([created]).when(create({}, 't2')).thenThrows(IllegalStateError, /already exists/));

    it('updates only the fields given and records the whole definition', () =>
      tax.given([created]).when(update({ rate: '19.6', appliedToOrganization: true })).then([
        { type: 'TaxUpdated', data: { ...identity, ...definition, rate: '19.6', appliedToOrganization: true, updatedAt: later } },
      ]));

    it('treats an update that changes nothing (same rate written differently) as a no-op', () =>
      tax.given([created]).when(update({ rate: '20.00', name: 'VAT' })).then([]));

    it('refuses a bad rate on update', () => expect(refusedField([created], update({ rate: '101' }))).toBe('rate'));

    it('is deleted when nothing uses it', () => tax.given([created]).when(remove()).then([deleted]));

    it('refuses deletion while customers, plans or add-ons carry it, naming them', () => {
      tax.given([created]).when(remove(['cus_1'])).thenThrows(IllegalStateError, /customer cus_1/);
      tax.given([created]).when(remove([], ['pro'])).thenThrows(IllegalStateError, /plan pro/);
      tax.given([created]).when(remove([], [], ['setup'])).thenThrows(IllegalStateError, /add-on setup/);
      tax.given([created]).when(remove(['cus_1'], ['pro'], ['setup'])).thenThrows(IllegalStateError, /customer cus_1, plan pro, add-on setup/);
    });
  });

  describe('when deleted', () => {
    it('cannot be updated or deleted again', () => {
      tax.given([created, deleted]).when(update({ name: 'X' })).thenThrows(NotFoundError);
      tax.given([created, deleted]).when(remove()).thenThrows(NotFoundError);
    });

    it('lets the code be used again by a new tax', () =>
      tax.given([created, deleted]).when(create({ rate: '5.5' }, 't2')).then([
        { type: 'TaxCreated', data: { ...identity, taxId: 't2', ...definition, rate: '5.5', createdAt: now } },
      ]));
  });
});

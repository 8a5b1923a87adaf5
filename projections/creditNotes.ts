import { CREDIT_NOTE_EVENT_TYPES, type CreditNoteCreated, type CreditNoteEvent, type CreditStatus } from '../src/domain/creditNote/index.ts';
import { defineProjection } from './projection.ts';

/** A credit note with its credit's balance and which invoices consumed it. */
export type CreditNoteDocument = Omit<CreditNoteCreated['data'], 'creditNoteId'> & {
  _id: string;
  creditStatus: CreditStatus;
  /** What remains of its credit for later invoices, integer cents. */
  balanceAmountCents: string;
  consumptions: { invoiceId: string; amountCents: string; consumedAt: string }[];
  voidedAt: string | null;
  updatedAt: string;
};

export const CREDIT_NOTES = 'creditNotes';

export const creditNotesProjection = defineProjection<CreditNoteDocument>({
  name: 'creditNotes',
  collection: CREDIT_NOTES,
  indexes: [
    { name: 'byOrganizationCreatedAt', keys: { organizationId: 1, createdAt: 1, _id: 1 } },
    { name: 'byCustomerCreated', keys: { customerId: 1, createdAt: 1, _id: 1 } },
    { name: 'byCustomerStatus', keys: { customerId: 1, creditStatus: 1 } },
    { name: 'byInvoice', keys: { invoiceId: 1 } },
  ],
  handles: CREDIT_NOTE_EVENT_TYPES,
  catalog: false,
  documentIds: (event) => [(event.data as { creditNoteId: string }).creditNoteId],
  fold(doc, recorded) {
    const event = recorded as unknown as CreditNoteEvent;
    switch (event.type) {
      case 'CreditNoteCreated': {
        if (doc !== null) return doc;
        const { creditNoteId, ...data } = event.data;
        return { _id: creditNoteId, ...data, creditStatus: data.creditAmountCents === '0' ? 'CONSUMED' : 'AVAILABLE', balanceAmountCents: data.creditAmountCents, consumptions: [], voidedAt: null, updatedAt: data.createdAt };
      }
      case 'CreditNoteConsumed': {
        if (doc === null) return doc;
        const { invoiceId, amountCents, balanceAmountCents, consumedAt } = event.data;
        return {
          ...doc,
          balanceAmountCents,
          creditStatus: balanceAmountCents === '0' ? 'CONSUMED' : doc.creditStatus,
          consumptions: [...doc.consumptions, { invoiceId, amountCents, consumedAt }],
          updatedAt: consumedAt,
        };
      }
      case 'CreditNoteVoided':
        return doc === null ? doc : { ...doc, creditStatus: 'VOIDED', balanceAmountCents: '0', voidedAt: event.data.voidedAt, updatedAt: event.data.voidedAt };
      default:
        return doc;
    }
  },
});

import { INVOICE_EVENT_TYPES, type InvoiceCreated, type InvoiceEvent, type InvoiceStatus, type PaymentStatus } from '../src/domain/invoice/index.ts';
import { defineProjection } from './projection.ts';

/** One document per invoice, fees embedded (an invoice is read whole). Money as strings, like the events. */
export type InvoiceDocument = Omit<InvoiceCreated['data'], 'invoiceId'> & {
  _id: string;
  status: InvoiceStatus;
  paymentStatus: PaymentStatus;
  /** Per customer and per organization, once finalized (null while draft). */
  sequentialId: number | null;
  organizationSequentialId: number | null;
  finalizedAt: string | null;
  voidedAt: string | null;
  updatedAt: string;
  /**
   * The end of the charges period this invoice closes: `chargesTo`, except for pay-in-advance and progressive-billing
   * invoices, which bill part of a period that its end-of-period invoice bills (or deducts) again. How far ingestion's
   * PERIOD_ALREADY_INVOICED and the event debugger's `invoice` reach.
   */
  periodInvoicedTo: string | null;
  /** Credit notes issued on it and what they credited, refunded and offset, integer cents (absent: none). */
  creditNoteIds?: string[];
  creditedAmountCents?: string;
  refundedAmountCents?: string;
  offsetAmountCents?: string;
};

export const INVOICES = 'invoices';

export const invoicesProjection = defineProjection<InvoiceDocument>({
  name: 'invoices',
  collection: INVOICES,
  indexes: [
    { name: 'byOrganizationCreatedAt', keys: { organizationId: 1, createdAt: 1, _id: 1 } },
    { name: 'byCustomerCreatedAt', keys: { organizationId: 1, customerId: 1, createdAt: 1, _id: 1 } },
    { name: 'bySubscriptionBillingAt', keys: { subscriptionId: 1, billingAt: 1 } },
    // A subscription's and a customer's invoices of one status and reason (finalized progressive ones, drafts): what
    // every wallet balance and progressive check reads, exact in the index instead of every invoice of theirs.
    { name: 'bySubscriptionStatusReason', keys: { subscriptionId: 1, status: 1, reason: 1 } },
    { name: 'byCustomerStatusReason', keys: { organizationId: 1, customerId: 1, status: 1, reason: 1 } },
    { name: 'byStatus', keys: { status: 1, issuingDate: 1 } },
    // Ingestion's PERIOD_ALREADY_INVOICED check: the latest invoiced instant, of the organization and of one id.
    { name: 'byOrganizationStatusPeriodInvoicedTo', keys: { organizationId: 1, status: 1, periodInvoicedTo: 1 } },
    { name: 'bySubscriptionStatusPeriodInvoicedTo', keys: { organizationId: 1, externalSubscriptionId: 1, status: 1, periodInvoicedTo: 1 } },
  ],
  handles: INVOICE_EVENT_TYPES,
  catalog: false,
  documentIds: (event) => [(event.data as { invoiceId: string }).invoiceId],
  fold(doc, event) {
    const e = event as unknown as InvoiceEvent;
    switch (e.type) {
      case 'InvoiceCreated': {
        if (doc !== null) return doc;
        const { invoiceId, ...data } = e.data;
        const periodInvoicedTo = data.reason === 'IN_ADVANCE_CHARGE' || data.reason === 'PROGRESSIVE_BILLING' ? null : data.chargesTo;
        return { _id: invoiceId, ...data, periodInvoicedTo, status: 'DRAFT', paymentStatus: 'PENDING', sequentialId: null, organizationSequentialId: null, finalizedAt: null, voidedAt: null, updatedAt: data.createdAt };
      }
      case 'InvoiceRefreshed': {
        if (doc === null) return doc;
        const { fees, appliedTaxes, totals, usagePosition, refreshedAt } = e.data;
        return { ...doc, fees, appliedTaxes, totals, usagePosition, updatedAt: refreshedAt };
      }
      case 'InvoiceFinalized': {
        if (doc === null) return doc;
        const { fees, appliedTaxes, totals, usagePosition, number, sequentialId, organizationSequentialId, issuingDate, paymentDueDate, paymentStatus, finalizedAt } = e.data;
        return { ...doc, fees, appliedTaxes, totals, usagePosition, credits: e.data.credits ?? [], number, sequentialId, organizationSequentialId, issuingDate, paymentDueDate, paymentStatus, status: 'FINALIZED', finalizedAt, updatedAt: finalizedAt };
      }
      case 'InvoiceVoided':
        return doc === null ? doc : { ...doc, status: 'VOIDED', voidedAt: e.data.voidedAt, updatedAt: e.data.voidedAt };
      case 'InvoicePaymentStatusUpdated':
        return doc === null ? doc : { ...doc, paymentStatus: e.data.paymentStatus, updatedAt: e.data.updatedAt };
      case 'InvoiceCredited': {
        if (doc === null) return doc;
        const plus = (a: string | undefined, b: string) => String(BigInt(a ?? '0') + BigInt(b));
        return {
          ...doc,
          creditNoteIds: [...(doc.creditNoteIds ?? []), e.data.creditNoteId],
          creditedAmountCents: plus(doc.creditedAmountCents, e.data.totalAmountCents),
          refundedAmountCents: plus(doc.refundedAmountCents, e.data.refundAmountCents),
          offsetAmountCents: plus(doc.offsetAmountCents, e.data.offsetAmountCents),
          updatedAt: e.data.creditedAt,
        };
      }
      default:
        return doc;
    }
  },
});

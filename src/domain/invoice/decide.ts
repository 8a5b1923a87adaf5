import { IllegalStateError, NotFoundError, ValidationError } from '../shared/errors.ts';
import type { InvoiceContent, InvoiceCreated, InvoiceEvent, InvoiceStatus, PaymentStatus } from './events.ts';

export type InvoiceState =
  | { status: 'none' }
  | {
      status: InvoiceStatus;
      invoiceId: string;
      organizationId: string;
      paymentStatus: PaymentStatus;
      totalAmountCents: string;
      usagePosition: string;
      /** Credit notes issued on it, and what they credited per fee and in all (integer cents). */
      creditNotes: number;
      creditedByFee: Record<string, string>;
      creditedAmountCents: string;
      refundedAmountCents: string;
      offsetAmountCents: string;
      /** Each credit note's split and taxes, in order. */
      notes: { creditAmountCents: string; refundAmountCents: string; offsetAmountCents: string; taxesAmountCents: string; preciseTaxesAmountCents: string }[];
    };

export const initialState = (): InvoiceState => ({ status: 'none' });

export function evolve(state: InvoiceState, event: InvoiceEvent): InvoiceState {
  switch (event.type) {
    case 'InvoiceCreated':
      return {
        status: 'DRAFT',
        invoiceId: event.data.invoiceId,
        organizationId: event.data.organizationId,
        paymentStatus: 'PENDING',
        totalAmountCents: event.data.totals.totalAmountCents,
        usagePosition: event.data.usagePosition,
        creditNotes: 0,
        creditedByFee: {},
        creditedAmountCents: '0',
        refundedAmountCents: '0',
        offsetAmountCents: '0',
        notes: [],
      };
    case 'InvoiceRefreshed':
      return state.status === 'none' ? state : { ...state, totalAmountCents: event.data.totals.totalAmountCents, usagePosition: event.data.usagePosition };
    case 'InvoiceFinalized':
      return state.status === 'none'
        ? state
        : { ...state, status: 'FINALIZED', paymentStatus: event.data.paymentStatus, totalAmountCents: event.data.totals.totalAmountCents, usagePosition: event.data.usagePosition };
    case 'InvoiceVoided':
      return state.status === 'none' ? state : { ...state, status: 'VOIDED' };
    case 'InvoicePaymentStatusUpdated':
      return state.status === 'none' ? state : { ...state, paymentStatus: event.data.paymentStatus };
    case 'InvoiceCredited': {
      if (state.status === 'none') return state;
      const creditedByFee = { ...state.creditedByFee };
      for (const item of event.data.items) creditedByFee[item.feeId] = String(BigInt(creditedByFee[item.feeId] ?? '0') + BigInt(item.amountCents));
      const plus = (a: string, b: string) => String(BigInt(a) + BigInt(b));
      return {
        ...state,
        creditNotes: state.creditNotes + 1,
        creditedByFee,
        creditedAmountCents: plus(state.creditedAmountCents, event.data.totalAmountCents),
        refundedAmountCents: plus(state.refundedAmountCents, event.data.refundAmountCents),
        offsetAmountCents: plus(state.offsetAmountCents, event.data.offsetAmountCents),
        notes: [
          ...state.notes,
          {
            creditAmountCents: event.data.creditAmountCents,
            refundAmountCents: event.data.refundAmountCents,
            offsetAmountCents: event.data.offsetAmountCents,
            taxesAmountCents: event.data.taxesAmountCents,
            preciseTaxesAmountCents: event.data.preciseTaxesAmountCents,
          },
        ],
      };
    }
    default:
      return state;
  }
}

/** The numbers a finalization was given (drawn by the application from the organization's counter). */
export type InvoiceNumbers = { number: string; sequentialId: number; organizationSequentialId: number };

export type InvoiceCommand =
  | { type: 'CreateInvoice'; data: InvoiceCreated['data']; metadata: { now: string } }
  | { type: 'RefreshInvoice'; data: { invoiceId: string; content: InvoiceContent }; metadata: { now: string } }
  | {
      type: 'FinalizeInvoice';
      data: { invoiceId: string; content: InvoiceContent; numbers: InvoiceNumbers; issuingDate: string; paymentDueDate: string };
      metadata: { now: string };
    }
  | { type: 'VoidInvoice'; data: { invoiceId: string }; metadata: { now: string } }
  | { type: 'UpdateInvoicePaymentStatus'; data: { invoiceId: string; paymentStatus: PaymentStatus }; metadata: { now: string } };

const PAYMENT_STATUSES: readonly PaymentStatus[] = ['PENDING', 'SUCCEEDED', 'FAILED'];

/**
 * An invoice's lifecycle (Lago §4.1–4.2): created (DRAFT, with its fees), refreshed while draft, finalized once
 * with its number, then voided (unpaid only) or its payment status set. The stream id derives from what the
 * invoice bills, so `CreateInvoice` on an existing stream is a no-op: the first one stays.
 */
export function decide(command: InvoiceCommand, state: InvoiceState): InvoiceEvent[] {
  const now = command.metadata.now;
  switch (command.type) {
    case 'CreateInvoice':
      return state.status === 'none' ? [{ type: 'InvoiceCreated', data: command.data }] : [];
    case 'RefreshInvoice': {
      if (state.status === 'none') throw new NotFoundError(`invoice ${command.data.invoiceId} not found`);
      if (state.status !== 'DRAFT') throw new IllegalStateError(`invoice ${state.invoiceId} is ${state.status.toLowerCase()}: only a draft can be refreshed`);
      return [{ type: 'InvoiceRefreshed', data: { organizationId: state.organizationId, invoiceId: state.invoiceId, ...command.data.content, refreshedAt: now } }];
    }
    case 'FinalizeInvoice': {
      if (state.status === 'none') throw new NotFoundError(`invoice ${command.data.invoiceId} not found`);
      if (state.status === 'FINALIZED') return [];
      if (state.status !== 'DRAFT') throw new IllegalStateError(`invoice ${state.invoiceId} is ${state.status.toLowerCase()}: only a draft can be finalized`);
      const { content, numbers, issuingDate, paymentDueDate } = command.data;
      const paymentStatus: PaymentStatus = content.totals.totalAmountCents === '0' ? 'SUCCEEDED' : 'PENDING';
      return [
        {
          type: 'InvoiceFinalized',
          data: { organizationId: state.organizationId, invoiceId: state.invoiceId, ...content, ...numbers, issuingDate, paymentDueDate, paymentStatus, finalizedAt: now },
        },
      ];
    }
    case 'VoidInvoice': {
      if (state.status === 'none') throw new NotFoundError(`invoice ${command.data.invoiceId} not found`);
      if (state.status === 'VOIDED') return [];
      if (state.status !== 'FINALIZED') throw new IllegalStateError(`invoice ${state.invoiceId} is a draft: finalize it before voiding it`);
      if (state.paymentStatus === 'SUCCEEDED') throw new IllegalStateError(`invoice ${state.invoiceId} is paid: only an unpaid invoice can be voided`);
      return [{ type: 'InvoiceVoided', data: { organizationId: state.organizationId, invoiceId: state.invoiceId, voidedAt: now } }];
    }
    case 'UpdateInvoicePaymentStatus': {
      if (state.status === 'none') throw new NotFoundError(`invoice ${command.data.invoiceId} not found`);
      const { paymentStatus } = command.data;
      if (!PAYMENT_STATUSES.includes(paymentStatus)) throw new ValidationError(`paymentStatus: one of ${PAYMENT_STATUSES.join(', ')}`, 'paymentStatus');
      if (state.status !== 'FINALIZED') throw new IllegalStateError(`invoice ${state.invoiceId} is ${state.status.toLowerCase()}: only a finalized invoice has a payment status to set`);
      if (state.paymentStatus === paymentStatus) return [];
      return [{ type: 'InvoicePaymentStatusUpdated', data: { organizationId: state.organizationId, invoiceId: state.invoiceId, paymentStatus, updatedAt: now } }];
    }
    default: {
      const unknown: never = command;
      return unknown;
    }
  }
}

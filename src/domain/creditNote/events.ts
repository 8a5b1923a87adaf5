import type { DomainEvent } from '../shared/decider.ts';

/** Lago's credit note reasons. */
export const CREDIT_NOTE_REASONS = ['DUPLICATED_CHARGE', 'PRODUCT_UNSATISFACTORY', 'ORDER_CHANGE', 'ORDER_CANCELLATION', 'FRAUDULENT_CHARGE', 'OTHER'] as const;
export type CreditNoteReason = (typeof CREDIT_NOTE_REASONS)[number];
/** AVAILABLE while its credit has a balance; CONSUMED once later invoices used it up; VOIDED. */
export type CreditStatus = 'AVAILABLE' | 'CONSUMED' | 'VOIDED';

export type CreditNoteItem = { feeId: string; amountCents: string; preciseAmountCents: string };
export type CreditNoteAppliedTax = { code: string; name: string | null; rate: string; amountCents: string; baseAmountCents: string };

/**
 * A credit note on a finalized invoice (Lago's `credit_note`, §5.5): items per fee, taxes recomputed pro rata with
 * the coupons' adjustment, and the total split into a credit (the customer's balance, consumed by later invoices),
 * a refund and an offset (what the unpaid invoice no longer owes). Amounts are integer cents as strings.
 */
export type CreditNoteCreated = DomainEvent<
  'CreditNoteCreated',
  {
    organizationId: string;
    creditNoteId: string;
    invoiceId: string;
    invoiceNumber: string;
    customerId: string;
    externalCustomerId: string;
    currency: string;
    number: string;
    /** Per invoice: 1, 2, … */
    sequentialId: number;
    reason: CreditNoteReason;
    description: string | null;
    /** Issued by the engine (the unused part of an in-advance fee on a termination or upgrade). */
    automatic: boolean;
    items: CreditNoteItem[];
    couponsAdjustmentAmountCents: string;
    taxesAmountCents: string;
    /** To 5 places, as Lago stores it (a later note on the invoice reads it). */
    preciseTaxesAmountCents: string;
    taxesRate: string;
    appliedTaxes: CreditNoteAppliedTax[];
    subTotalExcludingTaxesAmountCents: string;
    totalAmountCents: string;
    creditAmountCents: string;
    refundAmountCents: string;
    offsetAmountCents: string;
    createdAt: string;
  }
>;
/** Part of its credit used by a finalized invoice (appended with that finalization). */
export type CreditNoteConsumed = DomainEvent<'CreditNoteConsumed', { organizationId: string; creditNoteId: string; invoiceId: string; amountCents: string; balanceAmountCents: string; consumedAt: string }>;
export type CreditNoteVoided = DomainEvent<'CreditNoteVoided', { organizationId: string; creditNoteId: string; voidedAt: string }>;
export type CreditNoteEvent = CreditNoteCreated | CreditNoteConsumed | CreditNoteVoided;

export const CREDIT_NOTE_EVENT_TYPES = ['CreditNoteCreated', 'CreditNoteConsumed', 'CreditNoteVoided'] as const satisfies readonly CreditNoteEvent['type'][];

import BigNumber from 'bignumber.js';
import type { ReadModelStore } from './ports/readModelStore.ts';
import type { ProgressiveBillingInvoice } from '../billing/progressiveBilling.ts';
import { INVOICES, type InvoiceDocument } from '../../projections/invoices.ts';

/**
 * A subscription's finalized progressive-billing invoices, newest first: invoices of one instant (a manual clock) are
 * told apart by their number. What billing, lifetime usage and wallets read of progressive billing (§6.2).
 */
export async function finalizedProgressiveInvoices(readModels: ReadModelStore, subscriptionId: string): Promise<InvoiceDocument[]> {
  const docs = await readModels.collection<InvoiceDocument>(INVOICES).find({ subscriptionId, reason: 'PROGRESSIVE_BILLING', status: 'FINALIZED' });
  return newestFirst(docs);
}

/** A customer's finalized progressive-billing invoices, by subscription id, each list newest first. */
export async function finalizedProgressiveInvoicesOfCustomer(readModels: ReadModelStore, organizationId: string, customerId: string): Promise<Map<string, InvoiceDocument[]>> {
  const docs = await readModels.collection<InvoiceDocument>(INVOICES).find({ organizationId, customerId, status: 'FINALIZED', reason: 'PROGRESSIVE_BILLING' });
  const bySubscription = new Map<string, InvoiceDocument[]>();
  for (const doc of newestFirst(docs)) {
    const list = bySubscription.get(doc.subscriptionId);
    if (list === undefined) bySubscription.set(doc.subscriptionId, [doc]);
    else list.push(doc);
  }
  return bySubscription;
}

export const newestFirst = (docs: InvoiceDocument[]): InvoiceDocument[] => docs.sort((a, b) => (b.organizationSequentialId ?? 0) - (a.organizationSequentialId ?? 0));

/** Whether the invoice's charges period holds `at` (what "this period's" progressive invoices are). */
export const holds = (doc: InvoiceDocument, at: string): boolean => (doc.chargesFrom ?? '') <= at && at < (doc.chargesTo ?? '');

/**
 * A progressive invoice as the pure rules read it. `credited`: what other invoices took from it and the credit of its
 * credit notes (0 when only its billed amount is needed).
 */
export function asProgressiveInvoice(doc: InvoiceDocument, credited: { takenCents?: readonly string[]; creditNotesCents?: readonly string[] } = {}): ProgressiveBillingInvoice {
  return {
    id: doc._id,
    status: doc.status,
    issuingDate: doc.issuingDate,
    createdAt: doc.createdAt,
    chargesFromDatetime: doc.chargesFrom ?? doc.billingAt,
    chargesToDatetime: doc.chargesTo ?? doc.billingAt,
    feesAmountCents: new BigNumber(doc.totals.feesAmountCents),
    couponsAmountCents: new BigNumber(doc.totals.couponsAmountCents),
    creditsAmountCents: BigNumber.sum(0, ...(credited.takenCents ?? [])),
    creditNotesCreditAmountCents: BigNumber.sum(0, ...(credited.creditNotesCents ?? [])),
    fees: doc.fees.map((f) => ({
      id: f.id,
      amountCents: new BigNumber(f.amountCents),
      preciseCouponsAmountCents: new BigNumber(f.preciseCouponsAmountCents ?? 0),
      taxes: f.appliedTaxes.map((t) => ({ code: t.code, name: t.name, rate: t.rate })),
      creditedAmountCents: new BigNumber(0),
      chargeId: f.chargeId ?? '',
      chargeFilterId: f.chargeFilterValues === null ? null : JSON.stringify(f.chargeFilterValues),
      groupedBy: f.groupedBy as Record<string, string>,
    })),
  };
}

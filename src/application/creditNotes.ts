import { createHash } from 'node:crypto';
import BigNumber from 'bignumber.js';
import type { Actor, AppDeps } from './context.ts';
import { eventMetadata } from './context.ts';
import { execute } from './execute.ts';
import { invoiceStream } from './invoices.ts';
import { adjustSplitForRounding, checkSplit, creditNoteAmounts, invoiceFeeTotalAmountCents, type CreditableFee, type CreditNoteAmounts } from '../billing/creditNotes.ts';
import { creditNoteDecider, type CreditNoteCreated, type CreditNoteEvent, type CreditNoteReason, type CreditNoteState } from '../domain/creditNote/index.ts';
import { invoiceDecider, type InvoiceCredited, type InvoiceEvent, type InvoiceFinalized, type InvoiceState } from '../domain/invoice/index.ts';
import { fold } from '../domain/shared/decider.ts';
import { ConcurrencyError, IllegalStateError, NotFoundError, ValidationError } from '../domain/shared/errors.ts';
import { streamName } from '../domain/shared/streams.ts';
import { CREDIT_NOTES, type CreditNoteDocument } from '../../projections/creditNotes.ts';
import { INVOICES, type InvoiceDocument } from '../../projections/invoices.ts';

/** One stream per credit note. */
export const creditNoteStream = (organizationId: string, creditNoteId: string) => streamName('creditNote', organizationId, creditNoteId);

/** A credit note's exact state and revision, from its stream. */
export async function readCreditNote(deps: Pick<AppDeps, 'eventStore'>, organizationId: string, creditNoteId: string): Promise<{ state: CreditNoteState; revision: bigint | null }> {
  const recorded = await deps.eventStore.readStream(creditNoteStream(organizationId, creditNoteId));
  return { state: fold(creditNoteDecider, recorded.map((e) => ({ type: e.type, data: e.data }) as CreditNoteEvent)), revision: recorded.at(-1)?.revision ?? null };
}

/** A credit note id derived from what it credits (the automatic one of a termination): issuing it twice is impossible. */
export function derivedCreditNoteId(key: string): string {
  const hex = createHash('sha256').update(key).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export type CreditNoteInput = {
  invoiceId: string;
  reason: CreditNoteReason;
  description?: string | null | undefined;
  items: { feeId: string; amountCents: string }[];
  creditAmountCents?: string | null | undefined;
  refundAmountCents?: string | null | undefined;
  offsetAmountCents?: string | null | undefined;
};

const MAX_ATTEMPTS = 10;
const cents = (value: string | null | undefined, field: string): BigNumber => {
  if (value === undefined || value === null) return new BigNumber(0);
  if (!/^\d+$/.test(value)) throw new ValidationError(`${field}: must be a string of an integer number of cents, such as "1550"`, field);
  return new BigNumber(value);
};

export function createCreditNoteService(deps: AppDeps) {
  const notes = () => deps.readModels.collection<CreditNoteDocument>(CREDIT_NOTES);
  const invoices = () => deps.readModels.collection<InvoiceDocument>(INVOICES);

  /** The invoice as its stream says (its finalized fees, what credit notes already took), never a lagging read model. */
  async function invoiceOf(organizationId: string, invoiceId: string) {
    const doc = await invoices().findOne({ _id: invoiceId, organizationId });
    if (doc === null) throw new ValidationError(`invoiceId: no invoice ${invoiceId}`, 'invoiceId');
    const streamId = invoiceStream(organizationId, { subscriptionId: doc.subscriptionId, reason: doc.reason, billingAt: doc.billingAt, triggerTransactionId: doc.triggerTransactionId });
    const recorded = await deps.eventStore.readStream(streamId);
    const events = recorded.map((e) => ({ type: e.type, data: e.data }) as InvoiceEvent);
    const state = fold(invoiceDecider, events) as Extract<InvoiceState, { invoiceId: string }> | { status: 'none' };
    const finalized = events.find((e): e is InvoiceFinalized => e.type === 'InvoiceFinalized')?.data ?? null;
    if (state.status === 'none' || finalized === null) throw new IllegalStateError(`invoice ${invoiceId} is a draft: only a finalized invoice can be credited`);
    return { doc, streamId, state, finalized, revision: recorded.at(-1)!.revision };
  }

  /** After the items are checked against the invoice's fees (a bad input is VALIDATION whatever the invoice's state). */
  function assertCreditable(invoice: Invoice): void {
    if (invoice.state.status !== 'FINALIZED') throw new IllegalStateError(`invoice ${invoice.finalized.invoiceId} is ${invoice.state.status.toLowerCase()}: only a finalized invoice can be credited`);
  }

  type Invoice = Awaited<ReturnType<typeof invoiceOf>>;

  /** The invoice's fees as the credit-note rules read them. */
  function creditableFees(invoice: Invoice): CreditableFee[] {
    return invoice.finalized.fees.map((f) => ({
      id: f.id,
      amountCents: new BigNumber(f.amountCents),
      preciseCouponsAmountCents: new BigNumber(f.preciseCouponsAmountCents ?? '0'),
      taxes: f.appliedTaxes.map((t) => ({ code: t.code, name: t.name, rate: t.rate })),
      creditedAmountCents: new BigNumber(invoice.state.creditedByFee[f.id] ?? '0'),
    }));
  }

  /** The invoice's earlier credit notes (voided ones included: voiding keeps their amounts, as in Lago). */
  const earlierOf = (invoice: Invoice) =>
    invoice.state.notes.map((n) => ({
      creditAmountCents: new BigNumber(n.creditAmountCents),
      refundAmountCents: new BigNumber(n.refundAmountCents),
      offsetAmountCents: new BigNumber(n.offsetAmountCents),
      taxesAmountCents: new BigNumber(n.taxesAmountCents),
      preciseTaxesAmountCents: new BigNumber(n.preciseTaxesAmountCents),
    }));

  /** What the invoice has been paid (Lago's `total_paid_amount_cents`) and still owes (net of offsets). */
  function balanceOf(invoice: Invoice) {
    const total = new BigNumber(invoice.finalized.totals.totalAmountCents);
    const paid = invoice.state.paymentStatus === 'SUCCEEDED' ? total : new BigNumber(0);
    return { paid, due: BigNumber.max(0, total.minus(paid).minus(invoice.state.offsetAmountCents)) };
  }

  /** What a credit note with these items amounts to on this invoice; RangeErrors become VALIDATION on the item. */
  function amountsOf(invoice: Invoice, items: CreditNoteInput['items']): CreditNoteAmounts {
    const { finalized } = invoice;
    const known = new Set(finalized.fees.map((f) => f.id));
    if (items.length === 0) throw new ValidationError('items: a credit note credits at least one fee', 'items');
    items.forEach((item, i) => {
      if (!known.has(item.feeId)) throw new ValidationError(`items.${i}.feeId: no fee ${item.feeId} on invoice ${finalized.invoiceId}`, `items.${i}.feeId`);
      // Decimals are accepted as Lago's API accepts them (kept to 5 places; the automatic note's item has them).
      if (!/^\d+(\.\d{1,5})?$/.test(item.amountCents)) throw new ValidationError(`items.${i}.amountCents: must be a string of cents, such as "1550" (at most 5 decimals)`, `items.${i}.amountCents`);
    });
    assertCreditable(invoice);
    const { paid } = balanceOf(invoice);
    try {
      return creditNoteAmounts({
        currency: invoice.doc.currency,
        fees: creditableFees(invoice),
        items: items.map((item) => ({ feeId: item.feeId, amountCents: new BigNumber(item.amountCents) })),
        invoice: {
          feesAmountCents: new BigNumber(finalized.totals.feesAmountCents),
          couponsAmountCents: new BigNumber(finalized.totals.couponsAmountCents),
          totalAmountCents: new BigNumber(finalized.totals.totalAmountCents),
          creditNotes: earlierOf(invoice),
          totalPaidAmountCents: paid,
          paymentSucceeded: invoice.state.paymentStatus === 'SUCCEEDED',
        },
      });
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      const at = items.findIndex((item) => error.message.includes(item.feeId));
      throw new ValidationError(at >= 0 ? `items.${at}.amountCents: ${error.message}` : `items: ${error.message}`, at >= 0 ? `items.${at}.amountCents` : 'items');
    }
  }

  /**
   * Issues a credit note: its stream ("must not exist") and the invoice's `InvoiceCredited` in one atomic append
   * conditioned on the invoice's revision, so two credit notes at once never credit a fee beyond its amount.
   */
  async function issue(
    organizationId: string,
    creditNoteId: string,
    input: CreditNoteInput,
    options: { actor: Actor | null; automatic: boolean },
  ): Promise<bigint | null> {
    for (let attempt = 1; ; attempt += 1) {
      const invoice = await invoiceOf(organizationId, input.invoiceId);
      const amounts = amountsOf(invoice, input.items);
      const refund = cents(input.refundAmountCents, 'refundAmountCents');
      const offset = cents(input.offsetAmountCents, 'offsetAmountCents');
      // The credit defaults to what the refund and the offset leave (Lago's API takes the three; a front end sends them).
      const requestedCredit =
        input.creditAmountCents === undefined || input.creditAmountCents === null ? BigNumber.max(0, amounts.totalAmountCents.minus(refund).minus(offset)) : cents(input.creditAmountCents, 'creditAmountCents');
      const { paid, due } = balanceOf(invoice);
      try {
        checkSplit({
          totalAmountCents: amounts.totalAmountCents,
          preciseTotalAmountCents: amounts.preciseTotalAmountCents,
          creditAmountCents: requestedCredit,
          refundAmountCents: refund,
          offsetAmountCents: offset,
          paidAmountCents: paid,
          dueAmountCents: due,
          feeTotalAmountCents: invoiceFeeTotalAmountCents(creditableFees(invoice)),
          creditNotes: earlierOf(invoice),
          paymentSucceeded: invoice.state.paymentStatus === 'SUCCEEDED',
        });
      } catch (error) {
        if (!(error instanceof RangeError)) throw error;
        const named = /^(creditAmountCents|refundAmountCents|offsetAmountCents):/.exec(error.message)?.[1];
        // A rule on the whole split (Lago's `base`) is named on the credit, the part the others leave.
        const field = named ?? 'creditAmountCents';
        throw new ValidationError(`${field}: ${error.message.replace(/^\w+: /, '')}`, field);
      }
      const split = adjustSplitForRounding(amounts, { creditAmountCents: requestedCredit, refundAmountCents: refund, offsetAmountCents: offset });
      const total = split.totalAmountCents;
      const credit = split.creditAmountCents;
      const now = deps.clock.now().toISOString();
      const sequentialId = invoice.state.creditNotes + 1;
      const number = `${invoice.finalized.number}-CN${String(sequentialId).padStart(3, '0')}`;
      const str = (v: BigNumber) => v.toFixed();
      const created: CreditNoteCreated = {
        type: 'CreditNoteCreated',
        data: {
          organizationId,
          creditNoteId,
          invoiceId: input.invoiceId,
          invoiceNumber: invoice.finalized.number,
          customerId: invoice.doc.customerId,
          externalCustomerId: invoice.doc.externalCustomerId,
          currency: invoice.doc.currency,
          number,
          sequentialId,
          reason: input.reason,
          description: input.description ?? null,
          automatic: options.automatic,
          items: amounts.items.map((i) => ({ feeId: i.feeId, amountCents: str(i.amountCents), preciseAmountCents: str(i.preciseAmountCents) })),
          couponsAdjustmentAmountCents: str(amounts.couponsAdjustmentAmountCents),
          taxesAmountCents: str(amounts.taxesAmountCents),
          preciseTaxesAmountCents: str(amounts.preciseTaxesAmountCents),
          taxesRate: str(amounts.taxesRate),
          appliedTaxes: amounts.appliedTaxes.map((t) => ({ code: t.code, name: t.name, rate: t.rate, amountCents: str(t.amountCents), baseAmountCents: str(t.baseAmountCents) })),
          subTotalExcludingTaxesAmountCents: str(amounts.subTotalExcludingTaxesAmountCents),
          totalAmountCents: str(total),
          creditAmountCents: str(credit),
          refundAmountCents: str(split.refundAmountCents),
          offsetAmountCents: str(split.offsetAmountCents),
          createdAt: now,
        },
      };
      const credited: InvoiceCredited = {
        type: 'InvoiceCredited',
        data: {
          organizationId,
          invoiceId: input.invoiceId,
          creditNoteId,
          number,
          items: created.data.items.map((i) => ({ feeId: i.feeId, amountCents: i.amountCents })),
          totalAmountCents: str(total),
          creditAmountCents: str(credit),
          refundAmountCents: str(split.refundAmountCents),
          offsetAmountCents: str(split.offsetAmountCents),
          taxesAmountCents: str(amounts.taxesAmountCents),
          preciseTaxesAmountCents: str(amounts.preciseTaxesAmountCents),
          creditedAt: now,
        },
      };
      const metadata = eventMetadata(deps, options.actor ?? { organizationId, actor: 'billingClock' });
      try {
        const { position } = await deps.eventStore.appendMany([
          { streamId: creditNoteStream(organizationId, creditNoteId), events: [{ ...created, metadata }], expectedRevision: 'no_stream' },
          { streamId: invoice.streamId, events: [{ ...credited, metadata }], expectedRevision: invoice.revision },
        ]);
        return position;
      } catch (error) {
        if (!(error instanceof ConcurrencyError)) throw error;
        // Issued already (an automatic one, or a retry): nothing more to do.
        if ((await deps.eventStore.streamHead(creditNoteStream(organizationId, creditNoteId))) !== null) return null;
        if (attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  }

  const byId = async (organizationId: string, creditNoteId: string): Promise<CreditNoteDocument> => {
    const doc = await notes().findOne({ _id: creditNoteId, organizationId });
    if (doc === null) throw new NotFoundError(`credit note ${creditNoteId} not found`);
    return doc;
  };

  return {
    collection: notes,
    byId,

    /** Lago's `POST /credit_notes`. VALIDATION naming the field for an item beyond what remains creditable. */
    async create(actor: Actor, input: CreditNoteInput): Promise<CreditNoteDocument> {
      const creditNoteId = deps.newId();
      const position = await issue(actor.organizationId, creditNoteId, input, { actor, automatic: false });
      if (position !== null) await deps.waitForProjections(position, { usage: false });
      return byId(actor.organizationId, creditNoteId);
    },

    /** Lago's `POST /credit_notes/estimate`: the amounts a credit note with these items would have. */
    async estimate(actor: Actor, input: Pick<CreditNoteInput, 'invoiceId' | 'items'>) {
      const invoice = await invoiceOf(actor.organizationId, input.invoiceId);
      const amounts = amountsOf(invoice, input.items);
      const { paid, due } = balanceOf(invoice);
      return { invoice: invoice.doc, amounts, maxRefundableAmountCents: BigNumber.min(paid, amounts.totalAmountCents), maxOffsettableAmountCents: BigNumber.min(due, amounts.totalAmountCents) };
    },

    /** Voids what remains of a credit note's credit (Lago's `PUT /credit_notes/:id/void`). */
    async void(actor: Actor, creditNoteId: string): Promise<CreditNoteDocument> {
      await byId(actor.organizationId, creditNoteId);
      await execute(deps, actor, creditNoteStream(actor.organizationId, creditNoteId), creditNoteDecider, { type: 'VoidCreditNote', data: { creditNoteId }, metadata: { now: deps.clock.now().toISOString() } });
      return byId(actor.organizationId, creditNoteId);
    },

    /** The customer's credit balance: what its available credit notes still hold, per currency. */
    async balances(customerId: string): Promise<{ currency: string; amountCents: string }[]> {
      const available = await notes().find({ customerId, creditStatus: 'AVAILABLE' });
      const sums = new Map<string, BigNumber>();
      for (const note of available) sums.set(note.currency, (sums.get(note.currency) ?? new BigNumber(0)).plus(note.balanceAmountCents));
      return [...sums.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([currency, amount]) => ({ currency, amountCents: amount.toFixed() }));
    },

    issue,
  };
}

export type CreditNoteService = ReturnType<typeof createCreditNoteService>;

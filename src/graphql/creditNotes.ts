import { z } from 'zod';
import { CREDIT_NOTE_REASONS, type CreditNoteAppliedTax, type CreditNoteItem } from '../domain/creditNote/index.ts';
import type { CreditNoteDocument } from '../../projections/creditNotes.ts';
import type { CustomerDocument } from '../../projections/customers.ts';
import type { InvoiceDocument } from '../../projections/invoices.ts';
import { organizationOf } from './auth.ts';
import { builder, type GraphQLContext } from './builder.ts';
import { actorFrom, identifier, inInput, payloadOf, text } from './commandSupport.ts';
import { connectionOf, paginate } from './connection.ts';
import { Customer } from './customers.ts';
import { parseInput } from './errors.ts';
import { followDocuments } from './follow.ts';
import { Invoice } from './invoices.ts';

const ReasonEnum = builder.enumType('CreditNoteReason', { values: CREDIT_NOTE_REASONS });
const CreditStatusEnum = builder.enumType('CreditNoteCreditStatus', {
  description: 'AVAILABLE while its credit has a balance for later invoices; CONSUMED once used up (or with no credit part); VOIDED.',
  values: ['AVAILABLE', 'CONSUMED', 'VOIDED'] as const,
});

const ItemRef = builder.objectRef<CreditNoteItem>('CreditNoteItem').implement({
  description: 'What a credit note credits on one fee of its invoice, excluding taxes.',
  fields: (t) => ({
    feeId: t.exposeID('feeId'),
    amountCents: t.exposeString('amountCents'),
    preciseAmountCents: t.exposeString('preciseAmountCents'),
  }),
});
const AppliedTaxRef = builder.objectRef<CreditNoteAppliedTax>('CreditNoteAppliedTax').implement({
  fields: (t) => ({
    taxCode: t.exposeString('code'),
    taxName: t.exposeString('name', { nullable: true }),
    taxRate: t.exposeString('rate'),
    amountCents: t.exposeString('amountCents'),
    baseAmountCents: t.exposeString('baseAmountCents'),
  }),
});
const ConsumptionRef = builder.objectRef<CreditNoteDocument['consumptions'][number]>('CreditNoteConsumption').implement({
  description: 'Part of a credit note’s credit used by a later invoice, on its finalization.',
  fields: (t) => ({ invoiceId: t.exposeID('invoiceId'), amountCents: t.exposeString('amountCents'), createdAt: t.field({ type: 'DateTime', resolve: (c) => c.consumedAt }) }),
});

export const CreditNote = builder.objectRef<CreditNoteDocument>('CreditNote').implement({
  description: 'A credit note on a finalized invoice (Lago `credit_note`). Amounts are integer cents as strings.',
  fields: (t) => ({
    id: t.exposeID('_id'),
    number: t.exposeString('number', { description: '`<invoice number>-CN<nnn>`.' }),
    sequentialId: t.exposeInt('sequentialId', { description: 'Per invoice.' }),
    invoiceId: t.exposeID('invoiceId'),
    invoiceNumber: t.exposeString('invoiceNumber'),
    invoice: t.field({ type: Invoice, nullable: true, resolve: (n, _args, ctx) => ctx.app.invoices.collection().findOne({ _id: n.invoiceId, organizationId: n.organizationId }) }),
    externalCustomerId: t.exposeString('externalCustomerId'),
    currency: t.exposeString('currency'),
    reason: t.field({ type: ReasonEnum, resolve: (n) => n.reason }),
    description: t.exposeString('description', { nullable: true }),
    automatic: t.exposeBoolean('automatic', { description: 'Issued by the engine: the unused part of an in-advance subscription fee on a termination or an upgrade.' }),
    creditStatus: t.field({ type: CreditStatusEnum, resolve: (n) => n.creditStatus }),
    items: t.field({ type: [ItemRef], resolve: (n) => n.items }),
    couponsAdjustmentAmountCents: t.exposeString('couponsAdjustmentAmountCents'),
    subTotalExcludingTaxesAmountCents: t.exposeString('subTotalExcludingTaxesAmountCents'),
    taxesAmountCents: t.exposeString('taxesAmountCents'),
    taxesRate: t.exposeString('taxesRate'),
    appliedTaxes: t.field({ type: [AppliedTaxRef], resolve: (n) => n.appliedTaxes }),
    totalAmountCents: t.exposeString('totalAmountCents'),
    creditAmountCents: t.exposeString('creditAmountCents', { description: 'To the customer’s credit balance, consumed by later invoices after taxes.' }),
    balanceAmountCents: t.exposeString('balanceAmountCents', { description: 'What remains of the credit.' }),
    refundAmountCents: t.exposeString('refundAmountCents'),
    offsetAmountCents: t.exposeString('offsetAmountCents', { description: 'What the unpaid invoice no longer owes.' }),
    consumptions: t.field({ type: [ConsumptionRef], resolve: (n) => n.consumptions }),
    createdAt: t.field({ type: 'DateTime', resolve: (n) => n.createdAt }),
    voidedAt: t.field({ type: 'DateTime', nullable: true, resolve: (n) => n.voidedAt }),
  }),
});

const CreditNoteConnection = connectionOf('CreditNote', CreditNote);

type Estimate = Awaited<ReturnType<GraphQLContext['app']['creditNotes']['estimate']>>;
const EstimateRef = builder.objectRef<Estimate>('CreditNoteEstimate').implement({
  description: 'What a credit note with these items would amount to (nothing is created).',
  fields: (t) => ({
    currency: t.string({ resolve: (e) => e.invoice.currency }),
    items: t.field({ type: [ItemRef], resolve: (e) => e.amounts.items.map((i) => ({ feeId: i.feeId, amountCents: i.amountCents.toFixed(), preciseAmountCents: i.preciseAmountCents.toFixed() })) }),
    couponsAdjustmentAmountCents: t.string({ resolve: (e) => e.amounts.couponsAdjustmentAmountCents.toFixed() }),
    subTotalExcludingTaxesAmountCents: t.string({ resolve: (e) => e.amounts.subTotalExcludingTaxesAmountCents.toFixed() }),
    taxesAmountCents: t.string({ resolve: (e) => e.amounts.taxesAmountCents.toFixed() }),
    taxesRate: t.string({ resolve: (e) => e.amounts.taxesRate.toFixed() }),
    appliedTaxes: t.field({ type: [AppliedTaxRef], resolve: (e) => e.amounts.appliedTaxes.map((a) => ({ code: a.code, name: a.name, rate: a.rate, amountCents: a.amountCents.toFixed(), baseAmountCents: a.baseAmountCents.toFixed() })) }),
    totalAmountCents: t.string({ resolve: (e) => e.amounts.totalAmountCents.toFixed() }),
    maxRefundableAmountCents: t.string({ description: 'At most what was paid and not refunded yet.', resolve: (e) => e.maxRefundableAmountCents.toFixed() }),
    maxOffsettableAmountCents: t.string({ description: 'At most what the invoice still owes.', resolve: (e) => e.maxOffsettableAmountCents.toFixed() }),
  }),
});

const CreditBalanceRef = builder.objectRef<{ currency: string; amountCents: string }>('CreditBalance').implement({
  description: 'What the customer’s available credit notes still hold, in one currency.',
  fields: (t) => ({ currency: t.exposeString('currency'), amountCents: t.exposeString('amountCents') }),
});

const centsText = z.string().max(40, 'at most 40 characters');
const itemsSchema = z.array(z.object({ feeId: z.string().max(300), amountCents: centsText })).max(500, 'at most 500 items');
const createSchema = z.object({
  invoiceId: z.string().max(255),
  reason: z.enum(CREDIT_NOTE_REASONS),
  description: text(1000).nullish(),
  items: itemsSchema,
  creditAmountCents: centsText.nullish(),
  refundAmountCents: centsText.nullish(),
  offsetAmountCents: centsText.nullish(),
});
const estimateSchema = z.object({ invoiceId: z.string().max(255), items: itemsSchema });

const ItemInput = builder.inputType('CreditNoteItemInput', { fields: (t) => ({ feeId: t.id({ required: true }), amountCents: t.string({ required: true, description: 'Integer cents, excluding taxes.' }) }) });
const CreateInput = builder.inputType('CreateCreditNoteInput', {
  description: 'A credit note on a finalized invoice: items per fee (excluding taxes), the total split into credit, refund and offset (the credit defaults to what the others leave).',
  fields: (t) => ({
    invoiceId: t.id({ required: true }),
    reason: t.field({ type: ReasonEnum, required: true }),
    description: t.string(),
    items: t.field({ type: [ItemInput], required: true }),
    creditAmountCents: t.string(),
    refundAmountCents: t.string(),
    offsetAmountCents: t.string(),
  }),
});
const EstimateInput = builder.inputType('CreditNoteEstimateInput', { fields: (t) => ({ invoiceId: t.id({ required: true }), items: t.field({ type: [ItemInput], required: true }) }) });
const VoidInput = builder.inputType('VoidCreditNoteInput', { fields: (t) => ({ id: t.id({ required: true }) }) });
const CreditNotePayload = payloadOf('CreditNote', 'creditNote', CreditNote);

builder.queryFields((t) => ({
  creditNote: t.field({
    type: CreditNote,
    description: 'One credit note of your organization (NOT_FOUND otherwise).',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.app.creditNotes.byId(organizationOf(ctx), String(id)),
  }),
  creditNotes: t.field({
    type: CreditNoteConnection,
    description: 'Credit notes, newest first, of one customer or one invoice when given.',
    args: { externalCustomerId: t.arg.string(), invoiceId: t.arg.id(), first: t.arg.int(), after: t.arg.string() },
    resolve: (_root, args, ctx) =>
      paginate(
        ctx.app.creditNotes.collection(),
        { organizationId: organizationOf(ctx), ...(args.externalCustomerId ? { externalCustomerId: args.externalCustomerId } : {}), ...(args.invoiceId ? { invoiceId: String(args.invoiceId) } : {}) },
        args,
        'createdAt',
        -1,
      ),
  }),
  creditNoteEstimate: t.field({
    type: EstimateRef,
    description: 'What a credit note with these items would be (Lago `POST /credit_notes/estimate`); nothing is created.',
    args: { input: t.arg({ type: EstimateInput, required: true }) },
    resolve: (_root, { input }, ctx) => inInput(() => ctx.app.creditNotes.estimate(actorFrom(ctx), parseInput(estimateSchema, { ...input, invoiceId: String(input.invoiceId), items: input.items.map((i) => ({ ...i, feeId: String(i.feeId) })) }))),
  }),
}));

builder.objectField(Invoice, 'creditNotes', (t) =>
  t.field({
    type: [CreditNote],
    description: 'Credit notes issued on this invoice, oldest first.',
    resolve: (invoice: InvoiceDocument, _args, ctx) => ctx.app.creditNotes.collection().find({ invoiceId: invoice._id, organizationId: invoice.organizationId }, { sort: { createdAt: 1, _id: 1 } }),
  }),
);
builder.objectField(Invoice, 'creditedAmountCents', (t) => t.string({ description: 'Σ of the credit notes issued on it (credit, refund and offset).', resolve: (i: InvoiceDocument) => i.creditedAmountCents ?? '0' }));
builder.objectField(Invoice, 'totalDueAmountCents', (t) =>
  t.string({
    description: 'What it still owes: 0 once paid, else the total less the credit notes’ offsets.',
    resolve: (i: InvoiceDocument) => (i.status !== 'FINALIZED' || i.paymentStatus === 'SUCCEEDED' ? '0' : String(BigInt(i.totals.totalAmountCents) - BigInt(i.offsetAmountCents ?? '0'))),
  }),
);

builder.objectField(Customer, 'creditNotes', (t) =>
  t.field({
    type: CreditNoteConnection,
    description: 'The customer’s credit notes, newest first.',
    args: { first: t.arg.int(), after: t.arg.string() },
    resolve: (customer: CustomerDocument, args, ctx) => paginate(ctx.app.creditNotes.collection(), { customerId: customer._id }, args, 'createdAt', -1),
  }),
);
builder.objectField(Customer, 'creditBalances', (t) =>
  t.field({ type: [CreditBalanceRef], description: 'The credit its available credit notes hold, per currency (consumed by its next invoices).', resolve: (customer: CustomerDocument, _args, ctx) => ctx.app.creditNotes.balances(customer._id) }),
);

builder.mutationFields((t) => ({
  createCreditNote: t.field({
    type: CreditNotePayload,
    description: 'Issues a credit note on a finalized invoice (Lago `POST /credit_notes`). VALIDATION naming the item beyond what remains creditable, or the refund / offset beyond what was paid / is owed.',
    args: { input: t.arg({ type: CreateInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({
      creditNote: await inInput(() => ctx.app.creditNotes.create(actorFrom(ctx), parseInput(createSchema, { ...input, invoiceId: String(input.invoiceId), items: input.items.map((i) => ({ ...i, feeId: String(i.feeId) })) }))),
    }),
  }),
  voidCreditNote: t.field({
    type: CreditNotePayload,
    description: 'Voids what remains of a credit note’s credit; CONFLICT when nothing remains.',
    args: { input: t.arg({ type: VoidInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ creditNote: await inInput(() => ctx.app.creditNotes.void(actorFrom(ctx), String(input.id))) }),
  }),
}));

function creditNotesCreated(ctx: GraphQLContext, externalCustomerId: string | null | undefined): AsyncGenerator<CreditNoteDocument> {
  return followDocuments(
    ctx,
    (event) => event.type === 'CreditNoteCreated',
    async (event, organizationId) => {
      const doc = await ctx.app.creditNotes.collection().findOne({ _id: (event.data as { creditNoteId: string }).creditNoteId, organizationId });
      return doc === null || (externalCustomerId && doc.externalCustomerId !== externalCustomerId) ? null : doc;
    },
  );
}

builder.subscriptionFields((t) => ({
  creditNoteCreated: t.field({
    type: CreditNote,
    description: 'Every credit note issued from now on (automatic ones included), for your organization or one customer.',
    args: { externalCustomerId: t.arg.string() },
    subscribe: (_root, args, ctx) => creditNotesCreated(ctx, args.externalCustomerId),
    resolve: (note) => note,
  }),
}));

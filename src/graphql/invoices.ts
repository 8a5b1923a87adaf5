import { z } from 'zod';
import { INVOICE_EVENT_TYPES, type AppliedTax, type InvoiceCredit, type InvoiceFee } from '../domain/invoice/index.ts';
import type { CustomerDocument } from '../../projections/customers.ts';
import type { InvoiceDocument } from '../../projections/invoices.ts';
import { organizationOf } from './auth.ts';
import { builder, type GraphQLContext } from './builder.ts';
import { ChargeModelDetails, chargeModelDetailsOf } from './chargeDetails.ts';
import { ChargeFilterValueRef, filterValueList, groupValueList, PricingGroupValueRef, UNTYPED } from './chargeOutputs.ts';
import { actorFrom, inInput, payloadOf } from './commandSupport.ts';
import { connectionOf, paginate } from './connection.ts';
import { Customer } from './customers.ts';
import { parseInput } from './errors.ts';
import { followDocuments } from './follow.ts';

/** Money crosses the API as strings of integer cents (`"1550"`); `precise*` keep decimals. */
const InvoiceStatusEnum = builder.enumType('InvoiceStatus', { values: ['DRAFT', 'FINALIZED', 'VOIDED'] as const });
const PaymentStatusEnum = builder.enumType('InvoicePaymentStatus', { values: ['PENDING', 'SUCCEEDED', 'FAILED'] as const });
const InvoiceTypeEnum = builder.enumType('InvoiceType', { values: ['SUBSCRIPTION', 'ONE_OFF', 'CREDIT', 'PROGRESSIVE_BILLING'] as const });
const InvoiceReasonEnum = builder.enumType('InvoiceReason', {
  description: 'Why an invoice was issued: a period ended, an in-advance subscription started, a subscription was terminated, a usage event of an invoiceable pay-in-advance charge arrived, a one-off invoice of add-ons was created, a wallet was topped up with paid credits (CREDIT), or the lifetime usage crossed a usage threshold (PROGRESSIVE_BILLING).',
  values: ['PERIOD_END', 'SUBSCRIPTION_STARTING', 'SUBSCRIPTION_TERMINATING', 'IN_ADVANCE_CHARGE', 'ONE_OFF', 'CREDIT', 'PROGRESSIVE_BILLING'] as const,
});
const FeeTypeEnum = builder.enumType('FeeType', { values: ['SUBSCRIPTION', 'CHARGE', 'COMMITMENT', 'ADD_ON', 'CREDIT'] as const });

const AppliedTaxRef = builder.objectRef<AppliedTax & { feesAmountCents?: string }>('InvoiceAppliedTax').implement({
  description: 'A tax applied to a fee, or to the invoice (with the fees it was computed on).',
  fields: (t) => ({
    taxCode: t.exposeString('code'),
    taxName: t.exposeString('name', { nullable: true }),
    taxRate: t.exposeString('rate', { description: 'Percent, e.g. "20".' }),
    amountCents: t.exposeString('amountCents'),
    feesAmountCents: t.string({ nullable: true, description: 'Invoice level: the fees amount the tax applies to.', resolve: (a) => a.feesAmountCents ?? null }),
  }),
});

const Fee = builder.objectRef<InvoiceFee>('Fee').implement({
  description: 'One line of an invoice (Lago `fee`): the subscription fee, a charge fee per filter bucket and pricing group, or a true-up.',
  fields: (t) => ({
    id: t.exposeID('id'),
    feeType: t.field({ type: FeeTypeEnum, resolve: (f) => f.feeType }),
    invoiceDisplayName: t.exposeString('invoiceDisplayName', { nullable: true }),
    chargeId: t.exposeString('chargeId', { nullable: true }),
    chargeModel: t.exposeString('chargeModel', { nullable: true }),
    billableMetricCode: t.exposeString('billableMetricCode', { nullable: true }),
    addOnCode: t.string({ nullable: true, description: 'An ADD_ON fee: its add-on.', resolve: (f) => f.addOnCode ?? null }),
    description: t.string({ nullable: true, resolve: (f) => f.description ?? null }),
    typedChargeFilterValues: t.field({ type: [ChargeFilterValueRef], nullable: true, description: 'The charge filter’s keys and values; null for the default bucket.', resolve: (f) => filterValueList(f.chargeFilterValues) }),
    chargeFilterValues: t.field({ type: 'JSON', nullable: true, description: '{key: [values]} of the charge filter; null for the default bucket.', deprecationReason: UNTYPED('typedChargeFilterValues'), resolve: (f) => f.chargeFilterValues }),
    typedGroupedBy: t.field({ type: [PricingGroupValueRef], description: 'The pricing group’s key values (empty when not grouped).', resolve: (f) => groupValueList(f.groupedBy) }),
    groupedBy: t.field({ type: 'JSON', description: '{key: value} of the pricing group ({} when not grouped).', deprecationReason: UNTYPED('typedGroupedBy'), resolve: (f) => f.groupedBy }),
    trueUp: t.exposeBoolean('trueUp', { description: 'A minimum spend (charge) or minimum commitment true-up.' }),
    units: t.exposeString('units'),
    eventsCount: t.exposeInt('eventsCount'),
    amountCents: t.exposeString('amountCents'),
    preciseAmountCents: t.exposeString('preciseAmountCents'),
    unitAmountCents: t.exposeString('unitAmountCents'),
    preciseUnitAmount: t.exposeString('preciseUnitAmount', { description: 'Major units, unrounded.' }),
    amountCurrency: t.exposeString('amountCurrency'),
    preciseCouponsAmountCents: t.string({ description: 'The coupons’ share of this fee, unrounded cents (its taxes apply to the amount minus it).', resolve: (f) => f.preciseCouponsAmountCents ?? '0' }),
    taxesAmountCents: t.exposeString('taxesAmountCents'),
    taxesRate: t.exposeString('taxesRate'),
    appliedTaxes: t.field({ type: [AppliedTaxRef], resolve: (f) => f.appliedTaxes }),
    fromDatetime: t.field({ type: 'DateTime', resolve: (f) => f.fromDatetime }),
    toDatetime: t.field({ type: 'DateTime', resolve: (f) => f.toDatetime }),
    typedDetails: t.field({ type: ChargeModelDetails, nullable: true, description: 'Charge fees: the charge model’s pricing details, typed; null for other fees (see `details`).', resolve: (f) => chargeModelDetailsOf(f.details) }),
    details: t.field({ type: 'JSON', nullable: true, description: 'Charge fees: the charge model’s pricing details; subscription fees: the proration.', resolve: (f) => f.details ?? null }),
  }),
});

const CreditTypeEnum = builder.enumType('InvoiceCreditType', { values: ['PROGRESSIVE_BILLING', 'COUPON', 'CREDIT_NOTE', 'WALLET'] as const });
const InvoiceCreditRef = builder.objectRef<InvoiceCredit>('InvoiceCredit').implement({
  description: 'What reduced a finalized invoice (Lago invoice `credits`): a coupon (before taxes), a credit note’s credit (after taxes) or a wallet’s prepaid credits (last), with what it credited.',
  fields: (t) => ({
    type: t.field({ type: CreditTypeEnum, resolve: (c) => c.type }),
    appliedCouponId: t.id({ nullable: true, resolve: (c) => (c.type === 'COUPON' ? c.appliedCouponId : null) }),
    couponCode: t.string({ nullable: true, resolve: (c) => (c.type === 'COUPON' ? c.couponCode : null) }),
    creditNoteId: t.id({ nullable: true, resolve: (c) => (c.type === 'CREDIT_NOTE' ? c.creditNoteId : null) }),
    creditNoteNumber: t.string({ nullable: true, resolve: (c) => (c.type === 'CREDIT_NOTE' ? c.creditNoteNumber : null) }),
    walletId: t.id({ nullable: true, resolve: (c) => (c.type === 'WALLET' ? c.walletId : null) }),
    progressiveBillingInvoiceId: t.id({ nullable: true, description: 'PROGRESSIVE_BILLING: the period’s progressive-billing invoice whose amount this invoice deducts.', resolve: (c) => (c.type === 'PROGRESSIVE_BILLING' ? c.invoiceId : null) }),
    walletTransactionId: t.id({ nullable: true, resolve: (c) => (c.type === 'WALLET' ? c.walletTransactionId : null) }),
    amountCents: t.exposeString('amountCents'),
  }),
});

export const Invoice = builder.objectRef<InvoiceDocument>('Invoice').implement({
  description: 'An invoice (Lago `invoice`). Amounts are integer cents as strings.',
  fields: (t) => ({
    id: t.exposeID('_id'),
    number: t.exposeString('number', { description: '`<prefix>-DRAFT` until finalized.' }),
    sequentialId: t.exposeInt('sequentialId', { nullable: true, description: 'Per customer, once finalized.' }),
    organizationSequentialId: t.exposeInt('organizationSequentialId', { nullable: true, description: 'Per organization, once finalized.' }),
    invoiceType: t.field({ type: InvoiceTypeEnum, resolve: (i) => i.invoiceType }),
    reason: t.field({ type: InvoiceReasonEnum, resolve: (i) => i.reason }),
    status: t.field({ type: InvoiceStatusEnum, resolve: (i) => i.status }),
    paymentStatus: t.field({ type: PaymentStatusEnum, resolve: (i) => i.paymentStatus }),
    currency: t.exposeString('currency'),
    externalCustomerId: t.exposeString('externalCustomerId'),
    externalSubscriptionId: t.string({ nullable: true, description: 'Null for a one-off invoice.', resolve: (i) => i.externalSubscriptionId || null }),
    planCode: t.string({ nullable: true, description: 'Null for a one-off invoice.', resolve: (i) => i.planCode || null }),
    billingDate: t.exposeString('billingDate', { description: 'The billing day in the customer’s timezone (YYYY-MM-DD).' }),
    issuingDate: t.exposeString('issuingDate', { description: 'YYYY-MM-DD: the billing day plus the grace period.' }),
    paymentDueDate: t.exposeString('paymentDueDate', { description: 'YYYY-MM-DD: the issuing date plus the net payment term.' }),
    netPaymentTerm: t.exposeInt('netPaymentTerm'),
    gracePeriodDays: t.exposeInt('gracePeriodDays'),
    finalizesAt: t.field({ type: 'DateTime', nullable: true, description: 'A draft: when the billing clock finalizes it (end of the grace period).', resolve: (i) => (i.status === 'DRAFT' ? i.finalizesAt : null) }),
    subscriptionFeeFromDatetime: t.field({ type: 'DateTime', nullable: true, resolve: (i) => i.subscriptionFeeFrom }),
    subscriptionFeeToDatetime: t.field({ type: 'DateTime', nullable: true, resolve: (i) => i.subscriptionFeeTo }),
    chargesFromDatetime: t.field({ type: 'DateTime', nullable: true, resolve: (i) => i.chargesFrom }),
    chargesToDatetime: t.field({ type: 'DateTime', nullable: true, resolve: (i) => i.chargesTo }),
    feesAmountCents: t.string({ resolve: (i) => i.totals.feesAmountCents }),
    couponsAmountCents: t.string({ resolve: (i) => i.totals.couponsAmountCents }),
    progressiveBillingCreditAmountCents: t.string({ description: 'What the period’s progressive-billing invoice already billed, deducted before coupons and taxes.', resolve: (i) => i.totals.progressiveBillingCreditAmountCents ?? '0' }),
    subTotalExcludingTaxesAmountCents: t.string({ resolve: (i) => i.totals.subTotalExcludingTaxesAmountCents }),
    taxesAmountCents: t.string({ resolve: (i) => i.totals.taxesAmountCents }),
    taxesRate: t.string({ resolve: (i) => i.totals.taxesRate }),
    subTotalIncludingTaxesAmountCents: t.string({ resolve: (i) => i.totals.subTotalIncludingTaxesAmountCents }),
    creditNotesAmountCents: t.string({ resolve: (i) => i.totals.creditNotesAmountCents }),
    prepaidCreditAmountCents: t.string({ resolve: (i) => i.totals.prepaidCreditAmountCents }),
    totalAmountCents: t.string({ resolve: (i) => i.totals.totalAmountCents }),
    appliedTaxes: t.field({ type: [AppliedTaxRef], resolve: (i) => i.appliedTaxes }),
    credits: t.field({ type: [InvoiceCreditRef], description: 'Coupons applied on finalization (none on a draft).', resolve: (i) => i.credits ?? [] }),
    fees: t.field({ type: [Fee], resolve: (i) => i.fees }),
    usagePosition: t.exposeString('usagePosition', { description: 'The log position up to which usage was read: what an audit recomputes from.' }),
    createdAt: t.field({ type: 'DateTime', resolve: (i) => i.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (i) => i.updatedAt }),
    finalizedAt: t.field({ type: 'DateTime', nullable: true, resolve: (i) => i.finalizedAt }),
    voidedAt: t.field({ type: 'DateTime', nullable: true, resolve: (i) => i.voidedAt }),
  }),
});

const InvoiceConnection = connectionOf('Invoice', Invoice);
const DATE = /^\d{4}-\d{2}-\d{2}$/;

const listSchema = z.object({
  externalCustomerId: z.string().max(255).nullish(),
  status: z.enum(['DRAFT', 'FINALIZED', 'VOIDED']).nullish(),
  paymentStatus: z.enum(['PENDING', 'SUCCEEDED', 'FAILED']).nullish(),
  invoiceType: z.enum(['SUBSCRIPTION', 'ONE_OFF', 'CREDIT', 'PROGRESSIVE_BILLING']).nullish(),
  issuingDateFrom: z.string().regex(DATE, 'must be a date YYYY-MM-DD').nullish(),
  issuingDateTo: z.string().regex(DATE, 'must be a date YYYY-MM-DD').nullish(),
});

function listFilter(organizationId: string, args: z.infer<typeof listSchema>, customerId?: string): Record<string, unknown> {
  const issuing = { ...(args.issuingDateFrom ? { $gte: args.issuingDateFrom } : {}), ...(args.issuingDateTo ? { $lte: args.issuingDateTo } : {}) };
  return {
    organizationId,
    ...(customerId !== undefined ? { customerId } : {}),
    ...(args.externalCustomerId ? { externalCustomerId: args.externalCustomerId } : {}),
    ...(args.status ? { status: args.status } : {}),
    ...(args.paymentStatus ? { paymentStatus: args.paymentStatus } : {}),
    ...(args.invoiceType ? { invoiceType: args.invoiceType } : {}),
    ...(Object.keys(issuing).length > 0 ? { issuingDate: issuing } : {}),
  };
}

builder.queryFields((t) => ({
  invoices: t.field({
    type: InvoiceConnection,
    description: 'Invoices of your organization, newest first, filtered by customer, status, payment status, type and issuing date range (YYYY-MM-DD, inclusive).',
    args: {
      externalCustomerId: t.arg.string(),
      status: t.arg({ type: InvoiceStatusEnum }),
      paymentStatus: t.arg({ type: PaymentStatusEnum }),
      invoiceType: t.arg({ type: InvoiceTypeEnum }),
      issuingDateFrom: t.arg.string(),
      issuingDateTo: t.arg.string(),
      first: t.arg.int(),
      after: t.arg.string(),
    },
    resolve: (_root, args, ctx) => {
      const filter = listFilter(organizationOf(ctx), parseInput(listSchema, args));
      return paginate(ctx.app.invoices.collection(), filter, args, 'createdAt', -1);
    },
  }),
  invoice: t.field({
    type: Invoice,
    description: 'One invoice of your organization with its fees (NOT_FOUND otherwise).',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.app.invoices.byId(organizationOf(ctx), String(id)),
  }),
}));

builder.objectField(Customer, 'invoices', (t) =>
  t.field({
    type: InvoiceConnection,
    description: 'The customer’s invoices, newest first.',
    args: { status: t.arg({ type: InvoiceStatusEnum }), first: t.arg.int(), after: t.arg.string() },
    resolve: (customer: CustomerDocument, args, ctx) =>
      paginate(ctx.app.invoices.collection(), listFilter(customer.organizationId, parseInput(listSchema, { status: args.status }), customer._id), args, 'createdAt', -1),
  }),
);

const IdInput = (name: string, description: string) => builder.inputType(name, { description, fields: (t) => ({ id: t.id({ required: true }) }) });
const FinalizeInput = IdInput('FinalizeInvoiceInput', 'Finalizes a draft now: its usage is read again, it gets its number.');
const RefreshInput = IdInput('RefreshInvoiceInput', 'Re-reads the usage of a draft.');
const VoidInput = IdInput('VoidInvoiceInput', 'Voids a finalized invoice that is not paid.');
const UpdateInput = builder.inputType('UpdateInvoiceInput', {
  fields: (t) => ({ id: t.id({ required: true }), paymentStatus: t.field({ type: PaymentStatusEnum, required: true }) }),
});

const InvoicePayload = payloadOf('Invoice', 'invoice', Invoice);

const OneOffFeeInput = builder.inputType('OneOffFeeInput', {
  description: 'One add-on on a one-off invoice; omitted fields take the add-on’s (units: 1).',
  fields: (t) => ({
    addOnCode: t.string({ required: true }),
    units: t.string({ description: 'Decimal string; default "1".' }),
    unitAmountCents: t.string({ description: 'Cents (decimals accepted); default the add-on’s amount.' }),
    description: t.string(),
    invoiceDisplayName: t.string(),
    fromDatetime: t.field({ type: 'DateTime' }),
    toDatetime: t.field({ type: 'DateTime' }),
    taxCodes: t.stringList({ description: 'Replace the add-on’s (else the customer’s, else the organization’s) taxes.' }),
  }),
});
const CreateOneOffInput = builder.inputType('CreateOneOffInvoiceInput', {
  fields: (t) => ({
    externalCustomerId: t.string({ required: true }),
    currency: t.string({ description: 'Default the customer’s; must be it when the customer has one.' }),
    fees: t.field({ type: [OneOffFeeInput], required: true }),
  }),
});
const oneOffSchema = z.object({
  externalCustomerId: z.string().max(255),
  currency: z.string().max(3, 'an ISO 4217 code').nullish(),
  fees: z
    .array(
      z.object({
        addOnCode: z.string().max(255),
        units: z.string().max(40).nullish(),
        unitAmountCents: z.string().max(40).nullish(),
        description: z.string().max(1000).nullish(),
        invoiceDisplayName: z.string().max(255).nullish(),
        fromDatetime: z.date().nullish(),
        toDatetime: z.date().nullish(),
        taxCodes: z.array(z.string().max(255)).max(50, 'at most 50 tax codes').nullish(),
      }),
    )
    .max(100, 'at most 100 fees'),
});

builder.mutationFields((t) => ({
  createOneOffInvoice: t.field({
    type: InvoicePayload,
    description: 'A one-off invoice of add-ons (Lago `POST /invoices`), numbered and finalized at once. VALIDATION naming the field for an unknown customer or add-on, another currency than the customer’s, or an unknown tax code.',
    args: { input: t.arg({ type: CreateOneOffInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const parsed = parseInput(oneOffSchema, input);
      const fees = parsed.fees.map((f) => ({ ...f, fromDatetime: f.fromDatetime?.toISOString() ?? null, toDatetime: f.toDatetime?.toISOString() ?? null }));
      return { invoice: await inInput(() => ctx.app.invoices.createOneOff(actorFrom(ctx), { ...parsed, fees })) };
    },
  }),
  finalizeInvoice: t.field({
    type: InvoicePayload,
    description: 'Finalizes a draft invoice before its grace period ends (a finalized one answers as it is).',
    args: { input: t.arg({ type: FinalizeInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ invoice: await inInput(() => ctx.app.invoices.finalize(actorFrom(ctx), String(input.id))) }),
  }),
  refreshInvoice: t.field({
    type: InvoicePayload,
    description: 'Re-reads the usage of a draft invoice (CONFLICT once finalized or voided).',
    args: { input: t.arg({ type: RefreshInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ invoice: await inInput(() => ctx.app.invoices.refresh(actorFrom(ctx), String(input.id))) }),
  }),
  voidInvoice: t.field({
    type: InvoicePayload,
    description: 'Voids a finalized, unpaid invoice (CONFLICT for a draft or a paid one).',
    args: { input: t.arg({ type: VoidInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ invoice: await inInput(() => ctx.app.invoices.void(actorFrom(ctx), String(input.id))) }),
  }),
  updateInvoice: t.field({
    type: InvoicePayload,
    description: 'Sets the payment status of a finalized invoice.',
    args: { input: t.arg({ type: UpdateInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ invoice: await inInput(() => ctx.app.invoices.updatePaymentStatus(actorFrom(ctx), String(input.id), input.paymentStatus)) }),
  }),
}));

builder.queryFields((t) => ({
  invoicePreview: t.field({
    type: Invoice,
    description: 'The invoice the subscription’s current period would get if it ended now: its fee, the usage so far, taxes and totals. Nothing is stored.',
    args: { externalSubscriptionId: t.arg.string({ required: true }) },
    resolve: (_root, { externalSubscriptionId }, ctx) => ctx.app.invoices.preview(organizationOf(ctx), externalSubscriptionId),
  }),
}));

/**
 * The invoices of `organizationId` (of one customer, when given) as their events are appended: `created` for
 * `InvoiceCreated`, else refreshed, finalized, voided or paid. Each is answered from the read model once it
 * holds the event, so a client reads the invoice it was told about.
 */
function invoiceChanges(ctx: GraphQLContext, kind: 'created' | 'updated', externalCustomerId: string | null | undefined): AsyncGenerator<InvoiceDocument> {
  return followDocuments(
    ctx,
    (event) => (INVOICE_EVENT_TYPES as readonly string[]).includes(event.type) && (event.type === 'InvoiceCreated') === (kind === 'created'),
    async (event, organizationId) => {
      const doc = await ctx.app.invoices.collection().findOne({ _id: (event.data as { invoiceId: string }).invoiceId, organizationId });
      return doc === null || (externalCustomerId && doc.externalCustomerId !== externalCustomerId) ? null : doc;
    },
  );
}

builder.subscriptionFields((t) => ({
  invoiceCreated: t.field({
    type: Invoice,
    description: 'Every invoice created from now on, for your organization or one customer.',
    args: { externalCustomerId: t.arg.string() },
    subscribe: (_root, args, ctx) => invoiceChanges(ctx, 'created', args.externalCustomerId),
    resolve: (invoice) => invoice,
  }),
  invoiceUpdated: t.field({
    type: Invoice,
    description: 'Every invoice change from now on (refreshed, finalized, voided, payment status), for your organization or one customer.',
    args: { externalCustomerId: t.arg.string() },
    subscribe: (_root, args, ctx) => invoiceChanges(ctx, 'updated', args.externalCustomerId),
    resolve: (invoice) => invoice,
  }),
}));

import { z } from 'zod';
import type { LifetimeUsageView } from '../application/lifetimeUsage.ts';
import type { AppliedUsageThreshold } from '../domain/invoice/index.ts';
import type { InvoiceDocument } from '../../projections/invoices.ts';
import type { SubscriptionDocument } from '../../projections/subscriptions.ts';
import { organizationOf } from './auth.ts';
import { builder } from './builder.ts';
import { actorFrom, identifier, inInput } from './commandSupport.ts';
import { parseInput } from './errors.ts';
import { followDocuments } from './follow.ts';
import { Invoice } from './invoices.ts';
import { BillingSubscription } from './subscriptions.ts';

type Completion = LifetimeUsageView['usageThresholds'][number];
const ThresholdCompletion = builder.objectRef<Completion>('LifetimeUsageThreshold').implement({
  description: 'A usage threshold (a recurring one by each of its levels) and how far the lifetime usage is to it.',
  fields: (t) => ({
    amountCents: t.string({ resolve: (c) => c.amountCents.toFixed() }),
    completionRatio: t.string({ description: '1 once reached.', resolve: (c) => c.completionRatio.toFixed() }),
    reachedAt: t.field({ type: 'DateTime', nullable: true, resolve: (c) => c.reachedAt }),
  }),
});

export const LifetimeUsageRef = builder.objectRef<LifetimeUsageView>('LifetimeUsage').implement({
  description: 'A subscription’s usage over its whole life (Lago `lifetime_usage`): historical (settable) + invoiced (charge fees of its finalized and draft invoices) + current (this period, not invoiced yet), and its usage thresholds.',
  fields: (t) => ({
    externalSubscriptionId: t.exposeString('externalSubscriptionId'),
    externalHistoricalUsageAmountCents: t.string({ resolve: (l) => l.externalHistoricalUsageAmountCents.toFixed() }),
    invoicedUsageAmountCents: t.string({ resolve: (l) => l.invoicedUsageAmountCents.toFixed() }),
    currentUsageAmountCents: t.string({ resolve: (l) => l.currentUsageAmountCents.toFixed() }),
    totalUsageAmountCents: t.string({ resolve: (l) => l.totalUsageAmountCents.toFixed() }),
    lastThresholdAmountCents: t.string({ nullable: true, resolve: (l) => l.lastThresholdAmountCents?.toFixed() ?? null }),
    nextThresholdAmountCents: t.string({ nullable: true, resolve: (l) => l.nextThresholdAmountCents?.toFixed() ?? null }),
    nextThresholdRatio: t.string({ nullable: true, resolve: (l) => l.nextThresholdRatio?.toFixed() ?? null }),
    usageThresholds: t.field({ type: [ThresholdCompletion], resolve: (l) => [...l.usageThresholds] }),
  }),
});

const Applied = builder.objectRef<AppliedUsageThreshold>('AppliedUsageThreshold').implement({
  description: 'A usage threshold a progressive-billing invoice was issued for, with the lifetime usage then.',
  fields: (t) => ({
    amountCents: t.exposeString('amountCents'),
    recurring: t.exposeBoolean('recurring'),
    thresholdDisplayName: t.exposeString('thresholdDisplayName', { nullable: true }),
    lifetimeUsageAmountCents: t.exposeString('lifetimeUsageAmountCents'),
  }),
});

builder.objectField(Invoice, 'appliedUsageThresholds', (t) =>
  t.field({ type: [Applied], description: 'PROGRESSIVE_BILLING: the thresholds it billed.', resolve: (i: InvoiceDocument) => i.appliedUsageThresholds ?? [] }),
);

builder.objectField(BillingSubscription, 'lifetimeUsage', (t) =>
  t.field({ type: LifetimeUsageRef, resolve: (sub: SubscriptionDocument, _args, ctx) => ctx.app.lifetimeUsage.of(sub.organizationId, sub.externalId) }),
);

builder.queryFields((t) => ({
  lifetimeUsage: t.field({
    type: LifetimeUsageRef,
    description: 'Lago `GET /subscriptions/:external_id/lifetime_usage`. NOT_FOUND for an unknown subscription.',
    args: { externalSubscriptionId: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => ctx.app.lifetimeUsage.of(organizationOf(ctx), args.externalSubscriptionId),
  }),
}));

const UpdateInput = builder.inputType('UpdateLifetimeUsageInput', {
  fields: (t) => ({ externalSubscriptionId: t.string({ required: true }), externalHistoricalUsageAmountCents: t.string({ required: true, description: 'Integer cents billed before this engine.' }) }),
});
const updateSchema = z.object({ externalSubscriptionId: identifier, externalHistoricalUsageAmountCents: z.string().max(20) });
const UpdatePayload = builder.objectRef<{ lifetimeUsage: LifetimeUsageView }>('UpdateLifetimeUsagePayload').implement({
  fields: (t) => ({ lifetimeUsage: t.field({ type: LifetimeUsageRef, resolve: (p) => p.lifetimeUsage }) }),
});

builder.mutationFields((t) => ({
  updateLifetimeUsage: t.field({
    type: UpdatePayload,
    description: 'Sets the usage a subscription had before (Lago `PUT /subscriptions/:external_id/lifetime_usage`): it counts toward its usage thresholds.',
    args: { input: t.arg({ type: UpdateInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const parsed = parseInput(updateSchema, input);
      return { lifetimeUsage: await inInput(() => ctx.app.lifetimeUsage.setHistorical(actorFrom(ctx), parsed.externalSubscriptionId, parsed.externalHistoricalUsageAmountCents)) };
    },
  }),
}));

builder.subscriptionFields((t) => ({
  usageThresholdReached: t.field({
    type: Invoice,
    description: 'Each progressive-billing invoice of your organization (of one subscription with `externalSubscriptionId`) as the lifetime usage crosses its usage thresholds: the invoice, with `appliedUsageThresholds`.',
    args: { externalSubscriptionId: t.arg.string() },
    subscribe: (_root, args, ctx) =>
      followDocuments(
        ctx,
        (event) => event.type === 'InvoiceCreated' && (event.data as { reason?: string }).reason === 'PROGRESSIVE_BILLING' && (!args.externalSubscriptionId || (event.data as { externalSubscriptionId?: string }).externalSubscriptionId === args.externalSubscriptionId),
        (event, organizationId) => ctx.app.invoices.collection().findOne({ _id: (event.data as { invoiceId: string }).invoiceId, organizationId }),
      ),
    resolve: (invoice: InvoiceDocument) => invoice,
  }),
}));

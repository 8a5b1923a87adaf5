import { z } from 'zod';
import { ALERT_TYPES } from '../billing/alerts.ts';
import type { AlertThresholdData, AlertTriggered } from '../domain/alert/index.ts';
import type { AlertFilter } from '../application/alerts.ts';
import type { AlertDocument, TriggeredAlertDocument } from '../../projections/alerts.ts';
import { organizationOf } from './auth.ts';
import { builder, type GraphQLContext } from './builder.ts';
import { actorFrom, identifier, inInput, payloadOf, text } from './commandSupport.ts';
import { connectionOf, paginate } from './connection.ts';
import { parseInput } from './errors.ts';
import { followDocuments } from './follow.ts';

const AlertTypeEnum = builder.enumType('AlertType', {
  description: 'What an alert watches: a subscription’s current usage (amount, or one metric’s amount or units), its lifetime usage (amount, or one metric’s units), or a wallet’s balance, credits, ongoing balance or ongoing credits.',
  values: ALERT_TYPES,
});
const AlertDirectionEnum = builder.enumType('AlertDirection', { description: 'Wallet alerts watch a value going down; the others, going up.', values: ['INCREASING', 'DECREASING'] as const });

const AlertThreshold = builder.objectRef<AlertThresholdData>('AlertThreshold').implement({
  description: 'A value the watched value crosses; a recurring one is a step repeated past the largest one-time value.',
  fields: (t) => ({
    value: t.exposeString('value', { description: 'Decimal, e.g. "1000" (cents for amounts, units or credits otherwise).' }),
    code: t.exposeString('code', { nullable: true }),
    recurring: t.exposeBoolean('recurring'),
  }),
});

/** A usage monitoring alert. */
export const Alert = builder.objectRef<AlertDocument>('Alert').implement({
  description: 'A usage monitoring alert (Lago `usage_monitoring/alert`) on a subscription or a wallet.',
  fields: (t) => ({
    id: t.exposeID('_id'),
    alertType: t.field({ type: AlertTypeEnum, resolve: (a) => a.alertType }),
    code: t.exposeString('code'),
    name: t.exposeString('name', { nullable: true }),
    externalSubscriptionId: t.exposeString('externalSubscriptionId', { nullable: true }),
    externalCustomerId: t.exposeString('externalCustomerId'),
    walletId: t.exposeID('walletId', { nullable: true }),
    billableMetricCode: t.exposeString('billableMetricCode', { nullable: true }),
    direction: t.field({ type: AlertDirectionEnum, resolve: (a) => a.direction }),
    thresholds: t.field({ type: [AlertThreshold], resolve: (a) => a.thresholds }),
    previousValue: t.exposeString('previousValue', { description: 'The value seen by the last check that moved it (decimal).' }),
    lastProcessedAt: t.field({ type: 'DateTime', nullable: true, description: 'When a check last moved the value.', resolve: (a) => a.lastProcessedAt }),
    createdAt: t.field({ type: 'DateTime', resolve: (a) => a.createdAt }),
  }),
});

/** One crossing of an alert's thresholds. */
export const TriggeredAlert = builder.objectRef<TriggeredAlertDocument>('TriggeredAlert').implement({
  description: 'One crossing of an alert’s thresholds (Lago `triggered_alert`, the `alert.triggered` webhook).',
  fields: (t) => ({
    id: t.exposeID('_id'),
    alertId: t.exposeID('alertId'),
    alertType: t.field({ type: AlertTypeEnum, resolve: (a) => a.alertType }),
    code: t.exposeString('code'),
    externalSubscriptionId: t.exposeString('externalSubscriptionId', { nullable: true }),
    walletId: t.exposeID('walletId', { nullable: true }),
    currentValue: t.exposeString('currentValue'),
    previousValue: t.exposeString('previousValue', { description: 'The alert’s value before this check.' }),
    crossedThresholds: t.field({ type: [AlertThreshold], description: 'One-time thresholds crossed, then each recurring level.', resolve: (a) => a.crossedThresholds }),
    triggeredAt: t.field({ type: 'DateTime', resolve: (a) => a.triggeredAt }),
  }),
});

const AlertConnection = connectionOf('Alert', Alert);
const TriggeredAlertConnection = connectionOf('TriggeredAlert', TriggeredAlert);
const AlertPayload = payloadOf('Alert', 'alert', Alert);

const thresholdSchema = z.object({ value: z.string().max(40, 'at most 40 characters').nullish(), code: text().nullish(), recurring: z.boolean().nullish() });
// Lago's own cap (20) is the domain's, with its error code; this one only bounds the work.
const thresholdsSchema = z.array(thresholdSchema).max(100, 'at most 100 thresholds');
const createSchema = z.object({
  alertType: z.enum(ALERT_TYPES),
  code: identifier,
  name: text().nullish(),
  externalSubscriptionId: identifier.nullish(),
  walletId: z.string().max(100).nullish(),
  billableMetricCode: identifier.nullish(),
  thresholds: thresholdsSchema,
});
const updateSchema = z.object({ id: z.string().max(100), name: text().nullish(), thresholds: thresholdsSchema.nullish() });
const idSchema = z.object({ id: z.string().max(100) });

const ThresholdInput = builder.inputType('AlertThresholdInput', {
  fields: (t) => ({
    value: t.string({ description: 'Decimal (Lago takes "1000", "12.5", "1_000", "1e3"); one-time values may be 0 or negative, a recurring one is above 0.' }),
    code: t.string(),
    recurring: t.boolean({ description: 'Default false; at most one recurring threshold.' }),
  }),
});
const CreateInput = builder.inputType('CreateAlertInput', {
  description: 'Subscription alert types need `externalSubscriptionId`, wallet types `walletId`; BILLABLE_METRIC_* types need `billableMetricCode`.',
  fields: (t) => ({
    alertType: t.field({ type: AlertTypeEnum, required: true }),
    code: t.string({ required: true, description: 'Unique per subscription (or wallet) among its live alerts.' }),
    name: t.string(),
    externalSubscriptionId: t.string(),
    walletId: t.id(),
    billableMetricCode: t.string(),
    thresholds: t.field({ type: [ThresholdInput], required: true, description: '1 to 20.' }),
  }),
});
const UpdateInput = builder.inputType('UpdateAlertInput', {
  description: 'Omitted fields keep their value; thresholds given replace them all.',
  fields: (t) => ({ id: t.id({ required: true }), name: t.string(), thresholds: t.field({ type: [ThresholdInput] }) }),
});
const DeleteInput = builder.inputType('DeleteAlertInput', { fields: (t) => ({ id: t.id({ required: true }) }) });

type FilterArgs = { externalSubscriptionId?: string | null | undefined; walletId?: string | number | null | undefined };
const filterOf = (args: FilterArgs): AlertFilter => ({ externalSubscriptionId: args.externalSubscriptionId, walletId: args.walletId == null ? null : String(args.walletId) });
const FILTER_DESCRIPTION = 'of a subscription (`externalSubscriptionId`), of a wallet (`walletId`), or of either when both are given; NOT_FOUND when one is not yours';

builder.queryFields((t) => ({
  alert: t.field({
    type: Alert,
    description: 'A live alert of your organization (NOT_FOUND otherwise).',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.app.alerts.byId(organizationOf(ctx), String(id)),
  }),
  alerts: t.field({
    type: AlertConnection,
    description: `Live alerts, oldest first: ${FILTER_DESCRIPTION}.`,
    args: { externalSubscriptionId: t.arg.string(), walletId: t.arg.id(), first: t.arg.int(), after: t.arg.string() },
    resolve: async (_root, args, ctx) => paginate(ctx.app.alerts.alerts(), await ctx.app.alerts.filterOf(organizationOf(ctx), filterOf(args), true), args),
  }),
  triggeredAlerts: t.field({
    type: TriggeredAlertConnection,
    description: `Triggered alerts, newest first: ${FILTER_DESCRIPTION}.`,
    args: { externalSubscriptionId: t.arg.string(), walletId: t.arg.id(), first: t.arg.int(), after: t.arg.string() },
    resolve: async (_root, args, ctx) => paginate(ctx.app.alerts.triggered(), await ctx.app.alerts.filterOf(organizationOf(ctx), filterOf(args), false), args, 'sequence', -1),
  }),
}));

builder.mutationFields((t) => ({
  createAlert: t.field({
    type: AlertPayload,
    description: 'Creates an alert (Lago `POST /subscriptions/:external_id/alerts`, or a wallet’s). CONFLICT when its code is taken on that subscription or wallet.',
    args: { input: t.arg({ type: CreateInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ alert: await inInput(() => ctx.app.alerts.create(actorFrom(ctx), parseInput(createSchema, input))) }),
  }),
  updateAlert: t.field({
    type: AlertPayload,
    description: 'Renames an alert or replaces its thresholds.',
    args: { input: t.arg({ type: UpdateInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ alert: await inInput(() => ctx.app.alerts.update(actorFrom(ctx), parseInput(updateSchema, { ...input, id: String(input.id) }))) }),
  }),
  deleteAlert: t.field({
    type: AlertPayload,
    description: 'Deletes an alert: it is checked no more, and its code may be taken again.',
    args: { input: t.arg({ type: DeleteInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ alert: await inInput(() => ctx.app.alerts.delete(actorFrom(ctx), parseInput(idSchema, { id: String(input.id) }).id)) }),
  }),
}));

/** Each alert triggered from now on in the caller's organization that the filter takes. */
async function* alertsTriggered(ctx: GraphQLContext, args: FilterArgs): AsyncGenerator<TriggeredAlertDocument> {
  const filter = filterOf(args);
  // Validated first: a subscription or wallet that is not the caller's is NOT_FOUND, never an empty stream.
  await ctx.app.alerts.filterOf(organizationOf(ctx), filter, false);
  const any = !filter.externalSubscriptionId && !filter.walletId;
  const accept = (data: AlertTriggered['data']) =>
    any || (!!filter.externalSubscriptionId && data.externalSubscriptionId === filter.externalSubscriptionId) || (!!filter.walletId && data.walletId === filter.walletId);
  yield* followDocuments(
    ctx,
    (event) => event.type === 'AlertTriggered' && accept(event.data as AlertTriggered['data']),
    (event, organizationId) => ctx.app.alerts.triggered().findOne({ _id: (event.data as AlertTriggered['data']).triggeredAlertId, organizationId }),
  );
}

builder.subscriptionFields((t) => ({
  alertTriggered: t.field({
    type: TriggeredAlert,
    description: `Every alert triggered from now on in your organization: ${FILTER_DESCRIPTION}.`,
    args: { externalSubscriptionId: t.arg.string(), walletId: t.arg.id() },
    subscribe: (_root, args, ctx) => alertsTriggered(ctx, args),
    resolve: (triggered: TriggeredAlertDocument) => triggered,
  }),
}));

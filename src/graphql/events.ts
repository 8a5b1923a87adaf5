import type { EventOutcome, EventWarning } from '../application/ingestion.ts';
import { subscriptionAt } from '../billing/usage/context.ts';
import { NotFoundError } from '../domain/shared/errors.ts';
import type { BillableMetricDocument } from '../../projections/billableMetrics.ts';
import type { SubscriptionDocument } from '../../projections/subscriptions.ts';
import type { UsageEventDocument } from '../../projections/usageEvents.ts';
import { actorOf, organizationOf } from './auth.ts';
import { BillableMetric } from './billableMetrics.ts';
import { builder, type GraphQLContext } from './builder.ts';
import { connectionOf, paginate } from './connection.ts';
import { BillingSubscription } from './subscriptions.ts';

const OutcomeStatus = builder.enumType('EventOutcomeStatus', { values: ['ACCEPTED', 'DUPLICATE', 'REJECTED'] as const });

const Warning = builder.objectRef<EventWarning>('EventWarning').implement({
  fields: (t) => ({ code: t.exposeString('code'), message: t.exposeString('message') }),
});

const Outcome = builder.objectRef<EventOutcome>('EventOutcome').implement({
  description: 'What became of one ingested event. REJECTED events were not stored; DUPLICATE ones are never counted.',
  fields: (t) => ({
    index: t.exposeInt('index', { description: 'Position of the event in the batch.' }),
    transactionId: t.exposeString('transactionId', { nullable: true }),
    status: t.field({ type: OutcomeStatus, resolve: (o) => o.status }),
    errorCode: t.exposeString('errorCode', { nullable: true, description: 'For REJECTED: MISSING_FIELD, INVALID_FIELD, INVALID_TIMESTAMP, TIMESTAMP_OUT_OF_RANGE, INVALID_PROPERTIES, VALUE_NOT_DECIMAL, TOO_LARGE.' }),
    message: t.exposeString('message', { nullable: true }),
    warnings: t.field({ type: [Warning], resolve: (o) => o.warnings }),
  }),
});

/** The subscription an event counts for: the one with its external id running at the event's time (§1.5). */
async function matchedSubscription(event: UsageEventDocument, ctx: GraphQLContext): Promise<SubscriptionDocument | null> {
  const all = await ctx.loaders.allBy<SubscriptionDocument>('subscriptions', 'externalId').load(event.externalSubscriptionId);
  // The meter's own rule, so the debugger shows the subscription the usage projection counts the event on.
  return subscriptionAt(all, event.timestamp, false);
}

const UsageEvent = builder.objectRef<UsageEventDocument>('UsageEvent').implement({
  description: 'An accepted usage event, with what it matched now (the event debugger).',
  fields: (t) => ({
    transactionId: t.exposeString('transactionId'),
    externalSubscriptionId: t.exposeString('externalSubscriptionId'),
    code: t.exposeString('code'),
    timestamp: t.field({ type: 'DateTime', resolve: (e) => e.timestamp }),
    properties: t.field({ type: 'JSON', resolve: (e) => e.properties }),
    preciseTotalAmountCents: t.exposeString('preciseTotalAmountCents', { nullable: true }),
    ingestedAt: t.field({ type: 'DateTime', resolve: (e) => e.ingestedAt }),
    billableMetric: t.field({
      type: BillableMetric,
      nullable: true,
      description: 'The live metric with this code, if any (events are counted once it exists).',
      resolve: async (e, _args, ctx) => {
        const metric = await ctx.loaders.byId<BillableMetricDocument>('billableMetrics', 'code').load(e.code);
        return metric && metric.deletedAt === null ? metric : null;
      },
    }),
    subscription: t.field({ type: BillingSubscription, nullable: true, resolve: (e, _args, ctx) => matchedSubscription(e, ctx) }),
  }),
});

const UsageEventConnection = connectionOf('UsageEvent', UsageEvent);

const UsageEventInput = builder.inputType('UsageEventInput', {
  description: 'A usage event, named as in Lago. Fields are checked per event: a bad one rejects only its own event.',
  fields: (t) => ({
    transactionId: t.string({ description: 'Unique per (organization, externalSubscriptionId), forever.' }),
    externalSubscriptionId: t.string(),
    code: t.string({ description: 'The billable metric code.' }),
    timestamp: t.field({ type: 'Timestamp', description: 'Default: now. Accepted back to the late window (35 days) and up to 5 minutes ahead.' }),
    properties: t.field({ type: 'JSON' }),
    preciseTotalAmountCents: t.string({ description: 'Decimal string, for DYNAMIC charges.' }),
  }),
});

const CreateEventsInput = builder.inputType('CreateEventsInput', {
  fields: (t) => ({ events: t.field({ type: [UsageEventInput], required: true }) }),
});

const CreateEventPayload = builder.objectRef<{ outcome: EventOutcome }>('CreateEventPayload').implement({
  fields: (t) => ({ outcome: t.field({ type: Outcome, resolve: (p) => p.outcome }) }),
});

const CreateEventsPayload = builder.objectRef<{ outcomes: EventOutcome[] }>('CreateEventsPayload').implement({
  fields: (t) => ({
    outcomes: t.field({ type: [Outcome], resolve: (p) => p.outcomes }),
    acceptedCount: t.int({ resolve: (p) => p.outcomes.filter((o) => o.status === 'ACCEPTED').length }),
    duplicateCount: t.int({ resolve: (p) => p.outcomes.filter((o) => o.status === 'DUPLICATE').length }),
    rejectedCount: t.int({ resolve: (p) => p.outcomes.filter((o) => o.status === 'REJECTED').length }),
  }),
});

builder.mutationFields((t) => ({
  createEvent: t.field({
    type: CreateEventPayload,
    description: 'Ingests one usage event; its outcome says ACCEPTED, DUPLICATE or REJECTED (with a code).',
    args: { input: t.arg({ type: UsageEventInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const [outcome] = await ctx.app.ingestion.ingest(organizationOf(ctx), actorOf(ctx), [input]);
      return { outcome: outcome! };
    },
  }),
  createEvents: t.field({
    type: CreateEventsPayload,
    description: 'Ingests up to 10,000 usage events; one bad event never fails its batch.',
    args: { input: t.arg({ type: CreateEventsInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ outcomes: await ctx.app.ingestion.ingest(organizationOf(ctx), actorOf(ctx), input.events) }),
  }),
}));

builder.queryFields((t) => ({
  events: t.field({
    type: UsageEventConnection,
    description: 'Accepted usage events, most recently ingested first.',
    args: { externalSubscriptionId: t.arg.string(), code: t.arg.string(), first: t.arg.int(), after: t.arg.string() },
    resolve: (_root, args, ctx) =>
      paginate(
        ctx.app.deps.readModels.collection<UsageEventDocument>('usageEvents'),
        {
          organizationId: organizationOf(ctx),
          ...(args.externalSubscriptionId ? { externalSubscriptionId: args.externalSubscriptionId } : {}),
          ...(args.code ? { code: args.code } : {}),
        },
        args,
        'ingestedAt',
        -1,
      ),
  }),
  event: t.field({
    type: UsageEvent,
    description: 'One accepted event by transaction id (and external subscription id, when several share it).',
    args: { transactionId: t.arg.string({ required: true }), externalSubscriptionId: t.arg.string() },
    resolve: async (_root, args, ctx) => {
      const [found] = await ctx.app.deps.readModels.collection<UsageEventDocument>('usageEvents').find(
        {
          organizationId: organizationOf(ctx),
          transactionId: args.transactionId,
          ...(args.externalSubscriptionId ? { externalSubscriptionId: args.externalSubscriptionId } : {}),
        },
        { sort: { ingestedAt: -1 }, limit: 1 },
      );
      if (!found) throw new NotFoundError(`event ${args.transactionId} not found`);
      return found;
    },
  }),
}));

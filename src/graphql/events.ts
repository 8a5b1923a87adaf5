import { Invoice } from './invoices.ts';
import type { InvoiceDocument } from '../../projections/invoices.ts';
import type { EventOutcome, EventWarning } from '../application/ingestion.ts';
import type { RecordedEvent } from '../application/ports/eventStore.ts';
import { subscriptionAt } from '../billing/usage/context.ts';
import type { IngestedUsageEvent } from '../billing/usage/types.ts';
import { NotFoundError, ValidationError } from '../domain/shared/errors.ts';
import type { BillableMetricDocument } from '../../projections/billableMetrics.ts';
import type { SubscriptionDocument } from '../../projections/subscriptions.ts';
import { actorOf, organizationOf } from './auth.ts';
import { BillableMetric } from './billableMetrics.ts';
import { builder, type GraphQLContext } from './builder.ts';
import { BillingSubscription } from './subscriptions.ts';
import { CHECKS_OWN_STRINGS } from './wellFormed.ts';

/** An accepted event as the debugger shows it: read from the log itself (no copy of it is kept anywhere else). */
type UsageEventView = IngestedUsageEvent & { position: bigint };
const viewOf = (event: RecordedEvent): UsageEventView => ({ ...(event.data as IngestedUsageEvent), position: event.position });

/** Events of the log a page of `events` may examine (a rare code filter must not scan the whole log). */
const SCAN_LIMIT = 20_000;

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
async function matchedSubscription(event: UsageEventView, ctx: GraphQLContext): Promise<SubscriptionDocument | null> {
  const all = await ctx.loaders.allBy<SubscriptionDocument>('subscriptions', 'externalId').load(event.externalSubscriptionId);
  // The meter's own rule, so the debugger shows the subscription the usage projection counts the event on.
  return subscriptionAt(all, event.timestamp, false);
}

const UsageEvent = builder.objectRef<UsageEventView>('UsageEvent').implement({
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
    invoice: t.field({
      type: Invoice,
      nullable: true,
      description: 'The finalized (or voided) invoice that closed the charges period holding the event, if any (pay-in-advance and progressive-billing invoices close none).',
      resolve: (e, _args, ctx) => periodInvoice(e, ctx),
    }),
    periodAlreadyInvoiced: t.boolean({
      description: 'The event arrived after its period was invoiced (ingestion warned PERIOD_ALREADY_INVOICED): it is in usage, not on that invoice.',
      resolve: async (e, _args, ctx) => {
        const invoice = await periodInvoice(e, ctx);
        // Past the usage position the invoice read: the event is not on it.
        return invoice !== null && e.position > BigInt(invoice.usagePosition);
      },
    }),
  }),
});

async function periodInvoice(e: UsageEventView, ctx: GraphQLContext): Promise<InvoiceDocument | null> {
  const [invoice] = await ctx.app.invoices.collection().find(
    { organizationId: organizationOf(ctx), externalSubscriptionId: e.externalSubscriptionId, status: { $in: ['FINALIZED', 'VOIDED'] }, chargesFrom: { $lte: e.timestamp }, periodInvoicedTo: { $gte: e.timestamp } },
    { sort: { periodInvoicedTo: -1 }, limit: 1 },
  );
  return invoice ?? null;
}

type EventPage = { edges: { cursor: string; node: UsageEventView }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };

const UsageEventEdge = builder.objectRef<EventPage['edges'][number]>('UsageEventEdge').implement({
  fields: (t) => ({ cursor: t.exposeString('cursor'), node: t.field({ type: UsageEvent, resolve: (edge) => edge.node }) }),
});

const EventPageInfo = builder.objectRef<EventPage['pageInfo']>('UsageEventPageInfo').implement({
  fields: (t) => ({ hasNextPage: t.exposeBoolean('hasNextPage'), endCursor: t.exposeString('endCursor', { nullable: true }) }),
});

const UsageEventConnection = builder.objectRef<EventPage>('UsageEventConnection').implement({
  description: 'A page of accepted events, newest first. Not counted: counting the log would grow with it.',
  fields: (t) => ({
    edges: t.field({ type: [UsageEventEdge], resolve: (page) => page.edges }),
    pageInfo: t.field({ type: EventPageInfo, resolve: (page) => page.pageInfo }),
  }),
});

const cursorOf = (position: bigint) => Buffer.from(position.toString()).toString('base64url');

function positionOf(cursor: string): bigint {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^\d{1,20}$/.test(text)) throw new ValidationError('after: not a cursor returned by this API', 'after');
  return BigInt(text);
}

/**
 * A page of the organization's (or one subscription's) accepted events, newest first, read from the log: one
 * subscription through its index, the organization by a scan bounded to SCAN_LIMIT events (a page may then come
 * back short, with `hasNextPage` and a cursor to go on from).
 */
async function eventPage(ctx: GraphQLContext, args: { externalSubscriptionId?: string | null; code?: string | null; first?: number | null; after?: string | null }): Promise<EventPage> {
  const first = args.first ?? 50;
  if (!Number.isInteger(first) || first < 1 || first > 500) throw new ValidationError('first: must be between 1 and 500', 'first');
  const organizationId = organizationOf(ctx);
  const code = args.code ?? undefined;
  const { eventStore } = ctx.app.deps;
  let before = args.after ? positionOf(args.after) : undefined;
  const found: RecordedEvent[] = [];
  let next: bigint | null = null;
  if (args.externalSubscriptionId) {
    for (let scanned = 0; found.length <= first; ) {
      const chunk = await eventStore.readUsage(organizationId, args.externalSubscriptionId, { direction: 'backwards', ...(before === undefined ? {} : { before }), maxCount: 500 });
      for (const event of chunk) if (code === undefined || (event.data as IngestedUsageEvent).code === code) found.push(event);
      scanned += chunk.length;
      before = chunk.at(-1)?.position;
      next = chunk.length === 500 ? before! : null;
      if (next === null || scanned >= SCAN_LIMIT) break;
    }
  } else {
    const scan = await eventStore.scanUsage(organizationId, { ...(before === undefined ? {} : { before }), maxCount: first + 1, scanLimit: SCAN_LIMIT, ...(code === undefined ? {} : { code }) });
    found.push(...scan.events);
    next = scan.next;
  }
  const page = found.slice(0, first);
  const edges = page.map((event) => ({ cursor: cursorOf(event.position), node: viewOf(event) }));
  const more = found.length > first || next !== null;
  const end = found.length > first ? page.at(-1)!.position : next;
  return { edges, pageInfo: { hasNextPage: more, endCursor: more && end !== null ? cursorOf(end) : (edges.at(-1)?.cursor ?? null) } };
}

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
    // Ill-formed strings are checked per event (INVALID_FIELD), not by the schema-wide check (wellFormed.ts).
    extensions: { [CHECKS_OWN_STRINGS]: true },
    args: { input: t.arg({ type: UsageEventInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const [outcome] = await ctx.app.ingestion.ingest(organizationOf(ctx), actorOf(ctx), [input], { signal: ctx.request?.signal, correlationId: ctx.correlationId });
      return { outcome: outcome! };
    },
  }),
  createEvents: t.field({
    type: CreateEventsPayload,
    description: 'Ingests up to 10,000 usage events; one bad event never fails its batch.',
    extensions: { [CHECKS_OWN_STRINGS]: true },
    args: { input: t.arg({ type: CreateEventsInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ outcomes: await ctx.app.ingestion.ingest(organizationOf(ctx), actorOf(ctx), input.events, { signal: ctx.request?.signal, correlationId: ctx.correlationId }) }),
  }),
}));

builder.queryFields((t) => ({
  events: t.field({
    type: UsageEventConnection,
    description: 'Accepted usage events, most recently ingested first.',
    args: { externalSubscriptionId: t.arg.string(), code: t.arg.string(), first: t.arg.int(), after: t.arg.string() },
    resolve: (_root, args, ctx) => eventPage(ctx, args),
  }),
  event: t.field({
    type: UsageEvent,
    description: 'One accepted event by transaction id (and external subscription id, when several share it).',
    args: { transactionId: t.arg.string({ required: true }), externalSubscriptionId: t.arg.string() },
    resolve: async (_root, args, ctx) => {
      const [found] = await ctx.app.deps.eventStore.findUsage(organizationOf(ctx), args.transactionId, args.externalSubscriptionId ?? undefined);
      if (!found) throw new NotFoundError(`event ${args.transactionId} not found`);
      return viewOf(found);
    },
  }),
}));

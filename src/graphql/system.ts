import { billingStep } from '../application/billingClock.ts';
import type { Logger } from '../application/logger.ts';
import { resilientSubscription } from '../application/logFollower.ts';
import { isManualClock, type ManualClock } from '../application/ports/clockControl.ts';
import type { EventStore, RecordedEvent } from '../application/ports/eventStore.ts';
import { ForbiddenError } from '../domain/shared/errors.ts';
import { QUARANTINE, type QuarantineDocument } from '../../projections/quarantine.ts';
import { organizationOf } from './auth.ts';
import { builder, type GraphQLContext } from './builder.ts';
import { connectionOf, paginate } from './connection.ts';

const ClockInfo = builder.objectRef<{ mode: string; now: Date }>('Clock').implement({
  fields: (t) => ({
    mode: t.exposeString('mode', { description: 'SYSTEM or MANUAL (CLOCK=manual, for tests and demos).' }),
    now: t.field({ type: 'DateTime', resolve: (c) => c.now }),
  }),
});

const AuditEvent = builder.objectRef<RecordedEvent>('AuditEvent').implement({
  description: 'A domain event as appended to the log, for auditors.',
  fields: (t) => ({
    id: t.exposeID('id'),
    type: t.exposeString('type'),
    streamId: t.exposeString('streamId'),
    position: t.string({ resolve: (e) => e.position.toString() }),
    recordedAt: t.field({ type: 'DateTime', resolve: (e) => e.metadata.recordedAt }),
    actor: t.string({ nullable: true, resolve: (e) => (typeof e.metadata.actor === 'string' ? e.metadata.actor : null) }),
    data: t.field({ type: 'JSON', description: 'The event data, secrets left out (an API key\'s hash never leaves the server).', resolve: (e) => publicData(e.data) }),
  }),
});

/** Event data fields that stand for a secret: the log keeps them, nothing outside the server ever sees them. */
const SECRET_FIELDS = ['keyHash'] as const;

/** An event's data without its secret fields (a copy only when there is one to leave out). */
export function publicData(data: unknown): unknown {
  if (typeof data !== 'object' || data === null || !SECRET_FIELDS.some((field) => field in data)) return data;
  const copy: Record<string, unknown> = { ...(data as Record<string, unknown>) };
  for (const field of SECRET_FIELDS) delete copy[field];
  return copy;
}

const AdvanceClockInput = builder.inputType('AdvanceClockInput', {
  fields: (t) => ({ to: t.field({ type: 'DateTime', required: true }) }),
});

builder.queryFields((t) => ({
  clock: t.field({
    type: ClockInfo,
    resolve: (_root, _args, ctx) => ({ mode: ctx.app.deps.clock.mode.toUpperCase(), now: ctx.app.deps.clock.now() }),
  }),
}));

/**
 * The clock the caller may move, or FORBIDDEN: the one check for `advanceClock`. Today there is one manual clock,
 * shared by every organization, so only the operator (the admin key) moves it. Per-organization test clocks would
 * answer the caller's own clock here, for its organization key, without touching the mutation.
 */
function movableClock(ctx: GraphQLContext): ManualClock {
  const { clock } = ctx.app.deps;
  if (!isManualClock(clock)) throw new ForbiddenError('advanceClock needs CLOCK=manual; this server runs on the system clock');
  ctx.app.organizations.requireAdmin(ctx.principal);
  return clock;
}

builder.mutationFields((t) => ({
  advanceClock: t.field({
    type: ClockInfo,
    description:
      "Moves the manual clock forward. The operator's: needs the ADMIN_API_KEY (the clock is every organization's), and CLOCK=manual; FORBIDDEN otherwise.",
    args: { input: t.arg({ type: AdvanceClockInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const clock = movableClock(ctx);
      await clock.advance(input.to);
      // The billing clock's step: start, switch and end subscriptions, then bill everything due up to `to`, so
      // the invoices are in the read models when this answers.
      await billingStep(ctx.app, clock.now());
      return { mode: 'MANUAL', now: clock.now() };
    },
  }),
}));

builder.subscriptionFields((t) => ({
  auditEvents: t.field({
    type: AuditEvent,
    description: "Every domain event appended for the caller's organization from now on (an audit tail).",
    subscribe: (_root, _args, ctx) => organizationEvents(ctx.app.deps, organizationOf(ctx)),
    resolve: (event) => event,
  }),
}));

async function* organizationEvents({ eventStore, logger }: { eventStore: EventStore; logger: Logger }, organizationId: string): AsyncGenerator<RecordedEvent> {
  // Resubscribes by itself when the store drops it (logFollower.ts).
  const subscription = resilientSubscription(eventStore, { after: await eventStore.headPosition(), name: 'audit events', logger });
  try {
    for await (const event of subscription) {
      if (event.metadata.organizationId === organizationId) yield event;
    }
  } finally {
    await subscription.close();
  }
}

const QuarantinedEvent = builder.objectRef<QuarantineDocument>('QuarantinedEvent').implement({
  description: 'An event (or a document) a projection could not take: skipped so that the rest goes on, and kept here.',
  fields: (t) => ({
    projection: t.exposeString('projection', { description: 'The read model that skipped it (usage, customers, …).' }),
    position: t.exposeString('position', { description: 'Log position of the event.' }),
    eventType: t.exposeString('eventType', { nullable: true }),
    documentId: t.exposeString('documentId', { nullable: true, description: 'The document concerned, when known (`collection/id` for one the store refused).' }),
    error: t.exposeString('error'),
    at: t.field({ type: 'DateTime', resolve: (q) => q.at }),
  }),
});

const QuarantinedEventConnection = connectionOf('QuarantinedEvent', QuarantinedEvent);

builder.queryFields((t) => ({
  quarantinedEvents: t.field({
    type: QuarantinedEventConnection,
    description: "Events of the caller's organization that a projection could not fold, newest first (see README: nothing stops the projections).",
    args: { first: t.arg.int(), after: t.arg.string() },
    resolve: (_root, args, ctx) => paginate(ctx.app.deps.readModels.collection<QuarantineDocument>(QUARANTINE), { organizationId: organizationOf(ctx) }, args, '_id', -1),
  }),
}));

import type { Actor, AppDeps } from './context.ts';
import { eventMetadata } from './context.ts';
import type { CommandResult } from './handleCommand.ts';
import type { ExpectedRevision, StreamAppend, StreamHead } from './ports/eventStore.ts';
import type { Decider, DomainEvent } from '../domain/shared/decider.ts';
import { fold } from '../domain/shared/decider.ts';
import { ConcurrencyError } from '../domain/shared/errors.ts';
import { streamName } from '../domain/shared/streams.ts';

/**
 * Consistency across aggregates (ARCHITECTURE.md). A command that decides from another aggregate's state (read
 * models) appends only if that state is still what it decided on; a command that changes state others decide on
 * makes every such decision taken meanwhile fail.
 *
 * The state is named by a key (`metric/<code>`, `tax/<code>`, `customer/<externalId>`), and each key has two guard
 * streams per organization:
 * - `guard-…` is appended by the key's **writers** (a marker event, with the revision they read as expected
 *   revision): metric create/update/delete, tax create/delete, customer upsert/delete, subscription creation.
 * - `guardReads-…` is appended by the key's **readers** (a marker, any revision): a plan charging a metric or
 *   carrying a tax, a customer or an add-on carrying a tax.
 * A reader's append is conditioned on `guard-…` being still at the revision it read; a writer's on both streams.
 * Readers never conflict with each other (a thousand customers created with the same tax code do not retry), and a
 * reader and a writer of one key cannot both commit a decision the other did not see: whichever appends second finds
 * a stream moved since its read, waits for the read models to include the first one's events, and decides again.
 *
 * Before deciding, a command waits until the read models include the last event of each guard stream it reads, so
 * what it reads is at least as new as what the guard says. Markers are appended after the command's own events, in
 * the same atomic append (`appendMany`), so that position covers them. No projection folds the markers.
 */

export const GUARD_MARKED = 'GuardMarked';

export type GuardMarked = { type: typeof GUARD_MARKED; data: { organizationId: string; key: string; access: 'read' | 'write'; streamId: string } };

/** The keys a command reads (decides on) and writes (changes what others decide on). A key in both is written. */
export interface Guards {
  reads?: readonly string[];
  writes?: readonly string[];
}

export const guardKeys = {
  metric: (code: string) => `metric/${code}`,
  tax: (code: string) => `tax/${code}`,
  customer: (externalId: string) => `customer/${externalId}`,
  coupon: (code: string) => `coupon/${code}`,
  /** A non-reusable coupon applied to one customer: two applications racing cannot both pass. */
  couponUse: (externalCustomerId: string, code: string) => `couponUse/${externalCustomerId}/${code}`,
  /** A wallet code among one customer's wallets: two creations racing cannot both take it. */
  walletCode: (externalCustomerId: string, code: string) => `walletCode/${externalCustomerId}/${code}`,
  /** The organization's live webhook endpoints (their count and urls): two creations racing cannot both pass the rules. */
  webhookEndpoints: () => 'webhookEndpoints',
};

export const writersStream = (organizationId: string, key: string) => streamName('guard', organizationId, key);
export const readersStream = (organizationId: string, key: string) => streamName('guardReads', organizationId, key);

/** Attempts before a command gives up with CONFLICT (each after a short random pause). */
const MAX_ATTEMPTS = 10;

const expectedOf = (head: StreamHead | null): ExpectedRevision => (head ? head.revision : 'no_stream');
const pause = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * 4 * attempt));

/**
 * Runs a command that decides from other aggregates' state: reads the guards' revisions, waits for the read models
 * to include them, `prepare`s the command (its read-model lookups), decides on the stream's history, then appends
 * the events and the guard markers atomically, each guard conditioned on the revision read. On a concurrent change
 * (ConcurrencyError) it starts over, bounded. An idempotent no-op appends nothing and waits for the stream's last
 * event to be in the read models (read-your-writes), like `execute`.
 */
export async function executeGuarded<Command, Event extends DomainEvent, State>(
  deps: AppDeps,
  actor: Actor,
  streamId: string,
  decider: Decider<Command, Event, State>,
  guards: Guards,
  prepare: () => Promise<Command>,
  /** More streams to append to atomically with the decided events (a number taken from a counter), per attempt. */
  also?: (events: Event[]) => StreamAppend[],
): Promise<CommandResult<Event, State>> {
  const { organizationId } = actor;
  const writes = [...new Set(guards.writes ?? [])];
  const reads = [...new Set(guards.reads ?? [])].filter((key) => !writes.includes(key));
  const metadata = eventMetadata(deps, actor);
  const marker = (key: string, access: 'read' | 'write'): GuardMarked => ({ type: GUARD_MARKED, data: { organizationId, key, access, streamId } });
  const guarded = [
    ...writes.flatMap((key) => [writersStream(organizationId, key), readersStream(organizationId, key)]),
    ...reads.map((key) => writersStream(organizationId, key)),
  ];

  for (let attempt = 1; ; attempt += 1) {
    const heads = new Map<string, StreamHead | null>();
    await Promise.all(guarded.map(async (id) => heads.set(id, await deps.eventStore.streamHead(id))));
    const floor = [...heads.values()].reduce<bigint | null>((max, head) => (head && (max === null || head.position > max) ? head.position : max), null);
    if (floor !== null) await deps.waitForProjections(floor, { usage: false });

    const command = await prepare();
    const recorded = await deps.eventStore.readStream(streamId);
    const state = fold(decider, recorded.map((e) => ({ type: e.type, data: e.data }) as Event));
    const events = decider.decide(command, state);
    const last = recorded.at(-1);
    if (events.length === 0) {
      if (last) await deps.waitForProjections(last.position, { usage: false });
      return { events, state, position: null, streamPosition: last?.position ?? null };
    }

    const entries: StreamAppend[] = [
      { streamId, events: events.map((event) => ({ type: event.type, data: event.data, metadata })), expectedRevision: last ? last.revision : 'no_stream' },
      ...writes.flatMap((key): StreamAppend[] => {
        const [writers, readers] = [writersStream(organizationId, key), readersStream(organizationId, key)];
        return [
          { streamId: writers, events: [{ ...marker(key, 'write'), metadata }], expectedRevision: expectedOf(heads.get(writers) ?? null) },
          { streamId: readers, events: [], expectedRevision: expectedOf(heads.get(readers) ?? null) },
        ];
      }),
      ...reads.flatMap((key): StreamAppend[] => {
        const writers = writersStream(organizationId, key);
        return [
          { streamId: writers, events: [], expectedRevision: expectedOf(heads.get(writers) ?? null) },
          { streamId: readersStream(organizationId, key), events: [{ ...marker(key, 'read'), metadata }], expectedRevision: 'any' },
        ];
      }),
      ...(also?.(events) ?? []),
    ];
    try {
      const { position } = await deps.eventStore.appendMany(entries);
      await deps.waitForProjections(position, { usage: false });
      return { events, state: events.reduce(decider.evolve, state), position, streamPosition: position };
    } catch (error) {
      if (!(error instanceof ConcurrencyError) || attempt >= MAX_ATTEMPTS) throw error;
      await pause(attempt);
    }
  }
}

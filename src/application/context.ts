import type { MetricsSink } from './ports/metrics.ts';
import type { Clock } from './ports/clock.ts';
import type { EventMetadata, EventStore } from './ports/eventStore.ts';
import type { ProjectionHost } from './ports/projectionHost.ts';
import type { ReadModelStore } from './ports/readModelStore.ts';
import type { Logger } from './logger.ts';
import type { Turns } from './turns.ts';

/** What every application service needs: the ports, a logger, and read-your-writes. */
export interface AppDeps {
  eventStore: EventStore;
  readModels: ReadModelStore;
  clock: Clock;
  logger: Logger;
  /**
   * Resolves once the read models include every event up to `position`. `usage: false` leaves out the usage
   * projection, which may be re-folding a subscription's whole history after a catalog change: a command's answer
   * never reads usage, so it need not wait for that.
   */
  waitForProjections(position: bigint, options?: { usage?: boolean }): Promise<void>;
  /** Id generator (UUIDs in production, predictable in tests). */
  newId(): string;
  /** Where the projections run: checkpoints, freshness, live changes, health. */
  projections: ProjectionHost;
  /** The position a usage subject's read model must reach to hold every event acknowledged for it. */
  usagePosition(subject: string): Promise<bigint>;
  /** Ingestion appended `subject`'s events up to `position`. */
  usageWritten(subject: string, position: bigint): void;
  /** How ingestion shares the API thread with queries (turns.ts); omitted: no turns, every piece at once. */
  turns?: Turns;
  /** Where operations are counted (`/metrics`); omitted: nowhere. */
  metrics?: MetricsSink;
}

/** Who is acting: the organization every stream and document is scoped to. */
export interface Actor {
  organizationId: string;
  actor: string;
  correlationId?: string;
}

export function eventMetadata(deps: AppDeps, actor: Actor): EventMetadata {
  return {
    organizationId: actor.organizationId,
    actor: actor.actor,
    recordedAt: deps.clock.now().toISOString(),
    ...(actor.correlationId ? { correlationId: actor.correlationId } : {}),
  };
}

import type { RecordedEvent } from '../src/application/ports/eventStore.ts';
import type { Logger } from '../src/application/logger.ts';
import type { Document, DocumentWrite, IndexSpec, ReadModelStore } from '../src/application/ports/readModelStore.ts';

/**
 * A read model: the events it handles, which documents each event touches, and a pure fold over a nullable
 * document. Returning `null` deletes the document. A fold never throws on odd data: it clamps, skips, and logs.
 */
export interface Projection<D extends Document = Document> {
  name: string;
  collection: string;
  indexes: IndexSpec[];
  handles: readonly string[];
  documentIds(event: RecordedEvent): string[];
  fold(doc: D | null, event: RecordedEvent, id: string): D | null;
}

/** Helper that keeps the generic document type while erasing it for the runner's heterogeneous list. */
export function defineProjection<D extends Document>(projection: Projection<D>): Projection {
  return projection as unknown as Projection;
}

/**
 * A read model folded a whole batch at a time, with read access to the other read models (the usage projection
 * reads subscriptions, plans and metrics to place an event). The runner runs it after the other projections have
 * folded the batch: when the batch holds one of its `barriers` (events that change what it reads), after their
 * commit, in its own transaction; otherwise in the same transaction. `process` returns its writes (a write's
 * `position` is the last event folded into that document) and never throws on odd data.
 */
export interface BatchProjection {
  kind: 'batch';
  name: string;
  collection: string;
  indexes: IndexSpec[];
  handles: readonly string[];
  barriers: readonly string[];
  process(events: RecordedEvent[], batchEnd: bigint, readModels: ReadModelStore, logger?: Logger): Promise<DocumentWrite[]>;
}

/** Any read model the runner maintains. */
export type AnyProjection = Projection | BatchProjection;

export function isBatchProjection(projection: AnyProjection): projection is BatchProjection {
  return (projection as BatchProjection).kind === 'batch';
}

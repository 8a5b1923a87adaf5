import type { EventStore, RecordedEvent } from '../src/application/ports/eventStore.ts';
import type { Logger } from '../src/application/logger.ts';
import type { Document, DocumentWrite, IndexSpec, ReadModelStore } from '../src/application/ports/readModelStore.ts';

/**
 * A read model: the events it handles, which documents each event touches, and a pure fold over a nullable
 * document. Returning `null` deletes the document. A fold never throws on odd data: it clamps, skips, and logs
 * (and an event it throws on anyway is quarantined by the runner).
 */
export interface Projection<D extends Document = Document> {
  name: string;
  collection: string;
  indexes: IndexSpec[];
  handles: readonly string[];
  documentIds(event: RecordedEvent): string[];
  fold(doc: D | null, event: RecordedEvent, id: string): D | null;
  /**
   * `false` for a read model nothing is priced or decided from (invoices, their fees): its writes do not move the
   * catalog version, which invalidates every cached read of the catalog (current-usage contexts, …). Default true.
   */
  catalog?: boolean;
}

/** Helper that keeps the generic document type while erasing it for the runner's heterogeneous list. */
export function defineProjection<D extends Document>(projection: Projection<D>): Projection {
  return projection as unknown as Projection;
}

/** A collection a stateful projection writes. */
export type CollectionSpec = { name: string; indexes: IndexSpec[]; clustered?: boolean };

/** What a stateful fold reads besides its own documents. */
export type StatefulDeps = {
  readModels: ReadModelStore;
  eventStore: EventStore;
  logger?: Logger | undefined;
  refoldPage?: number | undefined;
  /**
   * A rebuild from empty read models, with the catalog read models already at the head of the log: a subject met
   * for the first time has had no event folded yet, so it starts folding at once (no re-fold of its history).
   */
  fromEmpty?: boolean | undefined;
};

/** An event (or document) a fold could not take: skipped, recorded, and the rest goes on. */
export type FoldFailure = { position: bigint; organizationId: string; documentId: string | null; error: string };

/**
 * A read model that keeps its working set in memory between commits (the usage meter): it folds pages of events
 * into cached documents and hands the dirty ones to the runner at commit time. It reads other read models (the
 * catalog): when a page holds one of its `barriers` (events that change what it reads), the runner commits the
 * other projections first, then calls `barrier`. Background work (re-folds) runs in bounded steps between pages.
 */
export interface StatefulProjection {
  kind: 'stateful';
  name: string;
  collections: readonly CollectionSpec[];
  handles: readonly string[];
  barriers: readonly string[];
  create(deps: StatefulDeps): StatefulFold;
}

export interface StatefulFold {
  /** Resumes background work recorded in the store; `checkpoint` is where folding resumes. */
  start(checkpoint: bigint): Promise<void>;
  /** The catalog events of a page, once the other read models hold them. */
  barrier(events: readonly RecordedEvent[]): Promise<void>;
  /** Folds a page's events it handles (all past its checkpoint), in log order; `end` is the page's last position. */
  process(events: readonly RecordedEvent[], end: bigint): Promise<void>;
  /** The documents changed since the last call, for the commit at `position`. */
  takeWrites(position: bigint): DocumentWrite[];
  takeFailures(): FoldFailure[];
  /** Keys (usage: subject keys) whose documents changed since the last call. */
  takeChanged(): string[];
  /** Folded but uncommitted events. */
  pending(): number;
  hasBackgroundWork(): boolean;
  backgroundStep(budgetMs: number): Promise<void>;
  /** Keys whose documents lag the checkpoint (being re-folded). */
  stale(): string[];
  /** Drops cached state (a commit failed: state is reloaded from the store). */
  reset(): void;
}

/** Any read model the runner maintains. */
export type AnyProjection = Projection | StatefulProjection;

export function isStateful(projection: AnyProjection): projection is StatefulProjection {
  return (projection as StatefulProjection).kind === 'stateful';
}

/** The collections a projection writes, with their indexes. */
export function collectionsOf(projection: AnyProjection): readonly CollectionSpec[] {
  return isStateful(projection) ? projection.collections : [{ name: projection.collection, indexes: projection.indexes }];
}

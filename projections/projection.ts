import type { RecordedEvent } from '../src/application/ports/eventStore.ts';
import type { Document, IndexSpec } from '../src/application/ports/readModelStore.ts';

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

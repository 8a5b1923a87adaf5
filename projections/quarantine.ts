import type { FoldFailure } from './projection.ts';

/** Events and documents the projections could not take: what the runner skipped, and why. */
export const QUARANTINE = 'quarantine';

export type QuarantineDocument = {
  /** The log position, zero-padded so ids sort in log order, then the projection and document. */
  _id: string;
  organizationId: string;
  projection: string;
  position: string;
  eventType: string | null;
  /** The document the failure concerns (`collection/id` for a refused write), when known. */
  documentId: string | null;
  error: string;
  at: string;
};

export function quarantineRecord(projection: string, failure: FoldFailure, eventType: string | null): QuarantineDocument {
  const position = failure.position.toString();
  return {
    _id: `${position.padStart(20, '0')}|${projection}|${failure.documentId ?? ''}`,
    organizationId: failure.organizationId,
    projection,
    position,
    eventType,
    documentId: failure.documentId,
    // Operational, not replayed state: when it was seen.
    error: failure.error.slice(0, 2_000),
    at: new Date().toISOString(),
  };
}

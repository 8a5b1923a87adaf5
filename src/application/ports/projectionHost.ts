/**
 * Where the projections run, seen from the API: in this thread, in a worker thread of this process, or in another
 * process (`ROLE=api`). Read-your-writes, live usage and health all go through it.
 */
export interface ProjectionStatus {
  /** Committed checkpoint of each projection. */
  checkpoints: Map<string, bigint>;
  /** Usage subjects (`usageStore.subjectKey`) whose documents lag the checkpoint: being re-folded. */
  stale: ReadonlySet<string>;
  /** Events and documents quarantined so far. */
  quarantined: number;
  /** Whether the projections are running (false: stopped, crashed, or a commit keeps failing). */
  running: boolean;
  /** The last failure, while it lasts. */
  failure: string | null;
  /** Moves whenever a catalog read model changed: what was read of the catalog before may be stale. */
  catalog: bigint;
}

export interface ProjectionHost {
  /** Starts the projections; catching up continues in the background (the API answers meanwhile). */
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): ProjectionStatus;
  /** Resolves once every projection (or each one named) has committed the log up to `position`. */
  /** `quiet`: only wait (no earlier commit asked for it: ingestion pacing itself on the fold). */
  waitFor(position: bigint, options?: { names?: readonly string[]; timeoutMs?: number; quiet?: boolean }): Promise<void>;
  /** Resolves true once the usage of `subject` holds every event up to `position`; false after `timeoutMs`. */
  usageFresh(subject: string, position: bigint, timeoutMs: number): Promise<boolean>;
  /** Called after each commit with the usage subjects it changed. */
  onCommit(listener: (changed: readonly string[]) => void): () => void;
  /** A live subscriber watches `subject` (+1) or left (-1): its changes are committed without delay. */
  watch(subject: string, delta: 1 | -1): void;
}

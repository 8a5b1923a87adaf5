/**
 * Read-model store port: collections of JSON documents with MongoDB query semantics (`$eq`, `$in`, `$gt`, …),
 * so projection code is written once for MongoDB and for the embedded store (mingo).
 */

export type Document = { _id: string } & Record<string, unknown>;
export type Filter = Record<string, unknown>;
export type Sort = Record<string, 1 | -1>;

export interface FindOptions {
  sort?: Sort;
  limit?: number;
  skip?: number;
}

/** An index a projection declares; it exists in every adapter (`unique` enforced). */
export interface IndexSpec {
  name: string;
  keys: Record<string, 1 | -1>;
  unique?: boolean;
}

export interface CollectionOptions {
  clustered?: boolean;
}

/** One document write in an atomic projection batch. `doc === null` deletes. */
export interface DocumentWrite {
  collection: string;
  id: string;
  doc: Document | null;
  /** Position of the last event folded into this document (stored beside it, for idempotent replay). */
  position: bigint;
}

/** How far one projection has folded the log. */
export interface Checkpoint {
  name: string;
  position: bigint;
}

export interface ReadCollection<T extends Document = Document> {
  findOne(filter: Filter): Promise<T | null>;
  find(filter: Filter, options?: FindOptions): Promise<T[]>;
  count(filter: Filter): Promise<number>;
}

export interface ReadModelStore {
  collection<T extends Document = Document>(name: string): ReadCollection<T>;
  /** Documents with their last applied position, for the projection runner. */
  loadForUpdate(collection: string, ids: string[]): Promise<Map<string, { doc: Document; position: bigint }>>;
  /**
   * Creates the collection and its declared indexes if missing. `clustered`: documents are stored in `_id` order
   * (embedded: a WITHOUT ROWID table), for collections read by `_id` ranges only; decided when the collection is
   * first created.
   */
  ensureIndexes(collection: string, indexes: IndexSpec[], options?: CollectionOptions): Promise<void>;
  /**
   * Writes documents and advances the named checkpoints (never backwards). Embedded: one transaction. MongoDB:
   * idempotent — a write whose position is not greater than the stored document's is skipped — then the
   * checkpoints.
   */
  commit(writes: DocumentWrite[], checkpoints: Checkpoint[]): Promise<void>;
  getCheckpoint(name: string): Promise<bigint | null>;
  /** Drops collections and the checkpoint: a rebuild starts from zero. */
  reset(checkpointName: string, collections: string[]): Promise<void>;
  close(): Promise<void>;
}

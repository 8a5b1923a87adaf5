import { MongoBulkWriteError, MongoClient, MongoServerError } from 'mongodb';
import type { AnyBulkWriteOperation, Collection, Db, IndexDescription } from 'mongodb';
import type {
  Document,
  DocumentWrite,
  Filter,
  FindOptions,
  IndexSpec,
  ReadCollection,
  ReadModelStore,
} from '../../application/ports/readModelStore.ts';
import { ConcurrencyError } from '../../domain/shared/errors.ts';

/**
 * MongoDB read-model store.
 *
 * Stored shape: `{ _id, ...doc, _position, _deleted }`, where `_position` is the event position of the last write
 * as a zero-padded 20-digit decimal string. 20 digits hold any unsigned 64-bit value (EventStoreDB commit
 * positions are unsigned 64-bit), and strings of equal length compare in numeric order under MongoDB's binary
 * string comparison, so `$lt` / `$max` work without Long's signed range or Decimal128 conversions, and the value
 * round-trips exactly through `BigInt(string)`.
 *
 * A delete is a tombstone `{ _id, _deleted: true, _position }`, not a removal: replaying an older write must not
 * resurrect the document, and the tombstone's position is what refuses it. Reads add `_deleted: false` and hide
 * the two bookkeeping fields, so callers see exactly the documents they wrote.
 */
const CHECKPOINTS = 'checkpoints';
const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const POSITION_DIGITS = 20;
const MAX_POSITION = (1n << 64n) - 1n;
const DUPLICATE_KEY = 11000;
const INDEX_OPTIONS_CONFLICT = 85;
const INDEX_KEY_SPECS_CONFLICT = 86;
/** Attempts to settle one write that hit a duplicate key (see `settleDuplicate`). */
const DUPLICATE_ATTEMPTS = 3;

const LIVE = { _deleted: false } as const;
const HIDDEN = { _position: 0, _deleted: 0 } as const;

interface Stored {
  _id: string;
  _position: string;
  _deleted: boolean;
  [field: string]: unknown;
}

interface StoredCheckpoint {
  _id: string;
  position: string;
}

export interface MongoReadModelStore extends ReadModelStore {
  /** The database holding the read models (for `watchCollections`). */
  readonly db: Db;
}

export function encodePosition(position: bigint): string {
  if (position < 0n || position > MAX_POSITION) throw new RangeError(`position out of range: ${position}`);
  return position.toString().padStart(POSITION_DIGITS, '0');
}

function checkName(collection: string): string {
  if (!NAME.test(collection) || collection === CHECKPOINTS) throw new Error(`invalid collection name: ${collection}`);
  return collection;
}

export async function createMongoReadModelStore(
  url: string,
  options: { dbName?: string } = {},
): Promise<MongoReadModelStore> {
  // `ignoreUndefined`: an undefined field is omitted, as JSON.stringify does in the embedded store (the driver's
  // default would store null).
  const client = new MongoClient(url, { ignoreUndefined: true });
  try {
    await client.connect();
  } catch (error) {
    await client.close();
    throw error;
  }
  // Without a name, the database comes from the connection string (the driver defaults to "test").
  const db = client.db(options.dbName);
  const checkpoints = db.collection<StoredCheckpoint>(CHECKPOINTS);
  const collectionOf = (name: string): Collection<Stored> => db.collection<Stored>(checkName(name));
  const live = (filter: Filter) => ({ $and: [filter, LIVE] });

  function strip<T extends Document>(stored: Stored): T {
    const { _position, _deleted, ...doc } = stored;
    return doc as T;
  }

  function stored(write: DocumentWrite): Stored {
    const position = encodePosition(write.position);
    if (write.doc === null) return { _id: write.id, _position: position, _deleted: true };
    return { ...write.doc, _id: write.id, _position: position, _deleted: false };
  }

  /** Replace guarded by position: matches only an older version (or nothing, and then inserts). */
  function guardedReplace(write: DocumentWrite) {
    return {
      filter: { _id: write.id, _position: { $lt: encodePosition(write.position) } },
      replacement: stored(write),
      upsert: true,
    };
  }

  /**
   * A guarded upsert failed on a duplicate key. Either the document already holds this position or a newer one
   * (the upsert found no older version and its insert hit `_id`): the write is already applied and is skipped.
   * Or a concurrent writer inserted an older version between our match and insert: retry. Or nothing newer
   * exists yet the write keeps colliding: a declared unique index refuses it.
   */
  async function settleDuplicate(collection: Collection<Stored>, write: DocumentWrite, checkpointName: string) {
    const position = encodePosition(write.position);
    let lastError: unknown;
    for (let attempt = 0; attempt < DUPLICATE_ATTEMPTS; attempt += 1) {
      const current = await collection.findOne({ _id: write.id }, { projection: { _position: 1 } });
      if (current && current._position >= position) return;
      const { filter, replacement, upsert } = guardedReplace(write);
      try {
        await collection.replaceOne(filter, replacement, { upsert });
        return;
      } catch (error) {
        if (!(error instanceof MongoServerError) || error.code !== DUPLICATE_KEY) throw error;
        lastError = error;
      }
    }
    const message = lastError instanceof Error ? lastError.message : String(lastError);
    throw new ConcurrencyError(checkpointName, 'unique index respected', message);
  }

  async function applyWrites(name: string, writes: DocumentWrite[], checkpointName: string): Promise<void> {
    const collection = collectionOf(name);
    const operations: AnyBulkWriteOperation<Stored>[] = writes.map((write) => ({ replaceOne: guardedReplace(write) }));
    try {
      // Unordered: each write is independent (one per document) and idempotent, so a skipped one must not stop
      // the others.
      await collection.bulkWrite(operations, { ordered: false });
    } catch (error) {
      if (!(error instanceof MongoBulkWriteError)) throw error;
      const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
      const onlyDuplicates =
        writeErrors.length > 0 &&
        writeErrors.every((writeError) => writeError.code === DUPLICATE_KEY) &&
        !error.result.getWriteConcernError();
      if (!onlyDuplicates) throw error;
      for (const writeError of writeErrors) {
        const write = writes[writeError.index];
        if (write) await settleDuplicate(collection, write, checkpointName);
      }
    }
  }

  async function createIndexes(collection: Collection<Stored>, indexes: IndexSpec[]): Promise<void> {
    await collection.createIndexes(indexes.map(toIndexDescription));
  }

  return {
    db,

    collection<T extends Document = Document>(name: string): ReadCollection<T> {
      const collection = collectionOf(name);
      return {
        async findOne(filter) {
          const found = await collection.findOne(live(filter), { projection: HIDDEN });
          return found ? strip<T>(found) : null;
        },
        async find(filter, options: FindOptions = {}) {
          // MongoDB reads limit 0 as "no limit"; the port (like mingo) means zero documents.
          if (options.limit === 0) return [];
          let cursor = collection.find(live(filter), { projection: HIDDEN });
          if (options.sort) cursor = cursor.sort(options.sort);
          if (options.skip) cursor = cursor.skip(options.skip);
          if (options.limit !== undefined) cursor = cursor.limit(options.limit);
          return (await cursor.toArray()).map((found) => strip<T>(found));
        },
        async count(filter) {
          return collection.countDocuments(live(filter));
        },
      };
    },

    async loadForUpdate(name, ids) {
      const found = new Map<string, { doc: Document; position: bigint }>();
      if (ids.length === 0) return found;
      const docs = await collectionOf(name).find({ _id: { $in: ids }, ...LIVE }).toArray();
      for (const doc of docs) found.set(doc._id, { doc: strip(doc), position: BigInt(doc._position) });
      return found;
    },

    async ensureIndexes(name, indexes) {
      if (indexes.length === 0) return;
      const collection = collectionOf(name);
      try {
        await createIndexes(collection, indexes);
      } catch (error) {
        // Same name, different definition (the projection changed its index): replace it.
        const conflict =
          error instanceof MongoServerError &&
          (error.code === INDEX_OPTIONS_CONFLICT || error.code === INDEX_KEY_SPECS_CONFLICT);
        if (!conflict) throw error;
        const existing = new Set((await collection.listIndexes().toArray()).map((index) => String(index['name'])));
        for (const index of indexes) if (existing.has(index.name)) await collection.dropIndex(index.name);
        await createIndexes(collection, indexes);
      }
    },

    async commit(writes, checkpointList) {
      const conflictName = checkpointList.map((c) => c.name).join(',');
      // One write per document: the last one in batch order (the highest position) wins.
      const latest = new Map<string, DocumentWrite>();
      for (const write of writes) {
        const key = `${write.collection}\u0000${write.id}`;
        const previous = latest.get(key);
        if (!previous || write.position >= previous.position) latest.set(key, write);
      }
      const byCollection = new Map<string, DocumentWrite[]>();
      for (const write of latest.values()) {
        const group = byCollection.get(write.collection) ?? [];
        group.push(write);
        byCollection.set(write.collection, group);
      }
      await Promise.all([...byCollection].map(([name, group]) => applyWrites(name, group, conflictName)));
      // `$max` compares the padded strings, which is numeric order: the checkpoint never moves backwards.
      for (const checkpoint of checkpointList) {
        await upsertWithRetry(() =>
          checkpoints.updateOne(
            { _id: checkpoint.name },
            { $max: { position: encodePosition(checkpoint.position) } },
            { upsert: true },
          ),
        );
      }
    },

    async getCheckpoint(name) {
      const found = await checkpoints.findOne({ _id: name });
      return found ? BigInt(found.position) : null;
    },

    async reset(checkpointName, collections) {
      // `drop()` ignores a missing collection; declared indexes go with it and are recreated by ensureIndexes.
      for (const name of collections) await collectionOf(name).drop();
      await checkpoints.deleteOne({ _id: checkpointName });
    },

    async close() {
      await client.close();
    },
  };
}

/**
 * Index for a declared spec. Every index is partial on `_deleted: false`, so tombstones (which lack the indexed
 * fields) never collide in a unique index, and reads (which always carry `_deleted: false`) can still use it.
 * Unique indexes also skip documents missing an indexed field, like the embedded store's SQL unique index,
 * where NULLs never collide.
 */
function toIndexDescription(index: IndexSpec): IndexDescription {
  const partialFilterExpression: Record<string, unknown> = { ...LIVE };
  if (index.unique) for (const field of Object.keys(index.keys)) partialFilterExpression[field] = { $exists: true };
  return { name: index.name, key: index.keys, unique: index.unique ?? false, partialFilterExpression };
}

/** Concurrent upserts on the same `_id` may both try to insert; the loser succeeds as an update on retry. */
async function upsertWithRetry(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (!(error instanceof MongoServerError) || error.code !== DUPLICATE_KEY) throw error;
    await run();
  }
}

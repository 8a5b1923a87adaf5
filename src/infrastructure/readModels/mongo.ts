import { MongoClient, MongoServerError } from 'mongodb';
import type { AnyBulkWriteOperation, ClientSession, Collection, Db, IndexDescription, TransactionOptions } from 'mongodb';
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
 * MongoDB read-model store (a replica set or sharded cluster: every commit is a transaction).
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
 *
 * No document grows with the events: the usage read model stores each UNIQUE_COUNT value and each per-event value
 * (PERCENTAGE per-transaction min/max) as its own document through this same port (projections/usageStore.ts).
 */
const CHECKPOINTS = 'checkpoints';
const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const POSITION_DIGITS = 20;
const MAX_POSITION = (1n << 64n) - 1n;
const DUPLICATE_KEY = 11000;
const NAMESPACE_EXISTS = 48;
const INDEX_OPTIONS_CONFLICT = 85;
const INDEX_KEY_SPECS_CONFLICT = 86;
/** Ids per positions query inside a commit (keeps each command far below the 16 MB BSON limit). */
const POSITIONS_CHUNK = 1_000;

const LIVE = { _deleted: false } as const;
const HIDDEN = { _position: 0, _deleted: 0 } as const;
/** Checkpoints and the documents the runner folds from are read only once a majority holds them (no rollback). */
const MAJORITY_READ = { readConcern: { level: 'majority' } } as const;
/**
 * One commit: reads from one snapshot, and a write to a document changed since makes the server abort with a
 * TransientTransactionError, which `withTransaction` retries from the start.
 */
const TRANSACTION: TransactionOptions = { readConcern: { level: 'snapshot' }, writeConcern: { w: 'majority' }, readPreference: 'primary' };

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
  /** The database holding the read models (tests drop it). */
  readonly db: Db;
}

export function encodePosition(position: bigint): string {
  if (position < 0n || position > MAX_POSITION) throw new RangeError(`position out of range: ${position}`);
  return position.toString().padStart(POSITION_DIGITS, '0');
}

/** True when the `hello` answer is a replica-set member or a mongos: the deployments that run transactions. */
export function runsTransactions(hello: Record<string, unknown>): boolean {
  return typeof hello['setName'] === 'string' || hello['msg'] === 'isdbgrid';
}

/** One write per document, the last in batch order (the highest position) winning, grouped by collection. */
export function latestWrites(writes: readonly DocumentWrite[]): Map<string, DocumentWrite[]> {
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
  return byCollection;
}

function checkName(collection: string): string {
  if (!NAME.test(collection) || collection === CHECKPOINTS) throw new Error(`invalid collection name: ${collection}`);
  return collection;
}

function storedOf(write: DocumentWrite): Stored {
  const position = encodePosition(write.position);
  if (write.doc === null) return { _id: write.id, _position: position, _deleted: true };
  return { ...write.doc, _id: write.id, _position: position, _deleted: false };
}

export async function createMongoReadModelStore(
  url: string,
  options: { dbName?: string } = {},
): Promise<MongoReadModelStore> {
  // `ignoreUndefined`: an undefined field is omitted, as JSON.stringify does in the embedded store (the driver's
  // default would store null). Every write outside a commit (drops, indexes) waits for a majority too.
  const client = new MongoClient(url, { ignoreUndefined: true, writeConcern: { w: 'majority' } });
  try {
    await client.connect();
    const hello = await client.db('admin').command({ hello: 1 });
    if (!runsTransactions(hello)) {
      throw new Error('MongoDB read models need a replica set (or a sharded cluster): each projection batch commits in a transaction. Start mongod with --replSet and name the set in MONGODB_URL (?replicaSet=rs0)');
    }
  } catch (error) {
    await client.close();
    throw error;
  }
  // Without a name, the database comes from the connection string (the driver defaults to "test").
  const db = client.db(options.dbName);
  const checkpoints = db.collection<StoredCheckpoint>(CHECKPOINTS);
  const collectionOf = (name: string): Collection<Stored> => db.collection<Stored>(checkName(name));
  const live = (filter: Filter) => ({ $and: [filter, LIVE] });
  /** Collections known to exist: a commit creates the others before its transaction. */
  const existing = new Set<string>();

  function strip<T extends Document>(stored: Stored): T {
    const { _position, _deleted, ...doc } = stored;
    return doc as T;
  }

  async function ensureCollection(name: string): Promise<void> {
    if (existing.has(name)) return;
    try {
      await db.createCollection(checkName(name));
    } catch (error) {
      if (!(error instanceof MongoServerError) || error.code !== NAMESPACE_EXISTS) throw error;
    }
    existing.add(name);
  }

  /**
   * Replaces each document whose stored position is older than its write (or that is missing), in the session's
   * transaction: a write already applied (a replay) is skipped.
   */
  async function applyWrites(collection: Collection<Stored>, writes: DocumentWrite[], session: ClientSession): Promise<void> {
    const stored = new Map<string, string>();
    for (let start = 0; start < writes.length; start += POSITIONS_CHUNK) {
      const ids = writes.slice(start, start + POSITIONS_CHUNK).map((write) => write.id);
      const found = await collection.find({ _id: { $in: ids } }, { projection: { _position: 1 }, session }).toArray();
      for (const doc of found) stored.set(doc._id, doc._position);
    }
    const operations: AnyBulkWriteOperation<Stored>[] = [];
    for (const write of writes) {
      const position = stored.get(write.id);
      if (position !== undefined && position >= encodePosition(write.position)) continue;
      operations.push({ replaceOne: { filter: { _id: write.id }, replacement: storedOf(write), upsert: true } });
    }
    if (operations.length > 0) await collection.bulkWrite(operations, { ordered: true, session });
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
      const docs = await collectionOf(name).find({ _id: { $in: ids }, ...LIVE }, MAJORITY_READ).toArray();
      for (const doc of docs) found.set(doc._id, { doc: strip(doc), position: BigInt(doc._position) });
      return found;
    },

    async ensureIndexes(name, indexes) {
      await ensureCollection(name);
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
        const declared = new Set((await collection.listIndexes().toArray()).map((index) => String(index['name'])));
        for (const index of indexes) if (declared.has(index.name)) await collection.dropIndex(index.name);
        await createIndexes(collection, indexes);
      }
    },

    async commit(writes, checkpointList) {
      if (writes.length === 0 && checkpointList.length === 0) return;
      const byCollection = latestWrites(writes);
      // Creating a collection inside a transaction has restrictions (read concern, sharding): do it before.
      for (const name of byCollection.keys()) await ensureCollection(name);
      const session = client.startSession();
      try {
        // Operations run one after another: the driver does not support parallel operations in a transaction.
        await session.withTransaction(async () => {
          for (const [name, group] of byCollection) await applyWrites(collectionOf(name), group, session);
          // `$max` compares the padded strings, which is numeric order: the checkpoint never moves backwards.
          for (const checkpoint of checkpointList) {
            await checkpoints.updateOne({ _id: checkpoint.name }, { $max: { position: encodePosition(checkpoint.position) } }, { upsert: true, session });
          }
        }, TRANSACTION);
      } catch (error) {
        // Positions were read in the transaction, so a duplicate key is a declared unique index refusing a write.
        if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) {
          throw new ConcurrencyError(checkpointList.map((c) => c.name).join(','), 'unique index respected', error.message);
        }
        throw error;
      } finally {
        await session.endSession();
      }
    },

    async getCheckpoint(name) {
      const found = await checkpoints.findOne({ _id: name }, MAJORITY_READ);
      return found ? BigInt(found.position) : null;
    },

    async reset(checkpointName, collections) {
      // `drop()` ignores a missing collection; declared indexes go with it and are recreated by ensureIndexes.
      for (const name of collections) {
        await collectionOf(name).drop();
        existing.delete(name);
      }
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
export function toIndexDescription(index: IndexSpec): IndexDescription {
  const partialFilterExpression: Record<string, unknown> = { ...LIVE };
  if (index.unique) for (const field of Object.keys(index.keys)) partialFilterExpression[field] = { $exists: true };
  return { name: index.name, key: index.keys, unique: index.unique ?? false, partialFilterExpression };
}

import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import { Context } from 'mingo';
import * as queryOperators from 'mingo/operators/query';
import { Query } from 'mingo/query';
import type {
  Checkpoint,
  Document,
  DocumentWrite,
  Filter,
  FindOptions,
  IndexSpec,
  ReadCollection,
  ReadModelStore,
} from '../../application/ports/readModelStore.ts';
import { ConcurrencyError } from '../../domain/shared/errors.ts';
import { transaction, transactionSoon } from '../sqlite/database.ts';

const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const FIELD = /^[A-Za-z_][A-Za-z0-9_.]*$/;
const LOAD_CHUNK = 512;
/** Prepared statements kept per store. */
const STATEMENTS_KEPT = 256;

/** Placeholders for an IN list of `n` values, rounded up to a power of two (padded with NULLs, which match nothing). */
function inList(n: number): string {
  return Array.from({ length: inListLength(n) }, () => '?').join(', ');
}

const inListLength = (n: number) => (n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n)));

function padded(values: readonly SQLInputValue[]): SQLInputValue[] {
  const length = inListLength(values.length);
  return length === values.length ? [...values] : [...values, ...Array.from({ length: length - values.length }, () => null)];
}
/**
 * The query operators only (`$in`, `$lt`, `$or`, …). mingo's default `Query` copies every operator table (hundreds of
 * expression, pipeline and accumulator operators) into each query: ~30 KB and 18 µs per `find`, a fifth of what a
 * current-usage request allocated. Filters here never use `$expr`.
 */
const QUERY_CONTEXT = Context.init({ query: queryOperators });

type Scalar = string | number | boolean;
const isScalar = (value: unknown): value is Scalar => typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
const isInOperator = (value: unknown): value is { $in: unknown[] } =>
  typeof value === 'object' && value !== null && Object.keys(value).length === 1 && Array.isArray((value as { $in?: unknown }).$in);

/** The SQL parameters for an equality or `$in` of scalars (booleans as SQLite stores them); null when neither. */
function scalarsOf(value: unknown): SQLInputValue[] | null {
  const list = isInOperator(value) ? value.$in : [value];
  if (!list.every(isScalar)) return null;
  return list.map((item) => (typeof item === 'boolean' ? Number(item) : item));
}

const RANGE_OPERATORS: Record<string, string> = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' };

/** `{ $gt: 'a', $lte: 'b' }` with string bounds as SQL comparisons; null for anything else. */
function stringRangeOf(value: unknown): [string, string][] | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const entries = Object.entries(value);
  if (entries.length === 0 || !entries.every(([operator, bound]) => Object.hasOwn(RANGE_OPERATORS, operator) && typeof bound === 'string')) return null;
  return entries.map(([operator, bound]) => [RANGE_OPERATORS[operator]!, bound as string]);
}

/** The SQL expression an index key or sort key reads: the `id` column for `_id`, else the JSON field. */
const columnOf = (field: string): string => (field === '_id' ? 'id' : `json_extract(doc, '$.${field}')`);

/** A clustered row's document: its JSON plus the id from its column. */
function withId(id: string, json: string): Document {
  const doc = JSON.parse(json) as Record<string, unknown>;
  return { _id: id, ...doc } as Document;
}

function tableName(collection: string): string {
  if (!NAME.test(collection)) throw new Error(`invalid collection name: ${collection}`);
  return `rm_${collection}`;
}

/**
 * Embedded read-model store: one SQLite table per collection, a JSON document per row. MongoDB filter semantics
 * come from mingo; equality on indexed top-level fields is pushed down to SQLite so the declared indexes are used.
 */
export interface SqliteReadModelOptions {
  /**
   * Awaited before every commit. When the log is another file, committed there but not yet fsynced, this is the
   * log's fsync (walSyncer): read models must never be durable with events a power loss could still take from the
   * log (in one file, the WAL's order gave that for free).
   */
  beforeCommit?: () => Promise<void>;
}

export function createSqliteReadModelStore(db: DatabaseSync, options: SqliteReadModelOptions = {}): ReadModelStore {
  db.exec('CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL)');
  db.exec('CREATE TABLE IF NOT EXISTS rm_indexes (collection TEXT NOT NULL, name TEXT NOT NULL, spec TEXT NOT NULL, PRIMARY KEY (collection, name))');
  const known = new Set<string>();
  // Prepared statements by SQL text, the least recently used dropped past STATEMENTS_KEPT (each holds native memory
  // until collected). Shapes are few: limits are parameters and IN lists come in power-of-two lengths (inList).
  const statements = new Map<string, StatementSync>();
  const prepared = (sql: string): StatementSync => {
    let statement = statements.get(sql);
    if (statement) {
      statements.delete(sql);
    } else {
      statement = db.prepare(sql);
      if (statements.size >= STATEMENTS_KEPT) statements.delete(statements.keys().next().value!);
    }
    statements.set(sql, statement);
    return statement;
  };
  const indexedFields = new Map<string, Set<string>>();

  /** Clustered collections: the id is stored once, in its column; their JSON leaves `_id` out (reads add it back). */
  const clusteredTables = new Set<string>();

  function ensureTable(collection: string, clustered = false): string {
    const table = tableName(collection);
    if (!known.has(collection)) {
      // Clustered: rows stored in id order, with no rowid table beside the id index (one B-tree, not two).
      db.exec(`CREATE TABLE IF NOT EXISTS ${table} (id TEXT PRIMARY KEY, doc TEXT NOT NULL, position INTEGER NOT NULL)${clustered ? ' WITHOUT ROWID' : ''}`);
      const ddl = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) as { sql: string } | undefined;
      if (ddl?.sql.includes('WITHOUT ROWID')) clusteredTables.add(collection);
      const fields = new Set<string>();
      const rows = db.prepare('SELECT spec FROM rm_indexes WHERE collection = ?').all(collection) as { spec: string }[];
      for (const row of rows) for (const key of Object.keys((JSON.parse(row.spec) as IndexSpec).keys)) fields.add(key);
      indexedFields.set(collection, fields);
      known.add(collection);
    }
    return table;
  }

  /**
   * The SQL conditions for a filter's equality and `$in` tests on `_id` and indexed fields, and its string ranges on
   * `_id` (`$gt`, `$gte`, `$lt`, `$lte`: keyset paging). `complete` says SQL alone
   * decides the filter, so sort, limit and count can run in SQLite too; otherwise mingo applies the full filter to
   * the narrowed rows.
   */
  function pushdown(collection: string, filter: Filter) {
    const indexed = indexedFields.get(collection) ?? new Set<string>();
    const where: string[] = [];
    const params: SQLInputValue[] = [];
    let complete = true;
    for (const [field, value] of Object.entries(filter)) {
      const column = field === '_id' || indexed.has(field) ? columnOf(field) : null;
      const range = field === '_id' ? stringRangeOf(value) : null;
      if (range !== null) {
        // Ids are strings: SQLite's binary text order is MongoDB's string order, so SQL alone decides the test.
        for (const [operator, bound] of range) {
          where.push(`id ${operator} ?`);
          params.push(bound);
        }
        continue;
      }
      const values = column === null ? null : scalarsOf(value);
      if (column === null || values === null) {
        complete = false;
      } else if (values.length === 1 && !isInOperator(value)) {
        where.push(`${column} = ?`);
        params.push(...values);
      } else {
        if (values.length === 0) {
          where.push('0');
        } else {
          where.push(`${column} IN (${inList(values.length)})`);
          params.push(...padded(values));
        }
      }
    }
    return { where: where.length ? ` WHERE ${where.join(' AND ')}` : '', params, complete };
  }

  function orderBy(sort: FindOptions['sort']): string | null {
    const keys = Object.entries(sort ?? {});
    if (!keys.every(([field]) => FIELD.test(field))) return null;
    const terms = keys.map(([field, direction]) => `${columnOf(field)} ${direction === -1 ? 'DESC' : 'ASC'}`);
    return terms.length ? ` ORDER BY ${terms.join(', ')}` : '';
  }

  function query<T extends Document>(collection: string, filter: Filter, options: FindOptions = {}): T[] {
    const table = ensureTable(collection);
    const { where, params, complete } = pushdown(collection, filter);
    const order = orderBy(options.sort);
    const clustered = clusteredTables.has(collection);
    const parse = (rows: unknown[]) => (rows as { id: string; doc: string }[]).map((row) => (clustered ? withId(row.id, row.doc) : JSON.parse(row.doc)) as T);
    if (complete && order !== null) {
      return parse(prepared(`SELECT id, doc FROM ${table}${where}${order} LIMIT ? OFFSET ?`).all(...params, options.limit ?? -1, options.skip ?? 0));
    }
    let cursor = new Query(filter, { context: QUERY_CONTEXT }).find<T>(parse(prepared(`SELECT id, doc FROM ${table}${where}`).all(...params)));
    if (options.sort) cursor = cursor.sort(options.sort);
    if (options.skip) cursor = cursor.skip(options.skip);
    if (options.limit !== undefined) cursor = cursor.limit(options.limit);
    return cursor.all();
  }

  function count(collection: string, filter: Filter): number {
    const table = ensureTable(collection);
    const { where, params, complete } = pushdown(collection, filter);
    if (!complete) return query(collection, filter).length;
    return Number((prepared(`SELECT COUNT(*) AS n FROM ${table}${where}`).get(...params) as { n: number | bigint }).n);
  }

  const writers = new Map<string, { upsert: StatementSync; remove: StatementSync }>();
  function writerOf(collection: string) {
    let writer = writers.get(collection);
    if (writer === undefined) {
      const table = ensureTable(collection);
      writer = {
        upsert: db.prepare(`INSERT INTO ${table} (id, doc, position) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, position = excluded.position`),
        remove: db.prepare(`DELETE FROM ${table} WHERE id = ?`),
      };
      writers.set(collection, writer);
    }
    return writer;
  }

  function serialize(write: DocumentWrite): string | null {
    if (write.doc === null) return null;
    if (!clusteredTables.has(write.collection)) return JSON.stringify(write.doc);
    const { _id: _omitted, ...rest } = write.doc;
    return JSON.stringify(rest);
  }

  /**
   * Documents serialized before the transaction: the write lock (shared with the log's appends on this file) is
   * held only for the statements themselves.
   */
  function applyWrites(writes: DocumentWrite[], checkpoints: Checkpoint[]): Promise<void> {
    const rows = writes.map((write) => ({ writer: writerOf(write.collection), id: write.id, json: serialize(write), position: write.position }));
    const advance = prepared(
      `INSERT INTO checkpoints (name, position) VALUES (?, ?)
       ON CONFLICT (name) DO UPDATE SET position = MAX(position, excluded.position)`,
    );
    return transactionSoon(db, () => {
      for (const row of rows) {
        if (row.json === null) row.writer.remove.run(row.id);
        else row.writer.upsert.run(row.id, row.json, row.position);
      }
      for (const checkpoint of checkpoints) advance.run(checkpoint.name, checkpoint.position);
    });
  }

  return {
    collection<T extends Document>(name: string): ReadCollection<T> {
      return {
        async findOne(filter) {
          return query<T>(name, filter, { limit: 1 })[0] ?? null;
        },
        async find(filter, options) {
          return query<T>(name, filter, options);
        },
        async count(filter) {
          return count(name, filter);
        },
      };
    },

    async loadForUpdate(collection, ids) {
      const table = ensureTable(collection);
      const found = new Map<string, { doc: Document; position: bigint }>();
      // One query per chunk rather than one per id: a projection batch loads hundreds of documents.
      for (let start = 0; start < ids.length; start += LOAD_CHUNK) {
        const chunk = ids.slice(start, start + LOAD_CHUNK);
        const select = prepared(`SELECT id, doc, position FROM ${table} WHERE id IN (${inList(chunk.length)})`);
        for (const row of select.all(...padded(chunk)) as { id: string; doc: string; position: number | bigint }[]) {
          found.set(row.id, { doc: (clusteredTables.has(collection) ? withId(row.id, row.doc) : JSON.parse(row.doc)) as Document, position: BigInt(row.position) });
        }
      }
      return found;
    },

    async ensureIndexes(collection, indexes: IndexSpec[], options = {}) {
      const table = ensureTable(collection, options.clustered ?? false);
      const fields = indexedFields.get(collection) ?? new Set<string>();
      for (const index of indexes) {
        const keys = Object.keys(index.keys);
        if (!NAME.test(index.name) || !keys.every((key) => FIELD.test(key))) throw new Error(`invalid index ${index.name}`);
        // `_id` as the `id` column, so `{ a, _id: { $gt } }` sorted by `_id` is one index range scan (keyset paging).
        const columns = keys.map(columnOf).join(', ');
        const spec = JSON.stringify(index);
        const stored = db.prepare('SELECT spec FROM rm_indexes WHERE collection = ? AND name = ?').get(collection, index.name) as { spec: string } | undefined;
        // Same name, another definition (the projection changed its index): replace it, as the MongoDB store does.
        if (stored !== undefined && stored.spec !== spec) db.exec(`DROP INDEX IF EXISTS ${table}_${index.name}`);
        db.exec(`CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${table}_${index.name} ON ${table} (${columns})`);
        db.prepare('INSERT OR REPLACE INTO rm_indexes (collection, name, spec) VALUES (?, ?, ?)').run(collection, index.name, spec);
        for (const key of keys) fields.add(key);
      }
      indexedFields.set(collection, fields);
    },

    async commit(writes: DocumentWrite[], checkpoints) {
      if (options.beforeCommit) await options.beforeCommit();
      try {
        await applyWrites(writes, checkpoints);
      } catch (error) {
        if (error instanceof Error && error.message.includes('UNIQUE constraint failed')) {
          throw new ConcurrencyError(checkpoints.map((c) => c.name).join(','), 'unique index respected', error.message);
        }
        throw error;
      }
    },
    async getCheckpoint(name) {
      const row = db.prepare('SELECT position FROM checkpoints WHERE name = ?').get(name) as
        | { position: number | bigint }
        | undefined;
      return row ? BigInt(row.position) : null;
    },

    async reset(checkpointName, collections) {
      transaction(db, () => {
        for (const collection of collections) {
          db.exec(`DROP TABLE IF EXISTS ${tableName(collection)}`);
          statements.clear();
          writers.clear();
          db.prepare('DELETE FROM rm_indexes WHERE collection = ?').run(collection);
          known.delete(collection);
          indexedFields.delete(collection);
        }
        db.prepare('DELETE FROM checkpoints WHERE name = ?').run(checkpointName);
      });
    },

    async close() {},
  };
}

import type { Filter, IndexSpec, ReadModelStore, Sort } from '../../src/application/ports/readModelStore.ts';

/** A sorted `find` some caller issued, as the store received it. */
export interface SortedRead {
  collection: string;
  filter: Filter;
  sort: Sort;
}

/**
 * Wraps a read-model store to record the indexes declared through it and every sorted `find`, so a test can check
 * that each sorted read has an index that returns it in order (MongoDB: no in-memory SORT stage).
 */
export function recordingStore(store: ReadModelStore) {
  const indexes = new Map<string, IndexSpec[]>();
  const reads: SortedRead[] = [];
  const wrapped: ReadModelStore = Object.assign(Object.create(store) as ReadModelStore, {
    collection: (name: string) => {
      const collection = store.collection(name);
      return Object.assign(Object.create(collection) as typeof collection, {
        find: (filter: Filter, options: Parameters<typeof collection.find>[1] = {}) => {
          if (options.sort && Object.keys(options.sort).length > 0) reads.push({ collection: name, filter, sort: options.sort });
          return collection.find(filter, options);
        },
      });
    },
    ensureIndexes: async (name: string, declared: IndexSpec[], options?: Parameters<ReadModelStore['ensureIndexes']>[2]) => {
      const known = (indexes.get(name) ?? []).filter((index) => !declared.some((d) => d.name === index.name));
      indexes.set(name, [...known, ...declared]);
      return store.ensureIndexes(name, declared, options);
    },
  });
  return { store: wrapped, indexes, reads };
}

const isOperatorObject = (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).some((key) => key.startsWith('$'));

/** The fields a filter tests for equality with one value (at its top level or in a top-level `$and`). */
export function equalityFields(filter: Filter): Set<string> {
  const fields = new Set<string>();
  for (const [field, value] of Object.entries(filter)) {
    if (field === '$and' && Array.isArray(value)) for (const part of value as Filter[]) for (const inner of equalityFields(part)) fields.add(inner);
    else if (!field.startsWith('$') && (!isOperatorObject(value) || Object.keys(value as object).every((op) => op === '$eq'))) fields.add(field);
  }
  return fields;
}

/**
 * Whether an index returns a filter's matches in `sort` order without sorting in memory: its keys start with
 * fields the filter tests for equality (at least one when the filter has any: not a scan of every tenant), then
 * come the sort's fields in order, all in the sort's directions or all reversed (a backward scan). Other filter
 * tests are checked on the documents the scan reads.
 */
export function servesSort(keys: Record<string, 1 | -1>, filter: Filter, sort: Sort): boolean {
  const index = Object.entries(keys);
  const order = Object.entries(sort);
  const equal = equalityFields(filter);
  for (let prefix = 0; prefix + order.length <= index.length; prefix += 1) {
    if (prefix > 0 && !equal.has(index[prefix - 1]![0])) return false;
    if (prefix === 0 && [...equal].some((field) => field !== order[0]![0])) continue;
    const span = index.slice(prefix, prefix + order.length);
    if (!span.every(([field], i) => field === order[i]![0])) continue;
    const forward = span.every(([, direction], i) => direction === order[i]![1]);
    const backward = span.every(([, direction], i) => direction === -order[i]![1]);
    if (forward || backward) return true;
  }
  return false;
}

/** The sorted reads no declared index (nor `_id`'s) serves. */
export function unservedReads(indexes: ReadonlyMap<string, IndexSpec[]>, reads: readonly SortedRead[]): SortedRead[] {
  return reads.filter((read) => ![{ name: '_id_', keys: { _id: 1 as const } }, ...(indexes.get(read.collection) ?? [])].some((index) => servesSort(index.keys, read.filter, read.sort)));
}

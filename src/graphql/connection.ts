import type { ObjectRef } from '@pothos/core';
import type { Document, Filter, ReadCollection } from '../application/ports/readModelStore.ts';
import { ValidationError } from '../domain/shared/errors.ts';
import { builder } from './builder.ts';

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  /** Counted only when a query selects `totalCount`: a page alone never counts the matching documents. */
  totalCount: () => Promise<number>;
}

const PageInfo = builder.objectRef<Connection<unknown>['pageInfo']>('PageInfo').implement({
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage'),
    endCursor: t.exposeString('endCursor', { nullable: true }),
  }),
});

/** Declares `<Name>Connection` and `<Name>Edge` for a node type. */
// `any`: Pothos parameterises ObjectRef by the builder's own type map, which a generic helper cannot name.
export function connectionOf<T>(name: string, node: ObjectRef<any, T>) {
  const Edge = builder.objectRef<{ cursor: string; node: T }>(`${name}Edge`).implement({
    fields: (t) => ({
      cursor: t.exposeString('cursor'),
      node: t.field({ type: node, resolve: (edge) => edge.node as never }),
    }),
  });
  return builder.objectRef<Connection<T>>(`${name}Connection`).implement({
    fields: (t) => ({
      edges: t.field({ type: [Edge], resolve: (c) => c.edges }),
      pageInfo: t.field({ type: PageInfo, resolve: (c) => c.pageInfo }),
      totalCount: t.int({ resolve: (c) => c.totalCount() }),
    }),
  });
}

const encodeCursor = (key: string, id: string) => Buffer.from(JSON.stringify([key, id])).toString('base64url');

function decodeCursor(cursor: string): [string, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string')) return value as [string, string];
  } catch {
    // fall through to the typed error
  }
  throw new ValidationError('after: not a cursor returned by this API', 'after');
}

/**
 * Keyset pagination over a read-model collection, ordered by `sortKey` then `_id` (ascending, or descending for
 * "most recent first"): each page is one indexed query, whatever the page number. One document past the page is
 * read to answer `hasNextPage`; nothing is counted unless `totalCount` is asked for.
 */
export async function paginate<T extends Document>(
  collection: ReadCollection<T>,
  filter: Filter,
  args: { first?: number | null; after?: string | null },
  sortKey = 'createdAt',
  direction: 1 | -1 = 1,
): Promise<Connection<T>> {
  const first = args.first ?? 50;
  if (!Number.isInteger(first) || first < 1 || first > 500) throw new ValidationError('first: must be between 1 and 500', 'first');
  const pageFilter = args.after ? afterCursor(filter, decodeCursor(args.after), sortKey, direction) : filter;
  const docs = await collection.find(pageFilter, { sort: { [sortKey]: direction, _id: direction }, limit: first + 1 });
  const page = docs.slice(0, first);
  const edges = page.map((node) => ({ cursor: encodeCursor(String(node[sortKey] ?? ''), node._id), node }));
  let total: Promise<number> | undefined;
  return { edges, pageInfo: { hasNextPage: docs.length > first, endCursor: edges.at(-1)?.cursor ?? null }, totalCount: () => (total ??= collection.count(filter)) };
}

/**
 * The documents after a cursor: past its sort key, or at it with a greater (lower, descending) `_id`. The bound on
 * the sort key alone, beside the `$or`, is implied by it but is what an index on (equality fields, sort key, `_id`)
 * scans from; kept at the top level of the filter when nothing is there already, so equality tests stay top-level
 * too (the embedded store pushes those down to SQLite).
 */
export function afterCursor(filter: Filter, [key, id]: [string, string], sortKey: string, direction: 1 | -1): Filter {
  const beyond = direction === 1 ? '$gt' : '$lt';
  const from = { [sortKey]: { [direction === 1 ? '$gte' : '$lte']: key } };
  const $or = [{ [sortKey]: { [beyond]: key } }, { [sortKey]: key, _id: { [beyond]: id } }];
  if (Object.hasOwn(filter, sortKey) || Object.hasOwn(filter, '$or')) return { $and: [filter, from, { $or }] };
  return { ...filter, ...from, $or };
}

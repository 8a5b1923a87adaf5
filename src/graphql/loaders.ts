import DataLoader from 'dataloader';
import type { Document, ReadModelStore } from '../application/ports/readModelStore.ts';

/**
 * Per-request DataLoaders: `loaders.byId<Plan>('plans')` batches every id asked for during one request into a
 * single `$in` query, scoped to the caller's organization (a document of another organization reads as null).
 */
export function createLoaders(readModels: ReadModelStore, organizationId: string | null) {
  const cache = new Map<string, DataLoader<string, Document | null>>();
  const manyCache = new Map<string, DataLoader<string, Document[]>>();
  return {
    byId<T extends Document>(collection: string, field = '_id'): DataLoader<string, T | null> {
      const name = `${collection}:${field}`;
      let loader = cache.get(name);
      if (!loader) {
        loader = new DataLoader<string, Document | null>(async (ids) => {
          const docs = await readModels.collection(collection).find({ [field]: { $in: [...ids] }, organizationId });
          const found = new Map(docs.map((doc) => [String(doc[field]), doc]));
          return ids.map((id) => found.get(id) ?? null);
        });
        cache.set(name, loader);
      }
      return loader as unknown as DataLoader<string, T | null>;
    },
    /** Every document whose `field` equals the key (e.g. all subscriptions ever created under one external id). */
    allBy<T extends Document>(collection: string, field: string): DataLoader<string, T[]> {
      const name = `${collection}:${field}`;
      let loader = manyCache.get(name);
      if (!loader) {
        loader = new DataLoader<string, Document[]>(async (keys) => {
          const docs = await readModels.collection(collection).find({ [field]: { $in: [...keys] }, organizationId });
          return keys.map((key) => docs.filter((doc) => String(doc[field]) === key));
        });
        manyCache.set(name, loader);
      }
      return loader as unknown as DataLoader<string, T[]>;
    },
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

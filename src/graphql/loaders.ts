import DataLoader from 'dataloader';
import type { Document, ReadModelStore } from '../application/ports/readModelStore.ts';

/**
 * Per-request DataLoaders: `loaders.byId<Plan>('plans')` batches every id asked for during one request into a
 * single `$in` query, scoped to the caller's organization (a document of another organization reads as null).
 */
export function createLoaders(readModels: ReadModelStore, organizationId: string | null) {
  const cache = new Map<string, DataLoader<string, Document | null>>();
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
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

import type { Db } from 'mongodb';

/**
 * Cross-instance live updates: reports `(collection, id)` for every document written in `collections` by any
 * process, through a MongoDB change stream on the database (needs a replica set or sharded cluster; a standalone
 * server refuses change streams and `onError` is told). The driver resumes the stream by itself after transient
 * errors. Returns a function that closes the stream.
 */
export function watchCollections(
  db: Db,
  collections: string[],
  onChange: (collection: string, id: string) => void,
  onError: (error: unknown) => void = (error) => console.error('change stream failed', error),
): () => Promise<void> {
  const stream = db.watch([
    {
      $match: {
        'ns.coll': { $in: collections },
        operationType: { $in: ['insert', 'update', 'replace', 'delete'] },
      },
    },
  ]);
  stream.on('change', (change) => {
    // Only document events pass the $match; they all carry `ns.coll` and `documentKey._id`.
    if ('documentKey' in change && 'ns' in change && 'coll' in change.ns) {
      onChange(change.ns.coll, String(change.documentKey._id));
    }
  });
  // Without a listener, an 'error' event would crash the process.
  stream.on('error', onError);
  return () => stream.close();
}

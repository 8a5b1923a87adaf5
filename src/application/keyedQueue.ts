/**
 * Work for one key, one piece after the other, in the order asked (a failed piece does not stop the next);
 * different keys run side by side. Forgets a key once its queue is empty.
 */
export function keyedQueue(): <T>(key: string, work: () => Promise<T>) => Promise<T> {
  const tails = new Map<string, Promise<unknown>>();
  return (key, work) => {
    const next = (tails.get(key) ?? Promise.resolve()).then(work, work);
    const settled = next.catch(() => {});
    tails.set(key, settled);
    void settled.then(() => tails.get(key) === settled && tails.delete(key));
    return next;
  };
}

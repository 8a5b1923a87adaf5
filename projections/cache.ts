/**
 * A bounded map that forgets what was not used lately, in O(1): entries live in a young generation; when it is
 * full (checked by `trim`, at a moment when nothing in it must be kept, such as right after a commit), it becomes
 * the old one and the previous old one is dropped. A hit in the old generation moves the entry back to the young.
 * Roughly LRU, with no per-entry bookkeeping.
 */
export class GenerationalCache<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  private readonly limit: number;

  /** `limit`: entries per generation (at most twice as many are held). */
  constructor(limit: number) {
    this.limit = limit;
  }

  get(key: K): V | undefined {
    const found = this.young.get(key);
    if (found !== undefined) return found;
    const aged = this.old.get(key);
    if (aged !== undefined) {
      this.old.delete(key);
      this.young.set(key, aged);
    }
    return aged;
  }

  has(key: K): boolean {
    return this.get(key) !== undefined;
  }

  set(key: K, value: V): void {
    this.old.delete(key);
    this.young.set(key, value);
  }

  delete(key: K): void {
    this.young.delete(key);
    this.old.delete(key);
  }

  clear(): void {
    this.young = new Map();
    this.old = new Map();
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  /** Entries of both generations (the young ones first). */
  *entries(): IterableIterator<[K, V]> {
    yield* this.young;
    yield* this.old;
  }

  /** Ages the young generation once it is full; call only when no entry may need to be kept. */
  trim(): void {
    if (this.young.size < this.limit) return;
    this.old = this.young;
    this.young = new Map();
  }
}

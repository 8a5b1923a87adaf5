/**
 * Membership filters over keys written by block of log positions: where, among the blocks of the embedded usage
 * log, a key may have been written. Each block (`blockSize` positions) has a Bloom filter, and each group of
 * `groupSize` blocks has one more, so a lookup tests one filter per group, then the blocks of the groups that
 * may hold the key. A miss is certain (a Bloom filter has no false negatives); a hit is only a candidate, checked
 * against the stored keys.
 *
 * Why: the dedup keys of random transaction ids are random. In one B-tree ordered by key, every insert dirties a
 * random page (about 12 KB written per event on this machine, BENCHMARKS.md). Ordered by (block, key), inserts stay
 * inside the current block's few pages, and these filters tell which blocks a lookup must probe.
 */

/** Bits per key and hash functions: a false-positive rate near 1 % at full load. */
const BITS_PER_KEY = 10;
const HASHES = 7;

/** A Bloom filter on a bit array; probes from two 32-bit words of the key's hash (double hashing). */
export class BloomFilter {
  readonly bits: Uint8Array;
  private readonly size: number;

  constructor(capacity: number, bits?: Uint8Array) {
    const bytes = Math.max(8, Math.ceil((capacity * BITS_PER_KEY) / 8));
    if (bits !== undefined && bits.length !== bytes) throw new RangeError(`filter of ${bits.length} bytes, expected ${bytes}`);
    this.bits = bits ?? new Uint8Array(bytes);
    this.size = bytes * 8;
  }

  add(a: number, b: number): void {
    for (let i = 0; i < HASHES; i += 1) {
      const bit = (a + Math.imul(i, b)) >>> 0;
      const index = bit % this.size;
      this.bits[index >>> 3]! |= 1 << (index & 7);
    }
  }

  mayContain(a: number, b: number): boolean {
    for (let i = 0; i < HASHES; i += 1) {
      const index = ((a + Math.imul(i, b)) >>> 0) % this.size;
      if ((this.bits[index >>> 3]! & (1 << (index & 7))) === 0) return false;
    }
    return true;
  }
}

/** The four 32-bit words of a key's hash the filters probe with: block filters use two, group filters the others. */
export type KeyWords = readonly [number, number, number, number];

/** The probe words of a hash of at least 16 bytes. */
export function keyWords(hash: Uint8Array): KeyWords {
  const view = new DataView(hash.buffer, hash.byteOffset, 16);
  // An even step would revisit the same bits in a filter whose size is a power of two: force it odd.
  return [view.getUint32(0), view.getUint32(4) | 1, view.getUint32(8), view.getUint32(12) | 1];
}

export interface BlockFiltersOptions {
  /** Positions per block. */
  blockSize: number;
  /** Blocks per group. */
  groupSize: number;
}

/** A filter to persist: `level` 0 for a block, 1 for a group. */
export type SealedFilter = { level: 0 | 1; index: number; bits: Uint8Array };

/**
 * Block and group filters of one log. Keys are added with the position they were written at; a block is sealed
 * once a later block receives a key (its filter no longer changes and can be persisted), a group likewise.
 */
export class BlockFilters {
  private readonly blockSize: number;
  private readonly groupSize: number;
  private readonly blocks = new Map<number, BloomFilter>();
  private readonly groups = new Map<number, BloomFilter>();
  /** Group indexes, newest first: the order lookups test them in. */
  private groupOrder: number[] = [];
  /** The highest block that received a key: earlier ones are sealed. */
  private current = -1;

  constructor(options: BlockFiltersOptions) {
    this.blockSize = options.blockSize;
    this.groupSize = options.groupSize;
  }

  blockOf(position: bigint | number): number {
    return Number(BigInt(position) / BigInt(this.blockSize));
  }

  /** Loads a persisted (sealed) filter. */
  load(filter: SealedFilter): void {
    if (filter.level === 0) this.blocks.set(filter.index, new BloomFilter(this.blockSize, filter.bits));
    else this.setGroup(filter.index, new BloomFilter(this.blockSize * this.groupSize, filter.bits));
  }

  /** Whether the filter of this block, or of its group, is already held (loaded or built). */
  hasBlock(block: number): boolean {
    return this.blocks.has(block);
  }

  hasGroup(group: number): boolean {
    return this.groups.has(group);
  }

  /**
   * Records a key written in `block`. Returns the filters this sealed (blocks and groups before the key's), for the
   * caller to persist in the same transaction.
   */
  add(block: number, words: KeyWords): SealedFilter[] {
    const sealed: SealedFilter[] = [];
    if (block > this.current) {
      // Keys only ever go to the newest block, so the block (and group) that held the newest keys is now final.
      const previous = this.current;
      const closedBlock = this.blocks.get(previous);
      if (closedBlock !== undefined) sealed.push({ level: 0, index: previous, bits: closedBlock.bits });
      const previousGroup = Math.floor(previous / this.groupSize);
      const closedGroup = this.groups.get(previousGroup);
      if (closedGroup !== undefined && Math.floor(block / this.groupSize) > previousGroup) sealed.push({ level: 1, index: previousGroup, bits: closedGroup.bits });
      this.current = block;
    }
    this.blockFilter(block).add(words[0], words[1]);
    this.groupFilter(Math.floor(block / this.groupSize)).add(words[2], words[3]);
    return sealed;
  }

  /** The blocks that may hold the key, newest first. */
  candidates(words: KeyWords): number[] {
    const found: number[] = [];
    for (const group of this.groupOrder) {
      if (!this.groups.get(group)!.mayContain(words[2], words[3])) continue;
      for (let block = (group + 1) * this.groupSize - 1; block >= group * this.groupSize; block -= 1) {
        if (this.blocks.get(block)?.mayContain(words[0], words[1])) found.push(block);
      }
    }
    return found;
  }

  /** Bytes held by the filters (memory accounting for the health report). */
  bytes(): number {
    let total = 0;
    for (const filter of this.blocks.values()) total += filter.bits.length;
    for (const filter of this.groups.values()) total += filter.bits.length;
    return total;
  }

  private blockFilter(block: number): BloomFilter {
    let filter = this.blocks.get(block);
    if (filter === undefined) this.blocks.set(block, (filter = new BloomFilter(this.blockSize)));
    return filter;
  }

  private groupFilter(group: number): BloomFilter {
    return this.groups.get(group) ?? this.setGroup(group, new BloomFilter(this.blockSize * this.groupSize));
  }

  private setGroup(group: number, filter: BloomFilter): BloomFilter {
    if (!this.groups.has(group)) this.groupOrder = [...this.groupOrder, group].sort((a, b) => b - a);
    this.groups.set(group, filter);
    return filter;
  }
}

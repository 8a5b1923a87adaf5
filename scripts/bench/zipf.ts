import type { Random } from './random.ts';

/**
 * Zipf distribution over ranks 0..n-1 (rank 0 the most frequent): P(k) ∝ 1 / (k + 1)^s. The CDF is computed once;
 * each draw is a binary search in it.
 */
export class Zipf {
  readonly n: number;
  private readonly cdf: Float64Array;

  constructor(n: number, s = 1.0) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`Zipf: n must be a positive integer, got ${n}`);
    this.n = n;
    this.cdf = new Float64Array(n);
    let total = 0;
    for (let k = 0; k < n; k += 1) {
      total += 1 / Math.pow(k + 1, s);
      this.cdf[k] = total;
    }
    for (let k = 0; k < n; k += 1) this.cdf[k] = this.cdf[k]! / total;
    this.cdf[n - 1] = 1;
  }

  /** The probability of rank `k`. */
  probability(k: number): number {
    return this.cdf[k]! - (k === 0 ? 0 : this.cdf[k - 1]!);
  }

  /** A rank in 0..n-1. */
  sample(random: Random): number {
    const u = random();
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cdf[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

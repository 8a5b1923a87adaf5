/** Percentiles and number formatting for the bench reports. */

/** The p-th percentile (nearest rank) of an ascending array; null when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number | null {
  if (sorted.length === 0) return null;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export type Distribution = { count: number; p50: number | null; p99: number | null; max: number | null };

export function distribution(values: readonly number[] | Float64Array): Distribution {
  const sorted = Float64Array.from(values).sort();
  return { count: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.length ? sorted[sorted.length - 1]! : null };
}

/** events / seconds, or null when the duration is unknown or zero. */
export function rate(events: number, seconds: number | null): number | null {
  return seconds !== null && seconds > 0 ? events / seconds : null;
}

/** Thousands separators, no decimals; `n/a` for null. */
export function int(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? 'n/a' : Math.round(value).toLocaleString('en-US');
}

/** Fixed decimals; `n/a` for null. */
export function fixed(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined || !Number.isFinite(value) ? 'n/a' : value.toFixed(digits);
}

export function bytes(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'n/a';
  const units = ['B', 'KB', 'MB', 'GB'];
  let v = value;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  return `${u === 0 ? Math.round(v) : v.toFixed(1)} ${units[u]}`;
}

/** `p50 … / p99 … / max …` in milliseconds. */
export function latencies(d: Distribution, digits = 1): string {
  return `p50 ${fixed(d.p50, digits)} ms, p99 ${fixed(d.p99, digits)} ms, max ${fixed(d.max, digits)} ms (${int(d.count)} samples)`;
}

/** The wall clock in milliseconds, comparable across processes on one machine. */
export const now = () => performance.timeOrigin + performance.now();

import BigNumber from 'bignumber.js';
import { applyAggregationRounding } from '../aggregationRounding.ts';
import type { AggregationRounding } from '../aggregationRounding.ts';

// Lago's `numeric_condition` (§1.2): anything else is silently dropped by SUM/MAX/LATEST/WEIGHTED_SUM.
const NUMERIC = /^-?\d+(\.\d+)?$/;

/** The value as a BigNumber when it matches `^-?\d+(\.\d+)?$`, else null (the event is dropped). */
export function numericValue(value: string | null | undefined): BigNumber | null {
  return typeof value === 'string' && NUMERIC.test(value) ? new BigNumber(value) : null;
}

const ISO = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * Seconds since the epoch as an exact decimal (`2024-01-01T00:00:00.25Z` → 1704067200.25). Fractional seconds
 * beyond milliseconds are kept. Throws a RangeError for anything Date cannot read.
 */
export function epochSeconds(iso: string): BigNumber {
  const match = ISO.exec(iso);
  if (match !== null) {
    const whole = Date.parse(`${match[1]}${match[3]}`);
    if (!Number.isNaN(whole)) return new BigNumber(whole).shiftedBy(-3).plus(`0.${match[2] ?? '0'}`);
  } else {
    const ms = Date.parse(iso);
    if (!Number.isNaN(ms)) return new BigNumber(ms).shiftedBy(-3);
  }
  throw new RangeError(`invalid timestamp ${JSON.stringify(iso)}`);
}

/**
 * Epoch seconds of a millisecond instant as exact decimal text (`1704067200250` → "1704067200.25"), without
 * BigNumber: what `epochSeconds(iso).toFixed()` gives for a millisecond ISO timestamp.
 */
export function secondsOfMs(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) return new BigNumber(ms).shiftedBy(-3).toFixed();
  const whole = Math.floor(ms / 1000);
  const rest = ms - whole * 1000;
  if (rest === 0) return String(whole);
  // The fraction without trailing zeros: .25 for 250 ms, .007 for 7 ms.
  if (rest % 100 === 0) return `${whole}.${rest / 100}`;
  if (rest % 10 === 0) return `${whole}.${rest < 100 ? '0' : ''}${rest / 10}`;
  return `${whole}.${rest < 10 ? '00' : rest < 100 ? '0' : ''}${rest}`;
}

/** An event's epoch seconds as text: the one it carries, else parsed from its timestamp. */
export function secondsOf(event: { readonly timestamp: string; readonly seconds?: string | undefined }): string {
  return event.seconds ?? epochSeconds(event.timestamp).toFixed();
}

/** An event's position in time: timestamp, then transactionId (deterministic stand-in for arrival order). */
export interface EventKey {
  /** Epoch seconds, decimal string. */
  readonly ts: string;
  readonly transactionId: string;
}

/** Orders keys by timestamp, then by transactionId (UTF-16 code units). */
export function compareKeys(a: EventKey, b: EventKey): number {
  const byTime = new BigNumber(a.ts).comparedTo(b.ts) ?? 0;
  if (byTime !== 0) return byTime;
  return a.transactionId < b.transactionId ? -1 : a.transactionId > b.transactionId ? 1 : 0;
}

/** Integers below 10^15 in magnitude: their sum is exact in a double (< 2^53), so the fold can skip BigNumber. */
const SMALL_INTEGER = /^-?\d{1,15}$/;

/** `a + b` as exact decimal text; small integers (the usual counts and sums) without parsing a BigNumber. */
export function plus(a: string, b: BigNumber.Value): string {
  if (SMALL_INTEGER.test(a)) {
    if (typeof b === 'number' ? Number.isInteger(b) && Math.abs(b) < 1e15 : typeof b === 'string' && SMALL_INTEGER.test(b)) return String(Number(a) + Number(b));
  }
  return new BigNumber(a).plus(b).toFixed();
}

/** Whether `value` is a decimal the numeric aggregations take (`^-?\d+(\.\d+)?$`), without building it. */
export function isNumeric(value: string | null | undefined): value is string {
  return typeof value === 'string' && NUMERIC.test(value);
}

/** Applies the metric's rounding when one is given. */
export function rounded(units: BigNumber, rounding: AggregationRounding | undefined): BigNumber {
  return rounding === undefined ? units : applyAggregationRounding(units, rounding);
}

const CEILED = new Map<number, typeof BigNumber>();

/** `a / b` rounded toward +∞ at `places` decimals (Lago's `.ceil(n)` of the exact quotient). */
export function divideCeil(a: BigNumber, b: BigNumber, places: number): BigNumber {
  let Ceil = CEILED.get(places);
  if (Ceil === undefined) {
    Ceil = BigNumber.clone({ DECIMAL_PLACES: places, ROUNDING_MODE: BigNumber.ROUND_CEIL });
    CEILED.set(places, Ceil);
  }
  // NOTE: hand back a default-configured BigNumber: a clone's instances keep dividing with ROUND_CEIL.
  return new BigNumber(new Ceil(a).div(b).toFixed());
}

/** Non-recurring metrics (COUNT, MAX, LATEST) have no initial value. */
export function rejectInitial(name: string, initial: unknown): void {
  if (initial !== undefined) throw new TypeError(`${name} cannot be recurring: no initial value`);
}

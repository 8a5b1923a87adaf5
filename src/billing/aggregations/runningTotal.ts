import BigNumber from 'bignumber.js';
import { parseOptionalDecimal } from '../money.ts';
import type { DecimalInput } from '../money.ts';
import { compareKeys, epochSeconds, secondsOf, numericValue } from './shared.ts';
import type { EventKey } from './shared.ts';
import type { AggregationEvent } from './types.ts';

/** The percentage charge's free-units properties (§2.5) that decide which running total SUM builds. */
export interface RunningTotalOptions {
  readonly freeUnitsPerEvents?: DecimalInput | null | undefined;
  readonly freeUnitsPerTotalAggregation?: DecimalInput | null | undefined;
}

export interface RunningTotalEntry extends EventKey {
  readonly value: string;
}

/**
 * The earliest numeric events (by timestamp, then transactionId) that the running total needs, in that order.
 * `limit`: null when no event was discarded; else the key of the last kept event — every discarded event
 * comes after it, so `kept` is complete up to `limit`.
 */
export interface RunningTotalState {
  readonly kept: readonly RunningTotalEntry[];
  readonly limit: EventKey | null;
}

/** A bounded fold for SUM's percentage running total; state is per charge, since it depends on its options. */
export interface RunningTotalFold {
  empty(): RunningTotalState;
  add(state: RunningTotalState, event: AggregationEvent): RunningTotalState;
  merge(a: RunningTotalState, b: RunningTotalState): RunningTotalState;
  /** `ChargeInput.runningTotal`: cumulative values in timestamp order. */
  result(state: RunningTotalState): BigNumber[];
}

/**
 * SUM's running total for percentage free units (§2.5), kept bounded:
 * - `freeUnitsPerEvents = N > 0`: the cumulative values of the first N events — at most N entries, always exact;
 * - else `freeUnitsPerTotalAggregation = X > 0`: cumulative values until the total first exceeds X, the crossing
 *   event included — events after the crossing are discarded as soon as it is known;
 * - neither: `[]` (Lago builds none), and nothing is kept.
 * NOTE: with X, a negative value arriving late with a timestamp before the crossing can move the crossing past
 * events already discarded; `result` then throws a RangeError (rebuild the state from the events). Folding in
 * timestamp order, or with non-negative values, never hits this. COUNT / UNIQUE_COUNT (running total `1..units`)
 * are not covered: that list grows with the units.
 */
export function runningTotal(options: RunningTotalOptions): RunningTotalFold {
  const perEvents = parseOptionalDecimal(options.freeUnitsPerEvents, 'freeUnitsPerEvents');
  const perTotal = parseOptionalDecimal(options.freeUnitsPerTotalAggregation, 'freeUnitsPerTotalAggregation');
  if (!perEvents.isInteger() || perEvents.isNegative()) throw new RangeError(`freeUnitsPerEvents must be a non-negative integer, got ${perEvents.toFixed()}`);
  const mode = perEvents.isGreaterThan(0) ? 'events' : perTotal.isGreaterThan(0) ? 'total' : 'none';

  const empty = (): RunningTotalState => ({ kept: [], limit: null });

  /** Where `kept` may end: after N events, or at the first crossing inside the complete part. */
  function cut(kept: readonly RunningTotalEntry[], limit: EventKey | null): number | null {
    if (mode === 'events') return kept.length > perEvents.toNumber() ? perEvents.toNumber() : null;
    let total = new BigNumber(0);
    for (let i = 0; i < kept.length; i += 1) {
      const entry = kept[i] as RunningTotalEntry;
      if (limit !== null && compareKeys(entry, limit) > 0) return null;
      total = total.plus(entry.value);
      if (total.isGreaterThan(perTotal)) return i + 1;
    }
    return null;
  }

  function normalise(kept: readonly RunningTotalEntry[], limit: EventKey | null): RunningTotalState {
    const end = cut(kept, limit);
    if (end === null || end >= kept.length) return { kept, limit };
    const last = kept[end - 1] as RunningTotalEntry;
    return { kept: kept.slice(0, end), limit: { ts: last.ts, transactionId: last.transactionId } };
  }

  function combine(a: RunningTotalState, b: RunningTotalState): RunningTotalState {
    const limits = [a.limit, b.limit].filter((l): l is EventKey => l !== null).sort(compareKeys);
    const kept = [...a.kept, ...b.kept].sort(compareKeys);
    const limit = limits[0] ?? null;
    // Entries beyond the tighter limit may be missing their neighbours: drop them so the state stays canonical.
    const complete = limit === null ? kept : kept.filter((entry) => compareKeys(entry, limit) <= 0);
    return normalise(complete, limit);
  }

  function add(state: RunningTotalState, event: AggregationEvent): RunningTotalState {
    if (mode === 'none') return state;
    const value = numericValue(event.value);
    if (value === null) return state;
    const entry: RunningTotalEntry = { ts: secondsOf(event), transactionId: event.transactionId, value: value.toFixed() };
    if (state.limit !== null && compareKeys(entry, state.limit) > 0) return state;
    return combine(state, { kept: [entry], limit: null });
  }

  function result(state: RunningTotalState): BigNumber[] {
    if (mode === 'total' && state.limit !== null && cut(state.kept, state.limit) === null) {
      throw new RangeError('running total lost events: a late negative value moved the free-units crossing; rebuild the state from the events');
    }
    let total = new BigNumber(0);
    return state.kept.map((entry) => (total = total.plus(entry.value)));
  }

  return { empty, add, merge: combine, result };
}

import BigNumber from 'bignumber.js';
import type { ParsedRange } from './ranges.ts';

/** Net full units and prorated units that went through one tier. */
export interface TierUsage {
  full: BigNumber;
  prorated: BigNumber;
}

export interface ProratedWalk {
  /** Indexed like the ranges; tiers never touched are absent. */
  readonly tiers: readonly (TierUsage | undefined)[];
  readonly totalFull: BigNumber;
  readonly maxFull: BigNumber;
}

/**
 * Index of the tier holding `fullUnits`: the first whose `toValue` is unbounded or ≥ it. Tier k thus covers
 * (toValue of tier k−1, toValue of tier k] — the same units under the "+1" (0–5, 6–∞) and the adjacent
 * (0–5, 5–∞) conventions — and the first tier also takes everything at or below zero.
 */
export function tierIndexOf(ranges: readonly ParsedRange[], fullUnits: BigNumber): number {
  const index = ranges.findIndex((r) => r.to === null || fullUnits.isLessThanOrEqualTo(r.to));
  return index === -1 ? ranges.length - 1 : index;
}

function addTo(tiers: (TierUsage | undefined)[], index: number, full: BigNumber, prorated: BigNumber): void {
  if (index < 0) return;
  const tier = tiers[index] ?? { full: new BigNumber(0), prorated: new BigNumber(0) };
  tier.full = tier.full.plus(full);
  tier.prorated = tier.prorated.plus(prorated);
  tiers[index] = tier;
}

/** The ranges up to the first unbounded one: with Lago's stop rule, later ones are never reached. */
function reachable(ranges: readonly ParsedRange[]): readonly ParsedRange[] {
  const unbounded = ranges.findIndex((r) => r.to === null);
  return unbounded === -1 ? ranges : ranges.slice(0, unbounded + 1);
}

/** Spreads one event moving the full total from `start` by `full` over the tiers it crosses. */
function spreadEvent(ranges: readonly ParsedRange[], tiers: (TierUsage | undefined)[], start: BigNumber, full: BigNumber, prorated: BigNumber): void {
  if (full.isZero()) return addTo(tiers, tierIndexOf(ranges, start), full, prorated);
  const low = BigNumber.min(start, start.plus(full));
  const high = BigNumber.max(start, start.plus(full));
  const sign = full.isNegative() ? -1 : 1;
  const tiersInReach = reachable(ranges);
  tiersInReach.forEach((range, i) => {
    const lower = tiersInReach[i - 1]?.to;
    const from = lower === undefined || lower === null ? low : BigNumber.max(low, lower);
    const to = range.to === null || i === tiersInReach.length - 1 ? high : BigNumber.min(high, range.to);
    if (!to.isGreaterThan(from)) return;
    const overlap = to.minus(from);
    // The event's prorated value, in the share of its full value that lies in this tier.
    addTo(tiers, i, overlap.times(sign), prorated.times(overlap).div(full.abs()));
  });
}

/**
 * Walks events in order, spreading each over the tiers its full value crosses (§2.9).
 * NOTE: as Lago does, an event with a zero prorated value and a positive full value (an add that ended
 * before the period) is skipped, and so is a zero-prorated removal that would take the total below zero (its
 * add was skipped): neither moves the tier.
 */
export function walkProratedEvents(ranges: readonly ParsedRange[], full: readonly BigNumber[], prorated: readonly BigNumber[]): ProratedWalk {
  const tiers: (TierUsage | undefined)[] = [];
  let total = new BigNumber(0);
  let max = new BigNumber(0);
  full.forEach((value, i) => {
    const proratedValue = prorated[i] ?? new BigNumber(0);
    if (proratedValue.isZero() && value.isGreaterThan(0)) return;
    if (proratedValue.isZero() && value.isNegative() && total.plus(value).isNegative()) return;
    spreadEvent(ranges, tiers, total, value, proratedValue);
    total = total.plus(value);
    max = BigNumber.max(max, total);
  });
  return { tiers, totalFull: total, maxFull: max };
}

import BigNumber from 'bignumber.js';
import { formatDecimal } from '../money.ts';
import type { ProratedTierDetail } from './details.ts';
import { formatBound, parseRanges, perUnit } from './ranges.ts';
import type { ParsedRange } from './ranges.ts';
import { tierIndexOf, walkProratedEvents } from './proratedWalk.ts';
import type { TierUsage } from './proratedWalk.ts';
import type { ChargeInput, ChargeResult, GraduatedProperties } from './types.ts';

const ZERO = new BigNumber(0);

function tierDetail(range: ParsedRange, usage: TierUsage | undefined): ProratedTierDetail {
  const full = usage?.full ?? ZERO;
  const prorated = usage?.prorated ?? ZERO;
  return {
    fromValue: formatDecimal(range.from),
    toValue: formatBound(range.to),
    fullUnits: formatDecimal(full),
    proratedUnits: formatDecimal(prorated),
    perUnitAmount: formatDecimal(range.price),
    perUnitTotalAmount: formatDecimal(prorated.times(range.price)),
    flatAmount: formatDecimal(range.flat),
  };
}

/**
 * Prorated graduated (§2.9), for prorated graduated charges on recurring sums. Events are walked in order:
 * the running total of FULL values decides the tier, each event's PRORATED value is what is priced, and an
 * event that crosses tier bounds is split pro rata (the share of its full value in each tier). Flat amounts of
 * every tier up to the one holding the period's highest full usage are owed; a negative unit total is floored
 * at 0 before them, and a negative full total bills nothing. Zero units bill the first tier's flat amount.
 * Needs `perEventValues` (full) and `perEventProratedValues`.
 */
export function proratedGraduated(input: ChargeInput, properties: GraduatedProperties): ChargeResult {
  const ranges = parseRanges(properties.graduatedRanges, 'graduatedRanges', (r) => r.perUnitAmount);
  const full = input.perEventValues ?? [];
  const prorated = input.perEventProratedValues ?? [];
  if (full.length !== prorated.length) throw new RangeError('perEventValues and perEventProratedValues differ in length');
  const walk = input.units.isZero() ? { tiers: [], totalFull: ZERO, maxFull: ZERO } : walkProratedEvents(ranges, full, prorated);
  // Every tier the walk touched lies at or below the tier of the highest full usage, so these are all of them.
  const owed = ranges.slice(0, tierIndexOf(ranges, walk.maxFull) + 1);
  const tiers = owed.map((range, i) => tierDetail(range, walk.tiers[i]));
  const unitsAmount = BigNumber.max(0, BigNumber.sum(0, ...tiers.map((t) => t.perUnitTotalAmount)));
  const flatAmount = BigNumber.sum(0, ...owed.map((r) => r.flat));
  const amount = walk.totalFull.isNegative() ? ZERO : unitsAmount.plus(flatAmount);
  return {
    amount,
    unitAmount: perUnit(amount, BigNumber.sum(0, ...full)),
    units: input.units,
    fullUnits: input.fullUnits,
    details: {
      model: 'PRORATED_GRADUATED',
      totalFullUnits: formatDecimal(walk.totalFull),
      maxFullUnits: formatDecimal(walk.maxFull),
      tiers,
      unitsAmount: formatDecimal(unitsAmount),
      flatAmount: formatDecimal(flatAmount),
      total: formatDecimal(amount),
    },
  };
}

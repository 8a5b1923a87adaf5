import BigNumber from 'bignumber.js';
import { formatDecimal } from '../money.ts';
import type { TierDetail } from './details.ts';
import { areAdjacent, formatBound, isLastTier, parseRanges, perUnit } from './ranges.ts';
import type { ParsedRange } from './ranges.ts';
import type { ChargeInput, ChargeResult, GraduatedProperties } from './types.ts';

/**
 * Units of `units` that fall in `range` (Lago's `RangeGraduatedService#units`). Integer ranges (0–10, 11–20)
 * count "+1" from the second tier on; adjacent ranges (0–0.1, 0.1–1) do not.
 */
export function graduatedTierUnits(range: ParsedRange, units: BigNumber, adjacent: boolean): BigNumber {
  const effective = range.to !== null && units.isGreaterThanOrEqualTo(range.to) ? range.to : units;
  if (range.from.isZero()) return effective;
  // NOTE: 10.5 units on 0–10 / 11–20 puts 0.5 units in tier 2 (10.5 − 11 + 1): the "+1" also spans the gap.
  return adjacent ? effective.minus(range.from) : effective.minus(range.from).plus(1);
}

function tierDetail(range: ParsedRange, tierUnits: BigNumber): TierDetail {
  const price = tierUnits.isZero() ? new BigNumber(0) : range.price;
  const perUnitTotal = tierUnits.times(price);
  return {
    fromValue: formatDecimal(range.from),
    toValue: formatBound(range.to),
    units: formatDecimal(tierUnits),
    perUnitAmount: formatDecimal(price),
    perUnitTotalAmount: formatDecimal(perUnitTotal),
    flatAmount: formatDecimal(range.flat),
    total: formatDecimal(perUnitTotal.plus(range.flat)),
  };
}

/**
 * Graduated (§2.2): each tier entered bills its units × its per-unit amount + its flat amount, in the order
 * given, stopping at the first tier that is unbounded or whose `toValue` reaches the units (so 10 units on
 * 0–10 / 11–20 stay in tier 1). A tier's flat amount is owed as soon as the tier is entered.
 */
export function graduated(input: ChargeInput, properties: GraduatedProperties): ChargeResult {
  const ranges = parseRanges(properties.graduatedRanges, 'graduatedRanges', (r) => r.perUnitAmount);
  const adjacent = areAdjacent(ranges);
  const tiers: TierDetail[] = [];
  // NOTE: the first tier's flat amount is billed even at zero units (§9.1) — except for the pay-in-advance
  // "before" computation, so that the first event is the one that pays it.
  const owesNothing = input.excludeEvent === true && input.units.isZero();
  for (const range of owesNothing ? [] : ranges) {
    tiers.push(tierDetail(range, graduatedTierUnits(range, input.units, adjacent)));
    if (isLastTier(range, input.units)) break;
  }
  const amount = BigNumber.sum(0, ...tiers.map((t) => t.total));
  return {
    amount,
    unitAmount: perUnit(amount, input.fullUnits ?? input.units),
    units: input.units,
    fullUnits: input.fullUnits,
    details: { model: 'GRADUATED', adjacentRanges: adjacent, tiers },
  };
}

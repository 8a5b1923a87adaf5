import BigNumber from 'bignumber.js';
import { formatDecimal } from '../money.ts';
import type { GraduatedPercentageTierDetail } from './details.ts';
import { formatBound, isLastTier, parseRanges, perUnit } from './ranges.ts';
import type { ParsedRange } from './ranges.ts';
import type { ChargeInput, ChargeResult, GraduatedPercentageProperties } from './types.ts';

/**
 * Units of `units` in `range` for graduated percentage (Lago's `RangeGraduatedPercentageService#units`).
 * NOTE: always the integer "+1" convention, with no adjacent-range detection (§9.2): on 0–0.1 / 0.1–1,
 * 0.5 units put 1.4 units in tier 2 (0.5 − 0.1 + 1). Kept as Lago computes it.
 */
export function graduatedPercentageTierUnits(range: ParsedRange, units: BigNumber): BigNumber {
  if (range.to !== null && units.isGreaterThanOrEqualTo(range.to)) {
    return range.to.minus(range.from.isZero() ? 1 : range.from).plus(1);
  }
  return range.from.isZero() ? units : units.minus(range.from).plus(1);
}

function tierDetail(range: ParsedRange, tierUnits: BigNumber): GraduatedPercentageTierDetail {
  // A percent: shifting two places is exact, where a division would round at DECIMAL_PLACES.
  const perUnitTotal = tierUnits.times(range.price).shiftedBy(-2);
  return {
    fromValue: formatDecimal(range.from),
    toValue: formatBound(range.to),
    units: formatDecimal(tierUnits),
    rate: formatDecimal(range.price),
    perUnitTotalAmount: formatDecimal(perUnitTotal),
    flatAmount: formatDecimal(range.flat),
    total: formatDecimal(perUnitTotal.plus(range.flat)),
  };
}

/**
 * Graduated percentage (§2.3): each tier entered bills `tier units × rate / 100 + flat amount`, with the
 * graduated stop rule. The first tier's flat amount is billed at zero units, except in the pay-in-advance
 * "before" computation.
 */
export function graduatedPercentage(input: ChargeInput, properties: GraduatedPercentageProperties): ChargeResult {
  const ranges = parseRanges(properties.graduatedPercentageRanges, 'graduatedPercentageRanges', (r) => r.rate);
  const owesNothing = input.excludeEvent === true && input.units.isZero();
  const tiers: GraduatedPercentageTierDetail[] = [];
  for (const range of owesNothing ? [] : ranges) {
    tiers.push(tierDetail(range, graduatedPercentageTierUnits(range, input.units)));
    if (isLastTier(range, input.units)) break;
  }
  const amount = BigNumber.sum(0, ...tiers.map((t) => t.total));
  return {
    amount,
    unitAmount: perUnit(amount, input.fullUnits ?? input.units),
    units: input.units,
    fullUnits: input.fullUnits,
    details: { model: 'GRADUATED_PERCENTAGE', tiers },
  };
}

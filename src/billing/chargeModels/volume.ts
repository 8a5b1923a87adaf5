import BigNumber from 'bignumber.js';
import { formatDecimal } from '../money.ts';
import { formatBound, parseRanges, perUnit } from './ranges.ts';
import type { ParsedRange } from './ranges.ts';
import type { ChargeInput, ChargeResult, VolumeProperties } from './types.ts';

/**
 * The single volume tier for `tierUnits`: ranges sorted by `fromValue`, first with
 * `fromValue ≤ ceil(tierUnits)` and `tierUnits ≤ toValue` (or unbounded). `undefined` when none matches.
 */
export function volumeTier(ranges: readonly ParsedRange[], tierUnits: BigNumber): ParsedRange | undefined {
  const ceiled = tierUnits.integerValue(BigNumber.ROUND_CEIL);
  const sorted = [...ranges].sort((a, b) => a.from.comparedTo(b.from) ?? 0);
  // NOTE: the ceiling makes 100.5 land in 101–200 (101 ≥ 101), not in 0–100 (100.5 > 100).
  return sorted.find((r) => r.from.isLessThanOrEqualTo(ceiled) && (r.to === null || tierUnits.isLessThanOrEqualTo(r.to)));
}

/**
 * Volume (§2.6): all units at the price of the one tier the volume falls in, plus that tier's flat amount.
 * When prorated, full units choose the tier and prorated units are priced. Zero units bill the first tier's
 * flat amount; no matching tier (negative units, a gap between ranges) bills nothing.
 */
export function volume(input: ChargeInput, properties: VolumeProperties): ChargeResult {
  const ranges = parseRanges(properties.volumeRanges, 'volumeRanges', (r) => r.perUnitAmount);
  const tierUnits = input.fullUnits ?? input.units;
  const tier = volumeTier(ranges, tierUnits);
  const perUnitTotal = tier === undefined ? new BigNumber(0) : input.units.times(tier.price);
  const flat = tier?.flat ?? new BigNumber(0);
  const amount = perUnitTotal.plus(flat);
  return {
    amount,
    unitAmount: perUnit(amount, tierUnits),
    units: input.units,
    fullUnits: input.fullUnits,
    details: {
      model: 'VOLUME',
      tierUnits: formatDecimal(tierUnits),
      tier: tier === undefined ? null : { fromValue: formatDecimal(tier.from), toValue: formatBound(tier.to) },
      units: formatDecimal(input.units),
      perUnitAmount: formatDecimal(tier?.price ?? new BigNumber(0)),
      perUnitTotalAmount: formatDecimal(perUnitTotal),
      flatAmount: formatDecimal(flat),
      total: formatDecimal(amount),
    },
  };
}

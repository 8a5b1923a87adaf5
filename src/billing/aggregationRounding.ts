import BigNumber from 'bignumber.js';

/** A billable metric's `roundingFunction` (Lago's `rounding_function`). */
export type RoundingFunction = 'round' | 'ceil' | 'floor';

/** A billable metric's rounding settings; both optional, as in Lago. */
export interface AggregationRounding {
  readonly roundingFunction?: RoundingFunction | null;
  /** Decimal places kept; negative rounds to tens, hundreds… Defaults to 0. */
  readonly roundingPrecision?: number | null;
}

const MODES: Record<RoundingFunction, BigNumber.RoundingMode> = {
  round: BigNumber.ROUND_HALF_UP,
  ceil: BigNumber.ROUND_CEIL,
  floor: BigNumber.ROUND_FLOOR,
};

/**
 * Applies a metric's rounding to aggregated units (§1.3), after aggregation and before the charge model:
 * `round` is ROUND_HALF_UP (ties away from zero, Ruby BigDecimal's default), `ceil`/`floor` go toward ±∞.
 * No function → units unchanged. Examples: 123.456 → round(2) 123.46, ceil(0) 124, round(-2) 100, ceil(-2) 200.
 * Not for pay-in-advance per-event aggregation, which Lago leaves unrounded.
 */
export function applyAggregationRounding(units: BigNumber, rounding: AggregationRounding): BigNumber {
  const fn = rounding.roundingFunction;
  if (fn === null || fn === undefined) return units;
  const precision = rounding.roundingPrecision ?? 0;
  if (!Number.isInteger(precision)) throw new RangeError(`roundingPrecision must be an integer, got ${precision}`);
  // NOTE: BigNumber's decimalPlaces() refuses negative places, so shift, round to an integer, shift back.
  return units.shiftedBy(precision).integerValue(MODES[fn]).shiftedBy(-precision);
}

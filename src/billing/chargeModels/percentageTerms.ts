import BigNumber from 'bignumber.js';
import { parseDecimal, parseOptionalDecimal } from '../money.ts';
import type { PercentageProperties } from './types.ts';

/** Percentage properties, parsed once. */
export interface PercentageTerms {
  readonly rate: BigNumber;
  readonly fixedAmount: BigNumber;
  /** Whole events (Lago's `to_i`: truncated). */
  readonly freeUnitsPerEvents: BigNumber;
  readonly freeUnitsPerTotalAggregation: BigNumber;
  readonly min: BigNumber | null;
  readonly max: BigNumber | null;
}

function optional(value: string | null | undefined, field: string): BigNumber | null {
  return value === null || value === undefined || value === '' ? null : parseDecimal(value, field);
}

/** Parses percentage properties; missing optional amounts are 0 (or `null` for min/max). */
export function percentageTerms(properties: PercentageProperties): PercentageTerms {
  return {
    rate: parseDecimal(properties.rate, 'rate'),
    fixedAmount: parseOptionalDecimal(properties.fixedAmount, 'fixedAmount'),
    freeUnitsPerEvents: parseOptionalDecimal(properties.freeUnitsPerEvents, 'freeUnitsPerEvents').integerValue(BigNumber.ROUND_DOWN),
    freeUnitsPerTotalAggregation: parseOptionalDecimal(properties.freeUnitsPerTotalAggregation, 'freeUnitsPerTotalAggregation'),
    min: optional(properties.perTransactionMinAmount, 'perTransactionMinAmount'),
    max: optional(properties.perTransactionMaxAmount, 'perTransactionMaxAmount'),
  };
}

/** `value × rate / 100`, exact (a decimal shift rather than a rounded division). */
export function applyRate(value: BigNumber, rate: BigNumber): BigNumber {
  return value.times(rate).shiftedBy(-2);
}

/**
 * Free units worth of value, from the aggregator's running total (§2.5). NOTE: `fupe < runningTotal.length`
 * means that when the event count equals `freeUnitsPerEvents` the whole running total is free (§9.3).
 */
export function freeUnitsValue(runningTotal: readonly BigNumber[], terms: PercentageTerms): BigNumber {
  const last = runningTotal.at(-1) ?? new BigNumber(0);
  if (last.isZero()) return new BigNumber(0);
  const fupe = terms.freeUnitsPerEvents;
  const atFupe = fupe.isGreaterThan(0) ? runningTotal[fupe.toNumber() - 1] : undefined;
  if (atFupe !== undefined && fupe.isLessThan(runningTotal.length)) return atFupe;
  const futa = terms.freeUnitsPerTotalAggregation;
  if (futa.isZero() || last.isLessThanOrEqualTo(futa)) return last;
  return futa;
}

/**
 * Free events: the smallest non-zero of `freeUnitsPerEvents` and the number of running totals below
 * `freeUnitsPerTotalAggregation`, else 0. NOTE: Lago takes the min of these two unrelated counts (§9.3).
 */
export function freeUnitsCount(runningTotal: readonly BigNumber[], terms: PercentageTerms): BigNumber {
  const belowFree = runningTotal.filter((total) => total.isLessThan(terms.freeUnitsPerTotalAggregation)).length;
  const candidates = [terms.freeUnitsPerEvents, new BigNumber(belowFree)].filter((n) => !n.isZero());
  return candidates.length === 0 ? new BigNumber(0) : BigNumber.min(...candidates);
}

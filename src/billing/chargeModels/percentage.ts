import BigNumber from 'bignumber.js';
import { formatDecimal } from '../money.ts';
import { applyRate, freeUnitsCount, freeUnitsValue, percentageTerms } from './percentageTerms.ts';
import type { PercentageTerms } from './percentageTerms.ts';
import { perTransactionAmounts } from './percentageTransactions.ts';
import { perUnit } from './ranges.ts';
import type { ChargeInput, ChargeResult, PercentageProperties } from './types.ts';

/** The aggregate formula (no per-transaction min/max): rate on the non-free units + fixed fee per paying event. */
function aggregateAmounts(input: ChargeInput, terms: PercentageTerms) {
  const runningTotal = input.runningTotal ?? [];
  const count = input.count ?? new BigNumber(input.perEventValues?.length ?? 0);
  const freeValue = freeUnitsValue(runningTotal, terms);
  const freeCount = freeUnitsCount(runningTotal, terms);
  const percentageAmount = freeValue.isGreaterThan(input.units) ? new BigNumber(0) : applyRate(input.units.minus(freeValue), terms.rate);
  const noFixedFee = input.units.isZero() || freeCount.isGreaterThanOrEqualTo(count);
  const fixedTotal = noFixedFee ? new BigNumber(0) : count.minus(freeCount).times(terms.fixedAmount);
  // NOTE: as in Lago's amount_details, free/paid events come from the counts alone and can disagree with the
  // amounts (at zero units, paid events may be reported with no fixed fee billed — §9.3).
  const freeEvents = BigNumber.min(count, freeCount);
  return { count, freeValue, freeEvents, percentageAmount, fixedTotal };
}

/**
 * Percentage (§2.5): `(units − free units) × rate / 100 + (events − free events) × fixedAmount`. With a
 * per-transaction min or max the amount is computed event by event instead (needs `perEventValues`), always
 * enabled here as in Lago's licensed version. `unitAmount = amount / (fullUnits ?? units)`.
 */
export function percentage(input: ChargeInput, properties: PercentageProperties): ChargeResult {
  const terms = percentageTerms(properties);
  const base = aggregateAmounts(input, terms);
  const formulaAmount = base.percentageAmount.plus(base.fixedTotal);
  const perTransaction = terms.min === null && terms.max === null ? null : perTransactionAmounts(requireValues(input), terms);
  const amount = perTransaction?.total ?? formulaAmount;
  const paidEvents = base.count.minus(base.freeEvents);
  return {
    amount,
    unitAmount: perUnit(amount, input.fullUnits ?? input.units),
    units: input.units,
    fullUnits: input.fullUnits,
    details: {
      model: 'PERCENTAGE',
      units: formatDecimal(input.units),
      freeUnits: formatDecimal(base.freeValue),
      paidUnits: formatDecimal(BigNumber.max(input.units.minus(base.freeValue), 0)),
      freeEvents: formatDecimal(base.freeEvents),
      paidEvents: formatDecimal(paidEvents),
      rate: formatDecimal(terms.rate),
      percentageAmount: formatDecimal(base.percentageAmount),
      fixedFeeUnitAmount: formatDecimal(paidEvents.isGreaterThan(0) ? terms.fixedAmount : new BigNumber(0)),
      fixedFeeTotalAmount: formatDecimal(base.fixedTotal),
      minMaxAdjustmentTotalAmount: formatDecimal(amount.minus(formulaAmount)),
      transactions: perTransaction?.transactions ?? null,
      total: formatDecimal(amount),
    },
  };
}

function requireValues(input: ChargeInput): readonly BigNumber[] {
  if (input.perEventValues === undefined) throw new TypeError('percentage with a per-transaction min/max needs perEventValues');
  return input.perEventValues;
}

import BigNumber from 'bignumber.js';
import { formatDecimal } from '../money.ts';
import type { TransactionDetail } from './details.ts';
import { applyRate } from './percentageTerms.ts';
import type { PercentageTerms } from './percentageTerms.ts';

function clamp(raw: BigNumber, terms: PercentageTerms): { amount: BigNumber; clampedTo: 'MIN' | 'MAX' | null } {
  if (terms.min !== null && raw.isLessThan(terms.min)) return { amount: terms.min, clampedTo: 'MIN' };
  if (terms.max !== null && raw.isGreaterThan(terms.max)) return { amount: terms.max, clampedTo: 'MAX' };
  return { amount: raw, clampedTo: null };
}

function freeDetail(value: BigNumber): TransactionDetail {
  const v = formatDecimal(value);
  return { value: v, paidValue: '0', free: true, rawAmount: '0', clampedTo: null, amount: '0' };
}

/**
 * Percentage with per-transaction min/max (§2.5, Lago's licensed behaviour): events in order first consume
 * the free events and the free amount — a partly free event is charged on its remainder — then each pays
 * `value × rate / 100 + fixedAmount`, clamped to [min, max]. Events that are entirely free are not raised
 * to the min.
 */
export function perTransactionAmounts(values: readonly BigNumber[], terms: PercentageTerms): { total: BigNumber; transactions: TransactionDetail[] } {
  let freeEvents = terms.freeUnitsPerEvents;
  let freeAmount = terms.freeUnitsPerTotalAggregation;
  let total = new BigNumber(0);
  const transactions: TransactionDetail[] = [];
  for (const value of values) {
    let paid = value;
    if (freeEvents.isGreaterThan(0) || freeAmount.isGreaterThan(0)) {
      freeEvents = freeEvents.minus(1);
      // NOTE: while a free amount remains, it alone decides; the free-event count only matters without one.
      if (!freeAmount.isGreaterThan(0) || freeAmount.isGreaterThan(value)) {
        if (freeAmount.isGreaterThan(0)) freeAmount = freeAmount.minus(value);
        transactions.push(freeDetail(value));
        continue;
      }
      // NOTE: an event that uses up the free amount exactly is charged (fixed fee, then the min) on 0.
      paid = value.minus(freeAmount);
      freeAmount = new BigNumber(0);
      freeEvents = new BigNumber(0);
    }
    const raw = applyRate(paid, terms.rate).plus(terms.fixedAmount);
    const { amount, clampedTo } = clamp(raw, terms);
    total = total.plus(amount);
    transactions.push({ value: formatDecimal(value), paidValue: formatDecimal(paid), free: false, rawAmount: formatDecimal(raw), clampedTo, amount: formatDecimal(amount) });
  }
  return { total, transactions };
}

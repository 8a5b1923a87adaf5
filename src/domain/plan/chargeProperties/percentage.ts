import { z } from 'zod';
import { amount, decimalOf, pricingGroupKeys, quantity, rate } from './values.ts';

/**
 * PERCENTAGE (§2.5): a rate on the units, a fixed amount per event, free events / free amount, and the
 * per-transaction min/max (available without any licence gate, min ≤ max).
 */
export const percentageProperties = z
  .strictObject({
    rate,
    fixedAmount: amount.nullish(),
    freeUnitsPerEvents: quantity({ integer: true }).nullish(),
    freeUnitsPerTotalAggregation: amount.nullish(),
    perTransactionMinAmount: amount.nullish(),
    perTransactionMaxAmount: amount.nullish(),
    pricingGroupKeys,
  })
  .superRefine((properties, ctx) => {
    const min = decimalOf(properties.perTransactionMinAmount);
    const max = decimalOf(properties.perTransactionMaxAmount);
    if (min === null || max === null || min.isLessThanOrEqualTo(max)) return;
    ctx.addIssue({ code: 'custom', path: ['perTransactionMaxAmount'], message: `must be ≥ perTransactionMinAmount (${min.toFixed()})` });
  });

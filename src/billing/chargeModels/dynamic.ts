import BigNumber from 'bignumber.js';
import { formatDecimal, fromCents, subunitToUnit } from '../money.ts';
import { perUnit } from './ranges.ts';
import type { ChargeContext, ChargeInput, ChargeResult, DynamicProperties } from './types.ts';

/**
 * Dynamic (§2.7): the events carry their own price. `amount = Σ preciseTotalAmountCents / subunit`, and 0
 * when there are no units (events with a price but a zero sum bill nothing).
 */
export function dynamic(input: ChargeInput, _properties: DynamicProperties, context: ChargeContext): ChargeResult {
  const divisor = input.fullUnits ?? input.units;
  const cents = input.preciseTotalAmountCents ?? new BigNumber(0);
  const amount = divisor.isZero() ? new BigNumber(0) : fromCents(cents, context.currency);
  return {
    amount,
    unitAmount: perUnit(amount, divisor),
    units: input.units,
    fullUnits: input.fullUnits,
    details: {
      model: 'DYNAMIC',
      preciseTotalAmountCents: formatDecimal(cents),
      subunitToUnit: formatDecimal(subunitToUnit(context.currency)),
      total: formatDecimal(amount),
    },
  };
}

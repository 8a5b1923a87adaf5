import { formatDecimal, parseDecimal } from '../money.ts';
import { perUnit } from './ranges.ts';
import type { ChargeInput, ChargeResult, StandardProperties } from './types.ts';

/**
 * Standard (§2.1): `amount = units × amount`; `unitAmount = amount / (fullUnits ?? units)`, 0 at zero units.
 * @example standard({ units: 3 }, { amount: '0.5' }) → amount 1.5
 */
export function standard(input: ChargeInput, properties: StandardProperties): ChargeResult {
  const price = parseDecimal(properties.amount, 'amount');
  const amount = input.units.times(price);
  return {
    amount,
    unitAmount: perUnit(amount, input.fullUnits ?? input.units),
    units: input.units,
    fullUnits: input.fullUnits,
    details: {
      model: 'STANDARD',
      units: formatDecimal(input.units),
      perUnitAmount: formatDecimal(price),
      total: formatDecimal(amount),
    },
  };
}

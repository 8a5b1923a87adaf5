import { describe, expect, it } from 'vitest';
import { standard } from '../../../src/billing/chargeModels/standard.ts';
import { toFeeAmounts, unitAmountCents } from '../../../src/billing/fee.ts';
import { d, expectDecimal } from './support.ts';

const fee = (amount: string, units = '1', unitAmount = amount, fullUnits?: string) =>
  toFeeAmounts({ amount: d(amount), units: d(units), unitAmount: d(unitAmount), fullUnits: fullUnits === undefined ? undefined : d(fullUnits) }, 'EUR');

describe('fee amounts (§2.13)', () => {
  it('rounds the amount once, half up, at the currency exponent', () => {
    expectDecimal(fee('1.005').amountCents, 101);
    expectDecimal(fee('1.00499').amountCents, 100);
    expectDecimal(toFeeAmounts({ amount: d('1.0005'), units: d(1), unitAmount: d(0) }, 'KWD').amountCents, 1001);
    expectDecimal(toFeeAmounts({ amount: d('99.5'), units: d(1), unitAmount: d(0) }, 'JPY').amountCents, 100);
  });

  it('keeps the unrounded amount in precise cents', () => {
    const amounts = fee('1.004999999999999');
    expectDecimal(amounts.preciseAmountCents, '100.4999999999999');
    expectDecimal(amounts.amountCents, 100);
  });

  it('rounds the fee total, not each unit: 3 × 0.333 is 1.00, not 3 × 0.33', () => {
    const result = standard({ units: d(3) }, { amount: '0.333' });
    expectDecimal(toFeeAmounts(result, 'EUR').amountCents, 100);
  });

  it('truncates the unit amount into integer cents and keeps the precise unit amount', () => {
    const amounts = fee('115', '12', '9.58333');
    expectDecimal(amounts.unitAmountCents, 958);
    expectDecimal(amounts.preciseUnitAmount, '9.58333');
    expectDecimal(unitAmountCents(d('9.999'), 'EUR'), 999);
  });

  it('zeroes a fee with a negative amount or negative units', () => {
    for (const amounts of [fee('-5'), fee('5', '-1')]) {
      expect([amounts.amountCents, amounts.preciseAmountCents, amounts.unitAmountCents, amounts.units].map((x) => x.toFixed())).toEqual(['0', '0', '0', '0']);
    }
  });

  it('shows full units on a prorated fee', () => {
    expectDecimal(fee('10', '2.5', '1', '10').units, 10);
  });

  it('converts a 15-decimal amount on 10^15 units without loss', () => {
    const amounts = fee('1000000000000000.123456789012345', '1000000000000000');
    expectDecimal(amounts.amountCents, '100000000000000012');
    expectDecimal(amounts.preciseAmountCents, '100000000000000012.3456789012345');
  });
});

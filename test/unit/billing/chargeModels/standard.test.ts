import { describe, expect, it } from 'vitest';
import { standard } from '../../../../src/billing/chargeModels/standard.ts';
import { at, d, expectDecimal } from '../support.ts';

describe('standard charge model (§2.1)', () => {
  it('bills units × amount', () => {
    const result = standard(at('12.5'), { amount: '0.2' });
    expectDecimal(result.amount, '2.5');
    expectDecimal(result.unitAmount, '0.2');
    expect(result.details).toEqual({ model: 'STANDARD', units: '12.5', perUnitAmount: '0.2', total: '2.5' });
  });

  it('bills nothing and reports a zero unit amount at zero units', () => {
    expectDecimal(standard(at(0), { amount: '3' }).amount, 0);
    expectDecimal(standard(at(0), { amount: '3' }).unitAmount, 0);
  });

  it('divides the unit amount by full units for prorated charges', () => {
    expectDecimal(standard(at(5, { fullUnits: d(10) }), { amount: '2' }).unitAmount, 1);
  });

  it('keeps the sign of negative units (the fee zeroes them)', () => {
    expectDecimal(standard(at(-3), { amount: '2' }).amount, -6);
  });

  it('multiplies 10^15 units by a 15-decimal price exactly', () => {
    expectDecimal(standard(at('1000000000000000'), { amount: '0.000000000000001' }).amount, 1);
    expectDecimal(standard(at('999999999999999.999999999999999'), { amount: '1.000000000000001' }).amount, '1000000000000000.999999999999998999999999999999');
  });
});

import { describe, expect, it } from 'vitest';
import { dynamic } from '../../../../src/billing/chargeModels/dynamic.ts';
import { at, d, expectDecimal } from '../support.ts';

describe('dynamic charge model (§2.7)', () => {
  it('bills the events’ own precise amounts: Σ cents / subunit', () => {
    const result = dynamic(at(4, { preciseTotalAmountCents: d('1234.5678') }), {}, { currency: 'EUR' });
    expectDecimal(result.amount, '12.345678');
    expectDecimal(result.unitAmount, '3.0864195');
    expect(result.details).toEqual({ model: 'DYNAMIC', preciseTotalAmountCents: '1234.5678', subunitToUnit: '100', total: '12.345678' });
  });

  it('uses the currency’s subunit: JPY 1, KWD 1000', () => {
    expectDecimal(dynamic(at(1, { preciseTotalAmountCents: d(1500) }), {}, { currency: 'JPY' }).amount, 1500);
    expectDecimal(dynamic(at(1, { preciseTotalAmountCents: d(1500) }), {}, { currency: 'KWD' }).amount, '1.5');
  });

  it('bills nothing at zero units, whatever the events carried', () => {
    expectDecimal(dynamic(at(0, { preciseTotalAmountCents: d(999) }), {}, { currency: 'EUR' }).amount, 0);
  });

  it('bills nothing without precise amounts', () => {
    expectDecimal(dynamic(at(3), {}, { currency: 'EUR' }).amount, 0);
  });

  it('keeps 15 decimals of huge amounts', () => {
    expectDecimal(dynamic(at(1, { preciseTotalAmountCents: d('100000000000000000.000000000000001') }), {}, { currency: 'EUR' }).amount, '1000000000000000.00000000000000001');
  });
});

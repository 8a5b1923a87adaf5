import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocate, currencyExponent, formatDecimal, fromCents, parseDecimal, parseOptionalDecimal, roundToCurrency, subunitToUnit, toCents, toPreciseCents } from '../../../src/billing/money.ts';
import { d, expectDecimal } from './support.ts';

describe('currency exponents', () => {
  it('reads minor units from ISO 4217: EUR 2, JPY 0, KWD 3', () => {
    expect(currencyExponent('EUR')).toBe(2);
    expect(currencyExponent('JPY')).toBe(0);
    expect(currencyExponent('KWD')).toBe(3);
    expectDecimal(subunitToUnit('BHD'), 1000);
  });

  it('refuses an unknown currency', () => {
    expect(() => currencyExponent('XYZ')).toThrow(RangeError);
  });
});

describe('roundToCurrency', () => {
  it('rounds half up at the currency exponent', () => {
    expectDecimal(roundToCurrency(d('1.005'), 'EUR'), '1.01');
    expectDecimal(roundToCurrency(d('1.0049999'), 'EUR'), '1');
    expectDecimal(roundToCurrency(d('2.5'), 'JPY'), '3');
    expectDecimal(roundToCurrency(d('1.0005'), 'KWD'), '1.001');
  });

  it('rounds ties away from zero for negative amounts, like BigDecimal', () => {
    expectDecimal(roundToCurrency(d('-1.005'), 'EUR'), '-1.01');
  });
});

describe('cents conversions', () => {
  it('rounds once when converting to cents', () => {
    expectDecimal(toCents(d('15.555'), 'EUR'), 1556);
    expectDecimal(toCents(d('15.555'), 'JPY'), 16);
  });

  it('keeps every decimal in precise cents and back', () => {
    expectDecimal(toPreciseCents(d('0.123456789012345'), 'EUR'), '12.3456789012345');
    expectDecimal(fromCents(d('12.3456789012345'), 'EUR'), '0.123456789012345');
  });
});

describe('parseDecimal', () => {
  it('accepts decimal strings and finite numbers', () => {
    expectDecimal(parseDecimal('-0.5'), '-0.5');
    expectDecimal(parseDecimal('123456789012345.123456789012345'), '123456789012345.123456789012345');
    expectDecimal(parseDecimal(12), 12);
  });

  it.each(['1e3', ' 5', '5.', '.5', '', 'abc', '1,5', '+1'])('rejects the non-decimal string %j', (text) => {
    expect(() => parseDecimal(text, 'amount')).toThrow(/amount must be a decimal string/);
  });

  it('rejects NaN and Infinity', () => {
    expect(() => parseDecimal(Number.NaN)).toThrow(TypeError);
    expect(() => parseDecimal(Number.POSITIVE_INFINITY)).toThrow(TypeError);
  });

  it('treats a missing optional decimal as zero', () => {
    expectDecimal(parseOptionalDecimal(null, 'x'), 0);
    expectDecimal(parseOptionalDecimal('', 'x'), 0);
    expectDecimal(parseOptionalDecimal('2', 'x'), 2);
  });

  it('formats without exponent notation', () => {
    expect(formatDecimal(d('0.0000001'))).toBe('0.0000001');
    expect(formatDecimal(d('1e21'))).toBe('1000000000000000000000');
  });
});

describe('allocate', () => {
  it('never loses a cent: 1003 split 50/50 is 502 + 501', () => {
    expect(allocate(d(1003), [50, 50]).map(formatDecimal)).toEqual(['502', '501']);
  });

  it('splits by ratio and hands leftovers to the first shares', () => {
    expect(allocate(d(100), ['1', '1', '1']).map(formatDecimal)).toEqual(['34', '33', '33']);
    expect(allocate(d(-1003), [1, 1]).map(formatDecimal)).toEqual(['-502', '-501']);
  });

  it('gives nothing to a zero ratio', () => {
    expect(allocate(d(5), [0, 1, 0, 1]).map(formatDecimal)).toEqual(['0', '3', '0', '2']);
  });

  it('refuses fractional cents, negative ratios and all-zero ratios', () => {
    expect(() => allocate(d('1.5'), [1])).toThrow(RangeError);
    expect(() => allocate(d(1), [-1, 2])).toThrow(RangeError);
    expect(() => allocate(d(1), [0, 0])).toThrow(RangeError);
  });

  it('always sums to the total, each share within one cent of its exact part', () => {
    const ratios = fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 8 }).filter((r) => r.some((x) => x > 0));
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }), ratios, (total, rs) => {
        const shares = allocate(d(total.toString()), rs);
        const sum = rs.reduce((a, b) => a + b, 0);
        expectDecimal(shares.reduce((a, b) => a.plus(b), d(0)), total.toString());
        shares.forEach((share, i) => {
          const exact = d(total.toString()).times(rs[i] ?? 0).div(sum);
          expect(share.minus(exact).abs().isLessThan(1)).toBe(true);
        });
      }),
    );
  });
});

describe('allocate (regressions)', () => {
  it('never gives the leftover cent to a share whose exact part is whole (fast-check counterexample)', () => {
    const shares = allocate(d('-6247940804991578'), [225, 2, 223]).map(formatDecimal);
    expect(shares).toEqual(['-3123970402495789', '-27768625799963', '-3096201776695826']);
  });
});

import BigNumber from 'bignumber.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  doubleAdd,
  doubleDiv,
  doubleMul,
  doubleToBigDecimal,
  roundDoubleToDigits,
  roundHalfAwayFromZero,
  shortestDecimal,
  toDouble,
} from '../../../../src/billing/invoice/rubyFloat.ts';
import { expectDecimal } from '../support.ts';

// JS numbers ARE IEEE-754 doubles, so in the tests (never in the engine) they are the oracle the BigNumber emulation
// must match bit for bit; `exactValue` reads a number's exact value from its bits.

/** The exact value of a JS double as a decimal (every double is a finite binary fraction). */
function exactValue(x: number): BigNumber {
  const buffer = new DataView(new ArrayBuffer(8));
  buffer.setFloat64(0, x);
  const bits = buffer.getBigUint64(0);
  const sign = bits >> 63n === 1n ? -1 : 1;
  const biasedExponent = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & 0xfffffffffffffn;
  const significand = biasedExponent === 0 ? fraction : fraction | (1n << 52n);
  const exponent = (biasedExponent === 0 ? 1 : biasedExponent) - 1075;
  const magnitude = exponent >= 0
    ? new BigNumber((significand << BigInt(exponent)).toString())
    : new BigNumber((significand * 5n ** BigInt(-exponent)).toString()).shiftedBy(exponent);
  return sign < 0 ? magnitude.negated() : magnitude;
}

const centsArb = fc.integer({ min: 0, max: 100_000_000 });
/** Doubles of money magnitudes (the emulation refuses subnormals and overflow, which money never reaches). */
const finiteDoubleArb = fc.oneof(
  fc.double({ min: -1e12, max: 1e12, noNaN: true, noDefaultInfinity: true }).filter((x) => x === 0 || Math.abs(x) > 1e-6),
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
);

describe('Ruby Float emulation', () => {
  it('reproduces the tie a decimal computation rounds the other way (34 cents × 21 / 28)', () => {
    const value = doubleMul(toDouble(21), doubleDiv(toDouble(34), toDouble(28)));
    expect(shortestDecimal(value).toFixed()).toBe('25.499999999999996');
    expectDecimal(roundHalfAwayFromZero(value), 25); // exact decimals: 25.5 → 26
  });

  it('rounds half away from zero like Float#round', () => {
    expectDecimal(roundHalfAwayFromZero(toDouble('2.5')), 3);
    expectDecimal(roundHalfAwayFromZero(toDouble('-2.5')), -3);
    expectDecimal(roundHalfAwayFromZero(toDouble('2.4999999999999996')), 2);
  });

  it('converts to BigDecimal as bigdecimal 4.x does: shortest digits, cut to 16 significant', () => {
    expectDecimal(doubleToBigDecimal(toDouble('0.1')), '0.1');
    // 1/3 has 16 shortest digits; 2/3 needs 17 (0.66666666666666663) and is cut, not rounded.
    expectDecimal(doubleToBigDecimal(doubleDiv(toDouble(1), toDouble(3))), '0.3333333333333333');
    expectDecimal(doubleToBigDecimal(doubleDiv(toDouble(2), toDouble(3))), '0.6666666666666666');
    expectDecimal(shortestDecimal(doubleDiv(toDouble(2), toDouble(3))), '0.6666666666666666');
    expectDecimal(shortestDecimal(toDouble('0.30000000000000004')), '0.30000000000000004');
    expectDecimal(doubleToBigDecimal(toDouble('0.30000000000000004')), '0.3000000000000000');
  });

  it('Float#round(n) nudges a tie written in decimal up (numeric.c round_half_up)', () => {
    expectDecimal(shortestDecimal(roundDoubleToDigits(toDouble('1.005'), 2)), '1.01');
    expectDecimal(shortestDecimal(roundDoubleToDigits(toDouble('2.675'), 2)), '2.68');
    expectDecimal(shortestDecimal(roundDoubleToDigits(toDouble('-2.675'), 2)), '-2.68');
    // Invoices::ApplyTaxesService spec: 10 + 1333.33333 / 2000 × 12 → 17.99999998 → 18 (apply_taxes_service_spec.rb:176)
    expectDecimal(shortestDecimal(roundDoubleToDigits(toDouble('17.99999998'), 5)), 18);
    expectDecimal(shortestDecimal(roundDoubleToDigits(toDouble('1.234564'), 5)), '1.23456');
  });

  it('toDouble is the correctly rounded double (JS Number parsing is the oracle)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -9_999_999, max: 9_999_999 }), fc.integer({ min: 0, max: 12 }), (mantissa, scale) => {
        const decimal = new BigNumber(mantissa).shiftedBy(-scale);
        expect(toDouble(decimal).eq(exactValue(Number(decimal.toFixed())))).toBe(true);
      }),
    );
  });

  it('division, multiplication and addition round exactly like IEEE-754', () => {
    fc.assert(
      fc.property(finiteDoubleArb, finiteDoubleArb, (a, b) => {
        const x = toDouble(exactValue(a));
        const y = toDouble(exactValue(b));
        expect(doubleAdd(x, y).eq(exactValue(a + b))).toBe(true);
        expect(doubleMul(x, y).eq(exactValue(a * b))).toBe(true);
        if (b !== 0) expect(doubleDiv(x, y).eq(exactValue(a / b))).toBe(true);
      }),
    );
  });

  it('a prorated subscription amount is the double JS computes for days * (amount / periodDays)', () => {
    fc.assert(
      fc.property(centsArb, fc.integer({ min: 0, max: 366 }), fc.integer({ min: 1, max: 366 }), (amount, days, periodDays) => {
        const emulated = doubleMul(toDouble(days), doubleDiv(toDouble(amount), toDouble(periodDays)));
        const native = days * (amount / periodDays);
        expect(emulated.eq(exactValue(native))).toBe(true);
        expectDecimal(roundHalfAwayFromZero(emulated), Math.sign(native) * Math.round(Math.abs(native)));
      }),
    );
  });

  it('shortestDecimal prints what Number#toString prints (both are the shortest round-trip digits)', () => {
    fc.assert(
      fc.property(finiteDoubleArb, (x) => {
        expect(shortestDecimal(toDouble(exactValue(x))).eq(new BigNumber(String(x)))).toBe(true);
      }),
    );
  });

  it('Float#round(5) agrees with the definition in doubles', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.001, max: 1000, noNaN: true }), (x) => {
        // numeric.c: f = round(x * s); if ((f + 0.5) / s <= x) f += 1; result f / s — evaluated here in JS doubles.
        const s = 1e5;
        let f = Math.round(x * s); // x > 0: JS Math.round and C round agree except at negative ties
        if ((f + 0.5) / s <= x) f += 1;
        expect(roundDoubleToDigits(toDouble(exactValue(x)), 5).eq(exactValue(f / s))).toBe(true);
      }),
    );
  });
});

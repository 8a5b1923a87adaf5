import BigNumber from 'bignumber.js';

/**
 * Ruby `Float` (IEEE-754 binary64) arithmetic reproduced exactly with BigNumber, for the places where Lago computes
 * money with Floats (subscription-fee proration, taxes, the minimum-commitment coefficient). Lago's cents are the
 * result of rounding those Floats, and a decimal computation rounds differently on exact ties: 21 days of a 34-cent
 * plan over 28 days is 25.5 in decimals (→ 26) but `21 * 34.fdiv(28)` is 25.499999999999996 in Ruby (→ 25).
 *
 * A double is a binary fraction, so its exact value is a finite decimal: a `Double` is a BigNumber holding exactly
 * that value. Every operation computes the exact result of the operands and rounds it once to the nearest double
 * (ties to even), as IEEE-754 does. Subnormals and overflow are out of range for money and rejected.
 *
 * NOTE: the rounding to the nearest double is done by the hardware: a JS number IS an IEEE-754 double, so `a / b`
 * on two of them is exactly Ruby's `Float#/`. This is the one place a JS number holds an amount, and only to be a
 * Float the way Ruby's is: every operand enters as the exact value of a double and every result leaves as the exact
 * decimal value of a double (BigNumber), so nothing is lost or rounded that Ruby would not round. The exact-rational
 * version (`nearest`, kept for values outside the range where `toPrecision(100)` is exact) is ~50× slower: it made
 * the subscription fee cost 1 ms and taxes 2 ms per invoice.
 */
declare const doubleBrand: unique symbol;

/** The exact value of an IEEE-754 double, as a BigNumber. Only the functions of this module make one. */
export type Double = BigNumber & { readonly [doubleBrand]: true };

const TWO = new BigNumber(2);
const FIVE = new BigNumber(5);
const SIGNIFICAND_MIN = TWO.pow(52);
const SIGNIFICAND_LIMIT = TWO.pow(53);
/** Exponent range of normal doubles, for a significand in [2^52, 2^53). */
const MIN_EXPONENT = -1074;
const MAX_EXPONENT = 971;

/** `2^exponent` exactly (a negative exponent is `5^k / 10^k`, a finite decimal). */
function powerOfTwo(exponent: number): BigNumber {
  return exponent >= 0 ? TWO.pow(exponent) : FIVE.pow(-exponent).shiftedBy(exponent);
}

function bitLength(integer: BigNumber): number {
  return integer.toString(2).length;
}

/**
 * The significand `q` (2^52 ≤ q ≤ 2^53, the upper bound only after rounding up) and exponent `e` of the double
 * `q × 2^e` nearest to `numerator / denominator`, both positive.
 */
function nearest(positiveNumerator: BigNumber, positiveDenominator: BigNumber): { significand: BigNumber; exponent: number } {
  // Scale both to integers: the ratio is unchanged and the rounding is then integer arithmetic.
  const places = Math.max(positiveNumerator.decimalPlaces() ?? 0, positiveDenominator.decimalPlaces() ?? 0);
  const numerator = positiveNumerator.shiftedBy(places);
  const denominator = positiveDenominator.shiftedBy(places);
  let exponent = bitLength(numerator) - bitLength(denominator) - 53;
  for (;;) {
    const n = exponent < 0 ? numerator.times(TWO.pow(-exponent)) : numerator;
    const d = exponent > 0 ? denominator.times(TWO.pow(exponent)) : denominator;
    const quotient = n.idiv(d);
    if (quotient.isGreaterThanOrEqualTo(SIGNIFICAND_LIMIT)) {
      exponent += 1;
      continue;
    }
    if (quotient.isLessThan(SIGNIFICAND_MIN)) {
      exponent -= 1;
      continue;
    }
    const twiceRemainder = n.minus(quotient.times(d)).times(2);
    const order = twiceRemainder.comparedTo(d) ?? 0;
    const roundUp = order > 0 || (order === 0 && quotient.mod(2).eq(1));
    return { significand: roundUp ? quotient.plus(1) : quotient, exponent };
  }
}

/** Smallest positive normal double, and the magnitude below which `toPrecision(100)` may not be exact. */
const MIN_NORMAL = 2.2250738585072014e-308;
const EXACT_BELOW = 1e-25;

/**
 * The exact decimal value of a finite double, as a Double; null when the fast path cannot be sure of exactness
 * (magnitudes below 1e-25, whose exact expansion may need more than 100 digits).
 */
function exactOf(x: number): Double | null {
  if (!Number.isFinite(x)) throw new RangeError(`${x} is outside the range of normal doubles`);
  if (x === 0) return new BigNumber(0) as Double;
  const magnitude = Math.abs(x);
  if (magnitude < MIN_NORMAL) throw new RangeError(`${x} is outside the range of normal doubles`);
  if (magnitude < EXACT_BELOW) return null;
  // 100 significant digits hold every double of magnitude ≥ 1e-25 exactly (53 bits and an exponent ≥ −136).
  return new BigNumber(x.toPrecision(100)) as Double;
}

/** The double nearest to the exact rational `numerator / denominator` (ties to even). */
function ratioToDouble(numerator: BigNumber, denominator: BigNumber): Double {
  if (!numerator.isFinite() || !denominator.isFinite() || denominator.isZero()) {
    throw new RangeError(`no double for ${numerator.toFixed()} / ${denominator.toFixed()}`);
  }
  if (numerator.isZero()) return new BigNumber(0) as Double;
  const negative = numerator.isNegative() !== denominator.isNegative();
  const { significand, exponent } = nearest(numerator.abs(), denominator.abs());
  if (exponent < MIN_EXPONENT || exponent > MAX_EXPONENT) {
    throw new RangeError(`${numerator.toFixed()} / ${denominator.toFixed()} is outside the range of normal doubles`);
  }
  const value = significand.times(powerOfTwo(exponent));
  return (negative ? value.negated() : value) as Double;
}

/**
 * The double nearest to an exact decimal: Ruby's `Integer#to_f`, `BigDecimal#to_f` (strtod, correctly rounded) and
 * the `Float` a Postgres `double precision` column hands back for a decimal written to it.
 */
export function toDouble(value: BigNumber.Value): Double {
  const exact = new BigNumber(value);
  if (!exact.isFinite()) throw new RangeError(`no double for ${exact.toFixed()}`);
  // `Number(string)` is correctly rounded (ties to even), as strtod is.
  const fast = exactOf(Number(exact.toString()));
  return fast ?? ratioToDouble(exact, new BigNumber(1));
}

/** A double operand as the JS number it is (exact: a Double holds exactly a double's value). */
const asNumber = (value: Double) => Number(value.toString());

/** `a / b` in doubles. With integer operands this is also Ruby's `Integer#fdiv` (exact below 2^53). */
export function doubleDiv(a: Double, b: Double): Double {
  if (b.isZero()) throw new RangeError(`no double for ${a.toFixed()} / 0`);
  return exactOf(asNumber(a) / asNumber(b)) ?? ratioToDouble(a, b);
}

/** `a * b` in doubles (also `Integer * Float`: the integer converts exactly below 2^53). */
export function doubleMul(a: Double, b: Double): Double {
  return exactOf(asNumber(a) * asNumber(b)) ?? ratioToDouble(a.times(b), new BigNumber(1));
}

/** `a + b` in doubles. */
export function doubleAdd(a: Double, b: Double): Double {
  return exactOf(asNumber(a) + asNumber(b)) ?? ratioToDouble(a.plus(b), new BigNumber(1));
}

/** Ruby `Float#round` with no digits (C `round`): the nearest integer, ties away from zero. */
export function roundHalfAwayFromZero(value: Double): BigNumber {
  return value.integerValue(BigNumber.ROUND_HALF_UP);
}

/** `frexp`'s binary exponent: `value = m × 2^binexp` with 0.5 ≤ |m| < 1. */
function binaryExponent(value: Double): number {
  const { exponent } = nearest(value.abs(), new BigNumber(1));
  return exponent + 53;
}

/**
 * Ruby `Float#round(ndigits)` for `ndigits > 0` (numeric.c `flo_round` + `round_half_up`): scale by 10^n, C-round,
 * nudge up when the scaled-back half is still ≤ the value, divide back — all in doubles. Values too large or too
 * small for the digits are returned unchanged or as 0, and more than 14 digits round the exact value, as Ruby does.
 */
export function roundDoubleToDigits(value: Double, ndigits: number): Double {
  if (!Number.isInteger(ndigits) || ndigits <= 0) throw new RangeError(`ndigits must be a positive integer, got ${ndigits}`);
  if (value.isZero()) return value;
  const binexp = binaryExponent(value);
  if (ndigits >= 17 - (binexp > 0 ? Math.trunc(binexp / 4) : Math.trunc(binexp / 3) - 1)) return value;
  if (ndigits < -(binexp > 0 ? Math.trunc(binexp / 3) + 1 : Math.trunc(binexp / 4))) return toDouble(0);
  if (ndigits > 14) return toDouble(value.decimalPlaces(ndigits, BigNumber.ROUND_HALF_UP));
  const scale = toDouble(new BigNumber(10).pow(ndigits));
  let rounded = toDouble(roundHalfAwayFromZero(doubleMul(value, scale)));
  if (value.isPositive()) {
    if (doubleDiv(doubleAdd(rounded, toDouble('0.5')), scale).isLessThanOrEqualTo(value)) rounded = doubleAdd(rounded, toDouble(1));
  } else if (doubleDiv(doubleAdd(rounded, toDouble('-0.5')), scale).isGreaterThanOrEqualTo(value)) {
    rounded = doubleAdd(rounded, toDouble(-1));
  }
  return doubleDiv(rounded, scale);
}

/**
 * The shortest decimal that reads back as `value` (what Ruby's `Float#to_s` and a JSON render print), closest to
 * `value` when several are as short: `toDouble(0.1)` → 0.1, `21 * 34.fdiv(28)` → 25.499999999999996.
 */
export function shortestDecimal(value: Double): BigNumber {
  if (value.isZero()) return new BigNumber(0);
  // ECMAScript's Number#toString is exactly this: the fewest digits that read back, the closest of them.
  const x = asNumber(value);
  if (Math.abs(x) >= EXACT_BELOW) return new BigNumber(String(x));
  for (let digits = 1; digits <= 17; digits += 1) {
    const candidates = [BigNumber.ROUND_HALF_EVEN, BigNumber.ROUND_DOWN, BigNumber.ROUND_UP]
      .map((mode) => value.precision(digits, mode))
      .filter((candidate) => toDouble(candidate).eq(value))
      .sort((a, b) => a.minus(value).abs().comparedTo(b.minus(value).abs()) ?? 0);
    if (candidates[0] !== undefined) return candidates[0];
  }
  throw new RangeError(`no round-trip decimal for ${value.toFixed()}`); // unreachable: 17 digits always round-trip
}

/**
 * Ruby `Float#to_d` / `BigDecimal(float, 0)` (bigdecimal 4.x `rb_float_convert_to_BigDecimal`): the shortest
 * round-trip digits, cut — not rounded — to 16 significant digits. It is also how a Float operand enters BigDecimal
 * arithmetic (`BigDecimal * Float`, `Float / BigDecimal`).
 */
export function doubleToBigDecimal(value: Double): BigNumber {
  return shortestDecimal(value).precision(16, BigNumber.ROUND_DOWN);
}

import BigNumber from 'bignumber.js';
import fc from 'fast-check';
import { expect } from 'vitest';
import type { ChargeInput } from '../../../src/billing/chargeModels/types.ts';

/** A BigNumber from a literal. */
export const d = (value: BigNumber.Value): BigNumber => new BigNumber(value);

/** A charge input with `units` and optional extras. */
export const at = (units: BigNumber.Value, extra: Omit<Partial<ChargeInput>, 'units'> = {}): ChargeInput => ({ units: d(units), ...extra });

export const values = (...list: BigNumber.Value[]): BigNumber[] => list.map(d);

export const EUR = { currency: 'EUR' } as const;

/** Asserts decimal equality whatever the notation ("102" vs "102.0"), with a readable diff. */
export function expectDecimal(actual: BigNumber | string, expected: BigNumber.Value): void {
  expect(new BigNumber(actual).toFixed()).toBe(new BigNumber(expected).toFixed());
}

/** Non-negative decimals with up to 4 places, below 10^6. */
export const decimalArb = (maxInteger = 1_000_000): fc.Arbitrary<BigNumber> =>
  fc.tuple(fc.integer({ min: 0, max: maxInteger }), fc.integer({ min: 0, max: 9999 })).map(([i, f]) => d(i).plus(d(f).shiftedBy(-4)));

/** Prices as decimal strings with up to 6 places. */
export const priceArb: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 999_999 }))
  .map(([i, f]) => d(i).plus(d(f).shiftedBy(-6)).toFixed());

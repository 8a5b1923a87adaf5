import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import BigNumber from 'bignumber.js';
import { epochSeconds, plus, secondsOfMs } from '../../../../src/billing/aggregations/shared.ts';

describe('epoch seconds of a millisecond instant', () => {
  it('equals the exact decimal epochSeconds reads from its ISO text, for any instant', () => {
    fc.assert(
      fc.property(fc.integer({ min: -62_000_000_000_000, max: 253_402_300_799_999 }), (ms) => {
        expect(secondsOfMs(ms)).toBe(epochSeconds(new Date(ms).toISOString()).toFixed());
      }),
      { numRuns: 2_000 },
    );
  });

  it('drops trailing zeros of the fraction and the fraction itself on a whole second', () => {
    expect([secondsOfMs(1_704_067_200_000), secondsOfMs(1_704_067_200_250), secondsOfMs(1_704_067_200_007)]).toEqual(['1704067200', '1704067200.25', '1704067200.007']);
  });
});

describe('exact decimal addition', () => {
  const decimal = fc.oneof(
    fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }).map(String),
    fc.tuple(fc.bigInt({ min: -(10n ** 9n), max: 10n ** 9n }), fc.nat({ max: 999_999 })).map(([i, f]) => `${i}.${String(f).padStart(6, '0')}`),
  );
  it('gives what BigNumber gives, for integers small and large and for decimals', () => {
    fc.assert(
      fc.property(decimal, decimal, (a, b) => {
        expect(plus(a, b)).toBe(new BigNumber(a).plus(b).toFixed());
      }),
      { numRuns: 5_000 },
    );
    fc.assert(
      fc.property(decimal, fc.integer(), (a, b) => {
        expect(plus(a, b)).toBe(new BigNumber(a).plus(b).toFixed());
      }),
      { numRuns: 2_000 },
    );
  });
});

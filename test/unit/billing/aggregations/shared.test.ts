import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { epochSeconds, secondsOfMs } from '../../../../src/billing/aggregations/shared.ts';

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

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { instantMs } from '../../../../src/billing/usage/instants.ts';

describe('instantMs', () => {
  it('is Date.parse, also when asked again and past the memo bound', () => {
    fc.assert(
      fc.property(fc.array(fc.date({ noInvalidDate: true }), { minLength: 1, maxLength: 50 }), (dates) => {
        for (const date of [...dates, ...dates]) expect(instantMs(date.toISOString())).toBe(date.getTime());
      }),
    );
    for (let i = 0; i < 12_000; i += 1) expect(instantMs(new Date(i * 1000).toISOString())).toBe(i * 1000);
    expect(instantMs('not a date')).toBeNaN();
  });
});

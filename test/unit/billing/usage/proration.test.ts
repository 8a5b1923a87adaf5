import BigNumber from 'bignumber.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ceil5, dayRatio, floatAsBigDecimal, floatText, postgresRatio, proratedSumUnits } from '../../../../src/billing/usage/proration.ts';
import { expectDecimal } from '../support.ts';

describe('proration arithmetic (§2.12)', () => {
  it('divides days as Postgres numeric does: 20 decimals below 1, half up', () => {
    expectDecimal(postgresRatio(1, 31), '0.03225806451612903226');
    expectDecimal(postgresRatio(30, 31), '0.96774193548387096774');
    expectDecimal(postgresRatio(31, 31), 1);
    expectDecimal(postgresRatio(2, 3), '0.66666666666666666667');
    // A quotient of 1 or more has 16 decimals (select_div_scale: one base-10000 digit less of scale).
    expectDecimal(postgresRatio(5, 3), '1.6666666666666667');
  });

  it('prints a Float ratio as Ruby interpolates it into SQL, and converts it as BigDecimal * Float does', () => {
    // prorated sum_service_spec.rb:509: 17.fdiv(31) (a subscription upgraded on the 15th of a 31-day month).
    expectDecimal(floatText(17, 31), '0.5483870967741935');
    expectDecimal(floatAsBigDecimal(17, 31), '0.5483870967741935');
    // 5.fdiv(28) needs 17 digits: Float#to_s keeps them, bigdecimal's Float conversion cuts to 16.
    expectDecimal(floatText(5, 28), '0.17857142857142858');
    expectDecimal(floatAsBigDecimal(5, 28), '0.1785714285714285');
    expectDecimal(floatAsBigDecimal(31, 31), 1);
    expectDecimal(floatAsBigDecimal(0, 31), 0);
  });

  it('prices a day by its days to the period end, inclusive, in the customer timezone', () => {
    const may = { from: '2023-05-01T04:00:00.000Z', to: '2023-06-01T03:59:59.999Z', durationDays: 31, timezone: 'America/New_York' };
    // 2023-05-31 local is the last day: 1/31.
    expectDecimal(dayRatio(may, 19508), postgresRatio(1, 31));
    expectDecimal(dayRatio(may, 19478), 1); // 2023-05-01
  });

  it('ceils the prorated sum at 5 decimals, after Postgres’ rounded ratios (62 on the last day is 2.00001)', () => {
    const may = { from: '2023-05-01T00:00:00.000Z', to: '2023-05-31T23:59:59.999Z', durationDays: 31, timezone: 'UTC' };
    // 62 × 0.03225806451612903226 = 2.00000000000000000012: Lago bills 2.00001 units where exact arithmetic gives 2.
    expectDecimal(proratedSumUnits(may, new BigNumber(0), { 19508: '62' }), '2.00001');
    // prorated sum_service_spec.rb:90: 5 before the period, 12 + 12 on May 26th (6 days of 31) → 9.64517.
    expectDecimal(proratedSumUnits(may, new BigNumber(5), { 19503: '24' }), '9.64517');
  });

  it('never prorates above the full units, nor below 0, for non-negative values (property)', () => {
    const may = { from: '2023-05-01T00:00:00.000Z', to: '2023-05-31T23:59:59.999Z', durationDays: 31, timezone: 'UTC' };
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.array(fc.tuple(fc.integer({ min: 19478, max: 19508 }), fc.integer({ min: 0, max: 100_000 })), { maxLength: 10 }), (persisted, entries) => {
        const days: Record<string, string> = {};
        for (const [day, cents] of entries) days[day] = new BigNumber(days[day] ?? 0).plus(new BigNumber(cents).shiftedBy(-2)).toFixed();
        const full = BigNumber.sum(persisted, ...Object.values(days));
        const prorated = proratedSumUnits(may, new BigNumber(persisted), days);
        expect(prorated.isLessThanOrEqualTo(ceil5(full))).toBe(true);
        expect(prorated.isGreaterThanOrEqualTo(0)).toBe(true);
      }),
    );
  });
});

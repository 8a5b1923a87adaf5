import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { commitmentProrationDays, commitmentTrueUp } from '../../../../src/billing/invoice/commitment.ts';
import { subscription } from '../periods/helpers.ts';
import { d, expectDecimal } from '../support.ts';

const input = (commitmentAmountCents: number, feesAmountCents: number, days: number, periodDays: number) => ({
  commitmentAmountCents: String(commitmentAmountCents),
  currency: 'EUR',
  feesAmountCents: d(feesAmountCents),
  days,
  periodDays,
});

describe('minimum commitment true-up (§3.7)', () => {
  // spec/services/commitments/calculate_amount_service_spec.rb — prorated commitments of partial anniversary periods.
  it.each([
    ['weekly, 6 of 7 days (L84)', 3_000, 6, 7, 2_571],
    ['monthly, 30 of 31 days (L154)', 20_000, 30, 31, 19_355],
    ['quarterly, 90 of 91 days (L226)', 40_000, 90, 91, 39_560],
    ['yearly calendar from Jan 15, 352 of 366 days (L262)', 200_000, 352, 366, 192_350],
    ['yearly anniversary, 365 of 366 days (L300)', 200_000, 365, 366, 199_454],
  ])('prorates the commitment: %s', (_label, commitment, days, periodDays, prorated) => {
    const trueUp = commitmentTrueUp(input(commitment, 0, days, periodDays));
    expectDecimal(trueUp?.proratedCommitmentAmountCents ?? d(-1), prorated);
    expectDecimal(trueUp?.amountCents ?? d(-1), prorated);
  });

  it('bills the gap between the prorated commitment and the fees; precise against the precise fees', () => {
    const trueUp = commitmentTrueUp({ ...input(10_000, 650, 31, 31), feesPreciseAmountCents: d('649.6') });
    // commitments/minimum/calculate_true_up_fee_service_spec.rb:142: 10 000 − (200 + 300 + 150) over a whole year
    expectDecimal(trueUp?.amountCents ?? d(-1), 9_350);
    expectDecimal(trueUp?.preciseAmountCents ?? d(-1), '9350.4');
    expectDecimal(trueUp?.proratedCommitmentAmountCents ?? d(-1), 10_000);
  });

  it('nothing when the fees reach the commitment, or there is no commitment', () => {
    expect(commitmentTrueUp(input(10_000, 10_000, 31, 31))).toBeNull();
    expect(commitmentTrueUp(input(10_000, 12_000, 31, 31))).toBeNull();
    expect(commitmentTrueUp(input(0, 0, 31, 31))).toBeNull();
    expect(commitmentTrueUp(input(10_000, 0, 0, 31))).toBeNull(); // no day covered
  });

  it('the precise true-up is 0 when only the precise fees reach the commitment', () => {
    const trueUp = commitmentTrueUp({ ...input(1_000, 999, 31, 31), feesPreciseAmountCents: d('1000.2') });
    expectDecimal(trueUp?.amountCents ?? d(-1), 1);
    expectDecimal(trueUp?.preciseAmountCents ?? d(-1), 0);
  });

  it('rounds the Float product half up after Float#to_d (Money rounding mode ROUND_HALF_UP)', () => {
    // 1 cent × 15/30 = 0.5 exactly → 1; 3 × (1/2) = 1.5 → 2.
    expectDecimal(commitmentTrueUp(input(1, 0, 15, 30))?.proratedCommitmentAmountCents ?? d(-1), 1);
    expectDecimal(commitmentTrueUp(input(3, 0, 1, 2))?.proratedCommitmentAmountCents ?? d(-1), 2);
    // 17 / 31 is the Float 0.5483870967741935 (calculate_prorated_coefficient_service_spec.rb:45): 20000 × it.
    expectDecimal(commitmentTrueUp(input(20_000, 0, 17, 31))?.proratedCommitmentAmountCents ?? d(-1), 10_968);
  });

  it('refuses bad inputs', () => {
    expect(() => commitmentTrueUp(input(100, 0, 1, 0))).toThrow(RangeError);
    expect(() => commitmentTrueUp(input(100, 0, -1, 31))).toThrow(RangeError);
    expect(() => commitmentTrueUp({ ...input(100, 0, 1, 31), commitmentAmountCents: '10.5' })).toThrow(RangeError);
    expect(() => commitmentTrueUp({ ...input(100, 0, 1, 31), currency: 'NOPE' })).toThrow(RangeError);
  });
});

describe('commitment proration days (CalculateProratedCoefficientService)', () => {
  it('counts from the first invoice of the period to its end over the whole period', () => {
    const jan15 = subscription({ subscriptionAt: '2024-01-15T00:00:00Z' });
    // calculate_prorated_coefficient_service_spec.rb:41-46: from 2024-01-15 to 2024-01-31 → 17 / 31.
    expect(commitmentProrationDays({ subscription: jan15, from: '2024-01-15T00:00:00Z', to: '2024-01-31T23:59:59Z' })).toEqual({ days: 17, periodDays: 31 });
    const yearly = subscription({ subscriptionAt: '2024-01-15T00:00:00Z', interval: 'YEARLY', billingTime: 'ANNIVERSARY' });
    expect(commitmentProrationDays({ subscription: yearly, from: '2024-01-15T00:00:00Z', to: '2025-01-13T23:59:59Z' })).toEqual({ days: 365, periodDays: 366 });
  });

  it('keeps the upgrade day (date_diff without the upgrade adjustment) and uses local days', () => {
    const paris = subscription({ subscriptionAt: '2024-03-01T00:00:00Z', timezone: 'Europe/Paris' });
    // March in Paris has a DST change: still 31 local days.
    expect(commitmentProrationDays({ subscription: paris, from: '2024-02-29T23:00:00Z', to: '2024-03-31T21:59:59.999Z' })).toEqual({ days: 31, periodDays: 31 });
  });
});

describe('minimum commitment — properties', () => {
  it('the true-up never exceeds the commitment, is integer, and lifts the fees exactly to the prorated commitment', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000_000 }),
        fc.integer({ min: 0, max: 100_000_000 }),
        fc.constantFrom(7, 28, 29, 30, 31, 90, 91, 92, 181, 182, 184, 365, 366),
        fc.nat(),
        (commitment, fees, periodDays, seed) => {
          const days = seed % (periodDays + 1);
          const trueUp = commitmentTrueUp(input(commitment, fees, days, periodDays));
          const full = commitmentTrueUp(input(commitment, 0, periodDays, periodDays));
          if (commitment > 0) expectDecimal(full?.proratedCommitmentAmountCents ?? d(-1), commitment); // days = periodDays → coefficient 1.0
          if (trueUp === null) return;
          expect(trueUp.amountCents.isInteger()).toBe(true);
          expect(trueUp.amountCents.isPositive()).toBe(true);
          expect(trueUp.proratedCommitmentAmountCents.isLessThanOrEqualTo(commitment)).toBe(true);
          expectDecimal(trueUp.amountCents.plus(fees), trueUp.proratedCommitmentAmountCents);
          // Within a cent of the exact proration.
          expect(trueUp.proratedCommitmentAmountCents.minus(d(commitment).times(days).div(periodDays)).abs().isLessThanOrEqualTo('0.5000001')).toBe(true);
        },
      ),
    );
  });
});

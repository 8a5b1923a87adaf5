import { describe, expect, it } from 'vitest';
import { minimumSpendTrueUp } from '../../../src/billing/minimumSpend.ts';
import { d, expectDecimal } from './support.ts';

const fees = (...cents: [string, string][]) => cents.map(([amountCents, preciseAmountCents]) => ({ amountCents: d(amountCents), preciseAmountCents: d(preciseAmountCents) }));

describe('per-charge minimum spend true-up (§2.10)', () => {
  it('bills the gap between the minimum and every fee of the charge', () => {
    const trueUp = minimumSpendTrueUp({ minAmountCents: '10000', chargesDurationDays: 31, daysToBill: 31, fees: fees(['3000', '3000.4'], ['2000', '1999.7']), currency: 'EUR' });
    expect(trueUp).not.toBeNull();
    expectDecimal(trueUp?.amountCents ?? d(-1), 5000);
    expectDecimal(trueUp?.preciseAmountCents ?? d(-1), '4999.9');
    expectDecimal(trueUp?.unitAmountCents ?? d(-1), 5000);
    expectDecimal(trueUp?.units ?? d(-1), 1);
    expect(trueUp?.eventsCount).toBe(0);
  });

  it('prorates the minimum by days billed over the charges period', () => {
    // 10000 / 31 × 15 = 4838.709677… → 4839 − 1000
    const trueUp = minimumSpendTrueUp({ minAmountCents: 10000, chargesDurationDays: 31, daysToBill: 15, fees: fees(['1000', '1000']), currency: 'EUR' });
    expectDecimal(trueUp?.amountCents ?? d(-1), 3839);
    expect(trueUp?.proratedMinAmountCents.toFixed(6)).toBe('4838.709677');
  });

  it('rounds the true-up half up', () => {
    const trueUp = minimumSpendTrueUp({ minAmountCents: '1001', chargesDurationDays: 2, daysToBill: 1, fees: [], currency: 'EUR' });
    expectDecimal(trueUp?.amountCents ?? d(-1), 501); // 500.5
  });

  it('bills nothing when the fees reach the prorated minimum', () => {
    expect(minimumSpendTrueUp({ minAmountCents: '10000', chargesDurationDays: 30, daysToBill: 15, fees: fees(['5000', '5000']), currency: 'EUR' })).toBeNull();
  });

  it('bills nothing for zero days (an upgrade on the first day)', () => {
    expect(minimumSpendTrueUp({ minAmountCents: '10000', chargesDurationDays: 30, daysToBill: -1, fees: [], currency: 'EUR' })).toBeNull();
  });

  it('refuses a charges period without days', () => {
    expect(() => minimumSpendTrueUp({ minAmountCents: '1', chargesDurationDays: 0, daysToBill: 1, fees: [], currency: 'EUR' })).toThrow(RangeError);
  });
});

import { describe, expect, it } from 'vitest';
import type { GraduatedRange, ProratedGraduatedDetails } from '../../../../src/billing/chargeModels/index.ts';
import { proratedGraduated } from '../../../../src/billing/chargeModels/proratedGraduated.ts';
import { roundToCurrency } from '../../../../src/billing/money.ts';
import { at, d, expectDecimal, values } from '../support.ts';

const twoTiers: GraduatedRange[] = [
  { fromValue: 0, toValue: 5, perUnitAmount: '10', flatAmount: '100' },
  { fromValue: 6, toValue: null, perUnitAmount: '5', flatAmount: '50' },
];
const threeTiers: GraduatedRange[] = [
  { fromValue: 0, toValue: 5, perUnitAmount: '10', flatAmount: '100' },
  { fromValue: 6, toValue: 15, perUnitAmount: '5', flatAmount: '50' },
  { fromValue: 16, toValue: null, perUnitAmount: '2', flatAmount: '0' },
];

/** Prices events given as [full, prorated] pairs; `units` is the prorated aggregation. */
function price(units: string, events: [number, string][], ranges = twoTiers) {
  const input = at(units, { perEventValues: values(...events.map(([f]) => f)), perEventProratedValues: values(...events.map(([, p]) => p)) });
  return proratedGraduated(input, { graduatedRanges: ranges });
}
const cents = (units: string, events: [number, string][], ranges = twoTiers) => roundToCurrency(price(units, events, ranges).amount, 'EUR');

describe('prorated graduated charge model (§2.9), Lago’s spec vectors', () => {
  it('prices prorated units in the tier chosen by the running full units: 197.33', () => {
    // 3.5 × 10 + 2.66667 × 5 + 2 × 5 − 2.2 × 5 + flats 100 + 50
    expectDecimal(cents('5.96667', [[5, '3.5'], [5, '2.66667'], [10, '2'], [-6, '-2.2']]), '197.33');
  });

  it('splits an event that crosses a tier bound pro rata of its full value: 184.33', () => {
    expectDecimal(cents('3.86667', [[2, '1.4'], [5, '2.66667'], [10, '2'], [-6, '-2.2']]), '184.33');
  });

  it('keeps the flats of the highest tier reached even when usage ends at zero: 165.81', () => {
    expectDecimal(cents('1.613', [[1, '0.7097'], [4, '1.54839'], [1, '0.2258'], [-5, '-0.80645'], [-1, '-0.0645']]), '165.81');
  });

  it('prices a negative event in the tier it moves through: 125', () => {
    expectDecimal(cents('2.5', [[5, '3.5'], [-2, '-1']]), 125);
  });

  it('splits a negative event that crosses back into a lower tier: 180.5', () => {
    expectDecimal(cents('3.2', [[4, '2.8'], [2, '1'], [-3, '-0.6']]), '180.5');
  });

  it('handles overflows in both directions: 190', () => {
    expectDecimal(cents('4.9', [[5, '3.5'], [2, '1'], [-4, '-1.6'], [10, '2']]), 190);
  });

  it('bills one tier with its flat only: 107, and not the next flat when usage stops at its toValue', () => {
    expectDecimal(cents('0.7', [[1, '0.7']]), 107);
    const tight: GraduatedRange[] = [
      { fromValue: 0, toValue: 1, perUnitAmount: '10', flatAmount: '100' },
      { fromValue: 2, toValue: null, perUnitAmount: '5', flatAmount: '50' },
    ];
    expectDecimal(cents('0.7', [[1, '0.7']], tight), 107);
  });

  it('spreads one event over three tiers: 370, and a mixed history: 191.335', () => {
    expectDecimal(price('75', [[75, '75']], threeTiers).amount, 370);
    const mixed: [number, string][] = [[2, '1.4'], [5, '2.5'], [10, '2'], [-6, '-2.2'], [4, '0.667'], [60, '2']];
    expect(price('6.36', mixed, threeTiers).amount.decimalPlaces(10).toFixed()).toBe('191.335');
  });

  it('bills the first tier’s flat amount at zero units', () => {
    expectDecimal(price('0', []).amount, 100);
    expectDecimal(price('0', []).unitAmount, 0);
  });

  it('bills nothing when the full units end below zero', () => {
    expectDecimal(price('-31.33', [[5, '2'], [-100, '-33.33']]).amount, 0);
    expectDecimal(price('-31.73', [[4, '1.6'], [-100, '-33.33']]).amount, 0);
  });

  it('skips zero-prorated additions and orphan zero-prorated removals when choosing tiers', () => {
    // The 10 added before the period (prorated 0) does not push the next event into tier 2.
    expectDecimal(price('1', [[10, '0'], [2, '1']]).amount, 110);
    expectDecimal(price('1', [[-3, '0'], [2, '1']]).amount, 110);
  });

  it('divides the unit amount by the sum of full values', () => {
    expectDecimal(price('5.96667', [[5, '3.5'], [5, '2.66667'], [10, '2'], [-6, '-2.2']]).unitAmount.decimalPlaces(2), '14.1');
  });

  it('explains tiers with full and prorated units, per-unit totals and flats', () => {
    const details = price('2.5', [[5, '3.5'], [-2, '-1']]).details as ProratedGraduatedDetails;
    expect(details).toMatchObject({ totalFullUnits: '3', maxFullUnits: '5', unitsAmount: '25', flatAmount: '100', total: '125' });
    expect(details.tiers).toEqual([{ fromValue: '0', toValue: '5', fullUnits: '3', proratedUnits: '2.5', perUnitAmount: '10', perUnitTotalAmount: '25', flatAmount: '100' }]);
  });

  it('prices 10^15 full units exactly', () => {
    // 5 × 0.5 × 10 + (10^15 − 5) × 0.5 × 5 + 100 + 50
    expectDecimal(price('500000000000000', [[1e15, '500000000000000']], twoTiers).amount, '2500000000000162.5');
  });

  it('refuses per-event lists of different lengths', () => {
    expect(() => proratedGraduated(at(1, { perEventValues: [d(1)], perEventProratedValues: [] }), { graduatedRanges: twoTiers })).toThrow(RangeError);
  });
});

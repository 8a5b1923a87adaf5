import BigNumber from 'bignumber.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AlertDirection, AlertThreshold } from '../../../src/billing/alerts.ts';
import {
  ALERT_TYPES,
  alertCurrentValue,
  alertDirectionFor,
  alertNeedsBillableMetric,
  alertThresholdsCrossed,
  initialAlertPreviousValue,
  isWalletAlert,
  validateAlertThresholds,
} from '../../../src/billing/alerts.ts';
import { d, expectDecimal } from './support.ts';

/** Lago's alert factory: one-time thresholds coded `warn<value>`, the recurring one `rec`. */
const thresholdsOf = (oneTime: number[], recurring?: BigNumber.Value): AlertThreshold[] => [
  ...oneTime.map((v) => ({ value: d(v), code: `warn${v}`, recurring: false })),
  ...(recurring === undefined ? [] : [{ value: d(recurring), code: 'rec', recurring: true }]),
];
const check = (direction: AlertDirection, thresholds: AlertThreshold[], previous: BigNumber.Value, current: BigNumber.Value) =>
  alertThresholdsCrossed({ direction, thresholds, previousValue: d(previous), currentValue: d(current) });
/** `find_thresholds_crossed`: the sorted values. */
const values = (direction: AlertDirection, thresholds: AlertThreshold[], previous: BigNumber.Value, current: BigNumber.Value) =>
  check(direction, thresholds, previous, current).crossedValues.map((v) => v.toNumber());

describe('alert types', () => {
  it('the nine Lago types, which need a billable metric, which are wallet alerts and their direction', () => {
    expect(ALERT_TYPES).toEqual([
      'CURRENT_USAGE_AMOUNT',
      'BILLABLE_METRIC_CURRENT_USAGE_AMOUNT',
      'BILLABLE_METRIC_CURRENT_USAGE_UNITS',
      'LIFETIME_USAGE_AMOUNT',
      'BILLABLE_METRIC_LIFETIME_USAGE_UNITS',
      'WALLET_BALANCE_AMOUNT',
      'WALLET_CREDITS_BALANCE',
      'WALLET_ONGOING_BALANCE_AMOUNT',
      'WALLET_CREDITS_ONGOING_BALANCE',
    ]);
    expect(ALERT_TYPES.filter(alertNeedsBillableMetric)).toEqual(['BILLABLE_METRIC_CURRENT_USAGE_AMOUNT', 'BILLABLE_METRIC_CURRENT_USAGE_UNITS', 'BILLABLE_METRIC_LIFETIME_USAGE_UNITS']);
    expect(ALERT_TYPES.filter(isWalletAlert)).toEqual(['WALLET_BALANCE_AMOUNT', 'WALLET_CREDITS_BALANCE', 'WALLET_ONGOING_BALANCE_AMOUNT', 'WALLET_CREDITS_ONGOING_BALANCE']);
    expect(ALERT_TYPES.map(alertDirectionFor)).toEqual([...Array(5).fill('INCREASING'), ...Array(4).fill('DECREASING')]);
  });

  it('find_value: billable-metric alerts take the largest fee of the metric (not the sum); null when the metric has none', () => {
    const usageFees = [
      { billableMetricId: 'm1', amountCents: d(300), units: d('2.5') },
      { billableMetricId: 'm1', amountCents: d(500), units: d('1.5') },
      { billableMetricId: 'm2', amountCents: d(900), units: d(9) },
    ];
    const source = { currentUsageAmountCents: d(1700), usageFees, lifetimeUsageTotalAmountCents: d(9000), walletCreditsBalance: d('12.5') };
    expectDecimal(alertCurrentValue('BILLABLE_METRIC_CURRENT_USAGE_AMOUNT', source, 'm1')!, 500);
    expectDecimal(alertCurrentValue('BILLABLE_METRIC_CURRENT_USAGE_UNITS', source, 'm1')!, '2.5');
    expectDecimal(alertCurrentValue('BILLABLE_METRIC_LIFETIME_USAGE_UNITS', source, 'm2')!, 9);
    expect(alertCurrentValue('BILLABLE_METRIC_CURRENT_USAGE_AMOUNT', source, 'm3')).toBeNull();
    expectDecimal(alertCurrentValue('CURRENT_USAGE_AMOUNT', source)!, 1700);
    expectDecimal(alertCurrentValue('LIFETIME_USAGE_AMOUNT', source)!, 9000);
    expectDecimal(alertCurrentValue('WALLET_CREDITS_BALANCE', source)!, '12.5');
    expect(alertCurrentValue('WALLET_BALANCE_AMOUNT', source)).toBeNull();
  });

  it('a new alert starts at 0, a decreasing one at the watched value (rounded like the column)', () => {
    expectDecimal(initialAlertPreviousValue('INCREASING', d(500)), 0);
    expectDecimal(initialAlertPreviousValue('DECREASING', d('10.123456')), '10.12346');
  });
});

// `spec/models/usage_monitoring/alert_spec.rb`: thresholds 10, 30, 50 + recurring 100 (increasing),
// 200, 500, 800 + recurring 100 (decreasing).
describe('alertThresholdsCrossed — Lago alert_spec', () => {
  const up = thresholdsOf([10, 30, 50], 100);
  const down = thresholdsOf([200, 500, 800], 100);

  it('increasing: (previous, current], the previous value excluded', () => {
    expect(values('INCREASING', up, 8, 8)).toEqual([]);
    expect(values('INCREASING', up, 8, 30)).toEqual([10, 30]);
    expect(values('INCREASING', up, 31, 60)).toEqual([50]);
    expect(values('INCREASING', up, 30, 29)).toEqual([]);
  });

  it('increasing: a jump reports every recurring level (150, 250, 350)', () => {
    expect(values('INCREASING', up, 33, 351)).toEqual([50, 150, 250, 350]);
  });

  it('decreasing: [current, previous), recurring levels below the smallest one-time value', () => {
    expect(values('DECREASING', down, 1000, 1000)).toEqual([]);
    expect(values('DECREASING', down, 1000, 500)).toEqual([500, 800]);
    expect(values('DECREASING', down, 450, 100)).toEqual([100, 200]);
    expect(values('DECREASING', down, 400, 450)).toEqual([]);
    expect(values('DECREASING', down, 700, 600)).toEqual([]);
    expect(values('DECREASING', down, 600, -100)).toEqual([-100, 0, 100, 200, 500]);
    expect(check('DECREASING', down, 600, -100).crossed.map((t) => [t.code, t.value.toNumber()])).toEqual([
      ['warn200', 200],
      ['warn500', 500],
      ['rec', -100],
      ['rec', 0],
      ['rec', 100],
    ]);
  });

  it('only a recurring threshold: levels from 0 both ways', () => {
    expect(values('INCREASING', thresholdsOf([], 100), 0, 150)).toEqual([100]);
    expect(values('DECREASING', thresholdsOf([], 100), 50, -150)).toEqual([-100]);
  });

  it('formatting: one-time thresholds in their stored order with their codes, then the recurring levels with its code', () => {
    const stored = thresholdsOf([50, 10, 30], 100);
    expect(values('INCREASING', stored, 0, 251)).toEqual([10, 30, 50, 150, 250]);
    expect(check('INCREASING', stored, 0, 251).crossed).toEqual([
      { value: d(50), code: 'warn50', recurring: false },
      { value: d(10), code: 'warn10', recurring: false },
      { value: d(30), code: 'warn30', recurring: false },
      { value: d(150), code: 'rec', recurring: true },
      { value: d(250), code: 'rec', recurring: true },
    ]);
  });

  it('a one-time and a recurring threshold of the same value: the crossed value reads as the one-time one', () => {
    expect(check('INCREASING', thresholdsOf([10, 15, 50], 10), 0, 15).crossed).toEqual([
      { value: d(10), code: 'warn10', recurring: false },
      { value: d(15), code: 'warn15', recurring: false },
    ]);
  });
});

// `spec/services/usage_monitoring/process_alert_service_spec.rb`: thresholds 10, 20 + recurring 35, previous 4.
describe('alertThresholdsCrossed — Lago process_alert_service_spec', () => {
  const thresholds = thresholdsOf([10, 20], 35);

  it('nothing crossed at 5: previous value becomes 5', () => {
    const r = check('INCREASING', thresholds, 4, 5);
    expect(r.crossed).toEqual([]);
    expectDecimal(r.previousValue, 5);
  });

  it('22 → warn10, warn20; previous value becomes 22', () => {
    const r = check('INCREASING', thresholds, 4, 22);
    expect(r.crossed.map((t) => [t.code, t.value.toNumber(), t.recurring])).toEqual([['warn10', 10, false], ['warn20', 20, false]]);
    expectDecimal(r.previousValue, 22);
  });

  it('161 → warn10, warn20 and rec at 55, 90, 125, 160', () => {
    const r = check('INCREASING', thresholds, 4, 161);
    expect(r.crossed.map((t) => [t.code, t.value.toNumber(), t.recurring])).toEqual([
      ['warn10', 10, false],
      ['warn20', 20, false],
      ['rec', 55, true],
      ['rec', 90, true],
      ['rec', 125, true],
      ['rec', 160, true],
    ]);
    expectDecimal(r.previousValue, 161);
  });
});

describe('alertThresholdsCrossed — previous value and edges', () => {
  it('a value going back lowers the previous value, so the thresholds fire again when climbed back (new period)', () => {
    const thresholds = thresholdsOf([10, 20]);
    const first = check('INCREASING', thresholds, 0, 25);
    expect(first.crossed.map((t) => t.code)).toEqual(['warn10', 'warn20']);
    const reset = check('INCREASING', thresholds, first.previousValue, 3);
    expect(reset.crossed).toEqual([]);
    expectDecimal(reset.previousValue, 3);
    expect(check('INCREASING', thresholds, reset.previousValue, 12).crossed.map((t) => t.code)).toEqual(['warn10']);
  });

  it('Lago quirk kept: a previous value exactly on a recurring level reports that level again on the next rise', () => {
    expect(values('INCREASING', thresholdsOf([50], 100), 150, 160)).toEqual([150]);
    expect(values('DECREASING', thresholdsOf([500], 100), 300, 250)).toEqual([300]);
    expect(values('INCREASING', thresholdsOf([50], 100), 151, 160)).toEqual([]);
  });

  it('below the first (increasing) / above the last (decreasing) one-time value nothing fires, recurring included', () => {
    expect(values('INCREASING', thresholdsOf([100], 10), 0, 99)).toEqual([]);
    expect(values('DECREASING', thresholdsOf([100], 10), 500, 101)).toEqual([]);
  });

  it('the stored previous value is rounded half up to 5 places; decimals compare exactly', () => {
    const r = check('INCREASING', thresholdsOf([], '0.1'), '0.05', '0.3000049');
    expect(r.crossed.map((t) => t.value.toFixed())).toEqual(['0.1', '0.2', '0.3']);
    expectDecimal(r.previousValue, '0.3');
    expectDecimal(check('INCREASING', [], 0, '1.000005').previousValue, '1.00001');
  });

  it('refuses a non-positive recurring step', () => {
    expect(() => check('INCREASING', thresholdsOf([], 0), 0, 10)).toThrow(/recurring_value_is_negative/);
  });

  const arb = fc.record({
    oneTime: fc.uniqueArray(fc.integer({ min: -50, max: 500 }), { maxLength: 5 }),
    step: fc.option(fc.integer({ min: 1, max: 120 }), { nil: undefined }),
    previous: fc.integer({ min: -200, max: 800 }),
    current: fc.integer({ min: -200, max: 800 }),
    direction: fc.constantFrom<AlertDirection>('INCREASING', 'DECREASING'),
  });

  it('property: nothing fires against the direction; one-time values reported are exactly those passed over', () => {
    fc.assert(
      fc.property(arb, ({ oneTime, step, previous, current, direction }) => {
        const r = check(direction, thresholdsOf(oneTime, step), previous, current);
        expectDecimal(r.previousValue, current);
        const rising = direction === 'INCREASING';
        if (rising ? current <= previous : current >= previous) {
          expect(r.crossed).toEqual([]);
          return;
        }
        const sorted = [...oneTime].sort((a, b) => a - b);
        const gate = sorted.length === 0 || (rising ? current >= sorted[0]! : current <= sorted.at(-1)!);
        const passedOver = oneTime.filter((v) => (rising ? v > previous && v <= current : v < previous && v >= current));
        expect(r.crossed.filter((t) => !t.recurring).map((t) => t.value.toNumber())).toEqual(gate ? passedOver : []);
        for (const t of r.crossed.filter((c) => c.recurring)) {
          const v = t.value.toNumber();
          expect(rising ? v >= previous && v <= current : v <= previous && v >= current).toBe(true);
        }
      }),
    );
  });

  it('property: checking again with the stored previous value and the same value reports nothing', () => {
    fc.assert(
      fc.property(arb, ({ oneTime, step, previous, current, direction }) => {
        const first = check(direction, thresholdsOf(oneTime, step), previous, current);
        expect(check(direction, thresholdsOf(oneTime, step), first.previousValue, current).crossed).toEqual([]);
      }),
    );
  });

  it('property: every recurring level strictly passed over is reported, once', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 600 }), (step, previous, rise) => {
        const current = previous + rise;
        const reported = values('INCREASING', thresholdsOf([], step), previous, current);
        const expected: number[] = [];
        for (let level = step; level <= current; level += step) if (level > previous) expected.push(level);
        expect(reported.filter((v) => v > previous)).toEqual(expected);
        expect(new Set(reported).size).toBe(reported.length);
      }),
    );
  });
});

// `spec/services/usage_monitoring/create_alert_service_spec.rb` cases.
describe('validateAlertThresholds', () => {
  const first = (thresholds: Parameters<typeof validateAlertThresholds>[0], mode?: 'CREATE' | 'UPDATE') => validateAlertThresholds(thresholds, mode)[0] ?? null;

  it('valid thresholds: one-time values may be zero or negative, one positive recurring step', () => {
    expect(validateAlertThresholds([{ value: -5 }, { value: 0 }, { value: '12.5' }, { value: d(100), recurring: true }])).toEqual([]);
    expect(validateAlertThresholds([{ value: 10 }, { value: 10, recurring: true }])).toEqual([]);
  });

  it('none: mandatory on create, nothing to check on update; more than 20: too many', () => {
    expect(first([])).toEqual({ field: 'thresholds', errorCode: 'value_is_mandatory' });
    expect(first(null)).toEqual({ field: 'thresholds', errorCode: 'value_is_mandatory' });
    expect(first([], 'UPDATE')).toBeNull();
    expect(first(Array.from({ length: 21 }, (_, i) => ({ value: 10 + i })))).toEqual({ field: 'thresholds', errorCode: 'too_many_thresholds' });
    expect(first(Array.from({ length: 20 }, (_, i) => ({ value: 10 + i })))).toBeNull();
  });

  it('spec: duplicates are the same value with the same (cast) recurring flag', () => {
    const dup = { field: 'thresholds', errorCode: 'duplicate_threshold_values' };
    expect(first([{ value: 1 }, { value: 1 }])).toEqual(dup);
    expect(first([{ value: 1, recurring: false }, { value: 1, recurring: '0' }])).toEqual(dup);
    expect(first([{ value: 1, recurring: false }, { value: 1, recurring: 0 }])).toEqual(dup);
    expect(first([{ value: 1, recurring: 'false' }, { value: 1, recurring: false }])).toEqual(dup);
    expect(first([{ value: 1 }, { value: 1, recurring: false }])).toEqual(dup);
    expect(first([{ value: '10' }, { value: '10.0' }])).toBeNull(); // the raw params differ
  });

  it('spec: a missing value, a non-numeric value, a non-positive recurring value', () => {
    expect(first([{ value: null }])).toEqual({ field: 'thresholds:value', errorCode: 'value_is_mandatory' });
    expect(first([{ value: 'abc' }])).toEqual({ field: 'thresholds:value', errorCode: 'value_is_invalid' });
    expect(first([{ value: '1_000' }, { value: ' 2.5e3 ' }])).toBeNull();
    expect(first([{ value: '100', recurring: 'true' }, { value: '-100', recurring: 'true' }])).toEqual({ field: 'thresholds:value', errorCode: 'recurring_value_is_negative' });
    expect(first([{ value: 0, recurring: true }])).toEqual({ field: 'thresholds:value', errorCode: 'recurring_value_is_negative' });
  });

  it('two recurring thresholds hit the unique index: alert_already_exists', () => {
    expect(first([{ value: 10, recurring: true }, { value: 20, recurring: true }])).toEqual({ field: 'base', errorCode: 'alert_already_exists' });
  });
});

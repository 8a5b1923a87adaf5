import { describe, expect, it } from 'vitest';
import type { PercentageDetails, PercentageProperties } from '../../../../src/billing/chargeModels/index.ts';
import { percentage } from '../../../../src/billing/chargeModels/percentage.ts';
import { at, d, expectDecimal, values } from '../support.ts';

// Lago's percentage_service_spec.rb setting: 4 events summing to 800, running total [50, 150, 400].
const base: PercentageProperties = { rate: '1.3', fixedAmount: '2.0', freeUnitsPerEvents: 3, freeUnitsPerTotalAggregation: '250.0' };
const spec = (units: number, props: Partial<PercentageProperties> = {}, runningTotal = values(50, 150, 400)) =>
  percentage(at(units, { count: d(4), runningTotal }), { ...base, ...props });
const details = (result: ReturnType<typeof percentage>) => result.details as PercentageDetails;

describe('percentage charge model (§2.5)', () => {
  it('bills rate% of the units above the free amount plus a fixed fee per paying event', () => {
    const result = spec(800);
    expectDecimal(result.amount, '11.15'); // (800 − 250) × 1.3% + (4 − 2) × 2
    expectDecimal(result.unitAmount, '0.0139375');
    expect(details(result)).toMatchObject({ freeUnits: '250', paidUnits: '550', freeEvents: '2', paidEvents: '2', percentageAmount: '7.15', fixedFeeTotalAmount: '4' });
  });

  it('takes the running total at the Nth event as free units when N is below the number of running totals', () => {
    const result = spec(1000, { freeUnitsPerTotalAggregation: null }, values(50, 150, 400, 800));
    expectDecimal(result.amount, '9.8'); // free = rt[2] = 400: (1000 − 400) × 1.3% + (4 − 3) × 2
  });

  it('makes the whole running total free when the event count equals freeUnitsPerEvents (§9.3)', () => {
    const result = spec(1000, { freeUnitsPerEvents: 4, freeUnitsPerTotalAggregation: null }, values(50, 150, 400, 800));
    expectDecimal(result.amount, '2.6'); // free = last = 800: (1000 − 800) × 1.3%, and 4 free events of 4
    expect(details(result)).toMatchObject({ freeUnits: '800', freeEvents: '4', paidEvents: '0', fixedFeeUnitAmount: '0' });
  });

  it('reports free and paid events from the free-event count', () => {
    const result = spec(800, { freeUnitsPerTotalAggregation: null });
    expectDecimal(result.amount, '7.2'); // (800 − 400) × 1.3% + (4 − 3) × 2
    expect(details(result)).toMatchObject({ freeUnits: '400', freeEvents: '3', paidEvents: '1' });
  });

  it('caps free units at freeUnitsPerTotalAggregation when the running total exceeds it', () => {
    expectDecimal(spec(800, { freeUnitsPerEvents: null }).amount, '11.15');
    expectDecimal(spec(800, { freeUnitsPerTotalAggregation: '500.0' }).amount, '7.2');
  });

  it('bills everything without free units', () => {
    expectDecimal(spec(800, { freeUnitsPerEvents: null, freeUnitsPerTotalAggregation: null }, []).amount, '18.4');
    expectDecimal(spec(800, { rate: '0', freeUnitsPerEvents: null, freeUnitsPerTotalAggregation: null }, []).amount, 8);
  });

  it('bills nothing when free units exceed usage and free events cover every event', () => {
    expectDecimal(spec(400, { freeUnitsPerEvents: 5, freeUnitsPerTotalAggregation: null }).amount, 0);
  });

  it('bills nothing at zero units, not even fixed fees, while reporting Lago’s event split', () => {
    const result = spec(0);
    expectDecimal(result.amount, 0);
    expect(details(result)).toMatchObject({ freeUnits: '250', paidUnits: '0', freeEvents: '2', paidEvents: '2', fixedFeeTotalAmount: '0' });
  });

  it('bills a small amount without rounding it', () => {
    expectDecimal(percentage(at(4, { count: d(4) }), { rate: '2.9' }).amount, '0.116');
  });

  it('bills no percentage on negative units but still the fixed fees', () => {
    expectDecimal(percentage(at(-100, { count: d(2) }), { rate: '10', fixedAmount: '1' }).amount, 2);
  });

  it('applies a rate to 10^15 units exactly', () => {
    expectDecimal(percentage(at('1000000000000000', { count: d(1) }), { rate: '0.000000000000001' }).amount, '0.01');
  });
});

describe('percentage with per-transaction min/max (always enabled, as Lago’s licensed version)', () => {
  const events = values(10, 80, 10000);
  const minMax = (props: Partial<PercentageProperties> = {}) =>
    percentage(at(10090, { count: d(3), perEventValues: events }), { rate: '2.99', fixedAmount: '0', perTransactionMinAmount: '1.75', perTransactionMaxAmount: '12', ...props });

  it('clamps each event to the min and the max, in order', () => {
    const result = minMax();
    expectDecimal(result.amount, '16.142'); // 1.75 (min) + 2.392 + 12 (max)
    expect(details(result).transactions?.map((t) => [t.amount, t.clampedTo])).toEqual([['1.75', 'MIN'], ['2.392', null], ['12', 'MAX']]);
    expectDecimal(details(result).minMaxAdjustmentTotalAmount, '-285.549'); // 16.142 − 301.691
  });

  it('adds the fixed amount before clamping', () => {
    expectDecimal(minMax({ fixedAmount: '2.0' }).amount, '18.691');
  });

  it('does not raise free events to the min', () => {
    const result = minMax({ freeUnitsPerEvents: 2 });
    expectDecimal(result.amount, 12);
    expect(details(result).transactions?.map((t) => t.free)).toEqual([true, true, false]);
  });

  it('charges a partly free event on its remainder', () => {
    const result = minMax({ freeUnitsPerTotalAggregation: '30' });
    expectDecimal(result.amount, '13.794'); // 10 free, 80 − 20 = 60 × 2.99% = 1.794, then 12
    expect(details(result).transactions?.[1]).toMatchObject({ paidValue: '60', clampedTo: null });
  });

  it('lets a remaining free amount decide over the free-event count', () => {
    expectDecimal(minMax({ freeUnitsPerEvents: 3, freeUnitsPerTotalAggregation: '10000' }).amount, '2.691'); // 90 × 2.99%
  });

  it('charges the min on an event that uses up the free amount exactly, as Lago does', () => {
    expectDecimal(minMax({ freeUnitsPerTotalAggregation: '10' }).amount, '16.142'); // 0 → 1.75 (min) + 2.392 + 12
    expectDecimal(minMax({ freeUnitsPerTotalAggregation: '10.01' }).amount, '14.391701'); // 10 free, then 79.99 × 2.99% + 12
  });

  it('needs per-event values', () => {
    expect(() => percentage(at(1), { rate: '1', perTransactionMaxAmount: '1' })).toThrow(TypeError);
  });
});

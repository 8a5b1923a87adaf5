import type BigNumber from 'bignumber.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { graduated } from '../../../src/billing/chargeModels/graduated.ts';
import { graduatedPercentage } from '../../../src/billing/chargeModels/graduatedPercentage.ts';
import { packageModel } from '../../../src/billing/chargeModels/package.ts';
import { percentage } from '../../../src/billing/chargeModels/percentage.ts';
import { standard } from '../../../src/billing/chargeModels/standard.ts';
import type { ChargeInput, ChargeModel, GraduatedRange } from '../../../src/billing/chargeModels/types.ts';
import { aggregationBeforeEvent, inAdvanceCurrentUsageUnits, inAdvanceUnits, payInAdvanceFee } from '../../../src/billing/payInAdvance.ts';
import type { InAdvanceCache } from '../../../src/billing/payInAdvance.ts';
import { at, d, decimalArb, EUR, expectDecimal, values } from './support.ts';

const ranges: GraduatedRange[] = [
  { fromValue: 0, toValue: 10, perUnitAmount: '10', flatAmount: '2' },
  { fromValue: 11, toValue: null, perUnitAmount: '5', flatAmount: '3' },
];

/** Bills each event of `unitsList` in advance; returns the total units and Σ of the unrounded amounts. */
function payEachInAdvance(model: ChargeModel<never>, properties: unknown, unitsList: readonly BigNumber[]) {
  let total = d(0);
  let sum = d(0);
  unitsList.forEach((units, i) => {
    total = total.plus(units);
    const aggregation: ChargeInput = { units: total, count: d(i + 1) };
    sum = sum.plus(payInAdvanceFee({ model, properties: properties as never, context: EUR, aggregation, eventUnits: units }).amount);
  });
  return { total, sum };
}

describe('pay-in-advance marginal pricing (§2.11)', () => {
  it('bills the first event the first tier’s flat amount', () => {
    const fee = payInAdvanceFee({ model: graduated, properties: { graduatedRanges: ranges }, context: EUR, aggregation: at(1, { count: d(1) }), eventUnits: d(1) });
    expectDecimal(fee.amount, 12);
    expectDecimal(fee.amountCents, 1200);
  });

  it('bills the step an event causes: crossing into tier 2 pays its flat amount', () => {
    const fee = payInAdvanceFee({ model: graduated, properties: { graduatedRanges: ranges }, context: EUR, aggregation: at(12), eventUnits: d(3) });
    expectDecimal(fee.amount, 23); // 115 (12 units) − 92 (9 units)
    expectDecimal(fee.unitAmount, '7.66666666666666666667');
    expectDecimal(fee.unitAmountCents, 766);
  });

  it('bills a package on the event that opens it, nothing inside it', () => {
    const props = { amount: '100', packageSize: 10 };
    expectDecimal(payInAdvanceFee({ model: packageModel, properties: props, context: EUR, aggregation: at(11), eventUnits: d(1) }).amount, 100);
    expectDecimal(payInAdvanceFee({ model: packageModel, properties: props, context: EUR, aggregation: at(12), eventUnits: d(1) }).amount, 0);
  });

  it('rounds each event’s amount at the currency exponent', () => {
    const fee = payInAdvanceFee({ model: standard, properties: { amount: '0.333' }, context: EUR, aggregation: at(3), eventUnits: d(1) });
    expectDecimal(fee.amount, '0.333');
    expectDecimal(fee.amountCents, 33);
    expectDecimal(fee.preciseAmountCents, '33.3');
  });

  it('reports a zero unit amount for an event without units', () => {
    const fee = payInAdvanceFee({ model: percentage, properties: { rate: '0', fixedAmount: '1' }, context: EUR, aggregation: at(5, { count: d(2) }), eventUnits: d(0) });
    expectDecimal(fee.amount, 1);
    expectDecimal(fee.unitAmount, 0);
  });

  it('removes the event from per-event values, count and precise amounts for the "before" side', () => {
    const before = aggregationBeforeEvent({
      model: percentage, properties: { rate: '1' }, context: EUR,
      aggregation: at(90, { count: d(3), perEventValues: values(10, 30, 50), preciseTotalAmountCents: d(900) }),
      eventUnits: d(30), eventIndex: 1, eventPreciseTotalAmountCents: d(300),
    });
    expect(before.perEventValues?.map((v) => v.toFixed())).toEqual(['10', '50']);
    expectDecimal(before.units, 60);
    expectDecimal(before.count ?? d(-1), 2);
    expectDecimal(before.preciseTotalAmountCents ?? d(-1), 600);
    expect(before.excludeEvent).toBe(true);
  });

  it('prices a percentage min/max event without the event itself on the "before" side', () => {
    const props = { rate: '10', perTransactionMinAmount: '1' };
    const fee = payInAdvanceFee({ model: percentage, properties: props, context: EUR, aggregation: at(105, { count: d(2), perEventValues: values(100, 5) }), eventUnits: d(5) });
    expectDecimal(fee.amount, 1); // 5 × 10% = 0.5, raised to the min
  });

  it('Σ marginal amounts over a sequence of events equals the model applied to their total', () => {
    const models: [ChargeModel<never>, unknown][] = [
      [standard as ChargeModel<never>, { amount: '1.2345' }],
      [graduated as ChargeModel<never>, { graduatedRanges: ranges }],
      [packageModel as ChargeModel<never>, { amount: '7', packageSize: 3, freeUnits: 2 }],
      [percentage as ChargeModel<never>, { rate: '2.5', fixedAmount: '0.1' }],
      [graduatedPercentage as ChargeModel<never>, { graduatedPercentageRanges: [{ fromValue: 0, toValue: 10, rate: '1', flatAmount: '5' }, { fromValue: 11, toValue: null, rate: '2', flatAmount: '1' }] }],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...models), fc.array(decimalArb(40).filter((u) => u.isGreaterThan(0)), { minLength: 1, maxLength: 12 }), ([model, props], unitsList) => {
        const { total, sum } = payEachInAdvance(model, props, unitsList);
        expectDecimal(sum, model({ units: total, count: d(unitsList.length) }, props as never, EUR).amount);
      }),
    );
  });
});

describe('sum / unique-count pay-in-advance units (§2.11)', () => {
  const run = (events: number[]) => {
    let cache: InAdvanceCache | null = null;
    return events.map((value) => {
      const step = inAdvanceUnits(cache, d(value));
      cache = step.cache;
      return step.chargedUnits.toFixed();
    });
  };

  it('never re-bills up to the previous maximum in the period', () => {
    expect(run([10, -5, 3, 4])).toEqual(['10', '0', '0', '2']);
  });

  it('does not refund decreases', () => {
    expect(run([5, -5, -5])).toEqual(['5', '0', '0']);
  });

  it('charges nothing for a negative first event but keeps it as the maximum, as Lago does', () => {
    expect(run([-5, 8, 2])).toEqual(['0', '8', '0']);
  });

  it('prices current usage at total − current + max', () => {
    const cache = { current: d(5), max: d(10) };
    expectDecimal(inAdvanceCurrentUsageUnits(d(6), cache), 11);
    expectDecimal(inAdvanceCurrentUsageUnits(d(6), null), 6);
  });

  it('charges in total exactly the highest level reached, for non-negative starts', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.array(fc.integer({ min: -50, max: 50 }), { maxLength: 20 }), (first, rest) => {
        const charged = run([first, ...rest]).reduce((s, c) => s.plus(c), d(0));
        let level = 0;
        let highest = 0;
        for (const v of [first, ...rest]) highest = Math.max(highest, (level += v));
        expectDecimal(charged, highest);
      }),
    );
  });
});

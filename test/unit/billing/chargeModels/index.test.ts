import { describe, expect, it } from 'vitest';
import { chargeModelFor, dynamic, graduated, graduatedPercentage, packageModel, percentage, proratedGraduated, standard, volume } from '../../../../src/billing/chargeModels/index.ts';
import type { ChargeModelName } from '../../../../src/billing/chargeModels/index.ts';
import { at, expectDecimal } from '../support.ts';

describe('charge model factory', () => {
  it.each([
    ['STANDARD', standard],
    ['GRADUATED', graduated],
    ['GRADUATED_PERCENTAGE', graduatedPercentage],
    ['PACKAGE', packageModel],
    ['PERCENTAGE', percentage],
    ['VOLUME', volume],
    ['DYNAMIC', dynamic],
  ] as const)('maps %s to its model', (name, model) => {
    expect(chargeModelFor(name)).toBe(model);
  });

  it('walks events for a prorated graduated charge and keeps the others unchanged when prorated', () => {
    expect(chargeModelFor('GRADUATED', { prorated: true })).toBe(proratedGraduated);
    expect(chargeModelFor('VOLUME', { prorated: true })).toBe(volume);
  });

  it('refuses an unknown model, including inherited property names', () => {
    expect(() => chargeModelFor('CUSTOM' as ChargeModelName)).toThrow(RangeError);
    expect(() => chargeModelFor('toString' as ChargeModelName)).toThrow(RangeError);
  });

  it('returns a callable model typed by its properties', () => {
    expectDecimal(chargeModelFor('STANDARD')(at(2), { amount: '1.5' }, { currency: 'EUR' }).amount, 3);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PackageDetails } from '../../../../src/billing/chargeModels/index.ts';
import { packageModel } from '../../../../src/billing/chargeModels/package.ts';
import { at, d, decimalArb, expectDecimal } from '../support.ts';

const props = { amount: '100', packageSize: 10, freeUnits: 5 };

describe('package charge model (§2.4)', () => {
  it('bills ceil(paid units / package size) packages: a package counts from its first unit', () => {
    expectDecimal(packageModel(at(6), props).amount, 100);
    expectDecimal(packageModel(at(15), props).amount, 100);
    expectDecimal(packageModel(at(16), props).amount, 200);
    expectDecimal(packageModel(at('15.5'), props).amount, 200);
  });

  it('bills nothing while usage stays within the free units, even far below them', () => {
    expectDecimal(packageModel(at(5), props).amount, 0);
    expectDecimal(packageModel(at(2), { ...props, freeUnits: 1000 }).amount, 0);
    expect(packageModel(at(2), { ...props, freeUnits: 1000 }).details).toMatchObject({ paidUnits: '0', packages: '0' });
  });

  it('bills nothing at zero or negative units', () => {
    expectDecimal(packageModel(at(0), props).amount, 0);
    expectDecimal(packageModel(at(-20), { ...props, freeUnits: null }).amount, 0);
  });

  it('divides the unit amount by paid units', () => {
    expectDecimal(packageModel(at(25), props).unitAmount, 10);
    expectDecimal(packageModel(at(3), props).unitAmount, 0);
  });

  it('explains free units, paid units and packages', () => {
    expect(packageModel(at(26), props).details).toEqual({
      model: 'PACKAGE', units: '26', freeUnits: '5', paidUnits: '21', packageSize: '10', packages: '3', perPackageAmount: '100', total: '300',
    });
  });

  it('counts packages exactly for 10^15 units', () => {
    expectDecimal(packageModel(at('1000000000000001'), { amount: '0.000000000000001', packageSize: '1000000000000000' }).amount, '0.000000000000002');
  });

  it('refuses a package size that is not positive', () => {
    expect(() => packageModel(at(1), { amount: '1', packageSize: 0 })).toThrow(RangeError);
  });

  it('package count equals ceil(paid / size)', () => {
    fc.assert(
      fc.property(decimalArb(), decimalArb(1000).filter((s) => s.isGreaterThan(0)), decimalArb(100), (units, size, free) => {
        const details = packageModel(at(units), { amount: '1', packageSize: size, freeUnits: free }).details as PackageDetails;
        const packages = d(details.packages);
        const paid = units.minus(free);
        if (!paid.isGreaterThan(0)) return expectDecimal(packages, 0);
        expect(packages.isInteger()).toBe(true);
        expect(packages.times(size).isGreaterThanOrEqualTo(paid)).toBe(true);
        expect(packages.minus(1).times(size).isLessThan(paid)).toBe(true);
      }),
    );
  });
});

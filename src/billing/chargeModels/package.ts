import BigNumber from 'bignumber.js';
import { formatDecimal, parseDecimal, parseOptionalDecimal } from '../money.ts';
import { perUnit } from './ranges.ts';
import type { ChargeInput, ChargeResult, PackageProperties } from './types.ts';

/** Packages needed for `paidUnits`: ceil(paid / size), computed exactly (no rounded quotient). */
export function packageCount(paidUnits: BigNumber, packageSize: BigNumber): BigNumber {
  if (!paidUnits.isGreaterThan(0)) return new BigNumber(0);
  const whole = paidUnits.idiv(packageSize);
  // NOTE: a package counts from its first unit, hence the ceiling: 101 units by 100 are 2 packages.
  return paidUnits.mod(packageSize).isZero() ? whole : whole.plus(1);
}

/**
 * Package (§2.4): `paid = units − freeUnits`; no charge when negative; `amount = ceil(paid / packageSize) ×
 * amount`; `unitAmount = amount / paid`. Throws a `RangeError` when `packageSize` is not positive.
 */
export function packageModel(input: ChargeInput, properties: PackageProperties): ChargeResult {
  const price = parseDecimal(properties.amount, 'amount');
  const size = parseDecimal(properties.packageSize, 'packageSize');
  if (!size.isGreaterThan(0)) throw new RangeError(`packageSize must be positive, got ${formatDecimal(size)}`);
  const freeUnits = parseOptionalDecimal(properties.freeUnits, 'freeUnits');
  const paidUnits = BigNumber.max(input.units.minus(freeUnits), 0);
  const packages = packageCount(paidUnits, size);
  const amount = packages.times(price);
  return {
    amount,
    unitAmount: perUnit(amount, paidUnits),
    units: input.units,
    fullUnits: input.fullUnits,
    details: {
      model: 'PACKAGE',
      units: formatDecimal(input.units),
      freeUnits: formatDecimal(freeUnits),
      paidUnits: formatDecimal(paidUnits),
      packageSize: formatDecimal(size),
      packages: formatDecimal(packages),
      perPackageAmount: formatDecimal(price),
      total: formatDecimal(amount),
    },
  };
}

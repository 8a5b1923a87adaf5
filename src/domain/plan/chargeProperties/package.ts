import { z } from 'zod';
import { amount, pricingGroupKeys, quantity } from './values.ts';

/** PACKAGE (§2.4): `amount` per started package of `packageSize` (> 0) units, after `freeUnits`. */
export const packageProperties = z.strictObject({
  amount,
  packageSize: quantity({ positive: true }),
  freeUnits: quantity().nullish(),
  pricingGroupKeys,
});

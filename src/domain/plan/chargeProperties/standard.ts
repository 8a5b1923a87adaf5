import { z } from 'zod';
import { amount, pricingGroupKeys } from './values.ts';

/** STANDARD (§2.1): a price per unit. */
export const standardProperties = z.strictObject({ amount, pricingGroupKeys });

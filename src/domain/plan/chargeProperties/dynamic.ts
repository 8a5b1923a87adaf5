import { z } from 'zod';
import { pricingGroupKeys } from './values.ts';

/** DYNAMIC (§2.7): each event carries its price; only pricing groups are configurable. */
export const dynamicProperties = z.strictObject({ pricingGroupKeys });

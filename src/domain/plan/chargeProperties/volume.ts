import { z } from 'zod';
import { rangesOf } from './ranges.ts';
import { amount, pricingGroupKeys } from './values.ts';

/** VOLUME (§2.6): the one tier the total falls in prices every unit. */
export const volumeProperties = z.strictObject({ volumeRanges: rangesOf({ perUnitAmount: amount }, 'ONE_CONVENTION'), pricingGroupKeys });

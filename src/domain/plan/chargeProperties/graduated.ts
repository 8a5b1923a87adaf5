import { z } from 'zod';
import { rangesOf } from './ranges.ts';
import { amount, pricingGroupKeys } from './values.ts';

/** GRADUATED (§2.2): each tier entered bills its units at its per-unit amount, plus its flat amount. */
export const graduatedProperties = z.strictObject({ graduatedRanges: rangesOf({ perUnitAmount: amount }, 'GRADUATED'), pricingGroupKeys });

import { z } from 'zod';
import { rangesOf } from './ranges.ts';
import { pricingGroupKeys, rate } from './values.ts';

/** GRADUATED_PERCENTAGE (§2.3): tiers of a percent rate plus flat amounts. No premium gate here. */
export const graduatedPercentageProperties = z.strictObject({ graduatedPercentageRanges: rangesOf({ rate }, 'GRADUATED'), pricingGroupKeys });

import type { Projection } from './projection.ts';
import { billableMetricsProjection } from './billableMetrics.ts';
import { customersProjection } from './customers.ts';
import { taxesProjection } from './taxes.ts';

/** Read models of the catalog and customers (issue 3), registered together in `index.ts`. */
export const catalogProjections: Projection[] = [billableMetricsProjection, taxesProjection, customersProjection];

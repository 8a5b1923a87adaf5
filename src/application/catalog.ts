import type { AppDeps } from './context.ts';
import { createBillableMetricService } from './billableMetrics.ts';
import { createCustomerService } from './customers.ts';
import { createOrganizationSettingsService } from './organizationSettings.ts';
import { createTaxService } from './taxes.ts';

/** Services of the catalog and customers (issue 3), spread into the app in `app.ts`. */
export function createCatalogServices(deps: AppDeps) {
  return {
    billableMetrics: createBillableMetricService(deps),
    taxes: createTaxService(deps),
    customers: createCustomerService(deps),
    organizationSettings: createOrganizationSettingsService(deps),
  };
}

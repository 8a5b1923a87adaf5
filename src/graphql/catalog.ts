// The catalog and customers (issue 3): billable metrics, taxes, customers, organization billing defaults.
import './billableMetrics.ts';
import './customers.ts';
import './organizationSettings.ts';
import './taxes.ts';

import { ALL_FILTER_VALUES } from '../../billing/chargeFilters.ts';
import { ValidationError } from '../shared/errors.ts';
import { LIST_LIMITS, tooMany } from '../shared/limits.ts';
import { validateChargeProperties } from './chargeProperties/index.ts';
import { listOf, optionalText } from './fields.ts';
import type { ChargeFilterInput, ChargeModelName, MetricRef, PlanChargeFilter } from './types.ts';

const fail = (field: string, message: string): never => {
  throw new ValidationError(`${field}: ${message}`, field);
};

/** Linear: the declared values are looked up in a set, never scanned per value. */
function valueListOf(values: unknown, declared: readonly string[] | null, field: string): string[] {
  if (!Array.isArray(values) || values.length === 0) return fail(field, 'must be a non-empty list of values');
  if (values.length > LIST_LIMITS.filterValues) throw new ValidationError(tooMany(field, LIST_LIMITS.filterValues, 'values'), field);
  const known = declared ? new Set(declared) : null;
  values.forEach((value: unknown, i) => {
    if (typeof value !== 'string') fail(`${field}.${i}`, 'must be a string');
    if (value === ALL_FILTER_VALUES && values.length > 1) fail(`${field}.${i}`, `${ALL_FILTER_VALUES} must be the only value`);
    if (value !== ALL_FILTER_VALUES && known && !known.has(value as string)) {
      const shown = declared!.length > 20 ? `${declared!.slice(0, 20).join(', ')}, …` : declared!.join(', ');
      fail(`${field}.${i}`, `"${String(value)}" is not a value the metric declares (${shown})`);
    }
  });
  return [...new Set(values as string[])];
}

/**
 * A filter's `values`: `{key: [values]}` or `{key: ['__ALL_FILTER_VALUES__']}`, keys and values declared by the
 * metric's filters (§1.4). With no metric at hand (`null`) only the shape is checked.
 */
export function filterValuesOf(values: unknown, metric: MetricRef | null, field: string): Record<string, string[]> {
  if (typeof values !== 'object' || values === null || Array.isArray(values)) return fail(field, 'must be an object {key: [values]}');
  const entries = Object.entries(values);
  if (entries.length === 0) return fail(field, 'must name at least one filter key');
  if (entries.length > LIST_LIMITS.filterKeys) throw new ValidationError(tooMany(field, LIST_LIMITS.filterKeys, 'filter keys'), field);
  const byKey = new Map(metric ? metric.filters.map((filter) => [filter.key, filter]) : []);
  const result: Record<string, string[]> = {};
  for (const [key, list] of entries) {
    const declared = byKey.get(key);
    if (metric && !declared) fail(`${field}.${key}`, `the billable metric "${metric.code}" declares no filter "${key}"`);
    result[key] = valueListOf(list, declared ? declared.values : null, `${field}.${key}`);
  }
  return result;
}

/** A charge's filters, each priced with its own properties of the charge's model. */
export function chargeFiltersOf(
  inputs: readonly ChargeFilterInput[] | null | undefined,
  model: ChargeModelName,
  metric: MetricRef | null,
  field: string,
): PlanChargeFilter[] {
  return listOf(inputs, field, { max: LIST_LIMITS.chargeFilters, what: 'filters' }).map((input, j) => {
    const at = `${field}.${j}`;
    if (typeof input !== 'object' || input === null) return fail(at, 'must be an object');
    return {
      invoiceDisplayName: optionalText(input.invoiceDisplayName, `${at}.invoiceDisplayName`),
      values: filterValuesOf(input.values, metric, `${at}.values`),
      properties: validateChargeProperties(model, input.properties, `${at}.properties`),
    };
  });
}

import { ValidationError } from '../shared/errors.ts';
import { LIST_LIMITS, tooMany } from '../shared/limits.ts';
import { AGGREGATION_TYPES, ROUNDING_FUNCTIONS } from './events.ts';
import type { AggregationType, BillableMetricDefinition, BillableMetricFilter, MetricRoundingFunction, WeightedInterval } from './events.ts';

/** What a command may say about a definition: `undefined` = not said (keep / default), `null` = clear. */
export type BillableMetricFields = {
  name?: string | null;
  description?: string | null;
  aggregationType?: AggregationType | null;
  fieldName?: string | null;
  recurring?: boolean | null;
  weightedInterval?: WeightedInterval | null;
  roundingFunction?: MetricRoundingFunction | null;
  roundingPrecision?: number | null;
  filters?: BillableMetricFilter[] | null;
};

/** Lago: `recurring` is refused for count, max and latest (`validate_recurring`). */
const RECURRING_ALLOWED: readonly AggregationType[] = ['SUM', 'UNIQUE_COUNT', 'WEIGHTED_SUM'];
/** The charge-filter sentinel for "every declared value": a metric cannot declare it as a value. */
const ALL_FILTER_VALUES = '__ALL_FILTER_VALUES__';
/** Beyond this the rounding shifts exceed any real unit (and bignumber's exponent range): refused. */
export const MAX_ROUNDING_PRECISION = 20;

const blankToNull = (value: string | null | undefined): string | null => {
  const trimmed = value?.trim() ?? '';
  return trimmed === '' ? null : trimmed;
};
const pick = <T>(said: T | undefined, kept: T): T => (said === undefined ? kept : said);

/**
 * The definition a create (over defaults) or an update (over the current one) leads to, validated. Settings that
 * only make sense with another one (`weightedInterval`) follow it when not said explicitly.
 */
export function resolveDefinition(current: BillableMetricDefinition | null, said: BillableMetricFields): BillableMetricDefinition {
  const name = blankToNull(pick(said.name, current?.name ?? null));
  if (name === null) throw new ValidationError('name: must not be empty', 'name');
  const aggregationType = pick(said.aggregationType, current?.aggregationType ?? null);
  if (aggregationType === null || !AGGREGATION_TYPES.includes(aggregationType)) {
    throw new ValidationError(`aggregationType: must be one of ${AGGREGATION_TYPES.join(', ')}`, 'aggregationType');
  }
  return {
    name,
    description: blankToNull(pick(said.description, current?.description ?? null)),
    aggregationType,
    fieldName: resolveFieldName(aggregationType, blankToNull(pick(said.fieldName, current?.fieldName ?? null))),
    recurring: resolveRecurring(aggregationType, pick(said.recurring, current?.recurring ?? false) ?? false),
    weightedInterval: resolveWeightedInterval(aggregationType, said.weightedInterval, current?.weightedInterval ?? null),
    ...resolveRounding(said, current),
    filters: resolveFilters(pick(said.filters, current?.filters ?? []) ?? []),
  };
}

function resolveFieldName(aggregationType: AggregationType, fieldName: string | null): string | null {
  // NOTE: Lago silently resets field_name for count_agg (`reset_field_name_for_count_agg`) rather than refusing it.
  if (aggregationType === 'COUNT') return null;
  if (fieldName === null) throw new ValidationError(`fieldName: required for ${aggregationType}`, 'fieldName');
  return fieldName;
}

function resolveRecurring(aggregationType: AggregationType, recurring: boolean): boolean {
  if (recurring && !RECURRING_ALLOWED.includes(aggregationType)) {
    throw new ValidationError(`recurring: not compatible with ${aggregationType} (only ${RECURRING_ALLOWED.join(', ')})`, 'recurring');
  }
  return recurring;
}

function resolveWeightedInterval(
  aggregationType: AggregationType,
  said: WeightedInterval | null | undefined,
  kept: WeightedInterval | null,
): WeightedInterval | null {
  if (aggregationType === 'WEIGHTED_SUM') {
    const interval = said ?? kept ?? 'SECONDS';
    if (interval !== 'SECONDS') throw new ValidationError('weightedInterval: must be SECONDS', 'weightedInterval');
    return interval;
  }
  if (said !== undefined && said !== null) throw new ValidationError('weightedInterval: only for WEIGHTED_SUM', 'weightedInterval');
  return null;
}

/**
 * Lago stores `rounding_function` and `rounding_precision` independently (`BillableMetrics::UpdateService` sets
 * each one only when given): a precision without a function is kept and ignored by the rounding (§1.3), and
 * clearing the function keeps the precision.
 */
function resolveRounding(said: BillableMetricFields, current: BillableMetricDefinition | null) {
  const roundingFunction = pick(said.roundingFunction, current?.roundingFunction ?? null);
  if (roundingFunction !== null && !ROUNDING_FUNCTIONS.includes(roundingFunction)) {
    throw new ValidationError(`roundingFunction: must be one of ${ROUNDING_FUNCTIONS.join(', ')}`, 'roundingFunction');
  }
  const roundingPrecision = pick(said.roundingPrecision, current?.roundingPrecision ?? null);
  if (roundingPrecision !== null && (!Number.isInteger(roundingPrecision) || Math.abs(roundingPrecision) > MAX_ROUNDING_PRECISION)) {
    throw new ValidationError(`roundingPrecision: must be an integer between -${MAX_ROUNDING_PRECISION} and ${MAX_ROUNDING_PRECISION}`, 'roundingPrecision');
  }
  return { roundingFunction, roundingPrecision };
}

/**
 * At most `LIST_LIMITS.filterKeys` keys, unique and non-blank, each with a non-empty list of at most
 * `LIST_LIMITS.filterValues` distinct non-blank strings; sorted by key like Lago. Linear: duplicates are found
 * with one set lookup per key or value.
 */
function resolveFilters(filters: BillableMetricFilter[]): BillableMetricFilter[] {
  if (filters.length > LIST_LIMITS.filterKeys) throw new ValidationError(tooMany('filters', LIST_LIMITS.filterKeys, 'filter keys'), 'filters');
  const keys = new Set<string>();
  const resolved = filters.map((filter, i) => {
    const key = filter.key.trim();
    if (key === '') throw new ValidationError(`filters.${i}.key: must not be empty`, `filters.${i}.key`);
    if (keys.has(key)) throw new ValidationError(`filters.${i}.key: "${key}" is declared twice`, `filters.${i}.key`);
    keys.add(key);
    if (filter.values.length === 0) throw new ValidationError(`filters.${i}.values: must not be empty`, `filters.${i}.values`);
    if (filter.values.length > LIST_LIMITS.filterValues) {
      throw new ValidationError(tooMany(`filters.${i}.values`, LIST_LIMITS.filterValues, 'values'), `filters.${i}.values`);
    }
    const seen = new Set<string>();
    const values = filter.values.map((value, j) => {
      const field = `filters.${i}.values.${j}`;
      if (value.trim() === '' || value === ALL_FILTER_VALUES) throw new ValidationError(`${field}: "${value}" is not a filter value`, field);
      if (seen.has(value)) throw new ValidationError(`${field}: listed twice`, field);
      seen.add(value);
      return value;
    });
    return { key, values };
  });
  return resolved.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

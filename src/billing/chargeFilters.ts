/** The filter value meaning "every value the metric declares for this key". */
export const ALL_FILTER_VALUES = '__ALL_FILTER_VALUES__';

/** A filter a billable metric declares: a property key and its allowed values. */
export interface MetricFilter {
  readonly key: string;
  readonly values: readonly string[];
}

/** A charge filter: key → accepted values (or `[ALL_FILTER_VALUES]`), with its own charge-model properties. */
export interface ChargeFilter<P = unknown> {
  readonly values: Readonly<Record<string, readonly string[]>>;
  readonly properties: P;
}

/** An event's `properties`. */
export type EventProperties = Readonly<Record<string, unknown>>;

type Pattern = ReadonlyMap<string, ReadonlySet<string>>;

interface CompiledFilter {
  readonly keyCount: number;
  readonly matching: Pattern;
  readonly ignored: readonly Pattern[];
}

/** Decides, per event, which filter bucket of one charge counts it. Build once per charge. */
export interface FilterMatcher {
  /** Index of the counting filter in the charge's filters, or `null` for the default bucket. */
  bucketOf(properties: EventProperties): number | null;
}

/**
 * An event property as Lago compares it (`properties->>key`, text): strings as is, numbers and booleans
 * printed, objects as JSON, missing or null → `null`.
 */
export function propertyText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

function matches(pattern: Pattern, properties: EventProperties): boolean {
  for (const [key, values] of pattern) {
    const text = propertyText(properties[key]);
    if (text === null || !values.has(text)) return false;
  }
  return true;
}

function expand(filter: ChargeFilter, metricValues: ReadonlyMap<string, readonly string[]>): Map<string, Set<string>> {
  const expanded = new Map<string, Set<string>>();
  for (const [key, values] of Object.entries(filter.values)) {
    const isAll = values.length === 1 && values[0] === ALL_FILTER_VALUES;
    // NOTE: "all values" means the values the metric declares, not any value: others match no filter.
    expanded.set(key, new Set(isAll ? (metricValues.get(key) ?? []) : values));
  }
  return expanded;
}

function isAllKey(filter: ChargeFilter, key: string): boolean {
  const values = filter.values[key];
  return values !== undefined && values.length === 1 && values[0] === ALL_FILTER_VALUES;
}

const sameKeys = (a: Pattern, b: Pattern) => a.size === b.size && [...a.keys()].every((k) => b.has(k));
const isSubset = (a: ReadonlySet<string>, b: ReadonlySet<string> | undefined) => [...a].every((v) => b?.has(v) === true);
const without = (a: ReadonlySet<string>, b: ReadonlySet<string> | undefined) => new Set([...a].filter((v) => b?.has(v) !== true));

/** A child shares, for every key of `own`, at least one value: it may hold some of `own`'s events. */
function isChild(own: Pattern, other: Pattern): boolean {
  return [...own].every(([key, values]) => [...values].some((v) => other.get(key)?.has(v) === true));
}

/** The events of `child` that filter `index` must leave to it, or `null` when it must keep them. */
function ignoredPattern(index: number, childIndex: number, filter: ChargeFilter, own: Pattern, child: Pattern): Pattern | null {
  if (!sameKeys(child, own)) return child;
  const entries = [...child];
  const identical = entries.every(([k, v]) => isSubset(v, own.get(k)) && isSubset(own.get(k) ?? new Set(), v));
  if (identical) return childIndex < index ? child : null;
  if (entries.every(([k, v]) => isSubset(v, own.get(k)))) return child;
  return new Map(entries.map(([k, v]) => [k, isAllKey(filter, k) ? v : without(v, own.get(k))]));
}

/**
 * What filter `index` must not count because a child counts it (Lago's `MatchingAndIgnoredService`): a more
 * specific child whole; an identical child only if declared earlier (the first declared counts); a child
 * with the same keys but other values, minus this filter's values (keys where this filter is ALL kept whole).
 */
function ignoredBy(index: number, filters: readonly ChargeFilter[], expanded: readonly Pattern[]): Pattern[] {
  const own = expanded[index];
  const filter = filters[index];
  if (own === undefined || filter === undefined) return [];
  return expanded.flatMap((child, i) => {
    if (i === index || !isChild(own, child)) return [];
    const pattern = ignoredPattern(index, i, filter, own, child);
    return pattern === null ? [] : [pattern];
  });
}

/**
 * Compiles a charge's filters (§1.4) against the metric's declared filters into a per-event matcher. An event
 * belongs to the most specific filter whose values it matches on every key; of identical filters, the first
 * declared counts; an event matching no filter goes to the default bucket, priced with the charge's own
 * properties. NOTE: where Lago counts one event in two overlapping filters that are not nested (e.g.
 * `{region: [eu]}` and `{tier: [gold]}`), we count it once, in the filter with more keys, then the first declared.
 */
export function compileFilterMatcher(filters: readonly ChargeFilter[], metricFilters: readonly MetricFilter[]): FilterMatcher {
  const metricValues = new Map(metricFilters.map((f) => [f.key, f.values] as const));
  const expanded = filters.map((f) => expand(f, metricValues));
  const compiled: CompiledFilter[] = expanded.map((matching, i) => ({ keyCount: matching.size, matching, ignored: ignoredBy(i, filters, expanded) }));
  return {
    bucketOf(properties) {
      let best: CompiledFilter | null = null;
      let bestIndex: number | null = null;
      for (const [i, filter] of compiled.entries()) {
        if (!matches(filter.matching, properties) || filter.ignored.some((p) => matches(p, properties))) continue;
        if (best === null || filter.keyCount > best.keyCount) [best, bestIndex] = [filter, i];
      }
      return bestIndex;
    },
  };
}

/** The properties that price a bucket: the filter's own, or the charge's for the default bucket. */
export function bucketProperties<P>(chargeProperties: P, filters: readonly ChargeFilter<P>[], bucket: number | null): P {
  if (bucket === null) return chargeProperties;
  const filter = filters[bucket];
  if (filter === undefined) throw new RangeError(`no charge filter at index ${bucket}`);
  return filter.properties;
}

/** One pricing group: the values of the `pricingGroupKeys` on an event, and a stable key for them. */
export interface PricingGroup {
  /** JSON of the values in key order; equal for events that are priced together. */
  readonly key: string;
  readonly groupedBy: Readonly<Record<string, string | null>>;
}

/**
 * The pricing group of an event (Lago's `pricing_group_keys` / `grouped_by`): the charge model is applied
 * separately to each distinct combination of these property values; a missing property groups as `null`.
 * No keys → one group, key `"[]"`.
 */
export function pricingGroupOf(pricingGroupKeys: readonly string[] | null | undefined, properties: EventProperties): PricingGroup {
  const keys = pricingGroupKeys ?? [];
  const values = keys.map((k) => propertyText(properties[k]));
  return { key: JSON.stringify(values), groupedBy: Object.fromEntries(keys.map((k, i) => [k, values[i] ?? null])) };
}

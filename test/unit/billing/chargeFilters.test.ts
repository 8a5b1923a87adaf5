import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALL_FILTER_VALUES, bucketProperties, compileFilterMatcher, pricingGroupOf, propertyText } from '../../../src/billing/chargeFilters.ts';
import type { ChargeFilter, MetricFilter } from '../../../src/billing/chargeFilters.ts';
import { standard } from '../../../src/billing/chargeModels/standard.ts';
import { d, expectDecimal } from './support.ts';

const metric: MetricFilter[] = [
  { key: 'region', values: ['eu', 'us', 'asia'] },
  { key: 'tier', values: ['gold', 'silver'] },
];
const filter = (values: Record<string, string[]>): ChargeFilter => ({ values, properties: {} });
const bucketOf = (filters: ChargeFilter[], properties: Record<string, unknown>) => compileFilterMatcher(filters, metric).bucketOf(properties);

describe('charge filters (§1.4)', () => {
  it('puts an event matching every key of a filter in that filter, others in the default bucket', () => {
    const filters = [filter({ region: ['eu'] })];
    expect(bucketOf(filters, { region: 'eu', tier: 'gold' })).toBe(0);
    expect(bucketOf(filters, { region: 'us' })).toBeNull();
    expect(bucketOf(filters, {})).toBeNull();
  });

  it('counts an event in the most specific filter: more keys win', () => {
    const filters = [filter({ region: ['eu'] }), filter({ region: ['eu', 'us'], tier: ['gold'] })];
    expect(bucketOf(filters, { region: 'eu', tier: 'gold' })).toBe(1);
    expect(bucketOf(filters, { region: 'eu', tier: 'silver' })).toBe(0);
    expect(bucketOf(filters, { region: 'us', tier: 'silver' })).toBeNull();
  });

  it('counts an event in the most specific filter: fewer values on the same key win, whatever the order', () => {
    expect(bucketOf([filter({ region: ['eu', 'us'] }), filter({ region: ['eu'] })], { region: 'eu' })).toBe(1);
    expect(bucketOf([filter({ region: ['eu'] }), filter({ region: ['eu', 'us'] })], { region: 'eu' })).toBe(0);
    expect(bucketOf([filter({ region: ['eu'] }), filter({ region: ['eu', 'us'] })], { region: 'us' })).toBe(1);
  });

  it('lets the first declared of identical filters count the event', () => {
    expect(bucketOf([filter({ region: ['us', 'eu'] }), filter({ region: ['eu', 'us'] })], { region: 'eu' })).toBe(0);
  });

  it('expands "all values" to the values the metric declares, and no others', () => {
    const filters = [filter({ region: [ALL_FILTER_VALUES] })];
    expect(bucketOf(filters, { region: 'asia' })).toBe(0);
    expect(bucketOf(filters, { region: 'mars' })).toBeNull();
    expect(bucketOf([filter({ region: [ALL_FILTER_VALUES] }), filter({ region: ['eu'] })], { region: 'eu' })).toBe(1);
  });

  it('resolves overlapping filters that are not nested to one bucket: more keys, then first declared', () => {
    expect(bucketOf([filter({ region: ['eu'] }), filter({ tier: ['gold'] })], { region: 'eu', tier: 'gold' })).toBe(0);
    expect(bucketOf([filter({ region: ['eu', 'us'] }), filter({ region: ['us', 'asia'] })], { region: 'us' })).toBe(0);
    expect(bucketOf([filter({ tier: ['gold'] }), filter({ region: ['eu'], tier: [ALL_FILTER_VALUES] })], { region: 'eu', tier: 'gold' })).toBe(1);
  });

  it('compares numbers and booleans as their text, like Lago’s properties->>key', () => {
    const filters = compileFilterMatcher([filter({ size: ['1', 'true'] })], [{ key: 'size', values: ['1', 'true'] }]);
    expect(filters.bucketOf({ size: 1 })).toBe(0);
    expect(filters.bucketOf({ size: true })).toBe(0);
    expect(filters.bucketOf({ size: null })).toBeNull();
    expect(propertyText({ a: 1 })).toBe('{"a":1}');
  });

  it('prices a bucket with its filter’s properties and the default bucket with the charge’s', () => {
    const filters: ChargeFilter<{ amount: string }>[] = [{ values: { region: ['eu'] }, properties: { amount: '2' } }];
    expect(bucketProperties({ amount: '1' }, filters, 0)).toEqual({ amount: '2' });
    expect(bucketProperties({ amount: '1' }, filters, null)).toEqual({ amount: '1' });
    expect(() => bucketProperties({ amount: '1' }, filters, 3)).toThrow(RangeError);
  });

  const valuesArb = (all: string[]) => fc.oneof(fc.subarray(all, { minLength: 1 }), fc.constant([ALL_FILTER_VALUES]));
  const filterArb = fc.record({ region: fc.option(valuesArb(['eu', 'us', 'asia']), { nil: undefined }), tier: fc.option(valuesArb(['gold', 'silver']), { nil: undefined }) })
    .filter((f) => f.region !== undefined || f.tier !== undefined)
    .map((f) => filter(Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)) as Record<string, string[]>));
  const eventArb = fc.record({ region: fc.constantFrom('eu', 'us', 'asia', 'mars', undefined), tier: fc.constantFrom('gold', 'silver', undefined), value: fc.integer({ min: 0, max: 1000 }) });

  const matchesFilter = (f: ChargeFilter, event: Record<string, unknown>) =>
    Object.entries(f.values).every(([k, vs]) => {
      const allowed = vs[0] === ALL_FILTER_VALUES ? (metric.find((m) => m.key === k)?.values ?? []) : vs;
      return allowed.includes(String(event[k]));
    });

  it('places each event in a bucket whose values it matches, or the default bucket when it matches none', () => {
    fc.assert(
      fc.property(fc.array(filterArb, { maxLength: 5 }), fc.array(eventArb, { maxLength: 30 }), (filters, events) => {
        const matcher = compileFilterMatcher(filters, metric);
        for (const event of events) {
          const bucket = matcher.bucketOf(event);
          const chosen = bucket === null ? undefined : filters[bucket];
          if (chosen === undefined) expect(filters.some((f) => matchesFilter(f, event))).toBe(false);
          else expect(matchesFilter(chosen, event)).toBe(true);
        }
      }),
    );
  });

  it('bucket amounts over filters sum to the charge’s fee when every bucket has the same price', () => {
    fc.assert(
      fc.property(fc.array(filterArb, { maxLength: 5 }), fc.array(eventArb, { maxLength: 30 }), (filters, events) => {
        const matcher = compileFilterMatcher(filters, metric);
        const unitsByBucket = new Map<number | null, number>();
        for (const e of events) unitsByBucket.set(matcher.bucketOf(e), (unitsByBucket.get(matcher.bucketOf(e)) ?? 0) + e.value);
        const bucketTotal = [...unitsByBucket.values()].reduce((sum, units) => sum.plus(standard({ units: d(units) }, { amount: '0.37' }).amount), d(0));
        const charge = standard({ units: d(events.reduce((s, e) => s + e.value, 0)) }, { amount: '0.37' }).amount;
        expectDecimal(bucketTotal, charge);
      }),
    );
  });
});

describe('pricing groups', () => {
  it('groups events by the values of the pricing group keys, missing values as null', () => {
    expect(pricingGroupOf(['region', 'plan'], { region: 'eu', plan: 3 })).toEqual({ key: '["eu","3"]', groupedBy: { region: 'eu', plan: '3' } });
    expect(pricingGroupOf(['region', 'plan'], { region: 'eu' })).toEqual({ key: '["eu",null]', groupedBy: { region: 'eu', plan: null } });
  });

  it('puts every event in one group without keys', () => {
    expect(pricingGroupOf(null, { region: 'eu' }).key).toBe(pricingGroupOf([], { region: 'us' }).key);
  });

  it('keeps values that contain separators apart', () => {
    expect(pricingGroupOf(['a', 'b'], { a: 'x","y', b: 'z' }).key).not.toBe(pricingGroupOf(['a', 'b'], { a: 'x', b: 'y","z' }).key);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { meterContext, type MeterMetric, type MeterSubscription } from '../../../../src/billing/usage/context.ts';
import { emptyUsageDocument, foldUsageEvents, locate } from '../../../../src/billing/usage/meter.ts';
import { priceCharge, priceCustomerUsage, type PricingMetric, type UsageWindow } from '../../../../src/billing/usage/price.ts';
import type { IngestedUsageEvent, UsageDocument } from '../../../../src/billing/usage/types.ts';
import type { ChargeProperties, PlanCharge, PlanChargeFilter } from '../../../../src/domain/plan/types.ts';
import { expectDecimal } from '../support.ts';

const JAN: UsageWindow = { from: '2024-01-01T00:00:00.000Z', to: '2024-01-31T23:59:59.999Z', durationDays: 31 };
const FEB: UsageWindow = { from: '2024-02-01T00:00:00.000Z', to: '2024-02-29T23:59:59.999Z', durationDays: 29 };
const SUB: MeterSubscription = {
  _id: 'sub-1', organizationId: 'org-1', externalId: 'ext-1', status: 'ACTIVE', billingTime: 'CALENDAR',
  subscriptionAt: JAN.from, startedAt: JAN.from, terminatedAt: null,
};

type Metric = MeterMetric & PricingMetric;
const metric = (aggregationType: string, extra: Partial<Metric> = {}): Metric => ({
  _id: 'bm-1', name: 'Metric', code: 'm', aggregationType, fieldName: aggregationType === 'COUNT' ? null : 'value',
  recurring: false, filters: [], roundingFunction: null, roundingPrecision: null, ...extra,
});

const charge = (chargeModel: PlanCharge['chargeModel'], properties: object, extra: Partial<PlanCharge> = {}): PlanCharge => ({
  id: 'ch-1', billableMetricId: 'bm-1', billableMetricCode: 'm', chargeModel, properties: properties as ChargeProperties, filters: [],
  payInAdvance: false, prorated: false, invoiceable: true, minAmountCents: '0', taxCodes: [], invoiceDisplayName: null, ...extra,
});
const filter = (values: Record<string, string[]>, properties: object, invoiceDisplayName: string | null = null): PlanChargeFilter =>
  ({ values, properties: properties as ChargeProperties, invoiceDisplayName });

let sequence = 0;
/** A usage event; `value` goes to properties.value unless undefined. */
const ev = (timestamp: string, value?: string | number, properties: Record<string, unknown> = {}, cents: string | null = null): IngestedUsageEvent => ({
  organizationId: 'org-1', transactionId: `tx-${String((sequence += 1)).padStart(5, '0')}`, externalSubscriptionId: 'ext-1', code: 'm',
  timestamp, properties: value === undefined ? properties : { value, ...properties }, preciseTotalAmountCents: cents, ingestedAt: timestamp,
});

/** What the usage projection stores: events folded per document (in `batches`), through a JSON round trip. */
function meter(charges: PlanCharge[], m: Metric, batches: IngestedUsageEvent[][], sub = SUB): UsageDocument[] {
  const ctx = meterContext(sub, { interval: 'MONTHLY', payInAdvance: false, billChargesMonthly: null, charges }, m, 'UTC')!;
  const docs = new Map<string, UsageDocument>();
  for (const batch of batches) {
    const byDoc = new Map<string, IngestedUsageEvent[]>();
    for (const event of batch) {
      const location = locate(ctx, event.timestamp);
      if (location === null) continue;
      if (!docs.has(location.id)) docs.set(location.id, emptyUsageDocument(ctx, location));
      byDoc.set(location.id, [...(byDoc.get(location.id) ?? []), event]);
    }
    for (const [id, events] of byDoc) docs.set(id, JSON.parse(JSON.stringify(foldUsageEvents(docs.get(id)!, ctx, events, 1n))) as UsageDocument);
  }
  return [...docs.values()];
}

function price(c: PlanCharge, m: Metric, events: IngestedUsageEvent[] | IngestedUsageEvent[][], window = JAN, sub = SUB) {
  const batches = Array.isArray(events[0]) ? (events as IngestedUsageEvent[][]) : [events as IngestedUsageEvent[]];
  const docs = meter([c], m, batches, sub);
  const document = docs.find((d) => !d.history && d.from === window.from);
  const earlier = docs.filter((d) => d.history || Date.parse(d.from) < Date.parse(window.from));
  return priceCharge({ charge: c, metric: m, document, earlier, currency: 'EUR', window });
}

describe('priceCharge: aggregations (§1.2)', () => {
  it('COUNT counts the period’s events, whatever their values, and nothing outside it', () => {
    const usage = price(charge('STANDARD', { amount: '0.5' }), metric('COUNT'), [ev('2024-01-02T00:00:00Z'), ev('2024-01-10T00:00:00Z', 'x'), ev('2024-01-31T23:59:59.999Z'), ev('2024-02-01T00:00:00Z')]);
    expect(usage).toMatchObject({ eventsCount: 3, amountCurrency: 'EUR', filters: [], groupedUsage: [] });
    expectDecimal(usage.units, 3);
    expectDecimal(usage.amountCents, 150); // 3 × 0.50 EUR
  });

  it('SUM adds numeric values and drops the others, GRADUATED with "+1" integer tiers', () => {
    const ranges = [
      { fromValue: 0, toValue: 10, perUnitAmount: '1', flatAmount: '2' },
      { fromValue: 11, toValue: 20, perUnitAmount: '0.5', flatAmount: '3' },
      { fromValue: 21, toValue: null, perUnitAmount: '0.1', flatAmount: '0' },
    ];
    const usage = price(charge('GRADUATED', { graduatedRanges: ranges }), metric('SUM'), [ev('2024-01-02T00:00:00Z', 5), ev('2024-01-03T00:00:00Z', '7.5'), ev('2024-01-04T00:00:00Z', 'abc'), ev('2024-01-05T00:00:00Z', '10')]);
    expectDecimal(usage.units, '22.5');
    expect(usage.eventsCount).toBe(3);
    expectDecimal(usage.amountCents, 2025); // 10×1+2 + (20−11+1)×0.5+3 + (22.5−21+1)×0.1 = 12 + 8 + 0.25
  });

  it('MAX takes the greatest value, VOLUME prices every unit at that tier', () => {
    const volumeRanges = [
      { fromValue: 0, toValue: 100, perUnitAmount: '1', flatAmount: '0' },
      { fromValue: 101, toValue: 200, perUnitAmount: '0.8', flatAmount: '5' },
    ];
    const usage = price(charge('VOLUME', { volumeRanges }), metric('MAX'), [ev('2024-01-02T00:00:00Z', 3), ev('2024-01-03T00:00:00Z', 120), ev('2024-01-04T00:00:00Z', 40)]);
    expectDecimal(usage.units, 120);
    expectDecimal(usage.amountCents, 10100); // 120 × 0.8 + 5
  });

  it('LATEST takes the last value in time (not in arrival), PACKAGE counts a started package after free units', () => {
    const c = charge('PACKAGE', { amount: '12', packageSize: 100, freeUnits: 50 });
    const usage = price(c, metric('LATEST'), [ev('2024-01-05T00:00:00Z', 10), ev('2024-01-20T00:00:00Z', 250), ev('2024-01-10T00:00:00Z', 30)]);
    expectDecimal(usage.units, 250);
    expectDecimal(usage.amountCents, 2400); // ceil((250 − 50) / 100) = 2 packages × 12
    expectDecimal(price(c, metric('LATEST'), [ev('2024-01-05T00:00:00Z', -7)]).units, 0); // negatives clamp to 0
  });

  it('UNIQUE_COUNT counts values whose last operation is add; events_count is that count', () => {
    const rm = { operation_type: 'remove' };
    const events = [ev('2024-01-02T00:00:00Z', 'u1'), ev('2024-01-03T00:00:00Z', 'u2'), ev('2024-01-04T00:00:00Z', 'u3'), ev('2024-01-05T00:00:00Z', 'u2', rm), ev('2024-01-06T00:00:00Z', 'u1')];
    const usage = price(charge('STANDARD', { amount: '3' }), metric('UNIQUE_COUNT'), events);
    expectDecimal(usage.units, 2);
    expect(usage.eventsCount).toBe(2);
    expectDecimal(usage.amountCents, 600);
  });

  it('WEIGHTED_SUM is the time-weighted level over the period; totalAggregatedUnits is the closing level', () => {
    const usage = price(charge('STANDARD', { amount: '1' }), metric('WEIGHTED_SUM'), [ev('2024-01-11T00:00:00Z', 10), ev('2024-01-21T00:00:00Z', -4)]);
    expectDecimal(usage.units, '5.35483870967741935484'); // (10 × 10 days + 6 × 11 days) / 31, ceiled at 20 places
    expectDecimal(usage.totalAggregatedUnits, 6);
    expectDecimal(usage.amountCents, 535);
  });

  it('WEIGHTED_SUM divides a partial first period by the whole period’s days (§9.5)', () => {
    const sub = { ...SUB, startedAt: '2024-01-16T00:00:00.000Z' };
    const window = { ...JAN, from: sub.startedAt };
    const usage = price(charge('STANDARD', { amount: '1' }), metric('WEIGHTED_SUM'), [ev('2024-01-16T00:00:00Z', 31)], window, sub);
    expectDecimal(usage.units, 16); // 31 × 16 days / 31
  });

  it('applies the metric rounding (stored upper case) to the units before the charge model (§1.3)', () => {
    const events = [ev('2024-01-02T00:00:00Z', '1.26'), ev('2024-01-03T00:00:00Z', '1.01')];
    expectDecimal(price(charge('STANDARD', { amount: '1' }), metric('SUM', { roundingFunction: 'CEIL' }), events).units, 3);
    const rounded = price(charge('STANDARD', { amount: '1' }), metric('SUM', { roundingFunction: 'ROUND', roundingPrecision: 1 }), events);
    expectDecimal(rounded.units, '2.3');
    expectDecimal(rounded.amountCents, 230);
  });

  it('ignores a rounding precision stored without a rounding function (§1.3)', () => {
    const events = [ev('2024-01-02T00:00:00Z', '1.26'), ev('2024-01-03T00:00:00Z', '1.011')];
    expectDecimal(price(charge('STANDARD', { amount: '1' }), metric('SUM', { roundingPrecision: 1 }), events).units, '2.271');
  });

  it('bills the first graduated flat amount with no usage document at all (§9.1)', () => {
    const c = charge('GRADUATED', { graduatedRanges: [{ fromValue: 0, toValue: null, perUnitAmount: '1', flatAmount: '2' }] });
    const usage = priceCharge({ charge: c, metric: metric('SUM'), document: undefined, currency: 'EUR', window: JAN });
    expect(usage.eventsCount).toBe(0);
    expectDecimal(usage.units, 0);
    expectDecimal(usage.amountCents, 200);
  });
});

describe('priceCharge: charge models (§2)', () => {
  const sums = () => [ev('2024-01-02T00:00:00Z', 100), ev('2024-01-03T00:00:00Z', 50), ev('2024-01-04T00:00:00Z', 200)];

  it('PERCENTAGE with free events: the running total of the first N events, whole when N equals its length (§9.3)', () => {
    const usage = price(charge('PERCENTAGE', { rate: '2', fixedAmount: '0.5', freeUnitsPerEvents: 2 }), metric('SUM'), sums());
    expectDecimal(usage.amountCents, 450); // free 100+50: (350 − 150) × 2% + (3 − 2 free events) × 0.5
  });

  it('PERCENTAGE with a free amount: free up to the amount, events strictly below it are free events', () => {
    const usage = price(charge('PERCENTAGE', { rate: '2', fixedAmount: '0.5', freeUnitsPerTotalAggregation: '120' }), metric('SUM'), sums());
    expectDecimal(usage.amountCents, 560); // (350 − 120) × 2% + (3 − 1) × 0.5
  });

  it('PERCENTAGE on COUNT: the first N events are free', () => {
    const events = [1, 2, 3, 4, 5].map((day) => ev(`2024-01-0${day}T00:00:00Z`));
    const usage = price(charge('PERCENTAGE', { rate: '10', fixedAmount: '1', freeUnitsPerEvents: 2 }), metric('COUNT'), events);
    expectDecimal(usage.amountCents, 330); // (5 − 2) × 10% + (5 − 2) × 1
  });

  it('PERCENTAGE per-transaction min/max clamps each event; fully free events are not raised to the min', () => {
    const events = [ev('2024-01-02T00:00:00Z', 10), ev('2024-01-03T00:00:00Z', 100), ev('2024-01-04T00:00:00Z', 1000)];
    const props = { rate: '1', perTransactionMinAmount: '0.5', perTransactionMaxAmount: '1.5' };
    expectDecimal(price(charge('PERCENTAGE', props), metric('SUM'), events).amountCents, 300); // 0.5 (min) + 1 + 1.5 (max)
    expectDecimal(price(charge('PERCENTAGE', { ...props, freeUnitsPerEvents: 1 }), metric('SUM'), events).amountCents, 250); // free + 1 + 1.5
  });

  it('GRADUATED_PERCENTAGE bills each tier’s rate with the "+1" convention and its flat amount', () => {
    const ranges = [
      { fromValue: 0, toValue: 100, rate: '1', flatAmount: '1' },
      { fromValue: 101, toValue: null, rate: '0.5', flatAmount: '0' },
    ];
    const usage = price(charge('GRADUATED_PERCENTAGE', { graduatedPercentageRanges: ranges }), metric('SUM'), [ev('2024-01-02T00:00:00Z', 300)]);
    expectDecimal(usage.amountCents, 300); // 100 × 1% + 1 + (300 − 101 + 1) × 0.5%
  });

  it('DYNAMIC bills the events’ own prices', () => {
    const events = [ev('2024-01-02T00:00:00Z', 2, {}, '150.5'), ev('2024-01-03T00:00:00Z', 3, {}, '249.5')];
    const usage = price(charge('DYNAMIC', {}), metric('SUM'), events);
    expectDecimal(usage.units, 5);
    expectDecimal(usage.amountCents, 400);
  });

  it('prices a prorated charge on its prorated units, showing its full units (§2.12)', () => {
    const usage = price(charge('STANDARD', { amount: '1' }, { prorated: true }), metric('SUM', { recurring: true }), [ev('2024-01-20T00:00:00Z', 10)]);
    expectDecimal(usage.amountCents, 387); // 10 × 12/31 days → 3.87097
    expectDecimal(usage.units, 10);
  });
});

describe('priceCharge: filters and pricing groups (§1.4, §6.1)', () => {
  const regions = metric('COUNT', { filters: [{ key: 'region', values: ['eu', 'us', 'asia'] }] });

  it('prices each filter with its own properties, the rest in the default bucket, and lists every bucket', () => {
    const c = charge('STANDARD', { amount: '1' }, {
      filters: [filter({ region: ['eu'] }, { amount: '2' }, 'EU'), filter({ region: ['__ALL_FILTER_VALUES__'] }, { amount: '1.5' }), filter({ region: ['asia'] }, { amount: '9' })],
    });
    const at = (region?: string) => ev('2024-01-02T00:00:00Z', undefined, region === undefined ? {} : { region });
    const usage = price(c, regions, [at('eu'), at('eu'), at('us'), at('mars'), at()]);
    expectDecimal(usage.units, 5);
    expectDecimal(usage.amountCents, 750); // eu 2 × 2 + us 1 × 1.5 + (mars, none) 2 × 1
    expect(usage.filters.map((f) => [f.values, f.invoiceDisplayName, f.units.toFixed(), f.amountCents.toFixed(), f.eventsCount])).toEqual([
      [{ region: ['eu'] }, 'EU', '2', '400', 2],
      [{ region: ['__ALL_FILTER_VALUES__'] }, null, '1', '150', 1],
      [{ region: ['asia'] }, null, '0', '0', 0],
      [null, null, '2', '200', 2],
    ]);
  });

  it('prices each pricing group separately and reports grouped usage by group values', () => {
    const at = (value: number, cloud?: string) => ev('2024-01-02T00:00:00Z', value, cloud === undefined ? {} : { cloud });
    const usage = price(charge('PACKAGE', { amount: '5', packageSize: 10, pricingGroupKeys: ['cloud'] }), metric('SUM'), [at(3, 'aws'), at(4, 'aws'), at(12, 'gcp'), at(1)]);
    expectDecimal(usage.amountCents, 2000); // aws 7 → 1 package, gcp 12 → 2, none 1 → 1; ungrouped 20 would be 2
    expect(usage.groupedUsage.map((g) => [g.groupedBy, g.units.toFixed(), g.amountCents.toFixed(), g.filters])).toEqual([
      [{ cloud: 'aws' }, '7', '500', []],
      [{ cloud: 'gcp' }, '12', '1000', []],
      [{ cloud: null }, '1', '500', []],
    ]);
  });

  it('groups within filters: grouped usage sums a group across filters and lists its filters', () => {
    const c = charge('STANDARD', { amount: '1', pricingGroupKeys: ['tier'] }, { filters: [filter({ region: ['eu'] }, { amount: '2', pricingGroupKeys: ['tier'] })] });
    const at = (region: string, tier: string) => ev('2024-01-02T00:00:00Z', undefined, { region, tier });
    const usage = price(c, regions, [at('eu', 'gold'), at('eu', 'gold'), at('eu', 'silver'), at('us', 'gold')]);
    const summary = (u: { units: { toFixed(): string }; amountCents: { toFixed(): string } }) => [u.units.toFixed(), u.amountCents.toFixed()];
    expect(usage.filters.map(summary)).toEqual([['3', '600'], ['1', '100']]);
    expect(usage.groupedUsage.map((g) => [g.groupedBy, ...summary(g), g.filters.map(summary)])).toEqual([
      [{ tier: 'gold' }, '3', '500', [['2', '400'], ['1', '100']]],
      [{ tier: 'silver' }, '1', '200', [['1', '200']]],
    ]);
    expect(usage.details).toHaveLength(3);
  });
});

describe('priceCharge: recurring metrics carry earlier periods and history (§1.2, §9.14)', () => {
  it('SUM adds history and every earlier period', () => {
    const events = [ev('2023-12-15T00:00:00Z', 5), ev('2024-01-10T00:00:00Z', 10), ev('2024-02-10T00:00:00Z', 3)];
    const usage = price(charge('STANDARD', { amount: '1' }), metric('SUM', { recurring: true }), events, FEB);
    expectDecimal(usage.units, 18);
    expect(usage.eventsCount).toBe(3);
    expectDecimal(usage.amountCents, 1800);
  });

  it('UNIQUE_COUNT keeps values added earlier until removed', () => {
    const rm = { operation_type: 'remove' };
    const events = [ev('2023-12-15T00:00:00Z', 'u0'), ev('2024-01-10T00:00:00Z', 'u1'), ev('2024-01-11T00:00:00Z', 'u2'), ev('2024-02-10T00:00:00Z', 'u1', rm), ev('2024-02-11T00:00:00Z', 'u3')];
    expectDecimal(price(charge('STANDARD', { amount: '1' }), metric('UNIQUE_COUNT', { recurring: true }), events, FEB).units, 3); // u0, u2, u3
  });

  it('WEIGHTED_SUM starts from the level reached before the period', () => {
    const events = [ev('2023-12-20T00:00:00Z', 2), ev('2024-01-01T00:00:00Z', 10), ev('2024-02-15T00:00:00Z', -4)];
    const usage = price(charge('STANDARD', { amount: '1' }), metric('WEIGHTED_SUM', { recurring: true }), events, FEB);
    expectDecimal(usage.units, '9.93103448275862068966'); // (12 × 14 days + 8 × 15 days) / 29
    expectDecimal(usage.totalAggregatedUnits, 8);
    expectDecimal(usage.amountCents, 993);
  });

  it('ignores earlier documents of a non-recurring metric', () => {
    expectDecimal(price(charge('STANDARD', { amount: '1' }), metric('SUM'), [ev('2024-01-10T00:00:00Z', 10), ev('2024-02-10T00:00:00Z', 3)], FEB).units, 3);
  });
});

describe('priceCustomerUsage: totals and taxes (§4.4, §6.1)', () => {
  const counted = [ev('2024-01-02T00:00:00Z'), ev('2024-01-03T00:00:00Z'), ev('2024-01-04T00:00:00Z')];
  const a = charge('STANDARD', { amount: '0.5' }, { id: 'a' });
  const b = charge('STANDARD', { amount: '0.5' }, { id: 'b' });
  const gone = charge('STANDARD', { amount: '100' }, { id: 'gone', billableMetricCode: 'deleted' });
  const input = (taxesFor?: (c: PlanCharge) => { code: string; rate: string }[]) => ({
    currency: 'EUR', from: JAN.from, to: JAN.to, plan: { charges: [a, b, gone] },
    metricsByCode: { m: metric('COUNT'), deleted: { ...metric('COUNT', { code: 'deleted' }), deletedAt: '2024-01-01T00:00:00Z' } },
    documentsByCode: { m: meter([a, b], metric('COUNT'), [counted]).find((d) => d.from === JAN.from) },
    taxesFor,
  });

  it('sums the charges of live metrics and rounds taxes once, on the sum of unrounded fee taxes', () => {
    const usage = priceCustomerUsage(input(() => [{ code: 'tiny', rate: '0.3' }]));
    expect(usage.chargesUsage.map((c) => c.charge.id)).toEqual(['a', 'b']);
    expectDecimal(usage.amountCents, 300);
    expectDecimal(usage.taxesAmountCents, 1); // 150 × 0.3% twice = 0.45 + 0.45 → 0.9 → 1 (per fee it would be 0 + 0)
    expectDecimal(usage.totalAmountCents, 301);
    expect(usage).toMatchObject({ fromDatetime: JAN.from, toDatetime: JAN.to, currency: 'EUR' });
  });

  it('stacks taxes of one level on the same base; no taxes → 0', () => {
    expectDecimal(priceCustomerUsage(input((c) => (c.id === 'a' ? [{ code: 'vat', rate: '20' }, { code: 'eco', rate: '2.5' }] : []))).taxesAmountCents, 34); // 33.75
    expectDecimal(priceCustomerUsage(input()).taxesAmountCents, 0);
  });
});

describe('priceCharge: folding order (property)', () => {
  const m = metric('SUM', { filters: [{ key: 'region', values: ['eu', 'us'] }] });
  const charges = [
    charge('GRADUATED', { graduatedRanges: [{ fromValue: 0, toValue: 10, perUnitAmount: '1', flatAmount: '1' }, { fromValue: 11, toValue: null, perUnitAmount: '0.3', flatAmount: '0' }], pricingGroupKeys: ['cloud'] }, {
      filters: [filter({ region: ['eu'] }, { graduatedRanges: [{ fromValue: 0, toValue: null, perUnitAmount: '2', flatAmount: '0' }] })],
    }),
    charge('PERCENTAGE', { rate: '3', fixedAmount: '0.1', freeUnitsPerTotalAggregation: '15', perTransactionMinAmount: '0.2' }, { id: 'ch-2' }),
  ];
  const eventArb = fc.record({
    ms: fc.integer({ min: Date.parse(JAN.from), max: Date.parse(JAN.to) }),
    value: fc.oneof(fc.integer({ min: 0, max: 50 }).map(String), fc.constantFrom('2.5', 'x')),
    region: fc.constantFrom('eu', 'us', 'mars', undefined),
    cloud: fc.constantFrom('aws', 'gcp', undefined),
  });

  it('gives the same priced usage whatever the split into folds and their order', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 25 }), fc.array(fc.nat(), { maxLength: 4 }), fc.infiniteStream(fc.nat()), (specs, cuts, order) => {
        const events = specs.map((s, i) => ({ ...ev(new Date(s.ms).toISOString(), s.value, { ...(s.region && { region: s.region }), ...(s.cloud && { cloud: s.cloud }) }), transactionId: `t${i}` }));
        const shuffled = events.map((e) => ({ e, k: order.next().value as number })).sort((x, y) => x.k - y.k).map((x) => x.e);
        const bounds = [...new Set([0, ...cuts.map((c) => c % (events.length + 1)), events.length])].sort((x, y) => x - y);
        const batches = bounds.slice(1).map((end, i) => shuffled.slice(bounds[i], end));
        for (const c of charges) {
          const once = priceCharge({ charge: c, metric: m, document: meter(charges, m, [events])[0], currency: 'EUR', window: JAN });
          const split = priceCharge({ charge: c, metric: m, document: meter(charges, m, batches)[0], currency: 'EUR', window: JAN });
          expect(JSON.stringify(split)).toBe(JSON.stringify(once));
        }
      }),
      { numRuns: 150 },
    );
  });
});

import BigNumber from 'bignumber.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { proratedGraduated } from '../../../../src/billing/chargeModels/index.ts';
import { meterContext, type MeterMetric, type MeterSubscription } from '../../../../src/billing/usage/context.ts';
import { emptyUsageDocument, foldUsageEvents, locate } from '../../../../src/billing/usage/meter.ts';
import { priceCharge, priceCustomerUsage, type PricingMetric, type UsageWindow } from '../../../../src/billing/usage/price.ts';
import { floatText, postgresRatio } from '../../../../src/billing/usage/proration.ts';
import type { InAdvanceEntry, IngestedUsageEvent, PeriodBuckets, UsageDocument } from '../../../../src/billing/usage/types.ts';
import type { ChargeProperties, PlanCharge } from '../../../../src/domain/plan/types.ts';
import { expectDecimal } from '../support.ts';

/** Lago's prorated specs price May 2023 (31 days) for a subscription started on 2022-12-01. */
const MAY: UsageWindow = { from: '2023-05-01T00:00:00.000Z', to: '2023-05-31T23:59:59.999Z', durationDays: 31 };
const SUB: MeterSubscription = {
  _id: 'sub-1', organizationId: 'org-1', externalId: 'ext-1', status: 'ACTIVE', billingTime: 'CALENDAR',
  subscriptionAt: '2022-12-01T00:00:00.000Z', startedAt: '2022-12-01T00:00:00.000Z', terminatedAt: null,
};

type Metric = MeterMetric & PricingMetric;
const metric = (aggregationType: string, extra: Partial<Metric> = {}): Metric => ({
  _id: 'bm-1', name: 'Metric', code: 'm', aggregationType, fieldName: 'total_count', recurring: true, filters: [], roundingFunction: null, roundingPrecision: null, ...extra,
});
const charge = (chargeModel: PlanCharge['chargeModel'], properties: object, extra: Partial<PlanCharge> = {}): PlanCharge => ({
  id: 'ch-1', billableMetricId: 'bm-1', billableMetricCode: 'm', chargeModel, properties: properties as ChargeProperties, filters: [],
  payInAdvance: false, prorated: false, invoiceable: true, minAmountCents: '0', taxCodes: [], invoiceDisplayName: null, ...extra,
});
const STANDARD = charge('STANDARD', { amount: '1' }, { prorated: true });
const IN_ADVANCE = charge('STANDARD', { amount: '1' }, { payInAdvance: true });

let sequence = 0;
const ev = (timestamp: string, value: string | number | undefined, properties: Record<string, unknown> = {}): IngestedUsageEvent => ({
  organizationId: 'org-1', transactionId: `tx-${String((sequence += 1)).padStart(5, '0')}`, externalSubscriptionId: 'ext-1', code: 'm',
  timestamp, properties: value === undefined ? properties : { total_count: value, ...properties }, preciseTotalAmountCents: null, ingestedAt: timestamp,
});

/** The usage documents of the events, folded in `batches` (in that order, as the log), through a JSON round trip. */
function meter(charges: PlanCharge[], m: Metric, batches: IngestedUsageEvent[][], sub = SUB, timezone = 'UTC'): UsageDocument[] {
  const ctx = meterContext(sub, { interval: 'MONTHLY', payInAdvance: false, billChargesMonthly: null, charges }, m, timezone)!;
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

function price(c: PlanCharge, m: Metric, events: IngestedUsageEvent[] | IngestedUsageEvent[][], window = MAY, sub = SUB, timezone = 'UTC') {
  const batches = Array.isArray(events[0]) ? (events as IngestedUsageEvent[][]) : [events as IngestedUsageEvent[]];
  const docs = meter([c], m, batches, sub, timezone);
  const document = docs.find((d) => !d.history && d.from === window.from);
  const earlier = docs.filter((d) => d.history || Date.parse(d.from) < Date.parse(window.from));
  return { usage: priceCharge({ charge: c, metric: m, document, earlier, currency: 'EUR', window }), document, earlier };
}

/** Lago's spec fixture (prorated sum_service_spec.rb:53-80): 2.5 × 2 on 2023-03-01, 12 × 2 on May 26th. */
const specEvents = () => [ev('2023-03-01T00:00:00Z', 2.5), ev('2023-03-01T00:00:00Z', 2.5), ev('2023-05-26T00:00:00Z', 12), ev('2023-05-26T00:00:00Z', 12)];

describe('current usage of a prorated SUM charge (§2.12, ProratedAggregations::SumService)', () => {
  it('is priced on its prorated units and shows its full units (prorated sum_service_spec.rb:90, :334 → 9.64517, 29)', () => {
    const { usage } = price(STANDARD, metric('SUM'), specEvents());
    expect(usage.details[0]?.details).toMatchObject({ model: 'STANDARD', units: '9.64517' });
    expectDecimal(usage.units, 29);
    expectDecimal(usage.amountCents, 965); // 9.64517 EUR
    expectDecimal(usage.fees[0]!.unitAmountCents, 33); // 9.64517 / 29 full units
  });

  it('adds a decimal value on the last day (prorated sum_service_spec.rb:298 → 9.64517 + 0.14516)', () => {
    const { usage } = price(STANDARD, metric('SUM'), [...specEvents(), ev('2023-05-31T00:00:00Z', 4.5)]);
    expect(usage.details[0]?.details).toMatchObject({ units: '9.79033' });
    expectDecimal(usage.units, '33.5');
  });

  it('ignores a non-numeric value (prorated sum_service_spec.rb:321)', () => {
    const { usage } = price(STANDARD, metric('SUM'), [...specEvents(), ev('2023-05-31T00:00:00Z', 'foo_bar')]);
    expect(usage.details[0]?.details).toMatchObject({ units: '9.64517' });
    expect(usage.eventsCount).toBe(4);
  });

  it('rounds the prorated and the full units after proration (prorated sum_service_spec.rb:358 → 9.73, 29.44)', () => {
    const events = specEvents();
    events[3] = { ...events[3]!, properties: { total_count: 12.434 } };
    const { usage } = price(STANDARD, metric('SUM', { roundingFunction: 'CEIL', roundingPrecision: 2 }), events);
    expect(usage.details[0]?.details).toMatchObject({ units: '9.73' });
    expectDecimal(usage.units, '29.44');
  });

  it('prorates each filter on its own events (prorated sum_service_spec.rb:605 → 0.64517)', () => {
    const m = metric('SUM', { filters: [{ key: 'region', values: ['europe', 'africa'] }] });
    const c = charge('STANDARD', { amount: '1' }, { prorated: true, filters: [{ values: { region: ['europe'] }, properties: { amount: '1' } as ChargeProperties, invoiceDisplayName: null }] });
    const events = [...specEvents(), ev('2023-05-31T00:00:00Z', 12, { region: 'europe' }), ev('2023-05-31T00:00:00Z', 8, { region: 'europe' }), ev('2023-05-31T00:00:00Z', 12, { region: 'africa' })];
    const { usage } = price(c, m, events);
    expect(usage.details[0]).toMatchObject({ filterValues: { region: ['europe'] }, units: '20', details: { units: '0.64517' } }); // 8/31 + 12/31
    expect(usage.filters[0]).toMatchObject({ eventsCount: 2 });
  });

  it('counts the events of an earlier subscription of the external id in full (prorated sum_service_spec.rb:642 → 19.64517)', () => {
    const { usage } = price(STANDARD, metric('SUM'), [...specEvents(), ev('2023-04-26T00:00:00Z', 10)]);
    expect(usage.details[0]?.details).toMatchObject({ units: '19.64517' });
  });

  it('keeps Postgres’ rounded ratios: 62 on the last day of May is 2.00001 units', () => {
    const { usage } = price(charge('STANDARD', { amount: '1000' }, { prorated: true }), metric('SUM'), [ev('2023-05-31T12:00:00Z', 62)]);
    expect(usage.details[0]?.details).toMatchObject({ units: '2.00001' });
    expectDecimal(usage.amountCents, 200001);
  });

  it('takes days in the customer timezone: 23:30 UTC on May 30th is May 31st in Paris', () => {
    const paris: UsageWindow = { from: '2023-04-30T22:00:00.000Z', to: '2023-05-31T21:59:59.999Z', durationDays: 31 };
    const sub = { ...SUB, startedAt: '2022-11-30T23:00:00.000Z', subscriptionAt: '2022-11-30T23:00:00.000Z' };
    const { usage } = price(STANDARD, metric('SUM'), [ev('2023-05-30T23:30:00Z', 31)], paris, sub, 'Europe/Paris');
    // 31 × 1/31, the ratio at 20 decimals (0.03225806451612903226) → 1.00000000000000000006 → ceil(5) 1.00001.
    expect(usage.details[0]?.details).toMatchObject({ units: '1.00001' });
  });

  it('prorates the history of a partial first period by a Float (prorated sum_service_spec.rb:509: × 17.fdiv(31))', () => {
    const sub = { ...SUB, subscriptionAt: '2023-05-15T00:00:00.000Z', startedAt: '2023-05-15T00:00:00.000Z' };
    const window = { ...MAY, from: sub.startedAt };
    const { usage } = price(STANDARD, metric('SUM'), [ev('2023-03-01T00:00:00Z', 5), ev('2023-05-26T00:00:00Z', 31)], window, sub);
    // 5 × 0.5483870967741935 + 31 × 6/31 = 2.7419354838709675 + 6 → 8.74194
    expect(usage.details[0]?.details).toMatchObject({ units: '8.74194' });
    expectDecimal(usage.units, 36);
  });

  it('floors negative prorated units at 0 in current usage, and shows the full units floored too', () => {
    const { usage } = price(STANDARD, metric('SUM'), [ev('2023-05-01T00:00:00Z', -10), ev('2023-05-31T00:00:00Z', 5)]);
    expect(usage.details[0]?.details).toMatchObject({ units: '0' });
    expectDecimal(usage.units, 0);
  });

  it('is priced on prorated units in an invoice too, showing the full units (not floored)', () => {
    const docs = meter([STANDARD], metric('SUM'), [specEvents()]);
    const usage = priceCustomerUsage({
      currency: 'EUR', from: MAY.from, to: MAY.to, durationDays: 31, context: 'INVOICE', plan: { charges: [STANDARD] },
      metricsByCode: { m: metric('SUM') }, documentsByCode: { m: docs.find((d) => d.from === MAY.from) }, earlierByCode: { m: docs.filter((d) => d.from !== MAY.from) },
    });
    expectDecimal(usage.chargesUsage[0]!.units, 29);
    expectDecimal(usage.amountCents, 965);
  });

  it('picks the VOLUME tier with the full units and prices the prorated ones', () => {
    const volumeRanges = [{ fromValue: 0, toValue: 10, perUnitAmount: '10', flatAmount: '0' }, { fromValue: 11, toValue: null, perUnitAmount: '1', flatAmount: '0' }];
    const { usage } = price(charge('VOLUME', { volumeRanges }, { prorated: true }), metric('SUM'), specEvents());
    expect(usage.details[0]?.details).toMatchObject({ tierUnits: '29', units: '9.64517', perUnitAmount: '1' });
    expectDecimal(usage.amountCents, 965);
  });

  it('walks a prorated GRADUATED charge’s events in time order: the history as one value, then each day’s ratio', () => {
    const graduatedRanges = [{ fromValue: 0, toValue: 5, perUnitAmount: '10', flatAmount: '100' }, { fromValue: 6, toValue: null, perUnitAmount: '5', flatAmount: '50' }];
    const c = charge('GRADUATED', { graduatedRanges }, { prorated: true });
    const events = [ev('2023-03-01T00:00:00Z', 2), ev('2023-05-26T00:00:00Z', 10), ev('2023-05-11T00:00:00Z', 5), ev('2023-05-21T00:00:00Z', -6)];
    const { usage } = price(c, metric('SUM'), [events.slice(2), events.slice(0, 2)]);
    // In time order: history 2 (× 1.0), May 11th 5 × 21/31, May 21st −6 × 11/31, May 26th 10 × 6/31.
    const full = [2, 5, -6, 10].map((v) => new BigNumber(v));
    const prorated = [new BigNumber(2), new BigNumber(5).times(postgresRatio(21, 31)), new BigNumber(-6).times(postgresRatio(11, 31)), new BigNumber(10).times(postgresRatio(6, 31))];
    const expected = proratedGraduated({ units: new BigNumber(1), perEventValues: full, perEventProratedValues: prorated }, { graduatedRanges });
    expect(usage.details[0]?.details).toEqual(expected.details);
    expectDecimal(usage.units, 11);
  });

  it('equals the prorated sum of the events, whatever their order and split into folds (property)', () => {
    const dayMs = 86_400_000;
    const eventArb = fc.record({
      // From 2023-03-15 (history) to the end of May.
      ms: fc.integer({ min: Date.parse('2023-03-15T00:00:00Z'), max: Date.parse(MAY.to) }),
      value: fc.oneof(fc.integer({ min: -20, max: 100 }).map(String), fc.constantFrom('2.5', '0.125', 'x')),
    });
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 3 }), fc.infiniteStream(fc.nat()), (specs, cuts, order) => {
        const events = specs.map((s, i) => ({ ...ev(new Date(s.ms).toISOString(), s.value), transactionId: `t${i}` }));
        const shuffled = events.map((e) => ({ e, k: order.next().value as number })).sort((x, y) => x.k - y.k).map((x) => x.e);
        const bounds = [...new Set([0, ...cuts.map((c) => c % (events.length + 1)), events.length])].sort((x, y) => x - y);
        const { usage } = price(STANDARD, metric('SUM'), bounds.slice(1).map((end, i) => shuffled.slice(bounds[i], end)));
        // The oracle, event by event: before May in full (× "1.0"), in May × (31 − day + 1)/31 at 20 decimals.
        const numeric = specs.filter((s) => /^-?\d+(\.\d+)?$/.test(s.value));
        const sum = numeric.reduce((total, s) => {
          const ratio = s.ms < Date.parse(MAY.from) ? floatText(31, 31) : postgresRatio(31 - Math.floor((s.ms - Date.parse(MAY.from)) / dayMs), 31);
          return total.plus(new BigNumber(s.value).times(ratio));
        }, new BigNumber(0));
        const full = BigNumber.sum(0, ...numeric.map((s) => s.value));
        expectDecimal(usage.details[0]!.details.model === 'STANDARD' ? (usage.details[0]!.details as { units: string }).units : 'x', BigNumber.max(sum.decimalPlaces(5, BigNumber.ROUND_CEIL), 0));
        expectDecimal(usage.units, BigNumber.max(full, 0));
      }),
      { numRuns: 150 },
    );
  });
});

/** A current usage document with a hand-made in-advance entry, as Lago's specs create `CachedAggregation` rows. */
function withEntry(doc: UsageDocument | undefined, entry: Omit<InAdvanceEntry, 'ts' | 'transactionId'>): PeriodBuckets {
  return { buckets: doc?.buckets ?? {}, inAdvance: { 'ch-1': { '[null,"[]"]': { ts: '1685232000', transactionId: 'spec', ...entry } } } };
}

describe('current usage of a pay-in-advance SUM / UNIQUE_COUNT charge (§2.11, handle_in_advance_current_usage)', () => {
  const FEB: UsageWindow = { from: '2023-02-01T00:00:00.000Z', to: '2023-02-28T23:59:59.999Z', durationDays: 28 };

  it('is priced on total − cached current + cached max (sum_service_spec.rb:430 → 11), shown with the total', () => {
    // 5 in January (recurring), then +6 and −2 in February: the cache is current 4, max 6, the total 9.
    const { usage, document } = price(IN_ADVANCE, metric('SUM'), [ev('2023-01-10T00:00:00Z', 5), ev('2023-02-03T00:00:00Z', 6), ev('2023-02-05T00:00:00Z', -2)], FEB);
    expect(document?.inAdvance?.['ch-1']?.['[null,"[]"]']).toMatchObject({ current: '4', max: '6' });
    expect(usage.details[0]?.details).toMatchObject({ units: '11' });
    expectDecimal(usage.units, 9);
    expectDecimal(usage.amountCents, 1100);
  });

  it('is priced on the total without a cache: nothing (sum_service_spec.rb:445)', () => {
    const { usage } = price(IN_ADVANCE, metric('SUM', { recurring: false }), [], FEB);
    expectDecimal(usage.amountCents, 0);
  });

  it('keeps billing the period’s high after a decrease, shows the floored total', () => {
    const { usage } = price(IN_ADVANCE, metric('SUM', { recurring: false }), [ev('2023-02-03T00:00:00Z', 10), ev('2023-02-04T00:00:00Z', -15)], FEB);
    expect(usage.details[0]?.details).toMatchObject({ units: '10' }); // −5 − (−5) + 10
    expectDecimal(usage.units, 0);
  });

  it('builds the cache in log order: a late event starts from the latest entry and is then never read (Lago’s timestamp desc)', () => {
    const late = [ev('2023-02-10T00:00:00Z', 5), ev('2023-02-05T00:00:00Z', -3)];
    // Arrival order: {5, 5} at the 10th; the late −3 makes {2, 5} at the 5th, older than the latest: 2 − 5 + 5 = 2.
    expect(price(IN_ADVANCE, metric('SUM', { recurring: false }), [late], FEB).usage.details[0]?.details).toMatchObject({ units: '2' });
    // In time order: {−3, −3}, then +5 passes the max: {2, 5} → 2 − 2 + 5 = 5.
    expect(price(IN_ADVANCE, metric('SUM', { recurring: false }), [[late[1]!], [late[0]!]], FEB).usage.details[0]?.details).toMatchObject({ units: '5' });
  });

  it('keeps one cache per filter and pricing group', () => {
    const m = metric('SUM', { recurring: false, filters: [{ key: 'region', values: ['eu', 'us'] }] });
    const c = charge('STANDARD', { amount: '1', pricingGroupKeys: ['tenant'] }, { payInAdvance: true, filters: [{ values: { region: ['eu'] }, properties: { amount: '2', pricingGroupKeys: ['tenant'] } as ChargeProperties, invoiceDisplayName: null }] });
    const events = [ev('2023-02-03T00:00:00Z', 10, { region: 'eu', tenant: 'a' }), ev('2023-02-04T00:00:00Z', -10, { region: 'eu', tenant: 'a' }), ev('2023-02-05T00:00:00Z', 3, { region: 'us', tenant: 'a' }), ev('2023-02-06T00:00:00Z', 4, { region: 'eu', tenant: 'b' })];
    const { usage } = price(c, m, events, FEB);
    expect(usage.details.map((d) => [d.filterValues, d.groupedBy, d.units, d.amountCents])).toEqual([
      [{ region: ['eu'] }, { tenant: 'a' }, '0', '2000'], // 0 − 0 + 10, at 2 EUR
      [{ region: ['eu'] }, { tenant: 'b' }, '4', '800'],
      [null, { tenant: 'a' }, '3', '300'],
    ]);
  });

  it('UNIQUE_COUNT: a removal lowers the level, a new value above the high raises it', () => {
    const rm = { operation_type: 'remove' };
    const c = charge('STANDARD', { amount: '1' }, { payInAdvance: true });
    const m = metric('UNIQUE_COUNT', { recurring: false, fieldName: 'seat' });
    const seat = (t: string, id: string, p: Record<string, unknown> = {}) => ev(t, undefined, { seat: id, ...p });
    const events = [seat('2023-02-02T00:00:00Z', 'u1'), seat('2023-02-03T00:00:00Z', 'u2'), seat('2023-02-04T00:00:00Z', 'u2', rm), seat('2023-02-05T00:00:00Z', 'u1', rm)];
    const { usage, document } = price(c, m, events, FEB);
    expect(document?.inAdvance?.['ch-1']?.['[null,"[]"]']).toMatchObject({ current: '0', max: '2' });
    expect(usage.details[0]?.details).toMatchObject({ units: '2' });
    expectDecimal(usage.units, 0);
    const more = price(c, m, [...events, seat('2023-02-06T00:00:00Z', 'u3'), seat('2023-02-07T00:00:00Z', 'u3'), seat('2023-02-08T00:00:00Z', 'u4'), seat('2023-02-09T00:00:00Z', 'u5')], FEB);
    // 0 → u3 1 → u3 again (active) 1 → u4 2 → u5 3 (above the high of 2): total 3 − 3 + 3.
    expect(more.usage.details[0]?.details).toMatchObject({ units: '3' });
  });

  it('UNIQUE_COUNT equals Lago’s cache replayed event by event, for events in time order (property)', () => {
    const c = charge('STANDARD', { amount: '1' }, { payInAdvance: true });
    const m = metric('UNIQUE_COUNT', { recurring: false, fieldName: 'seat' });
    const opArb = fc.record({ seat: fc.constantFrom('u1', 'u2', 'u3', 'u4'), remove: fc.boolean() });
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 3 }), (ops, cuts) => {
        // One event an hour from Feb 1st: in time order, as events are mostly sent.
        const events = ops.map((o, i) => ({
          ...ev(new Date(Date.parse(FEB.from) + i * 3_600_000).toISOString(), undefined, { seat: o.seat, ...(o.remove && { operation_type: 'remove' }) }),
          transactionId: `t${String(i).padStart(3, '0')}`,
        }));
        const bounds = [...new Set([0, ...cuts.map((k) => k % (events.length + 1)), events.length])].sort((x, y) => x - y);
        const { usage } = price(c, m, bounds.slice(1).map((end, i) => events.slice(bounds[i], end)), FEB);
        // UniqueCountService#compute_pay_in_advance_aggregation, with active_unique_property? = the value's previous
        // event is an add.
        const last = new Map<string, boolean>();
        let cache: { current: number; max: number } | undefined;
        for (const o of ops) {
          const active = last.get(o.seat) === true;
          const applied = !o.remove && !active ? 1 : 0;
          if (cache === undefined) cache = { current: applied, max: applied };
          else {
            const current = o.remove ? cache.current - (active ? 1 : 0) : cache.current + applied;
            cache = { current, max: current > cache.max ? current : cache.max };
          }
          last.set(o.seat, !o.remove);
        }
        const total = [...last.values()].filter(Boolean).length;
        const priced = cache === undefined ? total : total - cache.current + cache.max;
        expect(usage.details[0]?.details).toMatchObject({ units: String(Math.max(priced, 0)) });
        expectDecimal(usage.units, total);
      }),
      { numRuns: 200 },
    );
  });

  it('is unchanged in an invoice (Lago bills a pay-in-advance charge on its full units there)', () => {
    const docs = meter([IN_ADVANCE], metric('SUM', { recurring: false }), [[ev('2023-02-03T00:00:00Z', 10), ev('2023-02-04T00:00:00Z', -4)]]);
    const usage = priceCustomerUsage({ currency: 'EUR', from: FEB.from, to: FEB.to, durationDays: 28, context: 'INVOICE', plan: { charges: [IN_ADVANCE] }, metricsByCode: { m: metric('SUM', { recurring: false }) }, documentsByCode: { m: docs[0] } });
    expectDecimal(usage.amountCents, 600);
  });

  it('equals Lago’s cache replayed row by row, in log order, whatever the timestamps and the split into folds (property)', () => {
    const eventArb = fc.record({ day: fc.integer({ min: 1, max: 28 }), value: fc.oneof(fc.integer({ min: -30, max: 50 }).map(String), fc.constant('1.5')) });
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 15 }), fc.array(fc.nat(), { maxLength: 3 }), (specs, cuts) => {
        const events = specs.map((s, i) => ({ ...ev(`2023-02-${String(s.day).padStart(2, '0')}T00:00:00Z`, s.value), transactionId: `t${String(i).padStart(3, '0')}` }));
        const bounds = [...new Set([0, ...cuts.map((c) => c % (events.length + 1)), events.length])].sort((x, y) => x - y);
        const { usage } = price(IN_ADVANCE, metric('SUM', { recurring: false }), bounds.slice(1).map((end, i) => events.slice(bounds[i], end)), FEB);
        // CachedAggregation rows as Lago writes them: each event reads the row with the latest timestamp (ties: the
        // last created), then writes its own; current usage reads the latest one again.
        const rows: { day: number; created: number; current: BigNumber; max: BigNumber }[] = [];
        const latest = () => rows.reduce<(typeof rows)[number] | undefined>((best, r) => (best === undefined || r.day > best.day || (r.day === best.day && r.created > best.created) ? r : best), undefined);
        specs.forEach((s, created) => {
          const value = new BigNumber(s.value);
          const cached = latest();
          if (cached === undefined) return rows.push({ day: s.day, created, current: value, max: value });
          const current = cached.current.plus(value);
          rows.push({ day: s.day, created, current, max: current.isGreaterThan(cached.max) ? BigNumber.max(current, current.minus(cached.max)) : cached.max });
        });
        const total = BigNumber.sum(0, ...specs.map((s) => s.value));
        const cached = latest();
        const priced = cached === undefined ? total : total.minus(cached.current).plus(cached.max);
        expect(usage.details[0]?.details).toMatchObject({ units: BigNumber.max(priced, 0).toFixed() });
        expectDecimal(usage.units, BigNumber.max(total, 0));
      }),
      { numRuns: 200 },
    );
  });
});

describe('current usage of a prorated pay-in-advance charge (ProratedAggregations::BaseService#handle_current_usage)', () => {
  const PRORATED_IN_ADVANCE = charge('STANDARD', { amount: '1' }, { payInAdvance: true, prorated: true });
  const window = (doc: PeriodBuckets, earlier: PeriodBuckets[], w = MAY) => priceCharge({ charge: PRORATED_IN_ADVANCE, metric: metric('SUM'), document: doc, earlier, currency: 'EUR', window: w });
  const specFold = (events = specEvents().slice(0, 2).concat([ev('2023-05-28T00:00:00Z', 4)])) => price(PRORATED_IN_ADVANCE, metric('SUM'), events);

  it('takes the cached prorated maximum: 9 − 4 + 3.8 (prorated sum_service_spec.rb:402 → 8.8, 9)', () => {
    const { document, earlier } = specFold();
    const usage = window(withEntry(document, { current: '4', max: '6', maxWithProration: '3.8' }), earlier);
    expect(usage.details[0]?.details).toMatchObject({ units: '8.8' });
    expectDecimal(usage.units, 9);
  });

  it('prices the full units without a cache on a whole period (prorated sum_service_spec.rb:413 → 5)', () => {
    const { document, earlier } = specFold(specEvents().slice(0, 2));
    expect(window({ buckets: document?.buckets ?? {} }, earlier).details[0]?.details).toMatchObject({ units: '5' });
  });

  it('floors a negative state (prorated sum_service_spec.rb:453 → 8.5, 0; :493 → 0)', () => {
    const { document, earlier } = specFold([ev('2023-05-28T00:00:00Z', -5)]);
    const usage = window(withEntry(document, { current: '-5', max: '20', maxWithProration: '8.5' }), earlier);
    expect(usage.details[0]?.details).toMatchObject({ units: '8.5' });
    expectDecimal(usage.units, 0);
    const never = specFold([ev('2023-05-28T00:00:00Z', -10)]);
    expect(window(withEntry(never.document, { current: '-10', max: '-10', maxWithProration: '0' }), never.earlier).details[0]?.details).toMatchObject({ units: '0' });
  });

  it('prorates by the Float ratio on a partial period (prorated sum_service_spec.rb:509, :553)', () => {
    const sub = { ...SUB, subscriptionAt: '2023-05-15T00:00:00.000Z', startedAt: '2023-05-15T00:00:00.000Z' };
    const partial = { ...MAY, from: sub.startedAt };
    const none = price(PRORATED_IN_ADVANCE, metric('SUM'), specEvents().slice(0, 2), partial, sub);
    expect(none.usage.details[0]?.details).toMatchObject({ units: new BigNumber(5).times('0.5483870967741935').decimalPlaces(5, BigNumber.ROUND_CEIL).toFixed() });
    const cached = price(PRORATED_IN_ADVANCE, metric('SUM'), [...specEvents().slice(0, 2), ev('2023-05-21T00:00:00Z', 4)], partial, sub);
    const usage = window(withEntry(cached.document, { current: '4', max: '6', maxWithProration: '3.8' }), cached.earlier, partial);
    expect(usage.details[0]?.details).toMatchObject({ units: new BigNumber(5).times('0.5483870967741935').decimalPlaces(5, BigNumber.ROUND_CEIL).plus('3.8').toFixed() });
    expectDecimal(usage.units, 9);
  });

  it('folds the prorated maximum from the events billed (prorated sum_service_spec.rb:666 → 0.64517, :766 → 0.8)', () => {
    const { document, usage } = price(PRORATED_IN_ADVANCE, metric('SUM'), [ev('2023-05-30T00:00:00Z', 10), ev('2023-05-30T06:00:00Z', 12.4), ev('2023-05-30T07:00:00Z', -2)]);
    // 10 × 2/31 → 0.64517; 12.4 more (above the max of 10) × 2/31 → 0.8; −2 bills nothing.
    expect(document?.inAdvance?.['ch-1']?.['[null,"[]"]']).toMatchObject({ current: '20.4', max: '22.4', maxWithProration: '1.44517' });
    // 20.4 − 20.4 + 1.44517
    expect(usage.details[0]?.details).toMatchObject({ units: '1.44517' });
    expectDecimal(usage.units, '20.4');
  });
});

import { DateTime } from 'luxon';
import type { AppDeps } from './context.ts';
import { applicableTimezone } from './subscriptions.ts';
import { chargesPeriodContaining, prorationDays, type Period, type PeriodSubscription } from '../billing/periods/index.ts';
import { priceCustomerUsage, type CustomerUsage, type PricingMetric, type TaxRate } from '../billing/usage/price.ts';
import type { PeriodBuckets } from '../billing/usage/types.ts';
import type { PlanCharge } from '../domain/plan/types.ts';
import { NotFoundError, ValidationError } from '../domain/shared/errors.ts';
import { effectivePlan, type SubscriptionPlan } from '../domain/subscription/plan.ts';
import type { BillableMetricDocument } from '../../projections/billableMetrics.ts';
import type { CustomerDocument } from '../../projections/customers.ts';
import type { OrganizationDocument } from '../../projections/organizations.ts';
import type { PlanDocument } from '../../projections/plans.ts';
import type { SubscriptionDocument } from '../../projections/subscriptions.ts';
import type { TaxDocument } from '../../projections/taxes.ts';
import { GenerationalCache } from '../../projections/cache.ts';
import { generationOf, metricPrefix, periodPrefix, readPeriods, subjectKey, type PeriodUsage, type ReadOptions } from '../../projections/usageStore.ts';

/** Lago's `customer_usage`: the priced usage of one charges period and its issuing date (`YYYY-MM-DD`). */
export type CustomerUsageView = CustomerUsage & { issuingDate: string };

/** `applyTaxes` defaults to true; `now` to the clock's. */
/**
 * `waitForEvents`: read-your-writes for the subscription — wait (at most 5 s) until every event acknowledged for
 * it is folded. Without it, usage is answered at once from what is folded (events acknowledged within the last
 * commit interval, ~200 ms, may not be in it yet).
 */
export type CurrentUsageOptions = { applyTaxes?: boolean | null | undefined; now?: Date | undefined; waitForEvents?: boolean | null | undefined };
/** `periodsCount` 1..100, default 12; `billableMetricCode` keeps only that metric's charges. */
export type PastUsageOptions = { billableMetricCode?: string | null | undefined; periodsCount?: number | null | undefined; now?: Date | undefined; waitForEvents?: boolean | null | undefined };

const MAX_PERIODS = 100;
const DEFAULT_PERIODS = 12;
/** How long a usage query waits for its subscription's events to be folded before answering with what is stored. */
const FRESHNESS_WAIT_MS = 5_000;

/** What current usage reads besides the usage documents (see `currentContext`). */
type CurrentContext = {
  organizationId: string;
  priced: Priced;
  period: Period;
  codes: string[];
  metricsByCode: Record<string, PricingMetric>;
  taxesFor: (charge: PlanCharge) => TaxRate[];
  periodDays: number;
  issuingDate: string;
  /** The end of the period (ms): past it, the context is read again. */
  validUntil: number;
};

/** What pricing one period of one subscription needs, read once per request. */
type Priced = {
  sub: SubscriptionDocument;
  plan: SubscriptionPlan;
  customer: CustomerDocument;
  organization: OrganizationDocument | null;
  timezone: string;
};

/** The plan with the subscription's overrides; overrides that no longer fit a changed plan are ignored. */
export function planOf(plan: PlanDocument, sub: SubscriptionDocument): SubscriptionPlan {
  try {
    return effectivePlan(plan, sub.planOverrides);
  } catch {
    return plan;
  }
}

export function periodSubscriptionOf({ sub, plan, timezone }: Pick<Priced, 'sub' | 'plan' | 'timezone'>): PeriodSubscription {
  return {
    interval: plan.interval,
    billingTime: sub.billingTime,
    subscriptionAt: sub.subscriptionAt,
    startedAt: sub.startedAt ?? sub.subscriptionAt,
    timezone,
    payInAdvance: plan.payInAdvance,
    billChargesMonthly: plan.billChargesMonthly ?? false,
  };
}

/** The local calendar date of an instant, plus some days. */
function localDate(iso: string, timezone: string, plusDays = 0): string {
  return DateTime.fromISO(iso, { zone: timezone }).plus({ days: plusDays }).toISODate() ?? iso.slice(0, 10);
}

/**
 * Taxes of a charge's fees (§4.4 step 5, §5.3): the first level with live taxes among the charge's, the plan's,
 * the customer's codes, else the organization's default taxes. No stacking across levels.
 */
function taxResolver(taxes: readonly TaxDocument[], plan: SubscriptionPlan, customer: CustomerDocument): (charge: PlanCharge) => TaxRate[] {
  const byCode = new Map(taxes.map((tax) => [tax.code, tax]));
  const rates = (list: readonly TaxDocument[]) => list.map((tax) => ({ code: tax.code, rate: tax.rate }));
  const live = (codes: readonly string[] | undefined) => rates((codes ?? []).flatMap((code) => byCode.get(code) ?? []));
  const planLevel = live(plan.taxCodes);
  const customerLevel = live(customer.taxCodes);
  const organizationLevel = rates(taxes.filter((tax) => tax.appliedToOrganization));
  return (charge) => [live(charge.taxCodes), planLevel, customerLevel, organizationLevel].find((level) => level.length > 0) ?? [];
}

function taxCodesOf(plans: readonly SubscriptionPlan[], customer: CustomerDocument): string[] {
  return [...new Set([...customer.taxCodes, ...plans.flatMap((p) => [...p.taxCodes, ...p.charges.flatMap((c) => c.taxCodes)])])];
}

function byCode<T extends { code: string }>(list: readonly T[]): Record<string, T> {
  const record: Record<string, T> = {};
  for (const item of list) Object.defineProperty(record, item.code, { value: item, enumerable: true });
  return record;
}

const isRecurring = (metric: PricingMetric) => metric.recurring && ['SUM', 'UNIQUE_COUNT', 'WEIGHTED_SUM'].includes(metric.aggregationType);

function validPeriodsCount(value: number | null | undefined): number {
  const count = value ?? DEFAULT_PERIODS;
  if (!Number.isInteger(count) || count < 1 || count > MAX_PERIODS) {
    throw new ValidationError(`periodsCount: must be a whole number from 1 to ${MAX_PERIODS}`, 'periodsCount');
  }
  return count;
}

/**
 * The previous charges periods of a subscription, most recent first (at most `count`): from the one before the
 * current period (or, once terminated, from the one it ended in, cut at the termination) back to its start.
 */
function pastPeriodsOf(priced: Priced, now: Date, count: number): Period[] {
  const { sub } = priced;
  if (sub.startedAt === null || count <= 0) return [];
  const ps = periodSubscriptionOf(priced);
  const startMs = Date.parse(sub.startedAt);
  const endMs = sub.terminatedAt === null ? now.getTime() : Math.min(Date.parse(sub.terminatedAt), now.getTime());
  if (endMs < startMs) return [];
  const periods: Period[] = [];
  let period = chargesPeriodContaining(ps, new Date(endMs));
  let skipCurrent = sub.terminatedAt === null;
  for (;;) {
    const to = sub.terminatedAt !== null && Date.parse(sub.terminatedAt) < Date.parse(period.to) ? sub.terminatedAt : period.to;
    if (!skipCurrent && Date.parse(to) > Date.parse(period.from)) periods.push({ from: period.from, to });
    skipCurrent = false;
    if (periods.length >= count || Date.parse(period.from) <= startMs) return periods;
    period = chargesPeriodContaining(ps, new Date(Date.parse(period.from) - 1));
  }
}

/** What reading a metric's buckets needs beyond their states: UNIQUE_COUNT values (recurring), per-event values. */
function readOptionsFor(metric: PricingMetric | undefined, charges: readonly PlanCharge[]): ReadOptions {
  if (metric === undefined) return {};
  const perEvent = charges.some(
    (c) => c.billableMetricCode === metric.code && c.chargeModel === 'PERCENTAGE' && [c.properties, ...c.filters.map((f) => f.properties)].some((p) => {
      const q = p as { perTransactionMinAmount?: unknown; perTransactionMaxAmount?: unknown };
      return (q.perTransactionMinAmount ?? null) !== null || (q.perTransactionMaxAmount ?? null) !== null;
    }),
  );
  return { uniqueValues: isRecurring(metric) && metric.aggregationType === 'UNIQUE_COUNT', perEvent };
}

/** Current and past usage, read from the usage read model (never the events). */
export function createUsageService(deps: AppDeps) {
  const collection = deps.readModels.collection.bind(deps.readModels);
  const subscriptions = () => collection<SubscriptionDocument>('subscriptions');

  /**
   * Read-your-writes, per subscription: waits (bounded) until the usage of this external subscription id holds
   * every event acknowledged for it, and is not being re-folded; then answers with what is stored either way.
   */
  async function fresh(organizationId: string, externalSubscriptionId: string): Promise<void> {
    const subject = subjectKey(organizationId, externalSubscriptionId);
    await deps.projections.usageFresh(subject, await deps.usagePosition(subject), FRESHNESS_WAIT_MS);
  }

  /** The customer (live, with that external id) and organization, and the subscriptions of the external id. */
  async function lookup(organizationId: string, externalCustomerId: string, filter: Record<string, unknown>) {
    const [subs, customer, organization] = await Promise.all([
      subscriptions().find({ organizationId, ...filter }, { sort: { createdAt: -1, _id: -1 } }),
      collection<CustomerDocument>('customers').findOne({ organizationId, externalId: externalCustomerId, deletedAt: null }),
      collection<OrganizationDocument>('organizations').findOne({ _id: organizationId }),
    ]);
    const own = customer === null ? [] : subs.filter((s) => s.customerId === customer._id && s.externalCustomerId === externalCustomerId && s.startedAt !== null);
    return { subs: own, customer, organization };
  }

  function liveMetrics(organizationId: string, codes: readonly string[]): Promise<BillableMetricDocument[]> {
    return collection<BillableMetricDocument>('billableMetrics').find({ organizationId, code: { $in: [...codes] }, deletedAt: null });
  }

  function liveTaxes(organizationId: string, codes: readonly string[]): Promise<TaxDocument[]> {
    return collection<TaxDocument>('taxes').find({ organizationId, deletedAt: null, $or: [{ code: { $in: [...codes] } }, { appliedToOrganization: true }] });
  }

  /**
   * Everything current usage reads besides the usage itself: the subscription, customer, plan, metrics, taxes and
   * the charges period containing `now`. It changes only with the catalog (or when the period ends).
   */
  async function currentContext(organizationId: string, externalCustomerId: string, externalSubscriptionId: string, applyTaxes: boolean, now: Date): Promise<CurrentContext> {
    // By external id only (a handful of documents), then the status: an equality on status too could lead the
    // planner to the (organization, status) index, every active subscription of the organization.
    const { subs, customer, organization } = await lookup(organizationId, externalCustomerId, { externalId: externalSubscriptionId });
    const sub = subs.find((s) => s.status === 'ACTIVE');
    const planDoc = sub === undefined ? null : await collection<PlanDocument>('plans').findOne({ _id: sub.planId, organizationId });
    if (sub === undefined || customer === null || planDoc === null) {
      throw new NotFoundError(`no active subscription "${externalSubscriptionId}" for customer "${externalCustomerId}"`);
    }
    const priced: Priced = { sub, plan: planOf(planDoc, sub), customer, organization, timezone: applicableTimezone(customer, organization) };
    const at = new Date(Math.max(now.getTime(), Date.parse(sub.startedAt!)));
    const period = chargesPeriodContaining(periodSubscriptionOf(priced), at);
    const codes = [...new Set(priced.plan.charges.map((c) => c.billableMetricCode))];
    const [metrics, taxes] = await Promise.all([liveMetrics(organizationId, codes), applyTaxes ? liveTaxes(organizationId, taxCodesOf([priced.plan], customer)) : []]);
    const metricsByCode = byCode(metrics);
    return {
      organizationId,
      priced,
      period,
      codes,
      metricsByCode,
      taxesFor: applyTaxes ? taxResolver(taxes, priced.plan, customer) : () => [],
      periodDays: periodDaysOf(priced, period),
      issuingDate: localDate(period.to, priced.timezone),
      validUntil: Date.parse(period.to),
    };
  }

  /**
   * The usage documents pricing one charges period reads: per metric, the subscription's document of the period
   * starting at `from` and, for recurring metrics, every earlier period (and history) of the external id, whatever
   * its plan then. One range read each, in parallel.
   */
  async function periodDocuments(
    organizationId: string,
    sub: SubscriptionDocument,
    codes: readonly string[],
    metricsByCode: Record<string, PricingMetric>,
    charges: readonly PlanCharge[],
    from: string,
  ): Promise<{ documentsByCode: Record<string, PeriodBuckets>; earlierByCode: Record<string, PeriodBuckets[]> }> {
    const subject = subjectKey(organizationId, sub.externalId);
    const generation = await generationOf(deps.readModels, organizationId, sub.externalId);
    const documentsByCode: Record<string, PeriodBuckets> = {};
    const earlierByCode: Record<string, PeriodBuckets[]> = {};
    await Promise.all(
      codes.map(async (code) => {
        const metric = Object.hasOwn(metricsByCode, code) ? metricsByCode[code] : undefined;
        const read = readOptionsFor(metric, charges);
        const [own] = await readPeriods(deps.readModels, periodPrefix(subject, generation, { metricCode: code, from, subscriptionId: sub._id }), read);
        if (own !== undefined) Object.defineProperty(documentsByCode, code, { value: own, enumerable: true });
        if (metric !== undefined && isRecurring(metric)) {
          Object.defineProperty(earlierByCode, code, { value: await readPeriods(deps.readModels, metricPrefix(subject, generation, code), { ...read, before: from }), enumerable: true });
        }
      }),
    );
    return { documentsByCode, earlierByCode };
  }

  /** Current usage in a context: the meter's generation, then one range read per metric, then pricing. */
  async function priceCurrent(context: CurrentContext): Promise<CustomerUsageView> {
    const { organizationId, priced, period, codes, metricsByCode } = context;
    const sub = priced.sub;
    const { documentsByCode, earlierByCode } = await periodDocuments(organizationId, sub, codes, metricsByCode, priced.plan.charges, period.from);
    const priceInputs = { metrics: metricsByCode, charges: priced.plan.charges, documentsByCode, earlierByCode, taxesFor: context.taxesFor };
    return { ...priceWindow(priced, period, priceInputs, context.periodDays), issuingDate: context.issuingDate };
  }

  /** Moves when a catalog read model changed: a current-usage context read before may be stale. */
  const catalogVersion = () => deps.projections.status().catalog;
  /** Current-usage contexts by (organization, customer, subscription, taxes), each valid for one catalog version. */
  const contexts = new GenerationalCache<string, { version: bigint; context: CurrentContext }>(5_000);

  /** The context as last read, unless the catalog has moved or its period ended since. */
  async function cachedContext(organizationId: string, externalCustomerId: string, externalSubscriptionId: string, applyTaxes: boolean): Promise<CurrentContext> {
    const key = JSON.stringify([organizationId, externalCustomerId, externalSubscriptionId, applyTaxes]);
    const version = catalogVersion();
    const now = deps.clock.now();
    const cached = contexts.get(key);
    if (cached !== undefined && cached.version === version && now.getTime() <= cached.context.validUntil) return cached.context;
    const context = await currentContext(organizationId, externalCustomerId, externalSubscriptionId, applyTaxes, now);
    contexts.trim();
    contexts.set(key, { version, context });
    return context;
  }

  /**
   * The usage an invoice bills: the plan's charges over `window` (a charges period, its `to` possibly cut at a
   * termination), priced without taxes (the invoice taxes each fee), after waiting (bounded) for the subscription's
   * acknowledged events to be folded. `usagePosition` is the log position the usage read model had to reach: an
   * audit recomputes the invoice from the log up to it.
   */
  async function forInvoice(input: {
    organizationId: string;
    sub: SubscriptionDocument;
    charges: readonly PlanCharge[];
    currency: string;
    metricsByCode: Record<string, PricingMetric>;
    window: Period;
    periodDays: number;
    /** Wait at most for this position (a billing run: what was acknowledged when it started). */
    horizon?: bigint | null | undefined;
  }): Promise<{ usage: CustomerUsage; usagePosition: bigint }> {
    const { organizationId, sub, window, metricsByCode } = input;
    const subject = subjectKey(organizationId, sub.externalId);
    const required = await deps.usagePosition(subject);
    const usagePosition = input.horizon !== undefined && input.horizon !== null && input.horizon < required ? input.horizon : required;
    await deps.projections.usageFresh(subject, usagePosition, FRESHNESS_WAIT_MS);
    const codes = [...new Set(input.charges.map((c) => c.billableMetricCode))];
    const { documentsByCode, earlierByCode } = await periodDocuments(organizationId, sub, codes, metricsByCode, input.charges, window.from);
    const usage = priceCustomerUsage({
      currency: input.currency,
      from: window.from,
      to: window.to,
      durationDays: input.periodDays,
      plan: { charges: input.charges },
      metricsByCode,
      documentsByCode,
      earlierByCode,
      // Lago's billing rules, not current usage's (no floor at 0; pay-in-advance on full units).
      context: 'INVOICE',
    });
    return { usage, usagePosition };
  }

  return {
    forInvoice,
    liveMetrics,
    /**
     * Lago's current usage (§6.1): the active subscription `externalSubscriptionId` of the customer, priced over
     * the charges period containing now from the pre-aggregated usage (never the events): one range read per
     * metric. NOT_FOUND when the customer has no such active subscription.
     */
    async current(organizationId: string, externalCustomerId: string, externalSubscriptionId: string, options: CurrentUsageOptions = {}): Promise<CustomerUsageView> {
      if (options.waitForEvents) await fresh(organizationId, externalSubscriptionId);
      const applyTaxes = options.applyTaxes ?? true;
      if (options.now !== undefined) return priceCurrent(await currentContext(organizationId, externalCustomerId, externalSubscriptionId, applyTaxes, options.now));
      return priceCurrent(await cachedContext(organizationId, externalCustomerId, externalSubscriptionId, applyTaxes));
    },

    /**
     * The same, read again and again (live usage): the context is kept until the catalog moves or the period ends,
     * so each read is the usage reads and the pricing only.
     */
    currentReader(organizationId: string, externalCustomerId: string, externalSubscriptionId: string, applyTaxes: boolean): () => Promise<CustomerUsageView> {
      return async () => priceCurrent(await cachedContext(organizationId, externalCustomerId, externalSubscriptionId, applyTaxes));
    },

    /**
     * Lago's past usage: the previous charges periods of `externalSubscriptionId` (every plan of it the customer had,
     * terminated ones too), most recent first, priced from the usage read model; only `billableMetricCode`'s charge
     * when given. The current period is not included.
     */
    async past(organizationId: string, externalCustomerId: string, externalSubscriptionId: string, options: PastUsageOptions = {}): Promise<CustomerUsageView[]> {
      const count = validPeriodsCount(options.periodsCount);
      if (options.waitForEvents) await fresh(organizationId, externalSubscriptionId);
      const metricCode = options.billableMetricCode ?? null;
      const { subs, customer, organization } = await lookup(organizationId, externalCustomerId, { externalId: externalSubscriptionId });
      const started = subs.filter((s) => s.status === 'ACTIVE' || s.status === 'TERMINATED');
      if (customer === null || started.length === 0) throw new NotFoundError(`no subscription "${externalSubscriptionId}" for customer "${externalCustomerId}"`);
      const planDocs = await collection<PlanDocument>('plans').find({ organizationId, _id: { $in: [...new Set(started.map((s) => s.planId))] } });
      const planById = new Map(planDocs.map((p) => [p._id, p]));
      const timezone = applicableTimezone(customer, organization);
      const subscriptionsPriced = started.flatMap((sub): Priced[] => {
        const plan = planById.get(sub.planId);
        return plan === undefined ? [] : [{ sub, plan: planOf(plan, sub), customer, organization, timezone }];
      });
      const codes = metricCode !== null ? [metricCode] : [...new Set(subscriptionsPriced.flatMap((p) => p.plan.charges.map((c) => c.billableMetricCode)))];
      const subject = subjectKey(organizationId, externalSubscriptionId);
      const [metrics, taxes, generation] = await Promise.all([
        liveMetrics(organizationId, codes),
        liveTaxes(organizationId, taxCodesOf(subscriptionsPriced.map((p) => p.plan), customer)),
        generationOf(deps.readModels, organizationId, externalSubscriptionId),
      ]);
      const metricsByCode = byCode(metrics);
      const allCharges = subscriptionsPriced.flatMap((p) => p.plan.charges);
      const docs = (
        await Promise.all(
          codes.map((code) => readPeriods(deps.readModels, metricPrefix(subject, generation, code), readOptionsFor(Object.hasOwn(metricsByCode, code) ? metricsByCode[code] : undefined, allCharges))),
        )
      ).flat();
      const context = { metrics: metricsByCode, docs, metricCode, now: options.now ?? deps.clock.now() };
      return pastUsageOf(subscriptionsPriced, context, count, taxes);
    },
  };
}

type PriceInputs = {
  metrics: Record<string, PricingMetric>;
  charges: readonly PlanCharge[];
  documentsByCode: Record<string, PeriodBuckets>;
  earlierByCode: Record<string, PeriodBuckets[]>;
  taxesFor: (charge: PlanCharge) => TaxRate[];
};

/** Prices one window of a subscription; WEIGHTED_SUM divides by the whole charges period's days (§9.5). */
/** Days of the whole charges period (WEIGHTED_SUM divides by them even on a partial period, §9.5). */
function periodDaysOf(priced: Priced, window: Period): number {
  return prorationDays(periodSubscriptionOf(priced), window.from, window.to, { basis: 'CHARGES' }).periodDays;
}

function priceWindow(priced: Priced, window: Period, inputs: PriceInputs, periodDays = periodDaysOf(priced, window)): CustomerUsage {
  return priceCustomerUsage({
    currency: priced.plan.amountCurrency,
    from: window.from,
    to: window.to,
    durationDays: periodDays,
    plan: { charges: inputs.charges },
    metricsByCode: inputs.metrics,
    documentsByCode: inputs.documentsByCode,
    earlierByCode: inputs.earlierByCode,
    taxesFor: inputs.taxesFor,
  });
}

type PastContext = { metrics: Record<string, PricingMetric>; docs: readonly PeriodUsage[]; metricCode: string | null; now: Date };

/** Prices each past period of each subscription (most recent first) with that subscription's plan. */
function pastUsageOf(subscriptions: readonly Priced[], context: PastContext, count: number, taxes: readonly TaxDocument[]): CustomerUsageView[] {
  const periodKey = (subscriptionId: string, metricCode: string, from: string) => JSON.stringify([subscriptionId, metricCode, from]);
  const docsById = new Map(context.docs.map((d) => [periodKey(d.subscriptionId, d.metricCode, d.from), d]));
  const windows = subscriptions
    .flatMap((priced) => pastPeriodsOf(priced, context.now, count).map((period) => ({ priced, period })))
    .sort((a, b) => Date.parse(b.period.from) - Date.parse(a.period.from))
    .slice(0, count);
  return windows.map(({ priced, period }) => {
    const { sub, plan } = priced;
    const charges = context.metricCode === null ? plan.charges : plan.charges.filter((c) => c.billableMetricCode === context.metricCode);
    const codes = [...new Set(charges.map((c) => c.billableMetricCode))];
    const documentsByCode = Object.fromEntries(
      codes.flatMap((code) => {
        const doc = docsById.get(periodKey(sub._id, code, period.from));
        return doc === undefined ? [] : [[code, doc]];
      }),
    );
    const earlierByCode = Object.fromEntries(codes.map((code) => [code, context.docs.filter((d) => d.metricCode === code && Date.parse(d.from) < Date.parse(period.from))]));
    const usage = priceWindow(priced, period, { metrics: context.metrics, charges, documentsByCode, earlierByCode, taxesFor: taxResolver(taxes, plan, priced.customer) });
    return { ...usage, issuingDate: issuingDateOf(priced, period) };
  });
}

/** Past period: the invoice's issuing date — the billing day after the period (or the termination day) + grace days. */
function issuingDateOf({ sub, customer, organization, timezone }: Priced, period: Period): string {
  const grace = customer.invoiceGracePeriod ?? organization?.invoiceGracePeriod ?? 0;
  const billedAt = sub.terminatedAt !== null && period.to === sub.terminatedAt ? sub.terminatedAt : new Date(Date.parse(period.to) + 1).toISOString();
  return localDate(billedAt, timezone, grace);
}

export type UsageService = ReturnType<typeof createUsageService>;

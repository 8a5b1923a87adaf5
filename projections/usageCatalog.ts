import { createHash } from 'node:crypto';
import type { ReadModelStore } from '../src/application/ports/readModelStore.ts';
import { applicableTimezone } from '../src/application/subscriptions.ts';
import { meterContext, subscriptionAt, type MeterPlan } from '../src/billing/usage/context.ts';
import type { MeterContext } from '../src/billing/usage/types.ts';
import { effectivePlan, type SubscriptionPlan } from '../src/domain/subscription/plan.ts';
import type { BillableMetricDocument } from './billableMetrics.ts';
import type { CustomerDocument } from './customers.ts';
import type { OrganizationDocument } from './organizations.ts';
import type { SubscriptionDocument } from './subscriptions.ts';

/** A subscription external id within an organization: the unit the usage projection recomputes. */
export type UsageKey = { organizationId: string; externalSubscriptionId: string };

export const usageKeyOf = (key: UsageKey): string => JSON.stringify([key.organizationId, key.externalSubscriptionId]);

/** The fingerprint of an external id no started subscription has: nothing of its usage is folded. */
export const EMPTY_FINGERPRINT = createHash('sha1').update('[]').digest('base64url');

/** The subscriptions the meter places events on: started ones (pending and canceled ones count nothing). */
const counts = (s: SubscriptionDocument) => s.startedAt !== null && (s.status === 'ACTIVE' || s.status === 'TERMINATED');

/**
 * The catalog as the usage projection sees it for a set of external subscription ids of one organization: their
 * subscriptions, customers' timezones, effective plans and live metrics, loaded with a handful of indexed queries
 * and memoized per (subscription, metric).
 */
export class UsageCatalog {
  private readonly subscriptions = new Map<string, SubscriptionDocument[]>();
  /** The started subscriptions of each external id (the ones the meter places events on), filtered once. */
  private readonly counting = new Map<string, SubscriptionDocument[]>();
  private readonly plans = new Map<string, MeterPlan>();
  private readonly timezones = new Map<string, string>();
  private readonly metrics = new Map<string, BillableMetricDocument>();
  private readonly contexts = new Map<string, MeterContext | null>();
  /** An external id with one started subscription (the common case): its bounds in ms and contexts by code. */
  private readonly single = new Map<string, { sub: SubscriptionDocument; fromMs: number; toMs: number; byCode: Map<string, MeterContext | null> }>();

  /**
   * `shared`: documents many loads read alike (plans, metrics, the organization) are kept once, whoever loads
   * them: thousands of catalogs in the fold's cache would otherwise each hold their own copy of the same plans.
   */
  static async load(readModels: ReadModelStore, organizationId: string, externalIds: readonly string[], shared?: SharedDocuments): Promise<UsageCatalog> {
    const catalog = new UsageCatalog();
    const subs = await readModels.collection<SubscriptionDocument>('subscriptions').find({ organizationId, externalId: { $in: [...externalIds] } });
    for (const sub of subs) {
      const list = catalog.subscriptions.get(sub.externalId) ?? [];
      list.push(sub);
      catalog.subscriptions.set(sub.externalId, list);
    }
    for (const [externalId, list] of catalog.subscriptions) {
      const counting = list.filter(counts);
      catalog.counting.set(externalId, counting);
      const only = counting.length === 1 ? counting[0]! : undefined;
      if (only !== undefined) {
        const toMs = only.terminatedAt === null ? Number.POSITIVE_INFINITY : Date.parse(only.terminatedAt);
        catalog.single.set(externalId, { sub: only, fromMs: Date.parse(only.startedAt!), toMs, byCode: new Map() });
      }
    }
    const started = subs.filter(counts);
    if (started.length === 0) return catalog;
    const [organization, customers, plans] = await Promise.all([
      readModels.collection<OrganizationDocument>('organizations').findOne({ _id: organizationId }),
      readModels.collection<CustomerDocument>('customers').find({ _id: { $in: [...new Set(started.map((s) => s.customerId))] } }),
      readModels.collection<SubscriptionPlan>('plans').find({ _id: { $in: [...new Set(started.map((s) => s.planId))] } }),
    ]);
    const customerById = new Map(customers.map((c) => [c._id, c]));
    const planById = new Map(plans.map((p) => [p._id, shared ? shared.intern('plans', p) : p]));
    for (const sub of started) {
      catalog.timezones.set(sub._id, applicableTimezone(customerById.get(sub.customerId) ?? null, organization));
      const plan = planById.get(sub.planId);
      if (plan) catalog.plans.set(sub._id, tolerantEffectivePlan(plan, sub));
    }
    const codes = [...new Set([...catalog.plans.values()].flatMap((p) => p.charges.map((c) => c.billableMetricCode)))];
    const metrics = await readModels.collection<BillableMetricDocument>('billableMetrics').find({ organizationId, code: { $in: codes } });
    for (const metric of metrics) if (metric.deletedAt === null) catalog.metrics.set(metric.code, shared ? shared.intern('billableMetrics', metric) : metric);
    return catalog;
  }

  /**
   * The meter context counting an event of `externalId` / `code` at `timestamp` (`ms`: the same, parsed), or null
   * when nothing counts it.
   */
  contextFor(externalId: string, code: string, timestamp: string, ms = Date.parse(timestamp)): MeterContext | null {
    const metric = this.metrics.get(code);
    if (!metric) return null;
    const single = this.single.get(externalId);
    // One started subscription and an event inside it: what subscriptionAt would answer, without its work.
    if (single !== undefined && single.fromMs <= ms && ms <= single.toMs) {
      let context = single.byCode.get(code);
      if (context === undefined) single.byCode.set(code, (context = this.context(single.sub, metric)));
      return context;
    }
    const sub = subscriptionAt(this.counting.get(externalId) ?? [], timestamp, metric.recurring);
    return sub ? this.context(sub, metric) : null;
  }

  /**
   * A fingerprint of everything that decides where and how an external id's events are folded: when it changes,
   * the folded usage is stale and is recomputed from the events.
   */
  fingerprint(externalId: string): string {
    const parts: unknown[] = [];
    for (const sub of [...(this.counting.get(externalId) ?? [])].sort((a, b) => a._id.localeCompare(b._id))) {
      const plan = this.plans.get(sub._id);
      const codes = [...new Set((plan?.charges ?? []).map((c) => c.billableMetricCode))].sort();
      parts.push([sub._id, sub.status, codes.map((code) => (this.metrics.has(code) ? this.context(sub, this.metrics.get(code)!) : null))]);
    }
    return createHash('sha1').update(JSON.stringify(parts)).digest('base64url');
  }

  private context(sub: SubscriptionDocument, metric: BillableMetricDocument): MeterContext | null {
    const key = `${sub._id}\u0000${metric.code}`;
    if (this.contexts.has(key)) return this.contexts.get(key)!;
    const plan = this.plans.get(sub._id);
    const charged = plan?.charges.some((c) => c.billableMetricCode === metric.code) ?? false;
    // A metric no charge prices is not folded: a plan change that adds a charge recomputes from the events.
    const context = plan && charged ? meterContext(sub, plan, metric, this.timezones.get(sub._id) ?? 'UTC') : null;
    this.contexts.set(key, context);
    return context;
  }
}

/**
 * Documents by content: the same content loaded twice is one object. Safe whatever changed meanwhile (a changed
 * document is new content), bounded (starts over past `limit` entries), and never mutated by its users.
 */
export class SharedDocuments {
  private readonly byContent = new Map<string, object>();
  private readonly limit: number;

  constructor(limit = 2_000) {
    this.limit = limit;
  }

  intern<T extends object>(collection: string, doc: T): T {
    const key = `${collection}\u0000${JSON.stringify(doc)}`;
    const found = this.byContent.get(key);
    if (found !== undefined) return found as T;
    if (this.byContent.size >= this.limit) this.byContent.clear();
    this.byContent.set(key, doc);
    return doc;
  }

  get size(): number {
    return this.byContent.size;
  }
}

/** The plan with the subscription's overrides; overrides validated long ago that no longer apply are ignored. */
function tolerantEffectivePlan(plan: SubscriptionPlan, sub: SubscriptionDocument): SubscriptionPlan {
  try {
    return effectivePlan(plan, sub.planOverrides);
  } catch {
    return plan;
  }
}

import BigNumber from 'bignumber.js';
import type { Actor, AppDeps } from './context.ts';
import { execute } from './execute.ts';
import type { InvoiceService } from './invoices.ts';
import { planOf, type UsageService } from './usage.ts';
import { asProgressiveInvoice, newestFirst } from './progressiveInvoices.ts';
import { lifetimeInvoicedUsageAmountCents, lifetimeUsage, progressiveBilledAmount, usageThresholdsPassed, type LifetimeUsage, type UsageThreshold } from '../billing/progressiveBilling.ts';
import { lifetimeUsageDecider } from '../domain/lifetimeUsage/index.ts';
import type { AppliedUsageThreshold } from '../domain/invoice/index.ts';
import { NotFoundError } from '../domain/shared/errors.ts';
import { streamName } from '../domain/shared/streams.ts';
import { INVOICES, type InvoiceDocument } from '../../projections/invoices.ts';
import { LIFETIME_USAGES, lifetimeUsageId, type LifetimeUsageDocument } from '../../projections/lifetimeUsages.ts';
import type { PlanDocument } from '../../projections/plans.ts';
import type { SubscriptionDocument } from '../../projections/subscriptions.ts';
import { parseSubjectKey, subjectKey } from '../../projections/usageStore.ts';
import { followLog } from './logFollower.ts';
import type { RecordedEvent } from './ports/eventStore.ts';

export const lifetimeUsageStream = (organizationId: string, externalSubscriptionId: string) => streamName('lifetimeUsage', organizationId, externalSubscriptionId);

/** A subscription's lifetime usage (§6.2) and what progressive billing reads with it. */
export type LifetimeUsageView = LifetimeUsage & {
  organizationId: string;
  externalSubscriptionId: string;
  /** What the current period's latest progressive invoice billed (its fees). */
  progressiveBilledAmountCents: BigNumber;
  /** The current charges period's start (null without an active subscription). */
  periodFrom: string | null;
  thresholds: UsageThreshold[];
  subscription: SubscriptionDocument | null;
};

/** A subscription's thresholds: its own overrides, else its plan's (Lago's `applicable_usage_thresholds`). */
const thresholdsOf = (plan: PlanDocument, sub: SubscriptionDocument): UsageThreshold[] =>
  planOf(plan, sub).usageThresholds.map((t, i) => ({ id: `${i + 1}:${t.amountCents}:${t.recurring}`, amountCents: new BigNumber(t.amountCents), recurring: t.recurring, thresholdDisplayName: t.thresholdDisplayName }));

/**
 * Lifetime usage and progressive billing (§6.2). Lifetime usage = historical (settable) + the charge fees of the
 * subscription's finalized and draft subscription invoices + the current period's usage. After every commit that
 * changed the usage of a subscription with usage thresholds, the thresholds it passed bill a progressive invoice
 * at once (coalesced per subscription, `coalesceMs`).
 */
export function createLifetimeUsageService(deps: AppDeps, usage: UsageService, invoices: InvoiceService, options: { coalesceMs?: number } = {}) {
  const coalesceMs = options.coalesceMs ?? 25;
  const subscriptions = () => deps.readModels.collection<SubscriptionDocument>('subscriptions');

  async function of(organizationId: string, externalSubscriptionId: string): Promise<LifetimeUsageView> {
    const [lineage, historical, billed] = await Promise.all([
      subscriptions().find({ organizationId, externalId: externalSubscriptionId }),
      deps.readModels.collection<LifetimeUsageDocument>(LIFETIME_USAGES).findOne({ _id: lifetimeUsageId(organizationId, externalSubscriptionId) }),
      deps.readModels.collection<InvoiceDocument>(INVOICES).find({ organizationId, externalSubscriptionId, invoiceType: { $in: ['SUBSCRIPTION', 'PROGRESSIVE_BILLING'] }, status: { $in: ['FINALIZED', 'DRAFT'] } }),
    ]);
    if (lineage.length === 0) throw new NotFoundError(`subscription "${externalSubscriptionId}" not found`);
    const active = lineage.find((s) => s.status === 'ACTIVE') ?? null;
    const plan = active === null ? null : await deps.readModels.collection<PlanDocument>('plans').findOne({ _id: active.planId });
    const view = active === null ? null : await usage.current(organizationId, active.externalCustomerId, externalSubscriptionId, { applyTaxes: false }).catch(() => null);
    const progressive = billed.filter((i) => i.invoiceType === 'PROGRESSIVE_BILLING' && i.status === 'FINALIZED');
    const now = deps.clock.now().toISOString();
    const thresholds = active !== null && plan !== null ? thresholdsOf(plan, active) : [];
    const invoicedUsageAmountCents = lifetimeInvoicedUsageAmountCents(
      billed.map((i) => ({ invoiceType: i.invoiceType.toLowerCase(), status: i.status.toLowerCase(), chargeFeesAmountCents: BigNumber.sum(0, ...i.fees.filter((f) => f.feeType === 'CHARGE').map((f) => f.amountCents)) })),
    );
    const computed = lifetimeUsage({
      historicalUsageAmountCents: new BigNumber(historical?.historicalUsageAmountCents ?? 0),
      invoicedUsageAmountCents,
      currentUsageAmountCents: view?.amountCents ?? new BigNumber(0),
      thresholds,
      appliedThresholds: progressive.flatMap((i) => (i.appliedUsageThresholds ?? []).map((a) => ({ usageThresholdId: a.usageThresholdId, lifetimeUsageAmountCents: new BigNumber(a.lifetimeUsageAmountCents), createdAt: i.createdAt }))),
      now,
    });
    const current = newestFirst(progressive.filter((i) => i.subscriptionId === active?._id));
    const progressiveBilledAmountCents = progressiveBilledAmount({ invoices: current.map((doc) => asProgressiveInvoice(doc)), timestamp: now }).progressiveBilledAmountCents;
    return { ...computed, organizationId, externalSubscriptionId, progressiveBilledAmountCents, periodFrom: view?.fromDatetime ?? null, thresholds, subscription: active };
  }

  /** Bills the thresholds the subscription's lifetime usage passed (none: nothing). */
  async function check(organizationId: string, externalSubscriptionId: string): Promise<InvoiceDocument | null> {
    const view = await of(organizationId, externalSubscriptionId);
    if (view.subscription === null || view.thresholds.length === 0 || view.periodFrom === null) return null;
    const passed = usageThresholdsPassed({
      thresholds: view.thresholds,
      historicalUsageAmountCents: view.externalHistoricalUsageAmountCents,
      invoicedUsageAmountCents: view.invoicedUsageAmountCents,
      currentUsageAmountCents: view.currentUsageAmountCents,
      progressiveBilledAmountCents: view.progressiveBilledAmountCents,
    });
    if (passed.length === 0) return null;
    const applied: AppliedUsageThreshold[] = passed.map((t) => ({ usageThresholdId: t.id, amountCents: t.amountCents.toFixed(), recurring: t.recurring, thresholdDisplayName: t.thresholdDisplayName, lifetimeUsageAmountCents: view.totalUsageAmountCents.toFixed() }));
    const key = `${view.periodFrom}/${view.progressiveBilledAmountCents.toFixed()}/${passed.map((t) => t.id).join(',')}`;
    return invoices.billProgressive(view.subscription, applied, key);
  }

  // Which usage subjects have thresholds: computed from the subscription and its plan, forgotten when an event of
  // that subscription or plan is appended (followed on the log), and cached only from read models that have folded
  // every such event seen. Before, any catalog change (a customer's signup) dropped every subject's answer and each
  // active subscription's next commit looked its subscription and plan up again.
  const thresholdsKnown = new Map<string, { has: boolean; planId: string | null }>();
  const subjectsByPlan = new Map<string, Set<string>>();
  /** The last invalidating event seen (null until the follower runs: nothing is cached). */
  let invalidatedAt: bigint | null = null;
  const folded = (position: bigint) => {
    const checkpoints = deps.projections.status().checkpoints;
    return (checkpoints.get('subscriptions') ?? 0n) >= position && (checkpoints.get('plans') ?? 0n) >= position;
  };
  function forget(subject: string): void {
    const known = thresholdsKnown.get(subject);
    if (known === undefined) return;
    thresholdsKnown.delete(subject);
    if (known.planId !== null) subjectsByPlan.get(known.planId)?.delete(subject);
  }
  function onCatalogEvent(event: RecordedEvent): void {
    const data = event.data as { organizationId?: string; externalId?: string; planId?: string };
    if (event.type.startsWith('Subscription') && data.organizationId !== undefined && data.externalId !== undefined) {
      forget(subjectKey(data.organizationId, data.externalId));
    } else if (event.type.startsWith('Plan') && data.planId !== undefined) {
      for (const subject of [...(subjectsByPlan.get(data.planId) ?? [])]) forget(subject);
      subjectsByPlan.delete(data.planId);
    } else {
      return;
    }
    invalidatedAt = event.position;
  }
  async function watched(subject: string): Promise<boolean> {
    const known = thresholdsKnown.get(subject);
    if (known !== undefined) return known.has;
    const floor = invalidatedAt;
    const { organizationId, externalSubscriptionId: externalId } = parseSubjectKey(subject);
    const sub = await subscriptions().findOne({ organizationId, externalId, status: 'ACTIVE' });
    const plan = sub === null ? null : await deps.readModels.collection<PlanDocument>('plans').findOne({ _id: sub.planId });
    const has = sub !== null && plan !== null && thresholdsOf(plan, sub).length > 0;
    // Kept only when what was read holds every invalidation seen, and none came while reading.
    if (floor !== null && invalidatedAt === floor && folded(floor)) {
      if (thresholdsKnown.size >= 500_000) {
        thresholdsKnown.clear();
        subjectsByPlan.clear();
      }
      thresholdsKnown.set(subject, { has, planId: sub?.planId ?? null });
      if (sub !== null) {
        let set = subjectsByPlan.get(sub.planId);
        if (set === undefined) subjectsByPlan.set(sub.planId, (set = new Set()));
        set.add(subject);
      }
    }
    return has;
  }

  const timers = new Map<string, NodeJS.Timeout>();
  const running = new Set<string>();
  const again = new Set<string>();
  function schedule(subject: string): void {
    if (timers.has(subject)) return;
    if (running.has(subject)) {
      again.add(subject);
      return;
    }
    timers.set(subject, setTimeout(() => void run(subject), coalesceMs));
  }
  async function run(subject: string): Promise<void> {
    timers.delete(subject);
    running.add(subject);
    try {
      const { organizationId, externalSubscriptionId } = parseSubjectKey(subject);
      await check(organizationId, externalSubscriptionId);
    } catch (error) {
      deps.logger.warn('progressive billing check failed', { subject, error: String(error) });
    } finally {
      running.delete(subject);
      if (again.delete(subject)) schedule(subject);
    }
  }

  let stop: (() => void) | null = null;
  let follower: { close(): Promise<void> } | null = null;
  let closed = false;
  return {
    of,
    check,
    /** Lifetime total (alerts on lifetime usage). */
    totalOf: async (organizationId: string, externalSubscriptionId: string) => ({ totalUsageAmountCents: (await of(organizationId, externalSubscriptionId)).totalUsageAmountCents }),
    async setHistorical(actor: Actor, externalSubscriptionId: string, historicalUsageAmountCents: string): Promise<LifetimeUsageView> {
      const { organizationId } = actor;
      if ((await subscriptions().count({ organizationId, externalId: externalSubscriptionId })) === 0) throw new NotFoundError(`subscription "${externalSubscriptionId}" not found`);
      await execute(deps, actor, lifetimeUsageStream(organizationId, externalSubscriptionId), lifetimeUsageDecider, {
        type: 'SetHistoricalUsage',
        data: { organizationId, externalSubscriptionId, historicalUsageAmountCents },
        metadata: { now: deps.clock.now().toISOString() },
      });
      void check(organizationId, externalSubscriptionId).catch(() => undefined);
      return of(organizationId, externalSubscriptionId);
    },
    /** Checks thresholds after every commit that changed a watched subscription's usage. */
    start(): void {
      if (stop !== null) return;
      stop = deps.projections.onCommit((changed) => {
        for (const subject of changed) void watched(subject).then((has) => has && schedule(subject));
      });
      // Subscription and plan events from the head on; answers are cached once the read models hold that head.
      void (async () => {
        const head = await deps.eventStore.headPosition();
        if (closed) return;
        follower = followLog(deps.eventStore, { after: head, usage: 'none', name: 'lifetime usage thresholds', logger: deps.logger, handle: onCatalogEvent });
        invalidatedAt ??= head ?? 0n;
      })().catch((error: unknown) => deps.logger.warn('lifetime usage: the catalog follower did not start; thresholds are looked up at every commit', { error: String(error) }));
    },
    close(): void {
      closed = true;
      stop?.();
      void follower?.close();
      for (const timer of timers.values()) clearTimeout(timer);
    },
  };
}

export type LifetimeUsageService = ReturnType<typeof createLifetimeUsageService>;

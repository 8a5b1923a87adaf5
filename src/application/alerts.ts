import BigNumber from 'bignumber.js';
import { createAlertMonitor, type WatchedAlert } from './alertMonitor.ts';
import type { Actor, AppDeps } from './context.ts';
import { executeGuarded, guardKeys } from './consistency.ts';
import { execute } from './execute.ts';
import type { Filter } from './ports/readModelStore.ts';
import type { UsageService } from './usage.ts';
import type { WalletMonitor, WalletUpdate } from './walletMonitor.ts';
import type { OngoingBalance, WalletService } from './wallets.ts';
import { alertCurrentValue, isWalletAlert, type AlertSource, type AlertType } from '../billing/alerts.ts';
import { alertDecider, type AlertCommand, type AlertOwner, type AlertThresholdInput, type CreateAlertData } from '../domain/alert/index.ts';
import { NotFoundError } from '../domain/shared/errors.ts';
import { streamName } from '../domain/shared/streams.ts';
import { ALERTS, TRIGGERED_ALERTS, type AlertDocument, type TriggeredAlertDocument } from '../../projections/alerts.ts';
import type { SubscriptionDocument } from '../../projections/subscriptions.ts';
import type { WalletDocument } from '../../projections/wallets.ts';

/** A subscription's lifetime usage total (§6.2), as LIFETIME_USAGE_AMOUNT alerts read it. */
export type LifetimeUsageOf = (organizationId: string, externalSubscriptionId: string) => Promise<{ totalUsageAmountCents: BigNumber }>;

/** Where alerts read the values they watch. */
export type AlertSources = { usage: UsageService; wallets: WalletService; walletMonitor: WalletMonitor; lifetime: LifetimeUsageOf };

/** A new alert as the API gives it: the decider's create without the ids the application assigns. */
export type CreateAlertInput = Omit<CreateAlertData, 'organizationId' | 'alertId'>;
/** An alert's new name and thresholds; omitted: kept. */
export type UpdateAlertInput = { id: string; name?: string | null; thresholds?: AlertThresholdInput[] | null };
/** Alerts (or triggered alerts) of a subscription, of a wallet, or of either when both are given. */
export type AlertFilter = { externalSubscriptionId?: string | null | undefined; walletId?: string | null | undefined };

const SYSTEM = 'alertMonitor';
const part = (text: string) => encodeURIComponent(text);

/**
 * Keyed by the target and the code: the event store's `no_stream` append makes a code unique per subscription
 * (subscription alerts) or per wallet (wallet alerts) with no read-model race.
 */
export function alertStream(organizationId: string, target: { externalSubscriptionId?: string | null; walletId?: string | null }, code: string): string {
  const key = target.walletId != null ? `w/${part(target.walletId)}/${part(code)}` : `s/${part(target.externalSubscriptionId ?? '')}/${part(code)}`;
  return streamName('alert', organizationId, key);
}

/** What wallet alerts read: the wallet's settled balances and its ongoing balances. */
export const walletSource = (wallet: WalletDocument, ongoing: OngoingBalance): AlertSource => ({
  walletBalanceCents: new BigNumber(wallet.balanceCents),
  walletCreditsBalance: new BigNumber(wallet.creditsBalance),
  walletOngoingBalanceCents: new BigNumber(ongoing.ongoingBalanceCents),
  walletCreditsOngoingBalance: new BigNumber(ongoing.creditsOngoingBalance),
});

const watchedOf = (doc: AlertDocument): WatchedAlert => ({ alertId: doc._id, organizationId: doc.organizationId, externalSubscriptionId: doc.externalSubscriptionId, walletId: doc.walletId, customerId: doc.customerId });

/**
 * Usage monitoring alerts (§6.3): create, update, delete, the lists, and the checks. A check computes the watched
 * value and decides on the alert's stream (domain/alert), so a crossing triggers once whoever checks and however
 * many checks race; the monitor (alertMonitor.ts) runs them after usage and wallet changes.
 */
export function createAlertService(deps: AppDeps, sources: AlertSources) {
  const alerts = () => deps.readModels.collection<AlertDocument>(ALERTS);
  const triggered = () => deps.readModels.collection<TriggeredAlertDocument>(TRIGGERED_ALERTS);
  const subscriptions = () => deps.readModels.collection<SubscriptionDocument>('subscriptions');
  const now = () => ({ now: deps.clock.now().toISOString() });

  async function byId(organizationId: string, alertId: string): Promise<AlertDocument> {
    const doc = await alerts().findOne({ _id: alertId, organizationId, deletedAt: null });
    if (doc === null) throw new NotFoundError(`alert ${alertId} not found`);
    return doc;
  }

  /** The subscription and wallet a create names, the metric, and the watched value now (a wallet's). */
  async function lookupsFor(organizationId: string, input: CreateAlertInput): Promise<Extract<AlertCommand, { type: 'CreateAlert' }>['lookups']> {
    const owner = (doc: { customerId: string; externalCustomerId: string } | null): AlertOwner => (doc === null ? null : { customerId: doc.customerId, externalCustomerId: doc.externalCustomerId });
    const [subscription, wallet, metric] = await Promise.all([
      input.externalSubscriptionId ? subscriptions().findOne({ organizationId, externalId: input.externalSubscriptionId, status: { $in: ['ACTIVE', 'PENDING'] } }) : null,
      input.walletId ? sources.wallets.wallets().findOne({ _id: input.walletId, organizationId, status: 'ACTIVE' }) : null,
      input.billableMetricCode ? deps.readModels.collection('billableMetrics').findOne({ organizationId, code: input.billableMetricCode, deletedAt: null }) : null,
    ]);
    let currentValue: string | null = null;
    // Only a decreasing (wallet) alert starts from the value watched; the others start from 0.
    if (wallet !== null && isWalletAlert(input.alertType as AlertType)) {
      currentValue = alertCurrentValue(input.alertType as AlertType, walletSource(wallet, await sources.wallets.ongoing(wallet, { fresh: true })))?.toFixed() ?? null;
    }
    return { subscription: owner(subscription), wallet: owner(wallet), billableMetricKnown: metric !== null, currentValue };
  }

  /** Checks one alert against a value: true when it triggered. Decided on its stream (exactly once per crossing). */
  async function check(doc: AlertDocument, value: BigNumber): Promise<boolean> {
    const actor = { organizationId: doc.organizationId, actor: SYSTEM };
    const command: AlertCommand = { type: 'CheckAlert', data: { alertId: doc._id, triggeredAlertId: deps.newId(), currentValue: value.toFixed() }, metadata: now() };
    const result = await execute(deps, actor, alertStream(doc.organizationId, doc, doc.code), alertDecider, command);
    return result.events.some((event) => event.type === 'AlertTriggered');
  }

  /** What a subscription's alerts read, computed once for all of them: current usage (no taxes), lifetime usage. */
  async function subscriptionSource(docs: readonly AlertDocument[]): Promise<AlertSource> {
    const [first] = docs;
    if (first === undefined) return {};
    const { organizationId, externalCustomerId } = first;
    const externalSubscriptionId = first.externalSubscriptionId!;
    const needsCurrent = docs.some((d) => d.alertType !== 'LIFETIME_USAGE_AMOUNT');
    const needsLifetime = docs.some((d) => d.alertType === 'LIFETIME_USAGE_AMOUNT');
    // A subscription no longer active has no current usage: its alerts see nothing to compare (Lago: no update).
    const [current, lifetime] = await Promise.all([
      needsCurrent ? sources.usage.current(organizationId, externalCustomerId, externalSubscriptionId, { applyTaxes: false }).catch(() => null) : null,
      needsLifetime ? sources.lifetime(organizationId, externalSubscriptionId).catch(() => null) : null,
    ]);
    return {
      currentUsageAmountCents: current?.amountCents,
      // One fee per charge filter × pricing group; metrics are named by code here, as alerts name them.
      usageFees: current?.chargesUsage.flatMap((c) => c.fees.map((f) => ({ billableMetricId: c.billableMetric.code, amountCents: f.amountCents, units: f.units }))),
      lifetimeUsageTotalAmountCents: lifetime?.totalUsageAmountCents,
    };
  }

  async function checkAll(docs: readonly AlertDocument[], source: AlertSource): Promise<void> {
    for (const doc of docs) {
      const value = alertCurrentValue(doc.alertType, source, doc.billableMetricCode);
      if (value !== null) await check(doc, value);
    }
  }

  const monitor = createAlertMonitor(deps, sources.walletMonitor, {
    async subscription(organizationId, externalSubscriptionId) {
      const docs = await alerts().find({ organizationId, externalSubscriptionId, deletedAt: null });
      await checkAll(docs, await subscriptionSource(docs));
    },
    async wallet(update: WalletUpdate) {
      const docs = await alerts().find({ organizationId: update.wallet.organizationId, walletId: update.wallet._id, deletedAt: null });
      await checkAll(docs, walletSource(update.wallet, update.ongoing));
    },
    live: async () => (await alerts().find({ deletedAt: null })).map(watchedOf),
  });

  /** The read-model filter of a list: NOT_FOUND when a subscription or wallet named is not the organization's. */
  async function filterOf(organizationId: string, filter: AlertFilter, live: boolean): Promise<Filter> {
    const { externalSubscriptionId, walletId } = filter;
    if (externalSubscriptionId && (await subscriptions().count({ organizationId, externalId: externalSubscriptionId })) === 0) throw new NotFoundError(`subscription "${externalSubscriptionId}" not found`);
    if (walletId && (await sources.wallets.wallets().count({ _id: walletId, organizationId })) === 0) throw new NotFoundError(`wallet ${walletId} not found`);
    const targets = [...(externalSubscriptionId ? [{ externalSubscriptionId }] : []), ...(walletId ? [{ walletId }] : [])];
    const base = { organizationId, ...(live ? { deletedAt: null } : {}) };
    if (targets.length === 0) return base;
    return targets.length === 1 ? { ...base, ...targets[0] } : { ...base, $or: targets };
  }

  return {
    alerts,
    triggered,
    byId,
    check,
    filterOf,

    /**
     * Lago's `POST /subscriptions/:id/alerts` (and a wallet's): the target must be a live subscription or an active
     * wallet of the organization; a code is unique per target. Reads the metric's key (a metric deleted meanwhile
     * makes it decide again).
     */
    async create(actor: Actor, input: CreateAlertInput): Promise<AlertDocument> {
      const { organizationId } = actor;
      const alertId = deps.newId();
      const target = isWalletAlert(input.alertType as AlertType) ? { walletId: input.walletId ?? '' } : { externalSubscriptionId: input.externalSubscriptionId ?? '' };
      const reads = input.billableMetricCode ? [guardKeys.metric(input.billableMetricCode)] : [];
      await executeGuarded(deps, actor, alertStream(organizationId, target, input.code), alertDecider, { reads }, async (): Promise<AlertCommand> => ({
        type: 'CreateAlert',
        data: { ...input, organizationId, alertId },
        lookups: await lookupsFor(organizationId, input),
        metadata: now(),
      }));
      const doc = await byId(organizationId, alertId);
      monitor.watch(watchedOf(doc));
      return doc;
    },

    /** Name and thresholds (thresholds omitted or empty: kept, as in Lago). */
    async update(actor: Actor, input: UpdateAlertInput): Promise<AlertDocument> {
      const doc = await byId(actor.organizationId, input.id);
      const { id, ...fields } = input;
      await execute(deps, actor, alertStream(doc.organizationId, doc, doc.code), alertDecider, { type: 'UpdateAlert', data: { alertId: id, ...fields }, metadata: now() });
      return byId(actor.organizationId, id);
    },

    /** The alert as it was; it is checked no more and its code may be taken again. */
    async delete(actor: Actor, alertId: string): Promise<AlertDocument> {
      const doc = await byId(actor.organizationId, alertId);
      await execute(deps, actor, alertStream(doc.organizationId, doc, doc.code), alertDecider, { type: 'DeleteAlert', data: { alertId }, metadata: now() });
      monitor.unwatch(watchedOf(doc));
      return (await alerts().findOne({ _id: alertId, organizationId: actor.organizationId })) ?? doc;
    },

    start: () => monitor.start(),
    close: () => monitor.close(),
  };
}

export type AlertService = ReturnType<typeof createAlertService>;

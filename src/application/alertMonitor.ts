import type { AppDeps } from './context.ts';
import { keyedQueue } from './keyedQueue.ts';
import { followLog } from './logFollower.ts';
import type { WalletMonitor, WalletUpdate } from './walletMonitor.ts';
import type { AlertCreated, AlertDeleted } from '../domain/alert/index.ts';
import { subjectKey } from '../../projections/usageStore.ts';

/** What the monitor needs to know of an alert to watch it. */
export type WatchedAlert = { alertId: string; organizationId: string; externalSubscriptionId: string | null; walletId: string | null; customerId: string };

/** How alerts are checked (application/alerts.ts): the monitor only decides when. */
export interface AlertChecks {
  /** Every live alert of a subscription is checked after its usage changed. */
  subscription(organizationId: string, externalSubscriptionId: string): Promise<void>;
  /** Every live alert of a wallet is checked with its balances as just computed. */
  wallet(update: WalletUpdate): Promise<void>;
  /** The live alerts, to watch at start. */
  live(): Promise<WatchedAlert[]>;
}

type Entry = { organizationId: string; externalSubscriptionId: string; alertIds: Set<string>; timer: NodeJS.Timeout | null; running: boolean; dirty: boolean; lastStart: number };

/**
 * When alerts are checked. Subscription alerts: after every commit that changed their subscription's usage, at most
 * once per `coalesceMs` per subscription (one usage computation for all its alerts). Wallet alerts: whenever the
 * wallet monitor computes their wallet, which it does after every change while a customer with wallet alerts is
 * retained. Started where the billing clock runs; alerts created elsewhere are learnt from the log.
 */
export function createAlertMonitor(deps: AppDeps, walletMonitor: WalletMonitor, checks: AlertChecks, options: { coalesceMs?: number } = {}) {
  const coalesceMs = options.coalesceMs ?? 25;
  const subjects = new Map<string, Entry>();
  const walletAlerts = new Map<string, Set<string>>();
  const customerAlerts = new Map<string, Set<string>>();
  // A wallet's checks run one after the other, so an older balance is never decided after a newer one.
  const perWallet = keyedQueue();
  const stops: (() => void)[] = [];
  let follower: { close(): Promise<void> } | null = null;
  let started: Promise<void> | null = null;
  let closed = false;

  const warn = (what: string) => (error: unknown) => deps.logger.warn(`alert monitor: ${what}`, { error: String(error) });

  function markDirty(entry: Entry): void {
    entry.dirty = true;
    if (entry.running || entry.timer !== null || closed) return;
    entry.timer = setTimeout(() => {
      entry.timer = null;
      void compute(entry);
    }, Math.max(0, entry.lastStart + coalesceMs - Date.now()));
  }

  async function compute(entry: Entry): Promise<void> {
    entry.running = true;
    entry.dirty = false;
    entry.lastStart = Date.now();
    await checks.subscription(entry.organizationId, entry.externalSubscriptionId).catch(warn('subscription check failed'));
    entry.running = false;
    if (entry.dirty && entry.alertIds.size > 0) markDirty(entry);
  }

  /** Adds `id` under `key`; true when it is the key's first. */
  const add = (map: Map<string, Set<string>>, key: string, id: string): boolean => {
    const set = map.get(key) ?? new Set<string>();
    if (set.has(id)) return false;
    map.set(key, set.add(id));
    return set.size === 1;
  };
  /** Removes `id` from `key`; true when it was the key's last. */
  const remove = (map: Map<string, Set<string>>, key: string, id: string): boolean => {
    const set = map.get(key);
    if (set === undefined || !set.delete(id)) return false;
    if (set.size === 0) map.delete(key);
    return set.size === 0;
  };

  /** Watches an alert (idempotent); a customer's first wallet alert keeps its wallets computed. */
  function watch(alert: WatchedAlert): void {
    if (closed) return;
    if (alert.walletId !== null) {
      add(walletAlerts, alert.walletId, alert.alertId);
      if (add(customerAlerts, `${alert.organizationId}/${alert.customerId}`, alert.alertId)) void walletMonitor.retain(alert.organizationId, alert.customerId).catch(warn('retain failed'));
      return;
    }
    if (alert.externalSubscriptionId === null) return;
    const key = subjectKey(alert.organizationId, alert.externalSubscriptionId);
    const entry = subjects.get(key) ?? { organizationId: alert.organizationId, externalSubscriptionId: alert.externalSubscriptionId, alertIds: new Set(), timer: null, running: false, dirty: false, lastStart: 0 };
    subjects.set(key, entry);
    entry.alertIds.add(alert.alertId);
  }

  function unwatch(alert: WatchedAlert): void {
    if (alert.walletId !== null) {
      remove(walletAlerts, alert.walletId, alert.alertId);
      if (remove(customerAlerts, `${alert.organizationId}/${alert.customerId}`, alert.alertId)) walletMonitor.release(alert.organizationId, alert.customerId);
      return;
    }
    if (alert.externalSubscriptionId === null) return;
    const key = subjectKey(alert.organizationId, alert.externalSubscriptionId);
    const entry = subjects.get(key);
    if (entry === undefined || !entry.alertIds.delete(alert.alertId) || entry.alertIds.size > 0) return;
    subjects.delete(key);
    if (entry.timer !== null) clearTimeout(entry.timer);
  }

  /** Follows the log for alerts created and deleted by any instance (resubscribing when the store drops it). */
  function follow(after: bigint | null): void {
    follower = followLog(deps.eventStore, {
      after,
      usage: 'none',
      name: 'alert monitor',
      logger: deps.logger,
      handle: (event) => {
        if (closed) return;
        if (event.type === 'AlertCreated') watch((event as unknown as AlertCreated).data);
        else if (event.type === 'AlertDeleted') unwatch((event as unknown as AlertDeleted).data);
      },
    });
  }

  /** Watches every live alert once the read models hold the log up to `head`, then checks each subscription once. */
  async function load(head: bigint | null): Promise<void> {
    if (head !== null) await deps.waitForProjections(head, { usage: false });
    for (const alert of await checks.live()) watch(alert);
    // Catch up with what changed while nothing was checking (a check of an unchanged value appends nothing).
    for (const entry of subjects.values()) markDirty(entry);
  }

  async function start(): Promise<void> {
    started ??= (async () => {
      const head = await deps.eventStore.headPosition();
      stops.push(
        deps.projections.onCommit((changed) => {
          for (const subject of changed) {
            const entry = subjects.get(subject);
            if (entry !== undefined) markDirty(entry);
          }
        }),
      );
      stops.push(
        walletMonitor.onUpdate((update) => {
          if (walletAlerts.has(update.wallet._id)) void perWallet(update.wallet._id, () => checks.wallet(update)).catch(warn('wallet check failed'));
        }),
      );
      // The follower takes what is appended after `head`, the load what was before: together, every alert. Both in
      // the background: at a first start the read models may take long to catch up.
      follow(head);
      void load(head).catch(warn('loading the alerts failed'));
    })();
    return started;
  }

  return {
    start,
    /** Watches a new alert at once (the log follower learns it too, a little later). No-op until started. */
    watch: (alert: WatchedAlert) => void (started !== null && watch(alert)),
    unwatch: (alert: WatchedAlert) => void (started !== null && unwatch(alert)),
    async close(): Promise<void> {
      closed = true;
      for (const stop of stops) stop();
      await follower?.close();
      for (const entry of subjects.values()) if (entry.timer !== null) clearTimeout(entry.timer);
    },
  };
}

export type AlertMonitor = ReturnType<typeof createAlertMonitor>;

import type { AppDeps } from './context.ts';
import { followLog } from './logFollower.ts';
import type { RecordedEvent } from './ports/eventStore.ts';
import type { OngoingBalance, WalletService } from './wallets.ts';
import { subjectKey } from '../../projections/usageStore.ts';
import type { SubscriptionDocument } from '../../projections/subscriptions.ts';
import type { WalletDocument } from '../../projections/wallets.ts';

export type WalletUpdate = { wallet: WalletDocument; ongoing: OngoingBalance };

/** Events that change which wallets, rules or subscriptions a customer has (the others change only values). */
const STRUCTURAL = /^(Wallet(Created|Updated|Terminated)|Subscription)/;
type Listener = (update: WalletUpdate) => void;

type Watched = {
  organizationId: string;
  customerId: string;
  /** Usage subjects of the customer's live subscriptions. */
  subjects: Set<string>;
  /** Its active wallets with a threshold rule (checked after every change even with nobody listening). */
  thresholds: number;
  /** Holders that keep it watched without listening (alerts on its wallets). */
  retained: number;
  listeners: Set<{ walletId: string | null; deliver: Listener }>;
  timer: NodeJS.Timeout | null;
  running: boolean;
  dirty: boolean;
  lastStart: number;
};

export interface WalletMonitorOptions {
  /** At most one computation per customer per this many milliseconds (default 25). */
  coalesceMs?: number;
}

/**
 * Wallets in real time. A customer is watched while it has an active wallet with a threshold rule or someone listens
 * to its wallets (`walletUpdated`). A commit that changed one of its subscriptions' usage, or an event on its wallets,
 * subscriptions or invoices, marks it dirty; at most once per `coalesceMs` its wallets' ongoing balances are
 * computed once, threshold rules are checked (wallets.checkThreshold: exactly once per crossing, whichever instance
 * checks) and every listener gets the result. No polling: commits and the log drive it.
 */
export function createWalletMonitor(deps: AppDeps, wallets: WalletService, options: WalletMonitorOptions = {}) {
  const coalesceMs = options.coalesceMs ?? 25;
  const watched = new Map<string, Watched>();
  const bySubject = new Map<string, Set<Watched>>();
  let follower: { close(): Promise<void> } | null = null;
  let started: Promise<void> | null = null;
  let closed = false;

  deps.projections.onCommit((changed) => {
    for (const subject of changed) for (const entry of bySubject.get(subject) ?? []) markDirty(entry);
  });

  const keyOf = (organizationId: string, customerId: string) => `${organizationId}/${customerId}`;

  async function refresh(entry: Watched): Promise<void> {
    const docs = await wallets.wallets().find({ customerId: entry.customerId, status: 'ACTIVE' });
    // By the indexed external id (a query on `customerId` would read every live subscription of every organization).
    const externalCustomerId = docs[0]?.externalCustomerId;
    const subs =
      externalCustomerId === undefined
        ? []
        : (await deps.readModels.collection<SubscriptionDocument>('subscriptions').find({ organizationId: entry.organizationId, externalCustomerId, status: { $in: ['ACTIVE', 'PENDING'] } })).filter((s) => s.customerId === entry.customerId);
    for (const subject of entry.subjects) bySubject.get(subject)?.delete(entry);
    entry.subjects = new Set(subs.map((s) => subjectKey(entry.organizationId, s.externalId)));
    for (const subject of entry.subjects) {
      let set = bySubject.get(subject);
      if (set === undefined) bySubject.set(subject, (set = new Set()));
      set.add(entry);
    }
    entry.thresholds = docs.filter((w) => w.recurringTransactionRules.some((r) => r.trigger === 'THRESHOLD')).length;
    if (idle(entry)) forget(entry);
  }


  const idle = (entry: Watched) => entry.thresholds === 0 && entry.listeners.size === 0 && entry.retained === 0;
  const everyUpdate = new Set<Listener>();

  function forget(entry: Watched): void {
    watched.delete(keyOf(entry.organizationId, entry.customerId));
    for (const subject of entry.subjects) {
      const set = bySubject.get(subject);
      set?.delete(entry);
      if (set?.size === 0) bySubject.delete(subject);
    }
    if (entry.timer !== null) clearTimeout(entry.timer);
  }

  function entryFor(organizationId: string, customerId: string): Watched {
    const key = keyOf(organizationId, customerId);
    let entry = watched.get(key);
    if (entry === undefined) {
      entry = { organizationId, customerId, subjects: new Set(), thresholds: 0, retained: 0, listeners: new Set(), timer: null, running: false, dirty: false, lastStart: 0 };
      watched.set(key, entry);
    }
    return entry;
  }

  function markDirty(entry: Watched): void {
    entry.dirty = true;
    if (entry.running || entry.timer !== null) return;
    entry.timer = setTimeout(() => {
      entry.timer = null;
      void compute(entry);
    }, Math.max(0, entry.lastStart + coalesceMs - Date.now()));
  }

  async function compute(entry: Watched): Promise<void> {
    entry.running = true;
    entry.dirty = false;
    entry.lastStart = Date.now();
    try {
      const docs = await wallets.wallets().find({ customerId: entry.customerId, status: 'ACTIVE' });
      const balances = await wallets.ongoingAll(entry.organizationId, entry.customerId, docs);
      for (const doc of docs) {
        let wallet = doc;
        let ongoing = balances.get(doc._id)!;
        if (doc.recurringTransactionRules.some((r) => r.trigger === 'THRESHOLD')) {
          const fired = await wallets.checkThreshold(doc, ongoing);
          if (fired !== null) ({ wallet, ongoing } = fired);
        }
        for (const listener of entry.listeners) if (listener.walletId === null || listener.walletId === doc._id) listener.deliver({ wallet, ongoing });
        for (const listener of everyUpdate) listener({ wallet, ongoing });
      }
    } catch (error) {
      deps.logger.warn('wallet monitor: computation failed', { customerId: entry.customerId, error: String(error) });
    } finally {
      entry.running = false;
    }
    if (entry.dirty && watched.has(keyOf(entry.organizationId, entry.customerId))) markDirty(entry);
  }

  /**
   * What changes a watched customer's wallets (their events, subscriptions, invoices), from the log. Run again for
   * the same event when it fails (a read, a wait for the projections): see followLog.
   */
  async function onEvent(event: RecordedEvent): Promise<void> {
    if (closed) return;
    const data = event.data as { customerId?: string; organizationId?: string; walletId?: string };
    if (data.organizationId === undefined) return;
    const byCustomer = data.customerId !== undefined && (event.type.startsWith('Wallet') || event.type.startsWith('Invoice') || event.type.startsWith('Subscription'));
    if (!byCustomer && !(event.type.startsWith('Wallet') && data.walletId !== undefined)) return;
    const customerId = data.customerId ?? (await customerOfWallet(data));
    if (customerId === null) return;
    const key = keyOf(data.organizationId, customerId);
    const known = watched.get(key);
    if (known === undefined && !(event.type === 'WalletCreated' || event.type === 'WalletUpdated')) return;
    await deps.waitForProjections(event.position, { usage: false });
    const entry = known ?? entryFor(data.organizationId, customerId);
    // Which wallets and subscriptions it has changes with these only; the rest (transactions, invoices) changes values.
    if (known === undefined || STRUCTURAL.test(event.type)) await refresh(entry);
    if (watched.has(key)) markDirty(entry);
  }

  async function customerOfWallet(data: { walletId?: string }): Promise<string | null> {
    if (data.walletId === undefined) return null;
    return (await wallets.wallets().findOne({ _id: data.walletId }))?.customerId ?? null;
  }

  async function start(): Promise<void> {
    started ??= (async () => {
      for (const doc of await wallets.wallets().find({ status: 'ACTIVE', 'recurringTransactionRules.trigger': 'THRESHOLD' })) {
        const entry = entryFor(doc.organizationId, doc.customerId);
        await refresh(entry);
        markDirty(entry);
      }
      follower = followLog(deps.eventStore, { after: 'head', usage: 'none', name: 'wallet monitor', logger: deps.logger, handle: onEvent });
    })();
    return started;
  }

  return {
    start,
    /** The wallet (or every wallet of a customer) now, then after every change, until `return()`. */
    async watch(organizationId: string, customerId: string, walletId: string | null): Promise<AsyncIterableIterator<WalletUpdate>> {
      await start();
      const entry = entryFor(organizationId, customerId);
      let queue: WalletUpdate[] = [];
      let wake: (() => void) | null = null;
      let closed = false;
      const listener = {
        walletId,
        deliver(update: WalletUpdate) {
          // A slow reader holds only the latest value per wallet.
          queue = [...queue.filter((u) => u.wallet._id !== update.wallet._id), update];
          wake?.();
        },
      };
      entry.listeners.add(listener);
      await refresh(entry);
      markDirty(entry);
      // An iterator of its own (not a generator): a closed websocket ends it at once, even while it waits for a change.
      const iterator: AsyncIterableIterator<WalletUpdate> = {
        [Symbol.asyncIterator]: () => iterator,
        async next() {
          while (!closed && queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
          wake = null;
          if (closed) return { done: true, value: undefined };
          return { done: false, value: queue.shift()! };
        },
        async return() {
          if (!closed) {
            closed = true;
            entry.listeners.delete(listener);
            if (idle(entry)) forget(entry);
            wake?.();
          }
          return { done: true, value: undefined };
        },
      };
      return iterator;
    },
    /** Called with every wallet computed (of every watched customer). */
    onUpdate(listener: Listener): () => void {
      everyUpdate.add(listener);
      return () => everyUpdate.delete(listener);
    },
    /** Keeps a customer's wallets watched (computed after every change) until `release`. */
    async retain(organizationId: string, customerId: string): Promise<void> {
      await start();
      const entry = entryFor(organizationId, customerId);
      entry.retained += 1;
      await refresh(entry);
      markDirty(entry);
    },
    release(organizationId: string, customerId: string): void {
      const entry = watched.get(keyOf(organizationId, customerId));
      if (entry === undefined) return;
      entry.retained = Math.max(0, entry.retained - 1);
      if (idle(entry)) forget(entry);
    },
    async close(): Promise<void> {
      closed = true;
      await follower?.close();
      for (const entry of watched.values()) if (entry.timer !== null) clearTimeout(entry.timer);
    },
  };
}

export type WalletMonitor = ReturnType<typeof createWalletMonitor>;

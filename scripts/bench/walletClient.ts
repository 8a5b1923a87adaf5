/**
 * The wallets phase's websocket client process (forked by phases/wallets.ts), in one of two kinds:
 * - `wallets`: opens one graphql-ws `walletUpdated(walletId)` subscription per wallet, spread over `connections`
 *   websockets, and records every push (time, watcher, ongoingUsageBalanceCents, ongoingBalanceCents,
 *   balanceCents). "ready" once every watcher has had its first push (its baseline).
 * - `thresholds`: one organization-wide `usageThresholdReached` subscription; records every progressive invoice
 *   pushed (time, id, subscription, feesAmountCents). "ready" once subscribed; "canary" when the first invoice of
 *   the canary subscription arrives (proof that the server follows the log for this subscriber).
 * "expect" (targets for each watcher or subscription) answers "reached" once they are all met or at its timeout;
 * "done" with everything recorded on "stop".
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { parentChannel } from './children.ts';
import type { FromWallet, InvoicePush, ToWallet, WalletJob } from './messages.ts';
import { USAGE_THRESHOLD_REACHED, WALLET_UPDATED, type UsageThresholdReached, type WalletUpdated } from './queries.ts';
import { now } from './stats.ts';
import { withTimeout } from './wait.ts';

const clients: Client[] = [];
const pushWatcher: number[] = [];
const pushT: number[] = [];
const pushUsage: number[] = [];
const pushOngoing: number[] = [];
const pushBalance: number[] = [];
const invoices: InvoicePush[] = [];
const errors: string[] = [];

/** Per watcher, its latest ongoingUsageBalanceCents; per subscription, the largest feesAmountCents pushed. */
const latestUsage = new Map<number, number>();
const largestFees = new Map<string, number>();

const channel = parentChannel<ToWallet, FromWallet>(async (message) => {
  if (message.type === 'start') channel.send(message.job.kind === 'wallets' ? await openWallets(message.job) : openThresholds(message.job));
  else if (message.type === 'expect') channel.send(await expect(message));
  else {
    await Promise.allSettled(clients.map((client) => client.dispose()));
    channel.send({
      type: 'done',
      wallets: { watcher: Uint32Array.from(pushWatcher), t: Float64Array.from(pushT), usage: Float64Array.from(pushUsage), ongoing: Float64Array.from(pushOngoing), balance: Float64Array.from(pushBalance) },
      invoices,
      errors: errors.slice(0, 20),
    });
  }
});

const client = (wsUrl: string, key: string) => createClient({ url: wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${key}` }, retryAttempts: 0, lazy: true });
const text = (error: unknown) => (error instanceof Error ? error.message : JSON.stringify(error));

async function openWallets(job: Extract<WalletJob, { kind: 'wallets' }>): Promise<FromWallet> {
  const started = performance.now();
  for (let i = 0; i < job.connections; i += 1) clients.push(client(job.wsUrl, job.key));
  const baselines = new Array<number>(job.walletIds.length).fill(-1);
  let waiting = job.walletIds.length;
  let fail: (error: Error) => void = () => {};
  let allFirst: () => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    allFirst = resolve;
    fail = reject;
  });
  job.walletIds.forEach((wallet, watcher) => {
    clients[watcher % clients.length]!.subscribe<WalletUpdated>(
      { query: WALLET_UPDATED, variables: { wallet } },
      {
        next: (value) => {
          const t = now();
          if (value.errors?.length || !value.data) {
            errors.push(JSON.stringify(value.errors ?? 'push without data'));
            if (baselines[watcher] === -1) fail(new Error(`watcher ${watcher} (wallet ${wallet}): ${errors.at(-1)}`));
            return;
          }
          const w = value.data.walletUpdated;
          const usage = Number(w.ongoingUsageBalanceCents);
          if (baselines[watcher] === -1) {
            baselines[watcher] = usage;
            if (--waiting === 0) allFirst();
          }
          latestUsage.set(watcher, usage);
          pushWatcher.push(watcher);
          pushT.push(t);
          pushUsage.push(usage);
          pushOngoing.push(Number(w.ongoingBalanceCents));
          pushBalance.push(Number(w.balanceCents));
        },
        error: (error) => {
          errors.push(text(error));
          if (baselines[watcher] === -1) fail(new Error(`watcher ${watcher} (wallet ${wallet}): ${text(error)}`));
        },
        complete: () => {},
      },
    );
  });
  await withTimeout(ready, job.subscribeTimeoutMs, `the first push of all ${job.walletIds.length} wallet watchers`).catch((error: unknown) => {
    throw new Error(`${text(error)}; ${waiting} of ${job.walletIds.length} watchers had no first push`);
  });
  return { type: 'ready', baselines, openMs: performance.now() - started };
}

function openThresholds(job: Extract<WalletJob, { kind: 'thresholds' }>): FromWallet {
  const started = performance.now();
  const c = client(job.wsUrl, job.key);
  clients.push(c);
  let canarySeen = false;
  c.subscribe<UsageThresholdReached>(
    { query: USAGE_THRESHOLD_REACHED },
    {
      next: (value) => {
        const t = now();
        if (value.errors?.length || !value.data) {
          errors.push(JSON.stringify(value.errors ?? 'push without data'));
          return;
        }
        const i = value.data.usageThresholdReached;
        if (i.externalSubscriptionId === job.canary && !canarySeen) {
          canarySeen = true;
          channel.send({ type: 'canary', t });
        }
        if (i.externalSubscriptionId !== null) largestFees.set(i.externalSubscriptionId, Math.max(largestFees.get(i.externalSubscriptionId) ?? 0, Number(i.feesAmountCents)));
        invoices.push({ t, id: i.id, externalSubscriptionId: i.externalSubscriptionId, invoiceType: i.invoiceType, status: i.status, feesAmountCents: Number(i.feesAmountCents), thresholds: i.appliedUsageThresholds.length });
      },
      error: (error) => void errors.push(text(error)),
      complete: () => {},
    },
  );
  // Whether the server follows the log yet is proven by the phase's canary invoice, not here.
  return { type: 'ready', baselines: [], openMs: performance.now() - started };
}

async function expect(message: Extract<ToWallet, { type: 'expect' }>): Promise<FromWallet> {
  const started = performance.now();
  const short = () =>
    (message.usage ?? []).filter((target, watcher) => (latestUsage.get(watcher) ?? -Infinity) < target).length +
    (message.fees ?? []).filter(([subscription, fees]) => (largestFees.get(subscription) ?? 0) < fees).length;
  while (short() > 0 && performance.now() - started < message.timeoutMs) await new Promise((resolve) => setTimeout(resolve, 20));
  return { type: 'reached', ms: performance.now() - started, short: short() };
}

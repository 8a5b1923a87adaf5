import { createHash } from 'node:crypto';
import type { AppDeps } from './context.ts';
import { followLog, retrier } from './logFollower.ts';
import type { RecordedEvent } from './ports/eventStore.ts';
import { ConcurrencyError } from '../domain/shared/errors.ts';
import type { WebhookCreated, WebhookEndpointEvent, WebhookRetryRequested } from '../domain/webhook/events.ts';
import { WEBHOOK_TYPES, type WebhookType } from '../domain/webhook/types.ts';
import type { EndpointTarget, WebhookDelivery } from './webhookDelivery.ts';
import { webhookStream } from './webhooks.ts';
import { CREDIT_NOTES } from '../../projections/creditNotes.ts';
import { IN_ADVANCE_FEES } from '../../projections/inAdvanceFees.ts';
import { INVOICES } from '../../projections/invoices.ts';
import { TRIGGERED_ALERTS } from '../../projections/alerts.ts';
import { WALLETS, WALLET_TRANSACTIONS } from '../../projections/wallets.ts';
import { WEBHOOK_ENDPOINTS, webhookEndpointsProjection, type WebhookEndpointDocument } from '../../projections/webhooks.ts';

/** One webhook a domain event makes: its type and the read-model document sent as its object. */
export type WebhookSource = { webhookType: WebhookType; collection: string; objectId: string };

/** Where each object type's documents are. */
const COLLECTIONS: Record<(typeof WEBHOOK_TYPES)[WebhookType], string> = {
  triggered_alert: TRIGGERED_ALERTS,
  billable_metric: 'billableMetrics',
  credit_note: CREDIT_NOTES,
  customer: 'customers',
  fee: IN_ADVANCE_FEES,
  invoice: INVOICES,
  plan: 'plans',
  subscription: 'subscriptions',
  wallet: WALLETS,
  wallet_transaction: WALLET_TRANSACTIONS,
};

const source = (webhookType: WebhookType, objectId: unknown): WebhookSource => ({ webhookType, collection: COLLECTIONS[WEBHOOK_TYPES[webhookType]], objectId: String(objectId) });

/**
 * The webhooks a domain event makes (Lago's names, reference §8), before any endpoint is considered. Pure: what
 * depends on the invoice (a credit invoice paid is `invoice.paid_credit_added` too) is in the event or in
 * `invoiceType`. An invoice is created as a draft and finalized at once unless it has a grace period: a draft
 * with a grace period is `invoice.drafted`, every finalization `invoice.created` (`invoice.one_off_created` for
 * one-off invoices), and a progressive-billing invoice is also the subscription's `usage_threshold_reached`.
 */
export function webhookSources(event: RecordedEvent, invoiceType?: string): WebhookSource[] {
  const d = event.data as Record<string, unknown>;
  switch (event.type) {
    case 'CustomerCreated':
      return [source('customer.created', d.customerId)];
    case 'CustomerUpdated':
      return [source('customer.updated', d.customerId)];
    case 'BillableMetricCreated':
      return [source('billable_metric.created', d.metricId)];
    case 'BillableMetricUpdated':
      return [source('billable_metric.updated', d.metricId)];
    case 'BillableMetricDeleted':
      return [source('billable_metric.deleted', d.metricId)];
    case 'PlanCreated':
      return [source('plan.created', d.planId)];
    case 'PlanUpdated':
      return [source('plan.updated', d.planId)];
    case 'PlanDeleted':
      return [source('plan.deleted', d.planId)];
    case 'SubscriptionCreated':
      return d.status === 'ACTIVE' ? [source('subscription.started', d.subscriptionId)] : [];
    case 'SubscriptionActivated':
      return [source('subscription.started', d.subscriptionId)];
    case 'SubscriptionUpdated':
      return [source('subscription.updated', d.subscriptionId)];
    case 'SubscriptionCanceled':
      return [source('subscription.canceled', d.subscriptionId)];
    case 'SubscriptionTerminated':
      return [source('subscription.terminated', d.subscriptionId)];
    case 'InvoiceCreated': {
      const out: WebhookSource[] = [];
      if (d.finalizesAt !== null && d.finalizesAt !== undefined) out.push(source('invoice.drafted', d.invoiceId));
      if (d.invoiceType === 'PROGRESSIVE_BILLING') out.push(source('subscription.usage_threshold_reached', d.subscriptionId));
      return out;
    }
    case 'InvoiceFinalized':
      return [source(invoiceType === 'ONE_OFF' ? 'invoice.one_off_created' : 'invoice.created', d.invoiceId)];
    case 'InvoicePaymentStatusUpdated':
      return [source('invoice.payment_status_updated', d.invoiceId), ...(invoiceType === 'CREDIT' && d.paymentStatus === 'SUCCEEDED' ? [source('invoice.paid_credit_added', d.invoiceId)] : [])];
    case 'InvoiceVoided':
      return [source('invoice.voided', d.invoiceId)];
    case 'InAdvanceFeeCreated':
      return [source('fee.created', event.streamId)];
    case 'CreditNoteCreated':
      return [source('credit_note.created', d.creditNoteId)];
    case 'WalletCreated':
      return [source('wallet.created', d.walletId)];
    case 'WalletUpdated':
      return [source('wallet.updated', d.walletId)];
    case 'WalletTerminated':
      return [source('wallet.terminated', d.walletId)];
    case 'WalletTransactionCreated':
      return [source('wallet_transaction.created', d.walletTransactionId)];
    case 'WalletTransactionSettled':
      return [source('wallet_transaction.updated', d.walletTransactionId)];
    case 'WalletTransactionFailed':
      return [source('wallet_transaction.updated', d.walletTransactionId), source('wallet_transaction.payment_failure', d.walletTransactionId)];
    case 'AlertTriggered':
      return [source('alert.triggered', d.triggeredAlertId)];
    default:
      return [];
  }
}

/** Events whose webhook depends on the invoice's type. */
const NEEDS_INVOICE_TYPE = new Set(['InvoiceFinalized', 'InvoicePaymentStatusUpdated']);

/** The webhook an event makes for an endpoint: the same id whenever (and wherever) it is decided again. */
export function webhookIdOf(sourceEventId: string, webhookEndpointId: string, webhookType: string): string {
  const h = createHash('sha256').update(`${sourceEventId}\n${webhookEndpointId}\n${webhookType}`).digest('hex');
  const variant = ((Number.parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The body sent: Lago's envelope; the object is the read-model document (its `_id` as `id`). */
export function webhookPayload(webhookType: WebhookType, organizationId: string, object: Record<string, unknown>): string {
  const objectType = WEBHOOK_TYPES[webhookType];
  const { _id, ...fields } = object;
  return JSON.stringify({ webhook_type: webhookType, object_type: objectType, organization_id: organizationId, [objectType]: { id: _id, ...fields } });
}

const pad = (position: bigint) => position.toString().padStart(20, '0');
const CHECKPOINT = 'webhookDispatcher';
/** Events dispatched in one run at most, and webhooks in one atomic append. */
const BATCH = 1_000;
const APPEND_CHUNK = 200;

export interface WebhookDispatcherOptions {
  /** How often the dispatcher's position is saved (a restart re-reads at most this much; default 1 s). */
  checkpointEveryMs?: number;
}

/**
 * Turns domain events into webhooks. Follows the log (never usage events); for an event of an organization with
 * endpoints it appends one `WebhookCreated` per endpoint that subscribes to the event's webhook type and existed at
 * the event's position — all of them in one atomic append, each to a new stream whose id derives from the event,
 * the endpoint and the type, so re-reading the log after a crash never makes a webhook twice — and hands them to
 * delivery. Its position is saved as a read-model checkpoint every `checkpointEveryMs`. It also keeps the
 * endpoints delivery sends to, and hands `retryWebhook`'s requests (appended by any instance) to delivery.
 */
export function createWebhookDispatcher(deps: AppDeps, delivery: WebhookDelivery, options: WebhookDispatcherOptions = {}) {
  const endpoints = new Map<string, WebhookEndpointDocument>();
  const byOrganization = new Map<string, Set<string>>();
  let follower: { close(): Promise<void> } | null = null;
  let started: Promise<void> | null = null;
  let closed = false;
  let handled: bigint | null = null;
  let saved: bigint | null = null;
  let checkpointTimer: NodeJS.Timeout | null = null;

  function remember(doc: WebhookEndpointDocument): void {
    endpoints.set(doc._id, doc);
    const ids = byOrganization.get(doc.organizationId) ?? new Set<string>();
    byOrganization.set(doc.organizationId, ids.add(doc._id));
  }

  /** An endpoint event, folded as the read model folds it (the same fold: creation and deletion positions included). */
  function learn(event: RecordedEvent): void {
    const id = (event.data as WebhookEndpointEvent['data']).webhookEndpointId;
    const next = webhookEndpointsProjection.fold(endpoints.get(id) ?? null, event, id) as WebhookEndpointDocument | null;
    if (next !== null) remember(next);
  }

  /** The organization's endpoints that existed at `position` and take `webhookType`. */
  function subscribers(organizationId: string, position: bigint, webhookType: string): WebhookEndpointDocument[] {
    const at = pad(position);
    const out: WebhookEndpointDocument[] = [];
    for (const id of byOrganization.get(organizationId) ?? []) {
      const endpoint = endpoints.get(id)!;
      if (endpoint.createdPosition >= at || (endpoint.deletedPosition !== null && endpoint.deletedPosition <= at)) continue;
      if (endpoint.eventTypes === null || endpoint.eventTypes.includes(webhookType)) out.push(endpoint);
    }
    return out;
  }

  /** The webhooks an event makes for the endpoints that take them (reads the read models: they hold the event). */
  async function webhooksOf(event: RecordedEvent, createdAt: string, read: (collection: string, id: string) => Promise<Record<string, unknown> | null>): Promise<WebhookCreated[]> {
    const organizationId = event.metadata.organizationId;
    let invoiceType: string | undefined;
    if (NEEDS_INVOICE_TYPE.has(event.type)) {
      const invoice = await read(INVOICES, String((event.data as { invoiceId: string }).invoiceId));
      invoiceType = invoice === null ? undefined : String(invoice.invoiceType);
    }
    const webhooks: WebhookCreated[] = [];
    for (const item of webhookSources(event, invoiceType)) {
      const targets = subscribers(organizationId, event.position, item.webhookType);
      if (targets.length === 0) continue;
      const doc = await read(item.collection, item.objectId);
      // Documents are kept when deleted (with `deletedAt`): a missing one is sent as the event's data.
      const payload = webhookPayload(item.webhookType, organizationId, doc ?? { _id: item.objectId, ...(event.data as Record<string, unknown>) });
      for (const endpoint of targets) {
        webhooks.push({
          type: 'WebhookCreated',
          data: {
            organizationId,
            webhookId: webhookIdOf(event.id, endpoint._id, item.webhookType),
            webhookEndpointId: endpoint._id,
            webhookType: item.webhookType,
            objectType: WEBHOOK_TYPES[item.webhookType],
            objectId: item.objectId,
            sourceEventId: event.id,
            sourcePosition: event.position.toString(),
            payload,
            createdAt,
          },
        });
      }
    }
    return webhooks;
  }

  /** Whether an event may make a webhook for an endpoint: cheap, before anything is read. */
  function mayMake(event: RecordedEvent): boolean {
    const organizationId = event.metadata.organizationId;
    const endpointIds = byOrganization.get(organizationId);
    if (endpointIds === undefined || endpointIds.size === 0) return false;
    const candidates = webhookSources(event, 'CREDIT').concat(webhookSources(event, 'ONE_OFF'));
    return candidates.some((c) => subscribers(organizationId, event.position, c.webhookType).length > 0);
  }

  /**
   * Makes the webhooks of a run of events: one wait for the read models (at the run's last event that makes one),
   * then every webhook appended `no_stream`, in atomic appends of up to APPEND_CHUNK streams. A chunk refused because
   * one of its webhooks exists (the log read again after a restart) is appended one webhook at a time, the
   * existing ones left as they are.
   */
  async function dispatch(events: readonly RecordedEvent[]): Promise<void> {
    const makers = events.filter(mayMake);
    if (makers.length === 0) return;
    await deps.waitForProjections(makers[makers.length - 1]!.position, { usage: false });
    const createdAt = new Date().toISOString();
    const webhooks: { webhook: WebhookCreated; source: RecordedEvent }[] = [];
    // Each document is read once per run (an invoice's type and its body are the same read).
    const documents = new Map<string, Promise<Record<string, unknown> | null>>();
    const read = (collection: string, id: string) => {
      const key = `${collection}/${id}`;
      let found = documents.get(key);
      if (found === undefined) documents.set(key, (found = deps.readModels.collection(collection).findOne({ _id: id })));
      return found;
    };
    for (const event of makers) for (const webhook of await webhooksOf(event, createdAt, read)) webhooks.push({ webhook, source: event });
    const entry = ({ webhook, source }: { webhook: WebhookCreated; source: RecordedEvent }) => ({
      streamId: webhookStream(webhook.data.organizationId, webhook.data.webhookId),
      events: [
        {
          type: webhook.type,
          data: webhook.data,
          metadata: { organizationId: webhook.data.organizationId, recordedAt: createdAt, causationId: source.id, ...(source.metadata.correlationId ? { correlationId: source.metadata.correlationId } : {}) },
        },
      ],
      expectedRevision: 'no_stream' as const,
    });
    const now = Date.now();
    const made = (webhook: WebhookCreated, position: bigint) =>
      delivery.schedule({
        webhookId: webhook.data.webhookId,
        organizationId: webhook.data.organizationId,
        webhookEndpointId: webhook.data.webhookEndpointId,
        position,
        dueAt: now,
        fresh: { webhookType: webhook.data.webhookType, payload: webhook.data.payload, sourceEventId: webhook.data.sourceEventId },
      });
    for (let i = 0; i < webhooks.length; i += APPEND_CHUNK) {
      const chunk = webhooks.slice(i, i + APPEND_CHUNK);
      try {
        const result = await deps.eventStore.appendMany(chunk.map(entry));
        for (const { webhook } of chunk) made(webhook, result.position);
      } catch (error) {
        if (!(error instanceof ConcurrencyError)) throw error;
        for (const item of chunk) {
          const one = entry(item);
          try {
            made(item.webhook, (await deps.eventStore.append(one.streamId, one.events, { expectedRevision: 'no_stream' })).position);
          } catch (failure) {
            if (!(failure instanceof ConcurrencyError)) throw failure;
          }
        }
      }
    }
  }

  /**
   * The follower hands every event here; they are dispatched in runs (what arrived while the previous run was being
   * made, at most BATCH): a billing run's thousands of invoices make their webhooks in a few appends, not one each.
   * The follower waits while BATCH events are waiting, so memory stays bounded when the log is read from far back.
   * A run that fails is tried again (back-off), never skipped; `handled` (what is saved) is the last run's end.
   */
  const buffer: RecordedEvent[] = [];
  let draining: Promise<void> | null = null;
  let room: { promise: Promise<void>; resolve: () => void } | null = null;
  const retry = retrier({ name: 'webhook dispatcher', logger: deps.logger });

  async function drain(): Promise<void> {
    while (buffer.length > 0 && !closed) {
      const run = buffer.slice(0, BATCH);
      try {
        await dispatch(run);
        retry.reset();
      } catch (error) {
        if (closed) return;
        await retry.wait('webhook dispatcher failed on a run of events; retrying it', error, { from: run[0]!.position.toString(), to: run[run.length - 1]!.position.toString() });
        continue;
      }
      buffer.splice(0, run.length);
      handled = run[run.length - 1]!.position;
      if (room !== null && buffer.length < BATCH) {
        room.resolve();
        room = null;
      }
    }
  }

  function startDraining(): void {
    draining ??= drain().finally(() => {
      draining = null;
      if (buffer.length > 0 && !closed) startDraining();
    });
  }

  async function handle(event: RecordedEvent): Promise<void> {
    if (closed) return;
    if (event.type.startsWith('WebhookEndpoint')) learn(event);
    else if (event.type === 'WebhookRetryRequested') {
      const d = (event as unknown as WebhookRetryRequested).data;
      delivery.schedule({ webhookId: d.webhookId, organizationId: d.organizationId, webhookEndpointId: null, position: event.position, dueAt: Date.now() });
    }
    buffer.push(event);
    startDraining();
    if (buffer.length >= BATCH) {
      if (room === null) {
        let resolve!: () => void;
        const promise = new Promise<void>((r) => (resolve = r));
        room = { promise, resolve };
      }
      await room.promise;
    }
  }

  async function saveCheckpoint(): Promise<void> {
    if (handled === null || handled === saved) return;
    const position = handled;
    await deps.readModels.commit([], [{ name: CHECKPOINT, position }]);
    saved = position;
  }

  async function run(): Promise<void> {
    const head = await deps.eventStore.headPosition();
    if (head !== null) await deps.waitForProjections(head, { usage: false });
    if (closed) return;
    for (const doc of await deps.readModels.collection<WebhookEndpointDocument>(WEBHOOK_ENDPOINTS).find({})) remember({ ...doc });
    // Where to go on from: the saved position; without one (a first start, an upgrade), the first endpoint's
    // creation (webhooks already made are not made again); without endpoints, the head.
    const checkpoint = await deps.readModels.getCheckpoint(CHECKPOINT);
    const firstEndpoint = [...endpoints.values()].reduce<string | null>((min, e) => (min === null || e.createdPosition < min ? e.createdPosition : min), null);
    const after = checkpoint ?? (firstEndpoint === null ? head : BigInt(firstEndpoint) - 1n);
    saved = checkpoint;
    const due = await delivery.loadDue(head ?? 0n);
    if (due > 0) deps.logger.info('webhooks due at start', { count: due });
    if (closed) return;
    follower = followLog(deps.eventStore, { after: after ?? null, usage: 'none', name: 'webhook dispatcher', logger: deps.logger, handle });
    checkpointTimer = setInterval(() => void saveCheckpoint().catch((error: unknown) => deps.logger.warn('webhook dispatcher: saving its position failed', { error: String(error) })), options.checkpointEveryMs ?? 1_000);
    checkpointTimer.unref();
  }

  return {
    /** Starts in the background (the read models may take long to catch up at a first start). */
    start(): Promise<void> {
      started ??= run().catch((error: unknown) => deps.logger.error('webhook dispatcher failed to start', { error: String(error) }));
      return started;
    },
    /** Where delivery sends an endpoint's webhooks now. */
    endpoint(webhookEndpointId: string): EndpointTarget | null {
      const doc = endpoints.get(webhookEndpointId);
      return doc === undefined ? null : { url: doc.url, secret: doc.secret, signatureAlgorithm: doc.signatureAlgorithm, deleted: doc.deletedAt !== null };
    },
    /** The last position handled (tests). */
    position: () => handled,
    async close(): Promise<void> {
      closed = true;
      if (checkpointTimer !== null) clearInterval(checkpointTimer);
      await started;
      await follower?.close();
      retry.interrupt();
      room?.resolve();
      await draining;
      await saveCheckpoint().catch(() => {});
    },
  };
}

export type WebhookDispatcher = ReturnType<typeof createWebhookDispatcher>;

import type { Actor, AppDeps } from './context.ts';
import { executeGuarded, guardKeys } from './consistency.ts';
import { getCustomerByExternalId } from './customers.ts';
import { execute } from './execute.ts';
import type { InvoiceService } from './invoices.ts';
import { finalizedProgressiveInvoicesOfCustomer, holds } from './progressiveInvoices.ts';
import { applicableTimezone } from './subscriptions.ts';
import type { UsageService } from './usage.ts';
import BigNumber from 'bignumber.js';
import { intervalOccurrences, ongoingBalances, type DraftInvoice, type OngoingFee, type UsageFee } from '../billing/wallets/index.ts';
import type { CustomerDocument } from '../../projections/customers.ts';
import type { OrganizationDocument } from '../../projections/organizations.ts';
import type { SubscriptionDocument } from '../../projections/subscriptions.ts';
import { readWallet, walletStream } from './walletLedger.ts';
import { NotFoundError, ValidationError } from '../domain/shared/errors.ts';
import { walletDecider, type TopUp, type TransactionMetadata, type WalletCommand, type WalletTerms } from '../domain/wallet/index.ts';
import { INVOICES, type InvoiceDocument } from '../../projections/invoices.ts';
import { WALLETS, WALLET_TRANSACTIONS, type WalletDocument, type WalletTransactionDocument } from '../../projections/wallets.ts';

export type WalletInput = WalletTerms & {
  externalCustomerId: string;
  code: string | null;
  currency: string;
  rateAmount: string;
  paidCredits?: string | null;
  grantedCredits?: string | null;
  transactionMetadata?: TransactionMetadata;
};

export type TopUpInput = Pick<TopUp, 'walletId' | 'paidCredits' | 'grantedCredits' | 'voidedCredits' | 'metadata' | 'invoiceRequiresSuccessfulPayment' | 'ignorePaidTopUpLimits'>;

/** A wallet's balances net of what the customer owes and has not paid from it yet (§5.4), as the API shows them. */
export type OngoingBalance = {
  ongoingUsageBalanceCents: string;
  creditsOngoingUsageBalance: string;
  ongoingBalanceCents: string;
  creditsOngoingBalance: string;
  depletedOngoingBalance: boolean;
  /** The usage allocated to the wallet, unrounded cents (what a threshold rule is checked with). */
  allocatedCents: string;
};

const SYSTEM = 'billingClock';

/** An invoice fee as the ongoing balance reads it (its taxes, its coupons and progressive-billing share). */
const ongoingFeeOf = (fee: InvoiceDocument['fees'][number]): OngoingFee => ({
  feeType: fee.feeType,
  billableMetricCode: fee.billableMetricCode,
  currency: fee.amountCurrency,
  amountCents: new BigNumber(fee.amountCents),
  taxesAmountCents: new BigNumber(fee.taxesAmountCents),
  preciseCouponsAmountCents: new BigNumber(fee.preciseCouponsAmountCents ?? 0),
});
/** Interval occurrences looked at per rule and tick, at most (a clock far ahead catches up over several ticks). */
const MAX_OCCURRENCES = 24;
/** Pending purchases swept per tick for a missing credit invoice. */
const SWEEP_LIMIT = 500;

/** Recurring rules' ids are fixed by position (a wallet holds at most one), so an update keeps a rule's occurrences. */
const withRuleIds = <T extends { recurringTransactionRules: WalletTerms['recurringTransactionRules'] }>(walletId: string, terms: T): T => ({
  ...terms,
  recurringTransactionRules: terms.recurringTransactionRules.map((rule, i) => ({ ...rule, ruleId: `${walletId}/rule/${i + 1}` })),
});

/**
 * Prepaid wallets (§5.4): creation with a first top-up, updates, termination, top-ups (paid, granted, voided), and
 * the credit invoices of paid credits, which settle when the invoice is paid. Every balance change is a transaction
 * on the wallet's stream (domain/wallet).
 */
export function createWalletService(deps: AppDeps, invoices: InvoiceService, usage: UsageService) {
  const wallets = () => deps.readModels.collection<WalletDocument>(WALLETS);
  const transactions = () => deps.readModels.collection<WalletTransactionDocument>(WALLET_TRANSACTIONS);
  const now = () => ({ now: deps.clock.now().toISOString() });
  const idsFor = () => ({ paid: deps.newId(), granted: deps.newId(), voided: deps.newId(), invoice: deps.newId() });

  async function metricCodes(organizationId: string, codes: readonly string[]): Promise<string[]> {
    if (codes.length === 0) return [];
    const docs = await deps.readModels.collection<{ _id: string; code: string }>('billableMetrics').find({ organizationId, deletedAt: null, code: { $in: [...codes] } });
    return docs.map((m) => m.code);
  }

  async function byId(organizationId: string, walletId: string): Promise<WalletDocument> {
    const doc = await wallets().findOne({ _id: walletId, organizationId });
    if (doc === null) throw new NotFoundError(`wallet ${walletId} not found`);
    return doc;
  }

  /**
   * Issues the credit invoice of every purchased transaction of the wallet still waiting for one. Each invoice's
   * stream derives from its transaction: issuing twice adds nothing, so a crash between the top-up and its invoice
   * is repaired by the next call (the billing clock sweeps too).
   */
  async function invoicePending(organizationId: string, walletId: string): Promise<void> {
    const { state } = await readWallet(deps, organizationId, walletId);
    if (state.status === 'none') return;
    for (const pending of state.pending) {
      if (pending.transactionStatus !== 'PURCHASED' || pending.invoiceId === null) continue;
      await invoices.createCredit({
        organizationId,
        walletTransactionId: pending.walletTransactionId,
        invoiceId: pending.invoiceId,
        customerId: state.wallet.customerId,
        currency: state.wallet.currency,
        credits: pending.credits,
        amountCents: pending.amountCents,
        rateAmount: state.wallet.rateAmount,
        walletName: state.wallet.name,
      });
    }
  }

  async function command(actor: Actor, walletId: string, cmd: WalletCommand): Promise<WalletDocument> {
    await byId(actor.organizationId, walletId);
    await execute(deps, actor, walletStream(actor.organizationId, walletId), walletDecider, cmd);
    await invoicePending(actor.organizationId, walletId);
    return byId(actor.organizationId, walletId);
  }

  /**
   * The ongoing balances of a customer's active wallets (Lago's `Customers::RefreshWalletsService`): the current
   * usage of its live subscriptions, taxes included and pay-in-advance fees netted out, plus its draft invoices,
   * allocated to its wallets by priority and by what each may pay for. Computed from the folded usage when asked
   * (never stale by a refresh interval, as Lago's five-minute job is).
   */
  async function ongoingOfCustomer(organizationId: string, customerId: string): Promise<Map<string, OngoingBalance>> {
    const docs = await wallets().find({ customerId, status: 'ACTIVE' });
    const result = new Map<string, OngoingBalance>();
    if (docs.length === 0) return result;
    // By the indexed external id (a query on `customerId` would read every live subscription of every organization).
    const [subs, drafts, progressive] = await Promise.all([
      deps.readModels.collection<SubscriptionDocument>('subscriptions').find({ organizationId, externalCustomerId: docs[0]!.externalCustomerId, status: 'ACTIVE' }),
      deps.readModels.collection<InvoiceDocument>(INVOICES).find({ organizationId, customerId, status: 'DRAFT' }),
      // One read for all its subscriptions (exact in the byCustomerStatusReason index): usually none.
      finalizedProgressiveInvoicesOfCustomer(deps.readModels, organizationId, customerId),
    ]);
    const usageFees: UsageFee[] = [];
    const progressiveBillingFees: OngoingFee[] = [];
    const nowIso = deps.clock.now().toISOString();
    for (const sub of subs) {
      const view = await usage.current(organizationId, sub.externalCustomerId, sub.externalId).catch(() => null);
      for (const fee of view?.walletFees() ?? []) usageFees.push({ feeType: 'CHARGE', currency: view!.currency, ...fee });
      // What the period's progressive invoices billed is in the current usage and already invoiced: netted out, each
      // fee net of what it deducted from the one before (Lago's `Subscriptions::ProgressiveBilledAmount` invoices).
      for (const invoice of progressive.get(sub._id) ?? []) if (holds(invoice, nowIso)) progressiveBillingFees.push(...invoice.fees.map(ongoingFeeOf));
    }
    const draftInvoices: DraftInvoice[] = drafts.map((invoice) => ({ totalAmountCents: new BigNumber(invoice.totals.totalAmountCents), fees: invoice.fees.map(ongoingFeeOf) }));
    const balances = ongoingBalances(
      docs.map((doc) => ({
        walletId: doc._id,
        code: doc.code,
        currency: doc.currency,
        rateAmount: new BigNumber(doc.rateAmount),
        priority: doc.priority,
        createdAt: doc.createdAt,
        balanceCents: new BigNumber(doc.balanceCents),
        feeTypes: doc.appliesTo.feeTypes,
        billableMetricCodes: doc.appliesTo.billableMetricCodes,
        hasActiveThresholdRule: doc.recurringTransactionRules.some((r) => r.trigger === 'THRESHOLD' && (r.expirationAt === null || Date.parse(r.expirationAt) > deps.clock.now().getTime())),
      })),
      { usageFees, draftInvoices, progressiveBillingFees },
    );
    for (const b of balances) {
      result.set(b.walletId, {
        ongoingUsageBalanceCents: b.ongoingUsageBalanceCents.toFixed(),
        creditsOngoingUsageBalance: b.creditsOngoingUsageBalance.toFixed(),
        ongoingBalanceCents: b.ongoingBalanceCents.toFixed(),
        creditsOngoingBalance: b.creditsOngoingBalance.toFixed(),
        depletedOngoingBalance: b.depletedOngoingBalance,
        allocatedCents: b.allocatedCents.toFixed(),
      });
    }
    return result;
  }

  /** A terminated wallet owes nothing more: its ongoing balance is its balance. */
  const settledOnly = (doc: WalletDocument): OngoingBalance => ({
    ongoingUsageBalanceCents: '0',
    creditsOngoingUsageBalance: '0',
    ongoingBalanceCents: doc.balanceCents,
    creditsOngoingBalance: doc.creditsBalance,
    depletedOngoingBalance: !new BigNumber(doc.balanceCents).isGreaterThan(0),
    allocatedCents: '0',
  });

  /**
   * A customer's balances are computed once for all its wallets: concurrent readers (the wallets of one GraphQL list)
   * share the computation in flight; `fresh` (after a change) starts a new one.
   */
  const inflight = new Map<string, Promise<Map<string, OngoingBalance>>>();
  function balancesOf(organizationId: string, customerId: string, options: { fresh?: boolean } = {}): Promise<Map<string, OngoingBalance>> {
    const key = `${organizationId}/${customerId}`;
    const known = options.fresh ? undefined : inflight.get(key);
    if (known !== undefined) return known;
    const value = ongoingOfCustomer(organizationId, customerId).finally(() => {
      if (inflight.get(key) === value) inflight.delete(key);
    });
    inflight.set(key, value);
    return value;
  }
  const balanceIn = (balances: Map<string, OngoingBalance>, doc: WalletDocument) => (doc.status === 'ACTIVE' ? (balances.get(doc._id) ?? settledOnly(doc)) : settledOnly(doc));

  const computed = new WeakMap<WalletDocument, Promise<OngoingBalance>>();
  function ongoing(doc: WalletDocument, options: { fresh?: boolean } = {}): Promise<OngoingBalance> {
    const known = options.fresh ? undefined : computed.get(doc);
    if (known !== undefined) return known;
    const value = doc.status !== 'ACTIVE' ? Promise.resolve(settledOnly(doc)) : balancesOf(doc.organizationId, doc.customerId, options).then((all) => balanceIn(all, doc));
    computed.set(doc, value);
    return value;
  }

  const clockActor = (organizationId: string): Actor => ({ organizationId, actor: SYSTEM });

  /** Runs a rule's check on the wallet's stream; true when it topped up (its credit invoice is then issued). */
  async function fire(organizationId: string, walletId: string, ruleId: string, allocatedCents: string, occurrence: string | null): Promise<boolean> {
    const result = await execute(deps, clockActor(organizationId), walletStream(organizationId, walletId), walletDecider, {
      type: 'FireRecurringRule',
      data: { walletId, ruleId, allocatedCents, occurrence, ids: idsFor() },
      metadata: now(),
    });
    if (result.events.length === 0) return false;
    await invoicePending(organizationId, walletId);
    return true;
  }

  return {
    wallets,
    transactions,
    byId,
    invoicePending,
    ongoing,
    /** The balances of a customer's active wallets, computed now (one computation for all of them). */
    async ongoingAll(organizationId: string, customerId: string, docs: readonly WalletDocument[]): Promise<Map<string, OngoingBalance>> {
      const balances = await balancesOf(organizationId, customerId, { fresh: true });
      return new Map(docs.map((doc) => [doc._id, balanceIn(balances, doc)]));
    },
    /** Remembers an ongoing balance computed for this document (a live push answers with it). */
    remember(doc: WalletDocument, balance: OngoingBalance): WalletDocument {
      computed.set(doc, Promise.resolve(balance));
      return doc;
    },

    /**
     * Checks the wallet's threshold rule against its ongoing balance; when it fires, answers the wallet after the
     * top-up. Exactly once per crossing: the decision is taken on the wallet's stream (pending top-ups included).
     */
    async checkThreshold(doc: WalletDocument, balance: OngoingBalance): Promise<{ wallet: WalletDocument; ongoing: OngoingBalance } | null> {
      const rule = doc.recurringTransactionRules.find((r) => r.trigger === 'THRESHOLD');
      if (rule === undefined || doc.status !== 'ACTIVE') return null;
      if (!(await fire(doc.organizationId, doc._id, rule.ruleId, balance.allocatedCents, null))) return null;
      const wallet = await byId(doc.organizationId, doc._id);
      return { wallet, ongoing: await ongoing(wallet, { fresh: true }) };
    },

    /**
     * What the billing clock does for wallets at `now`: terminates the wallets past their expiration (what remains
     * is lost, as in Lago), tops up by each interval rule's occurrences since the last one, and issues any credit
     * invoice a crash left missing. Returns how many wallets changed.
     */
    async runDue(at: Date): Promise<number> {
      const iso = at.toISOString();
      let changed = 0;
      for (const doc of await wallets().find({ status: 'ACTIVE', expirationAt: { $ne: null, $lte: iso } })) {
        await execute(deps, clockActor(doc.organizationId), walletStream(doc.organizationId, doc._id), walletDecider, { type: 'TerminateWallet', data: { walletId: doc._id, reason: 'EXPIRED' }, metadata: { now: iso } });
        changed += 1;
      }
      for (const doc of await wallets().find({ status: 'ACTIVE', 'recurringTransactionRules.trigger': 'INTERVAL' })) {
        for (const rule of doc.recurringTransactionRules.filter((r) => r.trigger === 'INTERVAL' && r.interval !== null)) {
          const [last] = await transactions().find({ walletId: doc._id, ruleId: rule.ruleId, source: 'INTERVAL' }, { sort: { occurrence: -1 }, limit: 1 });
          const [customer, organization] = await Promise.all([
            deps.readModels.collection<CustomerDocument>('customers').findOne({ _id: doc.customerId }),
            deps.readModels.collection<OrganizationDocument>('organizations').findOne({ _id: doc.organizationId }),
          ]);
          const occurrences = intervalOccurrences({
            interval: rule.interval!,
            startedAt: rule.startedAt,
            walletCreatedAt: doc.createdAt,
            timezone: applicableTimezone(customer, organization),
            expirationAt: rule.expirationAt,
            from: last?.occurrence ?? doc.createdAt,
            to: iso,
          }).slice(0, MAX_OCCURRENCES);
          for (const occurrence of occurrences) {
            const balance = await ongoing(doc, { fresh: true });
            if (await fire(doc.organizationId, doc._id, rule.ruleId, balance.allocatedCents, occurrence)) changed += 1;
          }
        }
      }
      for (const pending of await transactions().find({ status: 'PENDING', transactionStatus: 'PURCHASED' }, { limit: SWEEP_LIMIT })) {
        await invoicePending(pending.organizationId, pending.walletId);
      }
      return changed;
    },

    /**
     * A wallet for a customer in the customer's currency (Lago's `POST /wallets`), with its first paid and granted
     * credits. Reads the customer's key and the metrics it is limited to; a code is unique among the customer's
     * active wallets (its key is written, so two creations racing cannot both take it).
     */
    async create(actor: Actor, input: WalletInput): Promise<WalletDocument> {
      const { organizationId } = actor;
      const walletId = deps.newId();
      const ids = idsFor();
      const { externalCustomerId, paidCredits, grantedCredits, transactionMetadata, ...rest } = input;
      const reads = [guardKeys.customer(externalCustomerId), ...rest.appliesTo.billableMetricCodes.map(guardKeys.metric)];
      await executeGuarded(deps, actor, walletStream(organizationId, walletId), walletDecider, { reads, ...(rest.code === null ? {} : { writes: [guardKeys.walletCode(externalCustomerId, rest.code)] }) }, async (): Promise<WalletCommand> => {
        const customer = await getCustomerByExternalId(deps, organizationId, externalCustomerId);
        if (customer === null) throw new ValidationError(`externalCustomerId: no customer with external id "${externalCustomerId}"`, 'externalCustomerId');
        if (rest.code !== null && (await wallets().count({ customerId: customer._id, status: 'ACTIVE', code: rest.code })) > 0) {
          throw new ValidationError(`code: customer "${externalCustomerId}" already has an active wallet "${rest.code}"`, 'code');
        }
        return {
          type: 'CreateWallet',
          data: {
            ...withRuleIds(walletId, rest),
            organizationId,
            walletId,
            customer: { customerId: customer._id, externalId: customer.externalId, currency: customer.currency ?? null },
            paidCredits: paidCredits ?? null,
            grantedCredits: grantedCredits ?? null,
            transactionMetadata: transactionMetadata ?? [],
            ids,
          },
          catalog: { billableMetricCodes: await metricCodes(organizationId, rest.appliesTo.billableMetricCodes) },
          metadata: now(),
        };
      });
      await invoicePending(organizationId, walletId);
      return byId(organizationId, walletId);
    },

    async update(actor: Actor, walletId: string, terms: WalletTerms): Promise<WalletDocument> {
      const { organizationId } = actor;
      await byId(organizationId, walletId);
      await executeGuarded(deps, actor, walletStream(organizationId, walletId), walletDecider, { reads: terms.appliesTo.billableMetricCodes.map(guardKeys.metric) }, async (): Promise<WalletCommand> => ({
        type: 'UpdateWallet',
        data: { walletId, ...withRuleIds(walletId, terms) },
        catalog: { billableMetricCodes: await metricCodes(organizationId, terms.appliesTo.billableMetricCodes) },
        metadata: now(),
      }));
      return byId(organizationId, walletId);
    },

    terminate: (actor: Actor, walletId: string) => command(actor, walletId, { type: 'TerminateWallet', data: { walletId, reason: 'MANUAL' }, metadata: now() }),

    /** Lago's `POST /wallet_transactions`: paid credits (invoiced), granted credits, voided credits. */
    async topUp(actor: Actor, input: TopUpInput): Promise<{ wallet: WalletDocument; transactions: WalletTransactionDocument[] }> {
      const ids = idsFor();
      const wallet = await command(actor, input.walletId, { type: 'TopUpWallet', data: { ...input, ids, source: 'MANUAL' }, metadata: now() });
      const made = await transactions().find({ _id: { $in: [ids.paid, ids.granted, ids.voided] } }, { sort: { createdAt: 1 } });
      const order = [ids.paid, ids.granted, ids.voided];
      return { wallet, transactions: made.sort((a, b) => order.indexOf(a._id) - order.indexOf(b._id)) };
    },

    /**
     * A credit invoice's payment status changed: SUCCEEDED settles its pending credits into the balance, FAILED
     * fails them (Lago's `Invoices::PrepaidCreditJob` / `WalletTransactions::MarkAsFailedService`). Idempotent.
     */
    async paymentUpdated(actor: Actor, invoice: InvoiceDocument): Promise<void> {
      if (invoice.invoiceType !== 'CREDIT' || invoice.paymentStatus === 'PENDING') return;
      const transaction = await transactions().findOne({ organizationId: invoice.organizationId, invoiceId: invoice._id, transactionStatus: 'PURCHASED' });
      if (transaction === null) return;
      const data = { walletId: transaction.walletId, walletTransactionId: transaction._id };
      const cmd: WalletCommand = invoice.paymentStatus === 'SUCCEEDED' ? { type: 'SettleWalletTransaction', data, metadata: now() } : { type: 'FailWalletTransaction', data, metadata: now() };
      await execute(deps, actor, walletStream(invoice.organizationId, transaction.walletId), walletDecider, cmd);
    },
  };
}

export type WalletService = ReturnType<typeof createWalletService>;

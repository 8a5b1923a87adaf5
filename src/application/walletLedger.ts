import BigNumber from 'bignumber.js';
import type { AppDeps } from './context.ts';
import type { EventMetadata, StreamAppend } from './ports/eventStore.ts';
import { allocatePrepaidCredits, distributeCreditNotes, type PrepaidFee } from '../billing/wallets/index.ts';
import type { InvoiceContent, InvoiceFee } from '../domain/invoice/index.ts';
import { fold } from '../domain/shared/decider.ts';
import { streamName } from '../domain/shared/streams.ts';
import { invoiceDebit, walletDecider, type WalletEvent, type WalletState, type WalletTransactionCreated } from '../domain/wallet/index.ts';
import { WALLETS, type WalletDocument } from '../../projections/wallets.ts';

export const walletStream = (organizationId: string, walletId: string) => streamName('wallet', organizationId, walletId);

/** A wallet's exact state and revision, from its stream (never a read model that may lag). */
export async function readWallet(deps: Pick<AppDeps, 'eventStore'>, organizationId: string, walletId: string): Promise<{ state: WalletState; revision: bigint | null }> {
  const recorded = await deps.eventStore.readStream(walletStream(organizationId, walletId));
  const state = fold(walletDecider, recorded.map((e) => ({ type: e.type, data: e.data }) as WalletEvent));
  return { state, revision: recorded.at(-1)?.revision ?? null };
}

/** The outbound transaction of an invoice on a wallet: derived, so a retried finalization can never debit twice. */
export const invoiceDebitId = (invoiceId: string, walletId: string) => `${invoiceId}/wallet/${walletId}`;

/** What the wallets paid of one invoice, per wallet. */
export type PrepaidCredits = { amountCents: BigNumber; credits: { walletId: string; walletTransactionId: string; walletName: string | null; amountCents: BigNumber }[] };

function prepaidFees(content: Omit<InvoiceContent, 'usagePosition'>): PrepaidFee[] {
  const notes = new BigNumber(content.totals.creditNotesAmountCents);
  const base = content.fees.map((fee: InvoiceFee) => ({
    id: fee.id,
    feeType: fee.feeType,
    billableMetricCode: fee.billableMetricCode,
    amountCents: new BigNumber(fee.amountCents),
    preciseCouponsAmountCents: new BigNumber(fee.preciseCouponsAmountCents ?? 0),
    taxesPreciseAmountCents: new BigNumber(fee.taxesPreciseAmountCents ?? fee.taxesAmountCents),
    preciseCreditNotesAmountCents: new BigNumber(0),
  }));
  if (notes.isZero()) return base;
  const split = distributeCreditNotes(base, notes);
  return base.map((fee, i) => ({ ...fee, preciseCreditNotesAmountCents: split[i] ?? new BigNumber(0) }));
}

/**
 * The customers' wallets for the finalizations of one atomic append (§4.4 step 7): each wallet's exact state is
 * read from its stream, the invoices are paid from them in turn (the balance passes from one to the next), and each
 * debit is appended to the wallet's stream in the same append, conditioned on the revision read.
 */
export function walletLedger(deps: Pick<AppDeps, 'eventStore' | 'readModels'>, organizationId: string) {
  type Entry = { state: WalletState; revision: bigint | null; events: WalletTransactionCreated[] };
  const wallets = new Map<string, Entry>();
  const byCustomer = new Map<string, string[]>();
  return {
    async preload(customerIds: readonly string[]): Promise<void> {
      const wanted = [...new Set(customerIds)].filter((id) => !byCustomer.has(id));
      if (wanted.length === 0) return;
      const docs = await deps.readModels.collection<WalletDocument>(WALLETS).find({ customerId: { $in: wanted }, status: 'ACTIVE' });
      for (const id of wanted) byCustomer.set(id, []);
      for (const doc of docs) {
        byCustomer.get(doc.customerId)?.push(doc._id);
        if (!wallets.has(doc._id)) wallets.set(doc._id, { ...(await readWallet(deps, organizationId, doc._id)), events: [] });
      }
    },
    /** Whether the customer has a live wallet (nothing to allocate otherwise). */
    has: (customerId: string) => (byCustomer.get(customerId) ?? []).length > 0,
    /** What the customer's wallets pay of an invoice as assembled (after taxes and credit notes); null: nothing. */
    pay(invoiceId: string, customerId: string, currency: string, content: Omit<InvoiceContent, 'usagePosition'>, at: string): PrepaidCredits | null {
      const total = new BigNumber(content.totals.totalAmountCents);
      if (!total.isGreaterThan(0)) return null;
      const live = (byCustomer.get(customerId) ?? []).flatMap((id) => {
        const state = wallets.get(id)!.state;
        return state.status === 'ACTIVE' && state.wallet.currency === currency && !state.transactionIds.has(invoiceDebitId(invoiceId, id)) ? [state] : [];
      });
      if (live.length === 0) return null;
      const allocation = allocatePrepaidCredits({
        currency,
        totalAmountCents: total,
        fees: prepaidFees(content),
        wallets: live.map((s) => ({ walletId: s.wallet.walletId, priority: s.wallet.priority, createdAt: s.wallet.createdAt, balanceCents: new BigNumber(s.balances.balanceCents), feeTypes: s.wallet.appliesTo.feeTypes, billableMetricCodes: s.wallet.appliesTo.billableMetricCodes })),
      });
      const credits: PrepaidCredits['credits'] = [];
      for (const { walletId, amountCents } of allocation.wallets) {
        if (!amountCents.isGreaterThan(0)) continue;
        const entry = wallets.get(walletId)!;
        if (entry.state.status === 'none') continue;
        const walletTransactionId = invoiceDebitId(invoiceId, walletId);
        const event = invoiceDebit(entry.state, { walletTransactionId, invoiceId, amountCents, now: at });
        entry.events.push(event);
        entry.state = walletDecider.evolve(entry.state, event);
        credits.push({ walletId, walletTransactionId, walletName: entry.state.status === 'none' ? null : entry.state.wallet.name, amountCents });
      }
      return credits.length === 0 ? null : { amountCents: BigNumber.sum(0, ...credits.map((c) => c.amountCents)), credits };
    },
    /** The wallets' streams of the append, conditioned on the revisions read. */
    entries(metadata: EventMetadata): StreamAppend[] {
      return [...wallets.entries()]
        .filter(([, entry]) => entry.events.length > 0)
        .map(([id, entry]) => ({ streamId: walletStream(organizationId, id), events: entry.events.map((e) => ({ type: e.type, data: e.data, metadata })), expectedRevision: entry.revision ?? ('no_stream' as const) }));
    },
  };
}

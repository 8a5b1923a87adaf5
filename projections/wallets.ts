import { WALLET_EVENT_TYPES, type WalletBalances, type WalletCreated, type WalletEvent, type WalletTransactionCreated } from '../src/domain/wallet/index.ts';
import { defineProjection } from './projection.ts';

/** A wallet with its settled balances (the ongoing balance is computed when read: it follows usage). */
export type WalletDocument = Omit<WalletCreated['data'], 'walletId'> &
  WalletBalances & {
    _id: string;
    status: 'ACTIVE' | 'TERMINATED';
    terminatedAt: string | null;
    terminationReason: 'MANUAL' | 'EXPIRED' | null;
    /** Inbound transactions waiting for their invoice's payment, with their credits. */
    pendingTransactions: { walletTransactionId: string; credits: string }[];
    lastTransactionAt: string | null;
    updatedAt: string;
  };

/** One wallet transaction and its status. */
export type WalletTransactionDocument = Omit<WalletTransactionCreated['data'], 'walletTransactionId' | 'balances'> & {
  _id: string;
  /** Its log position, zero-padded: the order transactions were made in (several share an instant). */
  sequence: string;
  failedAt: string | null;
  updatedAt: string;
};

export const WALLETS = 'wallets';
export const WALLET_TRANSACTIONS = 'walletTransactions';

export const walletsProjection = defineProjection<WalletDocument>({
  name: 'wallets',
  collection: WALLETS,
  indexes: [
    { name: 'byCustomerStatus', keys: { customerId: 1, status: 1 } },
    { name: 'byOrganizationCustomer', keys: { organizationId: 1, externalCustomerId: 1, createdAt: 1, _id: 1 } },
    { name: 'byOrganizationCreated', keys: { organizationId: 1, createdAt: 1, _id: 1 } },
    { name: 'byCustomerCreated', keys: { customerId: 1, createdAt: 1, _id: 1 } },
    { name: 'byStatusExpiration', keys: { status: 1, expirationAt: 1 } },
  ],
  handles: WALLET_EVENT_TYPES,
  catalog: false,
  documentIds: (event) => [String((event.data as { walletId: string }).walletId)],
  fold(doc, recorded) {
    const event = recorded as unknown as WalletEvent;
    switch (event.type) {
      case 'WalletCreated': {
        if (doc !== null) return doc;
        const { walletId, ...data } = event.data;
        return { _id: walletId, ...data, balanceCents: '0', creditsBalance: '0', consumedCredits: '0', consumedAmountCents: '0', status: 'ACTIVE', terminatedAt: null, terminationReason: null, pendingTransactions: [], lastTransactionAt: null, updatedAt: data.createdAt };
      }
      case 'WalletUpdated': {
        if (doc === null) return doc;
        const { organizationId: _o, walletId: _w, updatedAt, ...terms } = event.data;
        return { ...doc, ...terms, updatedAt };
      }
      case 'WalletTerminated':
        return doc === null ? doc : { ...doc, status: 'TERMINATED', terminatedAt: event.data.terminatedAt, terminationReason: event.data.reason, updatedAt: event.data.terminatedAt };
      case 'WalletTransactionCreated': {
        if (doc === null) return doc;
        const data = event.data;
        const pendingTransactions = data.status === 'PENDING' ? [...doc.pendingTransactions, { walletTransactionId: data.walletTransactionId, credits: data.credits }] : doc.pendingTransactions;
        return { ...doc, ...(data.balances ?? {}), pendingTransactions, lastTransactionAt: data.createdAt, updatedAt: data.createdAt };
      }
      case 'WalletTransactionSettled':
      case 'WalletTransactionFailed': {
        if (doc === null) return doc;
        const pendingTransactions = doc.pendingTransactions.filter((t) => t.walletTransactionId !== event.data.walletTransactionId);
        return event.type === 'WalletTransactionSettled'
          ? { ...doc, ...event.data.balances, pendingTransactions, updatedAt: event.data.settledAt, lastTransactionAt: event.data.settledAt }
          : { ...doc, pendingTransactions, updatedAt: event.data.failedAt };
      }
      default:
        return doc;
    }
  },
});

export const walletTransactionsProjection = defineProjection<WalletTransactionDocument>({
  name: 'walletTransactions',
  collection: WALLET_TRANSACTIONS,
  indexes: [
    { name: 'byWalletSequence', keys: { walletId: 1, sequence: 1, _id: 1 } },
    { name: 'byWalletStatus', keys: { walletId: 1, status: 1 } },
    { name: 'byInvoice', keys: { invoiceId: 1 } },
  ],
  handles: ['WalletCreated', 'WalletTransactionCreated', 'WalletTransactionSettled', 'WalletTransactionFailed'],
  catalog: false,
  documentIds: (event) => (event.type === 'WalletCreated' ? [] : [String((event.data as { walletTransactionId: string }).walletTransactionId)]),
  fold(doc, recorded) {
    const event = recorded as unknown as WalletEvent;
    switch (event.type) {
      case 'WalletTransactionCreated': {
        if (doc !== null) return doc;
        const { walletTransactionId, balances: _b, ...data } = event.data;
        return { _id: walletTransactionId, ...data, sequence: recorded.position.toString().padStart(20, '0'), failedAt: null, updatedAt: data.createdAt };
      }
      case 'WalletTransactionSettled':
        return doc === null ? doc : { ...doc, status: 'SETTLED', settledAt: event.data.settledAt, updatedAt: event.data.settledAt };
      case 'WalletTransactionFailed':
        return doc === null ? doc : { ...doc, status: 'FAILED', failedAt: event.data.failedAt, updatedAt: event.data.failedAt };
      default:
        return doc;
    }
  },
});

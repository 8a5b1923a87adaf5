import { describe, expect, it } from 'vitest';
import { walletDecider, type WalletCommand, type WalletEvent, type WalletState } from '../../../src/domain/wallet/index.ts';
import { IllegalStateError, ValidationError } from '../../../src/domain/shared/errors.ts';
import { spec } from '../../support/decider.ts';

const now = '2026-01-01T00:00:00.000Z';
const wallet = spec<WalletCommand, WalletEvent, WalletState>(walletDecider);
const ids = (n: number) => ({ paid: `p${n}`, granted: `g${n}`, voided: `v${n}`, invoice: `i${n}` });
const terms = { name: null, priority: 50, expirationAt: null, invoiceRequiresSuccessfulPayment: false, paidTopUpMinAmountCents: null, paidTopUpMaxAmountCents: null, appliesTo: { feeTypes: [], billableMetricCodes: [] } };
const rule = (overrides: Record<string, unknown>) => ({
  ruleId: 'w1/rule/1',
  trigger: 'THRESHOLD' as const,
  interval: null,
  thresholdCredits: '10',
  method: 'FIXED' as const,
  paidCredits: '0',
  grantedCredits: '30',
  targetOngoingBalance: null,
  startedAt: now,
  expirationAt: null,
  invoiceRequiresSuccessfulPayment: false,
  ignorePaidTopUpLimits: false,
  transactionMetadata: [],
  ...overrides,
});
const create = (extra: Record<string, unknown> = {}): WalletCommand => ({
  type: 'CreateWallet',
  data: { ...terms, recurringTransactionRules: [], organizationId: 'o1', walletId: 'w1', code: null, currency: 'EUR', rateAmount: '1.5', customer: { customerId: 'c1', externalId: 'cus', currency: 'EUR' }, ids: ids(0), ...extra },
  catalog: { billableMetricCodes: [] },
  metadata: { now },
});
const history = (command: WalletCommand) => walletDecider.decide(command, walletDecider.initialState());

describe('wallet', () => {
  it('is created with granted credits settled (credits × rate in cents) and paid credits pending on their invoice', () => {
    const events = history(create({ grantedCredits: '10', paidCredits: '20.123456' }));
    expect(events.map((e) => e.type)).toEqual(['WalletCreated', 'WalletTransactionCreated', 'WalletTransactionCreated']);
    expect(events[1]!.data).toMatchObject({ transactionStatus: 'PURCHASED', status: 'PENDING', credits: '20.12345', amountCents: '3019', invoiceId: 'i0', balances: null });
    expect(events[2]!.data).toMatchObject({ transactionStatus: 'GRANTED', status: 'SETTLED', credits: '10', amountCents: '1500', balances: { balanceCents: '1500', creditsBalance: '10' } });
  });

  it('refuses a rate of zero, a currency other than the customer’s and two rules', () => {
    wallet.given([]).when(create({ rateAmount: '0' })).thenThrows(ValidationError, /rateAmount/);
    wallet.given([]).when(create({ currency: 'USD' })).thenThrows(ValidationError, /currency/);
    wallet.given([]).when(create({ recurringTransactionRules: [rule({}), rule({ ruleId: 'w1/rule/2' })] })).thenThrows(ValidationError, /recurringTransactionRules/);
  });

  it('settles a pending purchase once: the balance grows by its credits, a repeat decides nothing', () => {
    const given = history(create({ paidCredits: '4' }));
    const settle: WalletCommand = { type: 'SettleWalletTransaction', data: { walletId: 'w1', walletTransactionId: 'p0' }, metadata: { now } };
    wallet.given(given).when(settle).thenState((state) => expect(state.status !== 'none' && state.balances).toMatchObject({ balanceCents: '600', creditsBalance: '4' }));
    const settled = [...given, ...walletDecider.decide(settle, given.reduce(walletDecider.evolve, walletDecider.initialState()))];
    wallet.given(settled).when(settle).then([]);
  });

  it('a top-up with ids already used decides nothing (a retried call)', () => {
    const given = history(create({ grantedCredits: '1' }));
    wallet.given(given).when({ type: 'TopUpWallet', data: { walletId: 'w1', grantedCredits: '5', ids: ids(0), source: 'MANUAL' }, metadata: { now } }).then([]);
  });

  it('refuses to void more than the balance, and any top-up of a terminated wallet', () => {
    const given = history(create({ grantedCredits: '1' }));
    wallet.given(given).when({ type: 'TopUpWallet', data: { walletId: 'w1', voidedCredits: '2', ids: ids(1), source: 'MANUAL' }, metadata: { now } }).thenThrows(ValidationError, /voidedCredits/);
    const terminated = [...given, { type: 'WalletTerminated', data: { organizationId: 'o1', walletId: 'w1', reason: 'MANUAL', terminatedAt: now } } as WalletEvent];
    wallet.given(terminated).when({ type: 'TopUpWallet', data: { walletId: 'w1', grantedCredits: '2', ids: ids(1), source: 'MANUAL' }, metadata: { now } }).thenThrows(IllegalStateError, /terminated/);
  });

  it('a threshold rule fires when the ongoing balance is at or below it, and not again once topped up', () => {
    const given = history(create({ grantedCredits: '20', recurringTransactionRules: [rule({})] }));
    const fire = (n: number, allocatedCents: string): WalletCommand => ({ type: 'FireRecurringRule', data: { walletId: 'w1', ruleId: 'w1/rule/1', allocatedCents, occurrence: null, ids: ids(n) }, metadata: { now } });
    // 20 credits × 1.50 = 3000 cents; 1600 cents of usage leave 1400 cents = 9.33 credits ≤ 10.
    wallet.given(given).when(fire(1, '1400')).then([]);
    const fired = walletDecider.decide(fire(1, '1600'), given.reduce(walletDecider.evolve, walletDecider.initialState()));
    expect(fired.map((e) => [e.type, (e.data as { source: string }).source, (e.data as { credits: string }).credits])).toEqual([['WalletTransactionCreated', 'THRESHOLD', '30']]);
    wallet.given([...given, ...fired]).when(fire(2, '1600')).then([]);
  });

  it('an interval occurrence tops up once', () => {
    const given = history(create({ recurringTransactionRules: [rule({ trigger: 'INTERVAL', interval: 'MONTHLY', thresholdCredits: null })] }));
    const fire = (n: number): WalletCommand => ({ type: 'FireRecurringRule', data: { walletId: 'w1', ruleId: 'w1/rule/1', allocatedCents: '0', occurrence: '2026-02-01T00:55:00.000Z', ids: ids(n) }, metadata: { now } });
    const fired = walletDecider.decide(fire(1), given.reduce(walletDecider.evolve, walletDecider.initialState()));
    expect(fired).toHaveLength(1);
    wallet.given([...given, ...fired]).when(fire(2)).then([]);
  });
});

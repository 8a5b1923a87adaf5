import BigNumber from 'bignumber.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OngoingBalance, OngoingFee, OngoingUsage, OngoingWallet, UsageFee } from '../../../../src/billing/wallets/index.ts';
import { ongoingBalance, ongoingBalances } from '../../../../src/billing/wallets/index.ts';
import { d, expectDecimal } from '../support.ts';

/** The values an arbitrary generates. */
type Value<A> = A extends fc.Arbitrary<infer T> ? T : never;

const usage = (amount: BigNumber.Value, extra: Partial<UsageFee> = {}): UsageFee => ({
  feeType: 'CHARGE',
  billableMetricCode: 'api',
  currency: 'EUR',
  amountCents: d(amount),
  taxesAmountCents: d(0),
  payInAdvance: false,
  ...extra,
});
const billed = (amount: BigNumber.Value, extra: Partial<OngoingFee> = {}): OngoingFee => ({ ...usage(amount), ...extra });
const wallet = (walletId: string, balance: BigNumber.Value, priority: number, extra: Partial<OngoingWallet> = {}): OngoingWallet => ({
  walletId,
  currency: 'EUR',
  rateAmount: d(1),
  priority,
  createdAt: '2024-01-01T00:00:00Z',
  balanceCents: d(balance),
  feeTypes: [],
  billableMetricCodes: [],
  ...extra,
});
const allocations = (wallets: OngoingWallet[], input: Partial<OngoingUsage>) =>
  Object.fromEntries(ongoingBalances(wallets, { usageFees: [], draftInvoices: [], ...input }).map((b) => [b.walletId, b.allocatedCents.toNumber()]));

// B (50, priority 1) and A (150, priority 2): the worked examples of Lago's allocate_ongoing_usage_by_wallets_service_spec.rb.
const B = wallet('B', 50, 1);
const A = wallet('A', 150, 2);

describe('ongoingBalances (Wallets::Balance::AllocateOngoingUsageByWalletsService)', () => {
  it('cascades usage over the wallets in priority order; the last applicable one absorbs the overflow', () => {
    expect(allocations([A, B], { usageFees: [usage(80)] })).toEqual({ B: 50, A: 30 });
    expect(allocations([A, B], { usageFees: [usage(250)] })).toEqual({ B: 50, A: 200 });
    expect(allocations([B], { usageFees: [usage(80)] })).toEqual({ B: 80 });
  });

  it('a wallet with an active threshold rule absorbs everything it may take and stops the cascade', () => {
    expect(allocations([{ ...B, hasActiveThresholdRule: true }, A], { usageFees: [usage(80)] })).toEqual({ B: 80, A: 0 });
    const w = [wallet('w1', 50, 1), wallet('w2', 50, 2, { hasActiveThresholdRule: true }), wallet('w3', 50, 3)];
    expect(allocations(w, { usageFees: [usage(200)] })).toEqual({ w1: 50, w2: 150, w3: 0 });
  });

  it('skips an empty wallet in the middle of the cascade', () => {
    const w = [wallet('w1', 0, 1), wallet('w2', 50, 2), wallet('w3', 50, 3)];
    expect(allocations(w, { usageFees: [usage(80)] })).toEqual({ w1: 0, w2: 50, w3: 30 });
  });

  it('includes taxes; nets pay-in-advance fees out', () => {
    expect(allocations([A, B], { usageFees: [usage(40, { taxesAmountCents: d(8) }), usage(500, { payInAdvance: true })] })).toEqual({ B: 48, A: 0 });
  });

  it('adds draft invoices (amount + taxes − precise coupons), except those whose total is 0', () => {
    const draft = { totalAmountCents: d(40), fees: [billed(40, { taxesAmountCents: d(8), preciseCouponsAmountCents: d('10.5') })] };
    const ignored = { totalAmountCents: d(0), fees: [billed(1000)] };
    const result = allocations([A, B], { usageFees: [usage(40)], draftInvoices: [draft, ignored] });
    expect(result).toEqual({ B: 50, A: 27.5 }); // 40 + 37.5
  });

  it('nets progressive billing; an over-billed key lowers the currency’s budget', () => {
    expect(allocations([A, B], { usageFees: [usage(80)], progressiveBillingFees: [billed(30)] })).toEqual({ B: 50, A: 0 });
    // net = 80 + (100 − 150) = 30 (Lago spec "progressive billing exceeds one metric's usage").
    const fees = [usage(80, { billableMetricCode: 'm1' }), usage(100, { billableMetricCode: 'm2' })];
    expect(allocations([A, B], { usageFees: fees, progressiveBillingFees: [billed(150, { billableMetricCode: 'm2' })] })).toEqual({ B: 30, A: 0 });
  });

  it('honours metric targets, fee types and currencies', () => {
    const b = wallet('B', 1000, 1, { billableMetricCodes: ['m1'] });
    const a = wallet('A', 2000, 2);
    expect(allocations([a, b], { usageFees: [usage(600, { billableMetricCode: 'm1' }), usage(500, { billableMetricCode: 'm2' })] })).toEqual({ B: 600, A: 500 });
    const subscriptionOnly = wallet('B', 1000, 1, { feeTypes: ['subscription'] });
    expect(allocations([subscriptionOnly, wallet('A', 2000, 2, { feeTypes: ['CHARGE'] })], { usageFees: [usage(80)] })).toEqual({ B: 0, A: 80 });
    expect(allocations([wallet('B', 1000, 1, { currency: 'USD' }), wallet('A', 1000, 2)], { usageFees: [usage(80)] })).toEqual({ B: 0, A: 80 });
    // A subscription fee has no charge: the metric-targeted wallet does not take it.
    expect(allocations([wallet('B', 50, 1, { billableMetricCodes: ['api'] }), A], { usageFees: [usage(80, { feeType: 'SUBSCRIPTION' })] })).toEqual({ B: 0, A: 80 });
  });

  it('routes a fee targeting a wallet code to it alone, even beyond its balance', () => {
    const b = wallet('B', 50, 1, { code: 'wallet-b' });
    expect(allocations([b, A], { usageFees: [usage(80, { targetWalletCode: 'wallet-b' })] })).toEqual({ B: 80, A: 0 });
    expect(allocations([b, A], { usageFees: [usage(80, { targetWalletCode: 'missing' })] })).toEqual({ B: 0, A: 0 });
  });
});

describe('ongoingBalance (Wallets::Balance::RefreshOngoingUsageService)', () => {
  const single = (balance: BigNumber.Value, rate: BigNumber.Value, fees: UsageFee[], extra: Partial<OngoingWallet> = {}): OngoingBalance =>
    ongoingBalance({ wallet: { currency: 'EUR', rateAmount: d(rate), balanceCents: d(balance), feeTypes: [], billableMetricCodes: [], ...extra }, usageFees: fees, draftInvoices: [] });

  it('stores usage and balance in cents and credits (Lago spec: 1000 balance, 1100 usage)', () => {
    const one = single(1000, 1, [usage(1100)]);
    expectDecimal(one.ongoingUsageBalanceCents, 1100);
    expectDecimal(one.creditsOngoingUsageBalance, 11);
    expectDecimal(one.ongoingBalanceCents, -100);
    expectDecimal(one.creditsOngoingBalance, -1);
    expect(one.depletedOngoingBalance).toBe(true);
    expect(one.becameDepleted).toBe(true);
    const two = single(1000, 2, [usage(1100)], { depletedOngoingBalance: true });
    expectDecimal(two.creditsOngoingUsageBalance, '5.5');
    expectDecimal(two.creditsOngoingBalance, '-0.5');
    expect(two.becameDepleted).toBe(false);
  });

  it('truncates decimal cents and rounds credits to 5 places', () => {
    const draft = { totalAmountCents: d(100), fees: [billed(100, { preciseCouponsAmountCents: d('33.33333') })] };
    const b = ongoingBalance({ wallet: { currency: 'EUR', rateAmount: d(1), balanceCents: d(1000), feeTypes: [], billableMetricCodes: [] }, usageFees: [], draftInvoices: [draft] });
    expectDecimal(b.allocatedCents, '66.66667');
    expectDecimal(b.ongoingUsageBalanceCents, 66);
    expectDecimal(b.creditsOngoingUsageBalance, '0.66667');
    expectDecimal(b.ongoingBalanceCents, 933); // 933.33333
    expectDecimal(b.creditsOngoingBalance, '9.33333');
    expect(b.depletedOngoingBalance).toBe(false);
    // 1 EUR at 3 EUR a credit: 1.0 / 3 → 0.33333.
    expectDecimal(single(0, 3, [usage(100)]).creditsOngoingUsageBalance, '0.33333');
  });

  it('is depleted at exactly 0 and only counts what the wallet may pay', () => {
    expect(single(80, 1, [usage(80)]).depletedOngoingBalance).toBe(true);
    const limited = single(100, 1, [usage(80, { billableMetricCode: 'other' })], { billableMetricCodes: ['api'] });
    expectDecimal(limited.ongoingUsageBalanceCents, 0);
    expect(limited.depletedOngoingBalance).toBe(false);
  });
});

const feeArb = fc.record({
  metric: fc.constantFrom('m1', 'm2', 'm3'),
  amount: fc.integer({ min: 0, max: 10_000 }),
  taxes: fc.integer({ min: 0, max: 1_000 }),
  payInAdvance: fc.boolean(),
});
const scenarioArb = fc.record({
  fees: fc.array(feeArb, { maxLength: 6 }),
  progressive: fc.array(feeArb, { maxLength: 3 }),
  wallets: fc.array(fc.record({ balance: fc.integer({ min: 0, max: 20_000 }), threshold: fc.boolean(), m1: fc.boolean() }), { minLength: 1, maxLength: 4 }),
});
const scenario = (raw: Value<typeof scenarioArb>, restrict: boolean) => {
  const wallets = raw.wallets.map((w, i) =>
    wallet(`w${i}`, w.balance, i + 1, { hasActiveThresholdRule: w.threshold, billableMetricCodes: restrict && w.m1 ? ['m1'] : [] }),
  );
  const usageFees = raw.fees.map((f) => usage(f.amount, { billableMetricCode: f.metric, taxesAmountCents: d(f.taxes), payInAdvance: f.payInAdvance }));
  const progressiveBillingFees = raw.progressive.map((f) => billed(f.amount, { billableMetricCode: f.metric, taxesAmountCents: d(f.taxes) }));
  return { wallets, input: { usageFees, draftInvoices: [], progressiveBillingFees } };
};

describe('ongoingBalances — properties', () => {
  it('with unrestricted wallets, Σ allocations = max(Σ net usage, 0) and ongoing = balance − usage', () => {
    fc.assert(
      fc.property(scenarioArb, (raw) => {
        const { wallets, input } = scenario(raw, false);
        const result = ongoingBalances(wallets, input);
        const net = BigNumber.sum(
          0,
          ...input.usageFees.filter((f) => !f.payInAdvance).map((f) => f.amountCents.plus(f.taxesAmountCents)),
          ...input.progressiveBillingFees.map((f) => f.amountCents.plus(f.taxesAmountCents).negated()),
        );
        expectDecimal(BigNumber.sum(0, ...result.map((b) => b.allocatedCents)), BigNumber.max(net, 0));
        for (const [i, b] of result.entries()) {
          expectDecimal(b.ongoingBalanceCents, wallets[i]!.balanceCents.minus(b.allocatedCents));
          expect(b.depletedOngoingBalance).toBe(!b.ongoingBalanceCents.isGreaterThan(0));
        }
      }),
      { seed: 11, numRuns: 300 },
    );
  });

  it('a wallet takes beyond its balance only if it has a threshold rule or is the last one applicable; m1 wallets only m1', () => {
    fc.assert(
      fc.property(scenarioArb, (raw) => {
        const { wallets, input } = scenario(raw, true);
        const result = ongoingBalances(wallets, input);
        const m1Net = BigNumber.sum(0, ...input.usageFees.filter((f) => f.billableMetricCode === 'm1' && !f.payInAdvance).map((f) => f.amountCents.plus(f.taxesAmountCents)));
        let m1Taken = new BigNumber(0);
        for (const [i, b] of result.entries()) {
          const w = wallets[i]!;
          const lastForAll = wallets.slice(i + 1).every((other) => other.billableMetricCodes.length > 0) && w.billableMetricCodes.length === 0;
          const lastForM1 = wallets.slice(i + 1).length === 0;
          if (w.hasActiveThresholdRule !== true && !lastForAll && !lastForM1) expect(b.allocatedCents.isLessThanOrEqualTo(w.balanceCents)).toBe(true);
          if (w.billableMetricCodes.length > 0) m1Taken = m1Taken.plus(b.allocatedCents);
        }
        expect(m1Taken.isLessThanOrEqualTo(m1Net)).toBe(true);
      }),
      { seed: 12, numRuns: 300 },
    );
  });

  it('the result does not depend on the wallets’ input order', () => {
    fc.assert(
      fc.property(scenarioArb, (raw) => {
        const { wallets, input } = scenario(raw, true);
        const forward = ongoingBalances(wallets, input).map((b) => [b.walletId, b.allocatedCents.toFixed()]);
        const backward = ongoingBalances([...wallets].reverse(), input).map((b) => [b.walletId, b.allocatedCents.toFixed()]);
        expect(backward).toEqual(forward);
      }),
      { seed: 13, numRuns: 200 },
    );
  });
});

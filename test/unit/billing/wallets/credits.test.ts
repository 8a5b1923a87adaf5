import BigNumber from 'bignumber.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applicationOrder,
  centsToCredits,
  creditsToCents,
  normalizeCredits,
  roundsToZero,
  toBigintColumn,
  toDecimalColumn,
  walletCredit,
  walletCreditFromCents,
} from '../../../../src/billing/wallets/index.ts';
import { d, expectDecimal } from '../support.ts';

// Expected values are worked by hand from app/models/wallet_credit.rb:
//   amount = (credits × rate).round(exponent) (BigDecimal, half up); amount_cents = amount × subunit;
//   credit_amount = Float(amount) / rate (the Float enters a BigDecimal division: ≥ 32 significant digits).
describe('creditsToCents (WalletCredit#amount_cents)', () => {
  it('is credits × rate rounded half up at the currency exponent, in cents', () => {
    expectDecimal(creditsToCents(d('10.5'), d('1.5'), 'EUR'), 1575); // 15.75 EUR
    expectDecimal(creditsToCents(d(1), d('0.333'), 'EUR'), 33); // 0.333 → 0.33
    expectDecimal(creditsToCents(d(3), d('0.005'), 'EUR'), 2); // 0.015 → 0.02: a tie goes up
    expectDecimal(creditsToCents(d('1.5'), d(3), 'JPY'), 5); // 4.5 yen → 5 (exponent 0)
    expectDecimal(creditsToCents(d('0.0015'), d(1), 'KWD'), 2); // 0.0015 → 0.002 (exponent 3)
  });

  it('refuses a non-positive rate (Lago validates rate_amount > 0)', () => {
    expect(() => creditsToCents(d(1), d(0), 'EUR')).toThrow(RangeError);
  });
});

describe('centsToCredits (WalletCredit.from_amount_cents#credit_amount)', () => {
  it('rounds the cents half up, then divides by the subunit and by the rate', () => {
    expectDecimal(centsToCredits(d(1575), d('1.5'), 'EUR'), '10.5');
    expectDecimal(centsToCredits(d('10.5'), d(1), 'EUR'), '0.11'); // round(10.5) = 11 cents
    expectDecimal(centsToCredits(d(0), d(7), 'EUR'), 0);
  });

  it('divides by the rate to max(2, 1) + 16 → at least 32 significant digits (BigDecimal#/), not to infinity', () => {
    // 1000 cents, rate 3: 10.0 / 3 → 3.333…3 with 32 threes; the amount 9.999… rounds back to 10.00; 10.00 / 3 again.
    expectDecimal(centsToCredits(d(1000), d(3), 'EUR'), `3.${'3'.repeat(31)}`);
    expectDecimal(toDecimalColumn(centsToCredits(d(1000), d(3), 'EUR')), '3.33333');
  });

  it('keeps the rounded cents the stored transaction reads back', () => {
    const credit = walletCreditFromCents(d('1099.5'), d(2), 'EUR');
    expectDecimal(credit.amountCents, 1100);
    expectDecimal(credit.amount, 11);
    expectDecimal(credit.creditAmount, '5.5');
  });
});

describe('normalizeCredits (BigDecimal(x).floor(5))', () => {
  it('floors to 5 decimals, towards −∞', () => {
    expectDecimal(normalizeCredits(d('1.234569')), '1.23456');
    expectDecimal(normalizeCredits(d('-1.234561')), '-1.23457');
    expectDecimal(normalizeCredits(d('20')), 20);
  });
});

describe('walletCredit (invoiceable WalletCredit)', () => {
  it('derives the credits back from the rounded amount', () => {
    // 1 credit at 0.333: amount 0.33, credits 0.33 / 0.333 = 0.990990… (32 digits)
    const credit = walletCredit(d(1), d('0.333'), 'EUR');
    expectDecimal(credit.amountCents, 33);
    expectDecimal(toDecimalColumn(credit.creditAmount), '0.99099');
  });
});

describe('roundsToZero (WalletCredit.rounds_to_zero?)', () => {
  it('is a positive (floored) credit worth 0 cents', () => {
    expect(roundsToZero(d('0.004'), d(1), 'EUR')).toBe(true);
    expect(roundsToZero(d('0.005'), d(1), 'EUR')).toBe(false); // 0.01 EUR
    expect(roundsToZero(d('0.000001'), d(1), 'EUR')).toBe(false); // floors to 0: not positive
    expect(roundsToZero(d(1), d('0.001'), 'EUR')).toBe(true);
  });
});

describe('columns', () => {
  it('a decimal(30, 5) rounds half up; a bigint truncates towards zero', () => {
    expectDecimal(toDecimalColumn(d('3.333335')), '3.33334');
    expectDecimal(toDecimalColumn(d('-0.000005')), '-0.00001');
    expectDecimal(toBigintColumn(d('-0.4')), 0);
    expectDecimal(toBigintColumn(d('933.99')), 933);
  });
});

describe('applicationOrder (Wallet.in_application_order)', () => {
  it('orders by priority, then creation, then id', () => {
    const w = (walletId: string, priority: number, createdAt: string) => ({ walletId, priority, createdAt });
    const sorted = [w('c', 50, '2024-01-01T00:00:00Z'), w('b', 1, '2024-02-01T00:00:00Z'), w('a', 50, '2023-01-01T00:00:00Z'), w('0', 50, '2024-01-01T00:00:00Z')]
      .sort(applicationOrder)
      .map((x) => x.walletId);
    expect(sorted).toEqual(['b', 'a', '0', 'c']);
  });
});

const rateArb = fc.integer({ min: 1, max: 100_000_000 }).map((n) => d(n).shiftedBy(-5)); // 0.00001 .. 1000
const currencyArb = fc.constantFrom('EUR', 'JPY', 'KWD');

describe('credits — properties', () => {
  it('cents → credits → cents gives the cents back', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000_000 }), rateArb, currencyArb, (cents, rate, currency) => {
        expectDecimal(creditsToCents(centsToCredits(d(cents), rate, currency), rate, currency), cents);
      }),
      { seed: 4242, numRuns: 500 },
    );
  });

  it('invoiceable credits are worth exactly the rounded amount, and the stored credits within half a unit of 10^-5', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000_000 }), rateArb, currencyArb, (raw, rate, currency) => {
        const credits = d(raw).shiftedBy(-5);
        const credit = walletCredit(credits, rate, currency);
        expectDecimal(credit.amountCents, creditsToCents(credits, rate, currency));
        expectDecimal(creditsToCents(credit.creditAmount, rate, currency), credit.amountCents);
        const stored = toDecimalColumn(credit.creditAmount);
        expect(stored.minus(credit.creditAmount).abs().isLessThanOrEqualTo('0.000005')).toBe(true);
      }),
      { seed: 77, numRuns: 500 },
    );
  });

  it('normalized credits never exceed the input and lose less than 10^-5', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), (raw) => {
        const value = new BigNumber(raw.toString()).shiftedBy(-9);
        const floored = normalizeCredits(value);
        expect(floored.isLessThanOrEqualTo(value)).toBe(true);
        expect(value.minus(floored).isLessThan('0.00001')).toBe(true);
        expect(floored.decimalPlaces()).toBeLessThanOrEqual(5);
      }),
      { seed: 9, numRuns: 300 },
    );
  });
});

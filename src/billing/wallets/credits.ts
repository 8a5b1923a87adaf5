import BigNumber from 'bignumber.js';
import { bigDecimalDivide } from '../invoice/coupons.ts';
import { doubleDiv, doubleToBigDecimal, toDouble } from '../invoice/rubyFloat.ts';
import { currencyExponent, subunitToUnit } from '../money.ts';
import { toMillis } from '../periods/zone.ts';

/** Scale of every credits column in Lago (`decimal(30, 5)`: credits_balance, credit_amount, rule credits...). */
export const CREDITS_SCALE = 5;
/** Precision of those columns: ActiveModel casts a BigDecimal with `BigDecimal(value, 30)` before the scale. */
const COLUMN_PRECISION = 30;

/** What Lago's `WalletCredit` holds for one conversion (app/models/wallet_credit.rb). */
export interface WalletCreditAmounts {
  /** `credit_amount`, unrounded (the column rounds it: `toDecimalColumn`). */
  readonly creditAmount: BigNumber;
  /** `amount`: major units, rounded half up at the currency exponent. */
  readonly amount: BigNumber;
  /** `amount` in cents: what a wallet transaction's `amount_cents` reads back (`amount × subunit_to_unit`). */
  readonly amountCents: BigNumber;
}

/**
 * Amount in cents of `credits` (Lago `WalletCredit.new(wallet:, credit_amount:).amount_cents`, app/models/wallet_credit.rb):
 * `(credits × rate_amount).round(exponent)` — BigDecimal, ROUND_HALF_UP — times the subunit, `to_i` (exact).
 */
export function creditsToCents(credits: BigNumber, rateAmount: BigNumber, currency: string): BigNumber {
  return amountOfCredits(credits, checkedRate(rateAmount), currency).shiftedBy(currencyExponent(currency));
}

/**
 * Lago `WalletCredit.new(wallet:, credit_amount:)` with `invoiceable: true` (app/models/wallet_credit.rb): the amount
 * is rounded to the currency, then the credits are derived back from it — `amount.fdiv(rate_amount)`, i.e.
 * `Float(amount)` entering a BigDecimal division (`Float#to_d`, then `BigDecimal#/`) — so only whole cents are ever
 * credited or debited.
 */
export function walletCredit(credits: BigNumber, rateAmount: BigNumber, currency: string): WalletCreditAmounts {
  const rate = checkedRate(rateAmount);
  const amount = amountOfCredits(credits, rate, currency);
  return {
    creditAmount: bigDecimalDivide(doubleToBigDecimal(toDouble(amount)), rate),
    amount,
    amountCents: amount.shiftedBy(currencyExponent(currency)),
  };
}

/**
 * Lago `WalletCredit.from_amount_cents(wallet:, amount_cents:)` (app/models/wallet_credit.rb): `amount_cents.round`
 * (half up), `Integer#fdiv(subunit_to_unit)` — a Float — then `Float#fdiv(rate_amount)` — the Float enters a BigDecimal
 * division — gives the credits, which `WalletCredit.new` turns into an amount and back (`walletCredit`).
 *
 * NOTE: Lago keeps `amount_cents.to_i` (truncated) as the object's `amount_cents`, but the wallet transaction stores
 * `amount` and reads its cents back from it; `amountCents` here is that stored value.
 */
export function walletCreditFromCents(cents: BigNumber, rateAmount: BigNumber, currency: string): WalletCreditAmounts {
  const rate = checkedRate(rateAmount);
  const rounded = cents.integerValue(BigNumber.ROUND_HALF_UP);
  const major = doubleDiv(toDouble(rounded), toDouble(subunitToUnit(currency)));
  const credits = bigDecimalDivide(doubleToBigDecimal(major), rate);
  return walletCredit(credits, rate, currency);
}

/**
 * Credits of `cents` (Lago `WalletCredit.from_amount_cents(...).credit_amount`, app/models/wallet_credit.rb), unrounded;
 * a credits column stores it with `toDecimalColumn`.
 *
 * NOTE: the reference summary (§5.4) reads this as `round(cents) / subunit / rate`; Lago divides by the subunit in
 * Floats, by the rate in BigDecimal (≥ 32 significant digits), then re-derives the credits from the rounded amount.
 */
export function centsToCredits(cents: BigNumber, rateAmount: BigNumber, currency: string): BigNumber {
  return walletCreditFromCents(cents, rateAmount, currency).creditAmount;
}

/**
 * A credits input as Lago takes it (`BigDecimal(params[:paid_credits]).floor(5)`,
 * app/services/wallet_transactions/create_from_params_service.rb, also WalletCredit.rounds_to_zero? and the top-up
 * limits validator): floored — towards −∞, not rounded — to 5 decimals.
 */
export function normalizeCredits(value: BigNumber): BigNumber {
  return value.decimalPlaces(CREDITS_SCALE, BigNumber.ROUND_FLOOR);
}

/**
 * Lago `WalletCredit.rounds_to_zero?` (app/models/wallet_credit.rb): a positive credits input (floored to 5 places)
 * worth 0 cents. Lago refuses such a top-up (`amount_rounds_to_zero`).
 */
export function roundsToZero(credits: BigNumber, rateAmount: BigNumber, currency: string): boolean {
  const floored = normalizeCredits(credits);
  return floored.isGreaterThan(0) && creditsToCents(floored, rateAmount, currency).isZero();
}

/**
 * What a `decimal(30, 5)` column keeps of a BigDecimal (ActiveModel::Type::Decimal: `BigDecimal(value, 30)` then
 * `round(5)`, both half up): how Lago stores credits balances and a transaction's `credit_amount`.
 */
export function toDecimalColumn(value: BigNumber): BigNumber {
  const significant = value.isZero() ? value : value.precision(COLUMN_PRECISION, BigNumber.ROUND_HALF_UP);
  return significant.decimalPlaces(CREDITS_SCALE, BigNumber.ROUND_HALF_UP);
}

/** What a `bigint` column keeps of a decimal (ActiveModel::Type::Integer: `to_i`, truncated towards zero). */
export function toBigintColumn(value: BigNumber): BigNumber {
  return value.integerValue(BigNumber.ROUND_DOWN);
}

/** `Wallet.in_application_order` (app/models/wallet.rb): `priority ASC, created_at ASC`, then the id on equal instants. */
export function applicationOrder<W extends { readonly walletId: string; readonly priority: number; readonly createdAt: string }>(a: W, b: W): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  const byAge = toMillis(a.createdAt, 'createdAt') - toMillis(b.createdAt, 'createdAt');
  if (byAge !== 0) return byAge;
  return a.walletId < b.walletId ? -1 : a.walletId > b.walletId ? 1 : 0;
}

/** Whether a wallet's `allowed_fee_types` lists `feeType` (compared case-insensitively: Lago stores `"charge"`). */
export function allowsFeeType(feeTypes: readonly string[], feeType: string): boolean {
  const wanted = feeType.toLowerCase();
  return feeTypes.some((type) => type.toLowerCase() === wanted);
}

function amountOfCredits(credits: BigNumber, rate: BigNumber, currency: string): BigNumber {
  if (!BigNumber.isBigNumber(credits) || !credits.isFinite()) throw new TypeError('credits must be a finite BigNumber');
  return credits.times(rate).decimalPlaces(currencyExponent(currency), BigNumber.ROUND_HALF_UP);
}

/** Lago validates `rate_amount > 0` (app/models/wallet.rb). */
export function checkedRate(rateAmount: BigNumber): BigNumber {
  if (!BigNumber.isBigNumber(rateAmount) || !rateAmount.isFinite() || !rateAmount.isGreaterThan(0)) {
    throw new RangeError('rateAmount must be a positive BigNumber');
  }
  return rateAmount;
}

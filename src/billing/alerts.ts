import BigNumber from 'bignumber.js';

/**
 * Lago's usage monitoring alerts (§6.3), pure: `app/models/usage_monitoring/alert.rb` and its subclasses,
 * `UsageMonitoring::ProcessAlertService`, `UsageMonitoring::CreateAlertService` / `UpdateAlertService`
 * (+ `Concerns::CreateOrUpdateConcern`).
 */

/** `UsageMonitoring::Alert::STI_MAPPING` keys, upper-cased. */
export const ALERT_TYPES = [
  'CURRENT_USAGE_AMOUNT',
  'BILLABLE_METRIC_CURRENT_USAGE_AMOUNT',
  'BILLABLE_METRIC_CURRENT_USAGE_UNITS',
  'LIFETIME_USAGE_AMOUNT',
  'BILLABLE_METRIC_LIFETIME_USAGE_UNITS',
  'WALLET_BALANCE_AMOUNT',
  'WALLET_CREDITS_BALANCE',
  'WALLET_ONGOING_BALANCE_AMOUNT',
  'WALLET_CREDITS_ONGOING_BALANCE',
] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

/** `Alert::CURRENT_USAGE_TYPES`: evaluated on the subscription's current usage. */
export const CURRENT_USAGE_ALERT_TYPES: readonly AlertType[] = ['CURRENT_USAGE_AMOUNT', 'BILLABLE_METRIC_CURRENT_USAGE_AMOUNT', 'BILLABLE_METRIC_CURRENT_USAGE_UNITS'];
/** `Alert::BILLABLE_METRIC_TYPES`: a billable metric is required, and forbidden on the other types. */
export const BILLABLE_METRIC_ALERT_TYPES: readonly AlertType[] = ['BILLABLE_METRIC_CURRENT_USAGE_AMOUNT', 'BILLABLE_METRIC_CURRENT_USAGE_UNITS', 'BILLABLE_METRIC_LIFETIME_USAGE_UNITS'];
/** `Alert::SUBSCRIPTION_TYPES`: attached to a subscription (`subscription_external_id` required). */
export const SUBSCRIPTION_ALERT_TYPES: readonly AlertType[] = [
  'CURRENT_USAGE_AMOUNT',
  'BILLABLE_METRIC_CURRENT_USAGE_AMOUNT',
  'BILLABLE_METRIC_CURRENT_USAGE_UNITS',
  'LIFETIME_USAGE_AMOUNT',
  'BILLABLE_METRIC_LIFETIME_USAGE_UNITS',
];
/** `Alert::WALLET_TYPES`: attached to a wallet, always decreasing. */
export const WALLET_ALERT_TYPES: readonly AlertType[] = ['WALLET_BALANCE_AMOUNT', 'WALLET_CREDITS_BALANCE', 'WALLET_ONGOING_BALANCE_AMOUNT', 'WALLET_CREDITS_ONGOING_BALANCE'];

export type AlertDirection = 'INCREASING' | 'DECREASING';

/** `Alert#need_billable_metric?`. */
export const alertNeedsBillableMetric = (type: AlertType): boolean => BILLABLE_METRIC_ALERT_TYPES.includes(type);
/** `Alert#need_wallet?` (every other type needs a subscription). */
export const isWalletAlert = (type: AlertType): boolean => WALLET_ALERT_TYPES.includes(type);

/**
 * `CreateAlertService#direction_for_alert`: the API takes no direction, wallet alerts decrease, the others increase.
 * NOTE(reference): §6.3 lists `direction: increasing|decreasing` as if it were chosen; it follows from the type.
 */
export const alertDirectionFor = (type: AlertType): AlertDirection => (isWalletAlert(type) ? 'DECREASING' : 'INCREASING');

/** What an alert watches, as `find_value` reads it; the fields an alert type does not read may be left out. */
export interface AlertSource {
  /** Current usage (`CustomerUsageService`, no taxes): its amount and its fees. */
  readonly currentUsageAmountCents?: BigNumber;
  readonly usageFees?: readonly { billableMetricId: string; amountCents: BigNumber; units: BigNumber }[];
  /** `LifetimeUsage#total_amount_cents`. */
  readonly lifetimeUsageTotalAmountCents?: BigNumber;
  /** The wallet's `balance_cents`, `credits_balance`, `ongoing_balance_cents`, `credits_ongoing_balance`. */
  readonly walletBalanceCents?: BigNumber;
  readonly walletCreditsBalance?: BigNumber;
  readonly walletOngoingBalanceCents?: BigNumber;
  readonly walletCreditsOngoingBalance?: BigNumber;
}

/**
 * `find_value` of each alert subclass; null when there is nothing to compare (then Lago neither triggers nor updates
 * `previous_value`). Billable-metric alerts take the LARGEST amount / units among the usage fees of the metric's
 * charges (one per charge filter or group), not their sum; BILLABLE_METRIC_LIFETIME_USAGE_UNITS reads a full-usage
 * current usage restricted to the metric's charges (`ProcessLifetimeUsageAlertService`), passed here as `usageFees`.
 */
export function alertCurrentValue(type: AlertType, source: AlertSource, billableMetricId: string | null = null): BigNumber | null {
  switch (type) {
    case 'CURRENT_USAGE_AMOUNT':
      return source.currentUsageAmountCents ?? null;
    case 'LIFETIME_USAGE_AMOUNT':
      return source.lifetimeUsageTotalAmountCents ?? null;
    case 'WALLET_BALANCE_AMOUNT':
      return source.walletBalanceCents ?? null;
    case 'WALLET_CREDITS_BALANCE':
      return source.walletCreditsBalance ?? null;
    case 'WALLET_ONGOING_BALANCE_AMOUNT':
      return source.walletOngoingBalanceCents ?? null;
    case 'WALLET_CREDITS_ONGOING_BALANCE':
      return source.walletCreditsOngoingBalance ?? null;
    default: {
      const fees = (source.usageFees ?? []).filter((f) => f.billableMetricId === billableMetricId);
      if (fees.length === 0) return null;
      return BigNumber.max(...fees.map((f) => (type === 'BILLABLE_METRIC_CURRENT_USAGE_AMOUNT' ? f.amountCents : f.units)));
    }
  }
}

/** A threshold as stored (`usage_monitoring_alert_thresholds`: `value` numeric(30,5)). */
export interface AlertThreshold {
  readonly value: BigNumber;
  readonly code: string | null;
  readonly recurring: boolean;
}

export interface AlertCheckInput {
  readonly direction: AlertDirection;
  /** The alert's thresholds in their stored order; the first recurring one is the step. */
  readonly thresholds: readonly AlertThreshold[];
  /** The alert's `previous_value`. */
  readonly previousValue: BigNumber;
  readonly currentValue: BigNumber;
}

export interface AlertCheck {
  /** `find_thresholds_crossed`: the crossed values, unique, ascending. */
  readonly crossedValues: readonly BigNumber[];
  /** `formatted_crossed_thresholds`: the crossed one-time thresholds in stored order, then the recurring levels ascending. */
  readonly crossed: readonly AlertThreshold[];
  /** What Lago stores as `previous_value`: the current value, always (numeric(30,5): rounded half up to 5 places). */
  readonly previousValue: BigNumber;
}

/**
 * `Alert#find_thresholds_crossed` + `#formatted_crossed_thresholds` + `ProcessAlertService`. Increasing (decreasing
 * mirrors it): nothing unless `current > previous`, nor when `current` is below the smallest one-time value; the
 * one-time values in `(previous, current]` when `previous` is below the largest; and every recurring level
 * `largest + k × step` (from 0 without one-time values) from `largest + max(ceil((previous − largest) / step), 1) ×
 * step` to `largest + floor((current − largest) / step) × step` — each level of a jump is reported. The stored
 * previous value is the current one whichever way it moved, so a value that drops and climbs back crosses again.
 * Quirk kept: a `previous` exactly on a recurring level (e.g. stored after reaching it) reports that level again on
 * the next rise (`ceil` of an exact multiple).
 */
export function alertThresholdsCrossed(input: AlertCheckInput): AlertCheck {
  const previous = finite(input.previousValue, 'previousValue');
  const current = finite(input.currentValue, 'currentValue');
  input.thresholds.forEach((t, i) => finite(t.value, `thresholds[${i}].value`));
  const oneTime = uniqueSorted(input.thresholds.filter((t) => !t.recurring).map((t) => t.value));
  const recurring = input.thresholds.find((t) => t.recurring) ?? null;
  if (recurring !== null && !recurring.value.isGreaterThan(0)) throw new RangeError('the recurring threshold must be positive (recurring_value_is_negative)');
  const values = input.direction === 'INCREASING' ? crossedIncreasing(previous, current, oneTime, recurring) : crossedDecreasing(previous, current, oneTime, recurring);
  const isOneTime = (v: BigNumber) => oneTime.some((o) => o.eq(v));
  const regular = input.thresholds.filter((t) => !t.recurring && values.some((v) => v.eq(t.value)));
  const levels = values.filter((v) => !isOneTime(v)).map((value) => ({ value, code: recurring?.code ?? null, recurring: true }));
  return { crossedValues: values, crossed: [...regular, ...levels], previousValue: storedValue(current) };
}

function crossedIncreasing(previous: BigNumber, current: BigNumber, oneTime: readonly BigNumber[], recurring: AlertThreshold | null): BigNumber[] {
  if (!current.isGreaterThan(previous)) return [];
  const first = oneTime[0];
  const last = oneTime.at(-1);
  const crossed: BigNumber[] = [];
  if (first !== undefined && last !== undefined) {
    if (current.isLessThan(first)) return [];
    if (previous.isLessThan(last)) crossed.push(...oneTime.filter((v) => v.isGreaterThan(previous) && v.isLessThanOrEqualTo(current)));
  }
  if (recurring !== null) {
    const initial = last ?? ZERO;
    const step = recurring.value;
    const from = initial.plus(step.times(BigNumber.max(ceilDiv(previous.minus(initial), step), 1)));
    const to = initial.plus(step.times(floorDiv(current.minus(initial), step)));
    crossed.push(...levels(from, to, step));
  }
  return uniqueSorted(crossed);
}

function crossedDecreasing(previous: BigNumber, current: BigNumber, oneTime: readonly BigNumber[], recurring: AlertThreshold | null): BigNumber[] {
  if (!current.isLessThan(previous)) return [];
  const first = oneTime[0];
  const last = oneTime.at(-1);
  const crossed: BigNumber[] = [];
  if (first !== undefined && last !== undefined) {
    if (current.isGreaterThan(last)) return [];
    if (previous.isGreaterThan(first)) crossed.push(...oneTime.filter((v) => v.isLessThan(previous) && v.isGreaterThanOrEqualTo(current)));
  }
  if (recurring !== null) {
    const initial = first ?? ZERO;
    const step = recurring.value;
    const from = initial.minus(step.times(BigNumber.max(ceilDiv(initial.minus(previous), step), 1)));
    const to = initial.minus(step.times(floorDiv(initial.minus(current), step)));
    crossed.push(...levels(to, from, step));
  }
  return uniqueSorted(crossed);
}

/** `(low..high).step(step)`: nothing when `low > high` (Lago's "shouldn't happen"). */
function levels(low: BigNumber, high: BigNumber, step: BigNumber): BigNumber[] {
  const count = high.minus(low).idiv(step);
  if (count.isNegative()) return [];
  if (count.isGreaterThan(MAX_LEVELS)) throw new RangeError(`${count.plus(1).toFixed()} recurring levels crossed: more than ${MAX_LEVELS}`);
  return Array.from({ length: count.toNumber() + 1 }, (_, k) => low.plus(step.times(k)));
}

/** The initial `previous_value` of a new alert: 0 (column default), or the watched value when decreasing. */
export function initialAlertPreviousValue(direction: AlertDirection, currentValue: BigNumber | null): BigNumber {
  return direction === 'DECREASING' && currentValue !== null ? storedValue(finite(currentValue, 'currentValue')) : ZERO;
}

/** A threshold as the API takes it (`value` a number or a numeric string). */
export interface AlertThresholdParams {
  readonly value: BigNumber | number | string | null | undefined;
  readonly code?: string | null;
  /** Cast like ActiveModel's Boolean: `false`, `0`, `"0"`, `"f"`, `"false"`, `"off"` (lower or upper case), `""` and null are false. */
  readonly recurring?: boolean | number | string | null;
}

export interface AlertThresholdError {
  /** `thresholds`, `thresholds:value` or `base`, as Lago names them. */
  readonly field: string;
  readonly errorCode: string;
}

/**
 * `CreateAlertService` / `UpdateAlertService` threshold checks, in Lago's order; Lago stops at the first failure, so
 * the list holds at most one: none given (create only) → `value_is_mandatory`; more than 20 → `too_many_thresholds`;
 * two with the same value as given and the same recurring flag → `duplicate_threshold_values` (a one-time and a
 * recurring threshold may share a value; `"10"` and `"10.0"` differ, as the raw params do); a missing value →
 * `thresholds:value` `value_is_mandatory`; not numeric → `value_is_invalid`; a recurring value ≤ 0 →
 * `recurring_value_is_negative`. One-time values may be zero or negative. A second recurring threshold passes these and
 * then breaks the unique index on `(alert, recurring)`: Lago answers `base` `alert_already_exists`.
 * Strings: Ruby's `Float()` decimal syntax (surrounding blanks, `_` between digits, an exponent); hexadecimal, which
 * `Float()` also takes, is refused here.
 */
export function validateAlertThresholds(thresholds: readonly AlertThresholdParams[] | null | undefined, mode: 'CREATE' | 'UPDATE' = 'CREATE'): AlertThresholdError[] {
  const list = thresholds ?? [];
  if (list.length === 0) return mode === 'CREATE' ? [{ field: 'thresholds', errorCode: 'value_is_mandatory' }] : [];
  if (list.length > SOFT_LIMIT) return [{ field: 'thresholds', errorCode: 'too_many_thresholds' }];
  const recurring = list.map((t) => castBoolean(t.recurring));
  const keys = list.map((t, i) => `${recurring[i]}|${rawKey(t.value)}`);
  if (new Set(keys).size !== keys.length) return [{ field: 'thresholds', errorCode: 'duplicate_threshold_values' }];
  if (list.some((t) => t.value === null || t.value === undefined)) return [{ field: 'thresholds:value', errorCode: 'value_is_mandatory' }];
  const parsed = list.map((t) => numericValue(t.value));
  if (parsed.some((v) => v === null)) return [{ field: 'thresholds:value', errorCode: 'value_is_invalid' }];
  if (parsed.some((v, i) => recurring[i] && !v!.isGreaterThan(0))) return [{ field: 'thresholds:value', errorCode: 'recurring_value_is_negative' }];
  if (recurring.filter(Boolean).length > 1) return [{ field: 'base', errorCode: 'alert_already_exists' }];
  return [];
}

const ZERO = new BigNumber(0);
/** `AlertThreshold::SOFT_LIMIT`. */
const SOFT_LIMIT = 20;
const MAX_LEVELS = 100_000;
const RUBY_FLOAT = /^\s*[+-]?\d+(?:_\d+)*(?:\.\d+(?:_\d+)*)?(?:[eE][+-]?\d+(?:_\d+)*)?\s*$/;

const FALSE_VALUES = new Set(['0', 'f', 'F', 'false', 'FALSE', 'off', 'OFF']);

/** `ActiveModel::Type::Boolean.new.cast(x) || false`. */
function castBoolean(value: AlertThresholdParams['recurring']): boolean {
  if (value === null || value === undefined || value === '' || value === false || value === 0) return false;
  return typeof value !== 'string' || !FALSE_VALUES.has(value);
}

/** The raw param as Ruby's `uniq` tells values apart: strings as written, numbers by value. */
function rawKey(value: AlertThresholdParams['value']): string {
  if (typeof value === 'string') return `s:${value}`;
  if (value === null || value === undefined) return 'nil';
  return `n:${new BigNumber(value).toFixed()}`;
}

function numericValue(value: AlertThresholdParams['value']): BigNumber | null {
  if (BigNumber.isBigNumber(value)) return value.isFinite() ? value : null;
  if (typeof value === 'number') return Number.isFinite(value) ? new BigNumber(value) : null;
  if (typeof value === 'string' && RUBY_FLOAT.test(value)) return new BigNumber(value.trim().replaceAll('_', ''));
  return null;
}

/** `numeric(30,5)`: ActiveModel rounds the assigned decimal to 5 places, half up. */
const storedValue = (value: BigNumber): BigNumber => value.decimalPlaces(5, BigNumber.ROUND_HALF_UP);

/** Exact `floor(a / b)` for b > 0 (Ruby `(BigDecimal / BigDecimal).floor`). */
function floorDiv(a: BigNumber, b: BigNumber): BigNumber {
  const q = a.idiv(b);
  return a.minus(q.times(b)).isNegative() ? q.minus(1) : q;
}

const ceilDiv = (a: BigNumber, b: BigNumber): BigNumber => floorDiv(a.negated(), b).negated();

function uniqueSorted(values: readonly BigNumber[]): BigNumber[] {
  const sorted = [...values].sort((a, b) => a.comparedTo(b) ?? 0);
  return sorted.filter((v, i) => i === 0 || !v.eq(sorted[i - 1]!));
}

function finite(value: BigNumber, field: string): BigNumber {
  if (!BigNumber.isBigNumber(value) || !value.isFinite()) throw new RangeError(`${field} must be a finite BigNumber`);
  return value;
}

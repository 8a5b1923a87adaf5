import BigNumber from 'bignumber.js';
import type { CreditableFee } from './creditNotes.ts';
import { creditNoteTaxesForItems } from './creditNotes.ts';
import { doubleDiv, shortestDecimal, toDouble } from './invoice/rubyFloat.ts';
import { instantMs } from './usage/instants.ts';

/**
 * Lago's lifetime usage and progressive billing (§6.2, §4.4 step 3), pure. Where the reference summary and Lago's
 * code (getlago/lago-api) disagree, the code is followed; each place says `NOTE(reference)`.
 */

/** A usage threshold (`UsageThreshold`): the subscription's own, else its plan's (`applicable_usage_thresholds`). */
export interface UsageThreshold {
  readonly id: string;
  /** Integer cents, > 0. */
  readonly amountCents: BigNumber;
  readonly recurring: boolean;
  readonly thresholdDisplayName: string | null;
}

export interface UsageThresholdsPassedInput<T extends UsageThreshold = UsageThreshold> {
  /** The applicable thresholds; none when progressive billing is disabled on the subscription. */
  readonly thresholds: readonly T[];
  /** The `LifetimeUsage` amounts, integer cents (see `lifetimeUsage`). */
  readonly historicalUsageAmountCents: BigNumber;
  readonly invoicedUsageAmountCents: BigNumber;
  readonly currentUsageAmountCents: BigNumber;
  /** `progressiveBilledAmount(...).progressiveBilledAmountCents` now: the period's latest progressive invoice's fees. */
  readonly progressiveBilledAmountCents: BigNumber;
}

/**
 * `LifetimeUsages::UsageThresholds::CheckService`: the thresholds whose crossing bills a progressive invoice now.
 * `actual = current − progressive billed` (none if negative), `invoiced = historical + invoiced + progressive billed`,
 * `total = invoiced + actual`, `L` = the largest fixed amount (0 if none). If `invoiced < L`: the fixed thresholds
 * with `invoiced < amount ≤ total` (ascending), then the recurring one if `total − L ≥ step`; else the recurring one if
 * `actual + invoiced mod step ≥ step`. The recurring threshold is reported once (its own record, amount = the step)
 * however many steps the usage jumped: the next check, with the new progressive invoice counted, finds the next one.
 * NOTE(reference): matches §6.2; equal fixed amounts keep their input order, and two recurring thresholds (which
 * Lago's validations forbid) throw.
 */
export function usageThresholdsPassed<T extends UsageThreshold>(input: UsageThresholdsPassedInput<T>): T[] {
  const { fixed, recurring } = splitThresholds(input.thresholds);
  if (fixed.length === 0 && recurring === null) return [];
  const progressive = cents(input.progressiveBilledAmountCents, 'progressiveBilledAmountCents');
  const actual = cents(input.currentUsageAmountCents, 'currentUsageAmountCents').minus(progressive);
  if (actual.isNegative()) return [];
  const invoiced = cents(input.historicalUsageAmountCents, 'historicalUsageAmountCents')
    .plus(cents(input.invoicedUsageAmountCents, 'invoicedUsageAmountCents'))
    .plus(progressive);
  const largest = fixed.at(-1)?.amountCents ?? ZERO;
  const total = invoiced.plus(actual);
  if (invoiced.isLessThan(largest)) {
    const passed = fixed.filter((t) => t.amountCents.isGreaterThan(invoiced) && t.amountCents.isLessThanOrEqualTo(total));
    if (recurring !== null && total.minus(largest).isGreaterThanOrEqualTo(recurring.amountCents)) passed.push(recurring);
    return passed;
  }
  if (recurring !== null && actual.plus(invoiced.mod(recurring.amountCents)).isGreaterThanOrEqualTo(recurring.amountCents)) return [recurring];
  return [];
}

/** An earlier `progressive_billing` invoice of the subscription, as `Subscriptions::ProgressiveBilledAmount` reads it. */
export interface ProgressiveBillingInvoice {
  readonly id: string;
  readonly status: 'DRAFT' | 'GENERATING' | 'FINALIZED' | 'FAILED' | 'PENDING' | 'VOIDED' | 'CLOSED';
  /** `YYYY-MM-DD`; the latest invoice is the one with the latest issuing date, then the latest `createdAt`. */
  readonly issuingDate: string;
  readonly createdAt: string;
  /** Its invoice subscription's charges boundaries (ISO instants): the billing period it belongs to. */
  readonly chargesFromDatetime: string;
  readonly chargesToDatetime: string;
  /** `fees_amount_cents`: Σ its fees — the period's usage from the period start, not only the new part. */
  readonly feesAmountCents: BigNumber;
  readonly couponsAmountCents: BigNumber;
  /** Σ of the credits other invoices took from it (`progressive_billing_credits.active`: not on voided/closed/deleted invoices). */
  readonly creditsAmountCents: BigNumber;
  /** Σ `credit_amount_cents` of its credit notes whose `credit_status` is available or consumed. */
  readonly creditNotesCreditAmountCents: BigNumber;
  /** Its fees (charge fees only: a progressive invoice has no other). */
  readonly fees: readonly ProgressiveInvoiceFee[];
}

/** A fee of a progressive invoice; the `CreditableFee` part is what the excess credit note needs. */
export interface ProgressiveInvoiceFee extends CreditableFee {
  readonly chargeId: string;
  readonly chargeFilterId: string | null;
  /** `grouped_by` (pricing group keys → values); `{}` when none. */
  readonly groupedBy: Readonly<Record<string, string>>;
}

export interface ProgressiveBilledAmount {
  readonly invoice: ProgressiveBillingInvoice | null;
  /** The latest invoice's `feesAmountCents` (0 without one): what the threshold check treats as billed. */
  readonly progressiveBilledAmountCents: BigNumber;
  /** `max(fees − coupons − credits taken from it − its credit notes' credit, 0)`: what a later invoice may credit. */
  readonly toCreditAmountCents: BigNumber;
}

/**
 * `Subscriptions::ProgressiveBilledAmount`: among the subscription's progressive invoices that are finalized or failed
 * (or generating, with `includeGenerating`) and whose charges period contains `timestamp` (`from ≤ t < to`), the
 * latest one alone counts — its fees already include what the earlier ones billed.
 * NOTE(reference): §4.4 says "amount already billed by the period's progressive_billing invoice (fees − coupons −
 * earlier credits − credit notes)": it is the latest invoice only, "earlier credits" are the credits other invoices
 * already took from it (not the credit it received itself), and the credit notes count by their credit part.
 */
export function progressiveBilledAmount(input: { invoices: readonly ProgressiveBillingInvoice[]; timestamp: string; includeGenerating?: boolean }): ProgressiveBilledAmount {
  const t = instant(input.timestamp, 'timestamp');
  const statuses = input.includeGenerating === true ? ['FINALIZED', 'FAILED', 'GENERATING'] : ['FINALIZED', 'FAILED'];
  const inPeriod = input.invoices.filter(
    (i) => statuses.includes(i.status) && instant(i.chargesFromDatetime, `invoice ${i.id}`) <= t && instant(i.chargesToDatetime, `invoice ${i.id}`) > t,
  );
  const latest = [...inPeriod].sort(
    (a, b) => (a.issuingDate < b.issuingDate ? 1 : a.issuingDate > b.issuingDate ? -1 : instant(b.createdAt, 'createdAt') - instant(a.createdAt, 'createdAt')),
  )[0];
  if (latest === undefined) return { invoice: null, progressiveBilledAmountCents: ZERO, toCreditAmountCents: ZERO };
  const name = `invoice ${latest.id}`;
  const toCredit = cents(latest.feesAmountCents, `${name} feesAmountCents`)
    .minus(cents(latest.couponsAmountCents, `${name} couponsAmountCents`))
    .minus(cents(latest.creditsAmountCents, `${name} creditsAmountCents`))
    .minus(cents(latest.creditNotesCreditAmountCents, `${name} creditNotesCreditAmountCents`));
  return { invoice: latest, progressiveBilledAmountCents: latest.feesAmountCents, toCreditAmountCents: BigNumber.max(toCredit, 0) };
}

/** A charge fee of the invoice being computed (fee type CHARGE, true-up fees included). */
export interface InvoiceChargeFee {
  readonly id: string;
  readonly subscriptionId: string;
  readonly chargeId: string;
  readonly chargeFilterId: string | null;
  readonly groupedBy: Readonly<Record<string, string>>;
  /** Integer cents. */
  readonly amountCents: BigNumber;
  /** What the fee carries already (0 by default). */
  readonly preciseCouponsAmountCents?: BigNumber;
}

export interface ProgressiveBillingCreditInput {
  /** Every charge fee of the invoice, in the invoice's fee order (the first match takes a progressive fee). */
  readonly fees: readonly InvoiceChargeFee[];
  /** The invoice's subscriptions, in order: each with its charges period start and its progressive invoices (any period). */
  readonly subscriptions: readonly { subscriptionId: string; chargesFromDatetime: string; progressiveInvoices: readonly ProgressiveBillingInvoice[] }[];
}

/** The credit note Lago issues on a progressive invoice for what the later invoice could not credit. */
export interface ProgressiveBillingCreditNote {
  readonly progressiveBillingInvoiceId: string;
  /** Integer cents per fee, largest fees first; the note's amounts follow from these (`creditNoteAmounts`). */
  readonly items: readonly { feeId: string; amountCents: BigNumber }[];
  /** `credit_amount_cents`: round(excess − coupons share (truncated to 5 places) + Σ rounded taxes of the items). */
  readonly creditAmountCents: BigNumber;
}

export interface ProgressiveBillingCredit {
  /** One `Credit` (before taxes) per subscription with something to credit. */
  readonly credits: readonly { subscriptionId: string; progressiveBillingInvoiceId: string; amountCents: BigNumber }[];
  /** Σ credits: the invoice's `progressive_billing_credit_amount_cents`, taken off `sub_total_excluding_taxes`. */
  readonly amountCents: BigNumber;
  /** The `precise_coupons_amount_cents` of each fee the credits touched, after them (feed to `applyCoupons`). */
  readonly feePreciseCouponsAmountCents: ReadonlyMap<string, BigNumber>;
  readonly creditNotes: readonly ProgressiveBillingCreditNote[];
}

/**
 * `Credits::ProgressiveBillingService`, run on the end-of-period (or termination) invoice and on each new progressive
 * invoice. Per subscription, with the latest progressive invoice of the period containing the invoice's charges start
 * (`progressiveBilledAmount`): `cap` = Σ this invoice's charge fees of that subscription whose charge has a fee on
 * the progressive invoice; `credit = toCreditAmount`, and when it exceeds `cap` the excess goes to a credit note on
 * the progressive invoice (`progressiveBillingCreditNote`) and the credit becomes `cap`. A positive credit is
 * spread by adding each progressive fee's full amount (not the credit: coupons or credit notes on the progressive
 * invoice do not shrink it) to the first invoice fee of the same charge, charge filter and grouping — of any
 * subscription — capped at that fee's amount.
 * NOTE(reference): §4.4 says "capped at this invoice's charge fees for those charges": the cap is on their Σ, not per
 * fee; the per-fee spread is capped separately.
 */
export function progressiveBillingCredit(input: ProgressiveBillingCreditInput): ProgressiveBillingCredit {
  const precise = new Map(input.fees.map((f) => [f.id, f.preciseCouponsAmountCents ?? ZERO] as const));
  const touched = new Map<string, BigNumber>();
  const credits: { subscriptionId: string; progressiveBillingInvoiceId: string; amountCents: BigNumber }[] = [];
  const creditNotes: ProgressiveBillingCreditNote[] = [];
  for (const sub of input.subscriptions) {
    const billed = progressiveBilledAmount({ invoices: sub.progressiveInvoices, timestamp: sub.chargesFromDatetime });
    if (billed.invoice === null) continue;
    const chargeIds = new Set(billed.invoice.fees.map((f) => f.chargeId));
    const cap = sum(input.fees.filter((f) => f.subscriptionId === sub.subscriptionId && chargeIds.has(f.chargeId)).map((f) => cents(f.amountCents, `fee ${f.id}`)));
    let credit = billed.toCreditAmountCents;
    if (credit.isGreaterThan(cap)) {
      const note = progressiveBillingCreditNote(billed.invoice, credit.minus(cap));
      if (note !== null) creditNotes.push(note);
      credit = cap;
    }
    if (!credit.isGreaterThan(0)) continue;
    credits.push({ subscriptionId: sub.subscriptionId, progressiveBillingInvoiceId: billed.invoice.id, amountCents: credit });
    for (const pFee of billed.invoice.fees) {
      const fee = input.fees.find((f) => f.chargeId === pFee.chargeId && f.chargeFilterId === pFee.chargeFilterId && sameGrouping(f.groupedBy, pFee.groupedBy));
      if (fee === undefined) continue;
      const added = (precise.get(fee.id) ?? ZERO).plus(pFee.amountCents);
      const capped = BigNumber.min(added, fee.amountCents);
      precise.set(fee.id, capped);
      touched.set(fee.id, capped);
    }
  }
  return { credits, amountCents: sum(credits.map((c) => c.amountCents)), feePreciseCouponsAmountCents: touched, creditNotes };
}

/**
 * `CreditNotes::CreateFromProgressiveBillingInvoice` (automatic, reason `other`): items over the progressive invoice's
 * fees by descending amount, each `min(what remains, fee amount − its credit-note items)` (a fully credited fee still
 * gets a 0 item) until nothing remains; `credit_amount_cents = round(amount − trunc5(coupons adjustment) + taxes)`
 * (`CreditNotes::ApplyTaxesService` on those items). Null when the amount or that credit is 0. Throws
 * (`creditable_amount_is_less_than_requested`, which fails the invoice) when the fees cannot hold the amount.
 */
export function progressiveBillingCreditNote(invoice: ProgressiveBillingInvoice, amountCents: BigNumber): ProgressiveBillingCreditNote | null {
  let remaining = cents(amountCents, 'amountCents');
  if (remaining.isZero()) return null;
  const amount = remaining;
  const items: { feeId: string; amountCents: BigNumber }[] = [];
  const byAmount = [...invoice.fees].sort((a, b) => b.amountCents.comparedTo(a.amountCents) ?? 0);
  for (const fee of byAmount) {
    if (remaining.isZero()) break;
    const take = BigNumber.min(remaining, fee.amountCents.minus(fee.creditedAmountCents));
    items.push({ feeId: fee.id, amountCents: take });
    remaining = remaining.minus(take);
  }
  if (remaining.isGreaterThan(0)) {
    throw new RangeError(`progressive invoice ${invoice.id} cannot credit ${amount.toFixed()} cents (creditable_amount_is_less_than_requested)`);
  }
  const fees = new Map(invoice.fees.map((f) => [f.id, f] as const));
  const taxes = creditNoteTaxesForItems(items.map((i) => ({ fee: fees.get(i.feeId)!, preciseAmountCents: i.amountCents })));
  const creditAmountCents = amount
    .minus(taxes.couponsAdjustmentAmountCents.decimalPlaces(5, BigNumber.ROUND_DOWN))
    .plus(taxes.taxesAmountCents)
    .integerValue(BigNumber.ROUND_HALF_UP);
  return creditAmountCents.isZero() ? null : { progressiveBillingInvoiceId: invoice.id, items, creditAmountCents };
}

/**
 * Which charges get a fee on a progressive invoice (`Invoices::ProgressiveBillingService#charges`): the plan's charges
 * that are invoiceable and not pay-in-advance. Their fees are the ordinary charge fees (`Fees::ChargeService`,
 * context `finalize`) over the current billing period's charges boundaries — usage from the period start up to the
 * check, whatever the earlier progressive invoices billed — with no minimum-commitment true-up fee
 * (`init_true_up_fee` is skipped for progressive invoices). There is no subtraction in the fees: what the period's
 * previous progressive invoice billed comes off as a `progressiveBillingCredit` on the new invoice. No subscription
 * fee, fixed charges or commitment fee appear.
 */
export function progressiveInvoiceCharges<C extends { readonly invoiceable: boolean; readonly payInAdvance: boolean }>(charges: readonly C[]): C[] {
  return charges.filter((c) => c.invoiceable && !c.payInAdvance);
}

/** A threshold reached by an earlier progressive invoice (`AppliedUsageThreshold`) of the subscription's lineage. */
export interface AppliedUsageThreshold {
  readonly usageThresholdId: string;
  /** The lifetime total (`total_amount_cents`) when that invoice was made. */
  readonly lifetimeUsageAmountCents: BigNumber;
  readonly createdAt: string;
}

export interface LifetimeUsageInput {
  readonly historicalUsageAmountCents: BigNumber;
  /** `lifetimeInvoicedUsageAmountCents(...)`. */
  readonly invoicedUsageAmountCents: BigNumber;
  /** The current period's usage amount (`Invoices::CustomerUsageService` amount, no taxes). */
  readonly currentUsageAmountCents: BigNumber;
  readonly thresholds: readonly UsageThreshold[];
  /** Applied thresholds on invoices of the subscriptions with the same external id and start, not canceled. */
  readonly appliedThresholds: readonly AppliedUsageThreshold[];
  /** ISO instant: the `reached_at` of a passed threshold no invoice applied. */
  readonly now: string;
}

/** One row of `usage_thresholds`: amount (a recurring step's nth level), `completion_ratio` (as Ruby prints the Float). */
export interface UsageThresholdCompletion {
  readonly usageThresholdId: string;
  readonly amountCents: BigNumber;
  readonly completionRatio: BigNumber;
  readonly reachedAt: string | null;
}

export interface LifetimeUsage {
  readonly externalHistoricalUsageAmountCents: BigNumber;
  readonly invoicedUsageAmountCents: BigNumber;
  readonly currentUsageAmountCents: BigNumber;
  /** historical + invoiced + current (GraphQL `totalUsageAmountCents`). */
  readonly totalUsageAmountCents: BigNumber;
  /** Empty without thresholds (the REST serializer then omits `usage_thresholds`). */
  readonly usageThresholds: readonly UsageThresholdCompletion[];
  readonly lastThresholdAmountCents: BigNumber | null;
  readonly nextThresholdAmountCents: BigNumber | null;
  readonly nextThresholdRatio: BigNumber | null;
}

/**
 * `LifetimeUsage#total_amount_cents`, `V1::LifetimeUsageSerializer`, `LifetimeUsages::UsageThresholdsCompletionService`
 * and `LifetimeUsages::FindLastAndNextThresholdsService`. With `total` and `last` = the largest fixed amount ≤ total
 * (0 if none): each such fixed threshold is 100 % (`reachedAt` = its latest applied threshold, else `now`); then, if a
 * fixed one is left, the next is at `(total − last).fdiv(amount − last)`, the others 0 and the recurring one listed at
 * `largest fixed + step`, 0; if none is left, the recurring one lists `floor((total − last) / step)` reached levels
 * `last + i × step` (`reachedAt` = the first applied recurring threshold by lifetime amount at or above the level,
 * else `now`) and an unreached level `total − r + step` at `r.fdiv(step)`, `r = (last + total) mod step`. Last = the
 * last reached row, next = the row after it (or the first).
 * NOTE(Lago): `r` adds `last` where the level arithmetic subtracts it, so with a fixed threshold that is not a
 * multiple of half the step the next level and its ratio are off (last 100, step 300, total 550 → 800 at 0.1666…,
 * where 700 at 0.5 is meant); reproduced. More than 100,000 reached levels throw (Lago would list them all).
 */
export function lifetimeUsage(input: LifetimeUsageInput): LifetimeUsage {
  const historical = cents(input.historicalUsageAmountCents, 'historicalUsageAmountCents');
  const invoiced = cents(input.invoicedUsageAmountCents, 'invoicedUsageAmountCents');
  const current = cents(input.currentUsageAmountCents, 'currentUsageAmountCents');
  const total = historical.plus(invoiced).plus(current);
  const rows = completionRows(input, total);
  const lastIndex = rows.findLastIndex((r) => r.reachedAt !== null);
  const next = lastIndex === -1 ? rows[0] : rows[lastIndex + 1];
  return {
    externalHistoricalUsageAmountCents: historical,
    invoicedUsageAmountCents: invoiced,
    currentUsageAmountCents: current,
    totalUsageAmountCents: total,
    usageThresholds: rows,
    lastThresholdAmountCents: rows[lastIndex]?.amountCents ?? null,
    nextThresholdAmountCents: next?.amountCents ?? null,
    nextThresholdRatio: next?.completionRatio ?? null,
  };
}

function completionRows(input: LifetimeUsageInput, total: BigNumber): UsageThresholdCompletion[] {
  const { fixed, recurring } = splitThresholds(input.thresholds);
  const passed = fixed.filter((t) => t.amountCents.isLessThanOrEqualTo(total));
  const pending = fixed.filter((t) => t.amountCents.isGreaterThan(total));
  const row = (t: UsageThreshold, amountCents: BigNumber, ratio: BigNumber, reachedAt: string | null) => ({ usageThresholdId: t.id, amountCents, completionRatio: ratio, reachedAt });
  const rows = passed.map((t) => row(t, t.amountCents, ONE, latestApplied(input.appliedThresholds, t.id) ?? input.now));
  const last = passed.at(-1)?.amountCents ?? ZERO;
  const [first, ...rest] = pending;
  if (first !== undefined) {
    rows.push(row(first, first.amountCents, fdiv(total.minus(last), first.amountCents.minus(last)), null));
    for (const t of rest) rows.push(row(t, t.amountCents, ZERO, null));
    if (recurring !== null) rows.push(row(recurring, fixed.at(-1)!.amountCents.plus(recurring.amountCents), ZERO, null));
    return rows;
  }
  if (recurring === null) return rows;
  const step = recurring.amountCents;
  const applied = input.appliedThresholds
    .filter((a) => a.usageThresholdId === recurring.id)
    .sort((a, b) => a.lifetimeUsageAmountCents.comparedTo(b.lifetimeUsageAmountCents) ?? 0);
  const reached = total.minus(last).idiv(step);
  if (reached.isGreaterThan(MAX_LEVELS)) throw new RangeError(`${reached.toFixed()} recurring levels reached: more than ${MAX_LEVELS}`);
  for (let i = 1; i <= reached.toNumber(); i += 1) {
    const level = last.plus(step.times(i));
    rows.push(row(recurring, level, ONE, applied.find((a) => a.lifetimeUsageAmountCents.isGreaterThanOrEqualTo(level))?.createdAt ?? input.now));
  }
  const remainder = last.plus(total).mod(step);
  rows.push(row(recurring, total.minus(remainder).plus(step), fdiv(remainder, step), null));
  return rows;
}

/**
 * `LifetimeUsages::CalculateService#calculate_invoiced_usage_amount_cents`: Σ of the charge fees of the lineage's
 * `subscription`-type invoices that are finalized or draft (progressive invoices are not counted: the current usage
 * already holds what they billed). NOTE(reference): §6.2 says finalized invoices only; Lago counts drafts too.
 */
export function lifetimeInvoicedUsageAmountCents(invoices: readonly { invoiceType: string; status: string; chargeFeesAmountCents: BigNumber }[]): BigNumber {
  return sum(invoices.filter((i) => i.invoiceType === 'SUBSCRIPTION' && (i.status === 'FINALIZED' || i.status === 'DRAFT')).map((i) => cents(i.chargeFeesAmountCents, 'chargeFeesAmountCents')));
}

const ZERO = new BigNumber(0);
const ONE = new BigNumber(1);
const MAX_LEVELS = 100_000;

function splitThresholds<T extends UsageThreshold>(thresholds: readonly T[]): { fixed: T[]; recurring: T | null } {
  for (const t of thresholds) {
    if (!cents(t.amountCents, `threshold ${t.id} amountCents`).isGreaterThan(0)) throw new RangeError(`threshold ${t.id} amountCents must be positive`);
  }
  const recurring = thresholds.filter((t) => t.recurring);
  if (recurring.length > 1) throw new RangeError('at most one recurring usage threshold (multiple_recurring_thresholds)');
  const fixed = thresholds.filter((t) => !t.recurring).sort((a, b) => a.amountCents.comparedTo(b.amountCents) ?? 0);
  return { fixed, recurring: recurring[0] ?? null };
}

/** `Integer#fdiv` as Ruby prints the Float (exact below 2^53). */
const fdiv = (a: BigNumber, b: BigNumber): BigNumber => shortestDecimal(doubleDiv(toDouble(a), toDouble(b)));

function latestApplied(applied: readonly AppliedUsageThreshold[], id: string): string | null {
  let latest: string | null = null;
  for (const a of applied) if (a.usageThresholdId === id && (latest === null || instant(a.createdAt, 'createdAt') > instant(latest, 'createdAt'))) latest = a.createdAt;
  return latest;
}

/** Ruby `Hash#==`: same keys and values, any order. */
function sameGrouping(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

function instant(iso: string, field: string): number {
  const ms = instantMs(iso);
  if (Number.isNaN(ms)) throw new RangeError(`${field} must be an ISO instant, got ${JSON.stringify(iso)}`);
  return ms;
}

function cents(value: BigNumber, field: string): BigNumber {
  if (!BigNumber.isBigNumber(value) || !value.isInteger() || value.isNegative()) throw new RangeError(`${field} must be a non-negative integer BigNumber`);
  return value;
}

const sum = (values: readonly BigNumber[]): BigNumber => values.reduce((acc, v) => acc.plus(v), ZERO);

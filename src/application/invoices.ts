import { DateTime } from 'luxon';
import { toPreciseCents } from '../billing/money.ts';
import type { Actor, AppDeps } from './context.ts';
import { eventMetadata } from './context.ts';
import { execute } from './execute.ts';
import { applicableTimezone } from './subscriptions.ts';
import { periodSubscriptionOf, planOf, type UsageService } from './usage.ts';
import { keyedQueue } from './keyedQueue.ts';
import { createNumbering, type InvoiceNumberAssigned } from './numbering.ts';
import type { EventMetadata, NewEvent, StreamAppend } from './ports/eventStore.ts';
import { assembleInvoice, type ChargeToBill, type InvoiceToAssemble } from '../billing/invoicing.ts';
import { applyCoupons, type AppliedCouponState as CouponToApply } from '../billing/invoice/coupons.ts';
import { appliedCouponDecider, type AppliedCouponCredited, type AppliedCouponState } from '../domain/coupon/index.ts';
import { appliedCouponStream, readAppliedCoupon } from './coupons.ts';
import { walletLedger } from './walletLedger.ts';
import { asProgressiveInvoice, finalizedProgressiveInvoices } from './progressiveInvoices.ts';
import { progressiveBillingCredit, type ProgressiveBillingCreditNote, type ProgressiveBillingInvoice } from '../billing/progressiveBilling.ts';
import { creditNoteStream, derivedCreditNoteId, readCreditNote, type CreditNoteService } from './creditNotes.ts';
import { terminationCredit } from '../billing/creditNotes.ts';
import { creditNoteDecider, type CreditNoteConsumed, type CreditNoteState } from '../domain/creditNote/index.ts';
import { CREDIT_NOTES, type CreditNoteDocument } from '../../projections/creditNotes.ts';
import { APPLIED_COUPONS, type AppliedCouponDocument } from '../../projections/coupons.ts';
import { emptyInAdvanceState, inAdvancePricing, priceInAdvanceEvent, type InAdvanceFee, type InAdvanceMetric, type InAdvanceState } from '../billing/inAdvanceCharges.ts';
import type { ChargeUsage } from '../billing/usage/price.ts';
import type { IngestedUsageEvent } from '../billing/usage/types.ts';
import type { PlanCharge } from '../domain/plan/types.ts';
import BigNumber from 'bignumber.js';
import { commitmentProrationDays, commitmentTrueUp, draftInvoiceNumber, invoiceNumber, subscriptionFee, type TaxRate } from '../billing/invoice/index.ts';
import { minimumSpendTrueUp } from '../billing/minimumSpend.ts';
import {
  billingBoundaries,
  chargesPeriodContaining,
  daysBetweenInclusive,
  nextBillingDate,
  periodContaining,
  prorationDays,
  shouldBillSubscriptionFee,
  type PeriodSubscription,
} from '../billing/periods/index.ts';
import type { PricingMetric } from '../billing/usage/price.ts';
import {
  invoiceDecider,
  type AppliedUsageThreshold,
  type InvoiceContent,
  type InAdvanceFeeCreated,
  type InvoiceCreated,
  type InvoiceEvent,
  type InvoiceReason,
  type InvoiceState,
  type PaymentStatus,
} from '../domain/invoice/index.ts';
import { fold } from '../domain/shared/decider.ts';
import { ConcurrencyError, IllegalStateError, NotFoundError, ValidationError } from '../domain/shared/errors.ts';
import { ADD_ONS, type AddOnDocument } from '../../projections/addOns.ts';
import { streamName } from '../domain/shared/streams.ts';
import type { SubscriptionPlan } from '../domain/subscription/plan.ts';
import type { CustomerDocument } from '../../projections/customers.ts';
import { INVOICES, type InvoiceDocument } from '../../projections/invoices.ts';
import { IN_ADVANCE_FEES, type InAdvanceFeeDocument } from '../../projections/inAdvanceFees.ts';
import type { OrganizationDocument } from '../../projections/organizations.ts';
import type { PlanDocument } from '../../projections/plans.ts';
import type { SubscriptionDocument } from '../../projections/subscriptions.ts';
import type { TaxDocument } from '../../projections/taxes.ts';
import { subjectKey } from '../../projections/usageStore.ts';

/**
 * Invoicing (README "Invoicing"; reference §3.3–3.5, §4.1–4.6). The billing clock calls `runDue(now)`: every
 * subscription whose billing instant has passed gets its invoice, oldest first, each in a stream derived from what
 * it bills and appended with "stream must not exist" — two clocks racing, or a run retried after a crash, can never
 * make two. Numbers come from a per-organization counter stream appended in the same atomic append as the
 * finalization, with the counter's expected revision: no two invoices share a number.
 */

/** A one-off invoice to create (Lago's `POST /invoices`): amounts as strings (cents; units may be decimal). */
export type OneOffInput = {
  externalCustomerId: string;
  currency?: string | null | undefined;
  fees: {
    addOnCode: string;
    units?: string | null | undefined;
    unitAmountCents?: string | null | undefined;
    description?: string | null | undefined;
    invoiceDisplayName?: string | null | undefined;
    fromDatetime?: string | null | undefined;
    toDatetime?: string | null | undefined;
    taxCodes?: string[] | null | undefined;
  }[];
};

/** What one invoice bills: a subscription and a billing instant (or its start or its termination). */
/** A wallet transaction's paid credits, to invoice. */
export type CreditInvoiceInput = {
  organizationId: string;
  walletTransactionId: string;
  invoiceId: string;
  customerId: string;
  currency: string;
  credits: string;
  amountCents: string;
  rateAmount: string;
  walletName: string | null;
};

export type BillingItem = { sub: SubscriptionDocument; reason: InvoiceReason; billingAt: string };

/** The stream of the invoice of a billing item: the subscription, then the billing instant or the event. */
export function invoiceStream(organizationId: string, item: { subscriptionId: string; reason: InvoiceReason; billingAt: string; triggerTransactionId?: string | null | undefined }): string {
  const key =
    item.reason === 'PERIOD_END'
      ? `${item.subscriptionId}/${item.billingAt}`
      : item.reason === 'IN_ADVANCE_CHARGE'
        ? `${item.subscriptionId}/advance/${item.triggerTransactionId ?? ''}`
        : item.reason === 'ONE_OFF'
          ? `oneOff/${item.triggerTransactionId ?? ''}`
          : item.reason === 'CREDIT'
            ? `credit/${item.triggerTransactionId ?? ''}`
            : item.reason === 'PROGRESSIVE_BILLING'
              ? `${item.subscriptionId}/progressive/${item.triggerTransactionId ?? ''}`
          : `${item.subscriptionId}/${item.reason === 'SUBSCRIPTION_STARTING' ? 'start' : 'termination'}`;
  return streamName('invoice', organizationId, key);
}

/** The stream of a non-invoiceable pay-in-advance fee: the subscription, the event and the charge. */
export const inAdvanceFeeStream = (organizationId: string, subscriptionId: string, transactionId: string, chargeId: string) =>
  streamName('inAdvanceFee', organizationId, `${subscriptionId}/${transactionId}/${chargeId}`);


/** Subscriptions a billing run bills at once. */
const RUN_CONCURRENCY = 8;

/** Attempts at drawing a number before giving up (each after a concurrent finalization took the previous one). */
const MAX_NUMBER_ATTEMPTS = 50;

/** Invoices appended together with their numbers, at most (one transaction). */
const NUMBERED_BATCH = 64;


/** What billing one subscription reads besides its usage, cached for one run. */
type Lookups = {
  /**
   * A billing run's horizon: the log's head when it started. Its invoices wait for usage up to there at most, so
   * events ingested during the run (for the new period, mostly) never make each invoice wait for the fold.
   */
  horizon: bigint | null;
  plan(id: string): Promise<PlanDocument | null>;
  organization(id: string): Promise<OrganizationDocument | null>;
  customer(id: string): Promise<CustomerDocument | null>;
  metrics(organizationId: string): Promise<Record<string, PricingMetric>>;
  taxes(organizationId: string): Promise<TaxDocument[]>;
};

function memo<K, V>(load: (key: K) => Promise<V>): (key: K) => Promise<V> {
  const cache = new Map<K, Promise<V>>();
  return (key) => {
    let value = cache.get(key);
    if (value === undefined) cache.set(key, (value = load(key)));
    return value;
  };
}

const localDate = (iso: string, timezone: string, plusDays = 0) => DateTime.fromISO(iso, { zone: timezone }).plus({ days: plusDays }).toISODate()!;
const localMidnight = (date: string, timezone: string) => DateTime.fromISO(date, { zone: timezone }).startOf('day').toUTC().toISO()!;

/** Taxes of a fee: the first level with live taxes (§4.4 step 5): fee's own codes → plan → customer → organization. */
function taxLevels(taxes: readonly TaxDocument[], plan: SubscriptionPlan, customer: CustomerDocument): (own: readonly string[]) => TaxRate[] {
  const byCode = new Map(taxes.filter((t) => t.deletedAt === null).map((t) => [t.code, t]));
  const rates = (list: readonly TaxDocument[]): TaxRate[] => list.map((t) => ({ code: t.code, name: t.name, rate: t.rate }));
  const live = (codes: readonly string[] | undefined) => rates((codes ?? []).flatMap((code) => byCode.get(code) ?? []));
  const planLevel = live(plan.taxCodes);
  const customerLevel = live(customer.taxCodes);
  const organizationLevel = rates([...byCode.values()].filter((t) => t.appliedToOrganization));
  return (own) => [live(own), planLevel, customerLevel, organizationLevel].find((level) => level.length > 0) ?? [];
}

/** Stored fee lines as a charge's priced usage, for `assembleInvoice` (pay-in-advance fees: computed per event). */
function usageOfFees(fees: readonly InAdvanceFeeCreated['data']['fee'][]): ChargeUsage {
  const big = (v: string) => new BigNumber(v);
  return {
    billableMetric: { id: '', name: '', code: fees[0]?.billableMetricCode ?? '', aggregationType: '' },
    fees: fees.map((f) => ({
      filterValues: f.chargeFilterValues,
      invoiceDisplayName: f.invoiceDisplayName,
      groupedBy: f.groupedBy,
      units: big(f.units),
      eventsCount: f.eventsCount,
      amountCents: big(f.amountCents),
      preciseAmountCents: big(f.preciseAmountCents),
      unitAmountCents: big(f.unitAmountCents),
      preciseUnitAmount: big(f.preciseUnitAmount),
      details: f.details as ChargeUsage['fees'][number]['details'],
    })),
  } as ChargeUsage;
}

/** A finalization the customer's coupons may apply to: the invoice as assembled before them, re-assembled with them. */
type Couponable = { customerId: string; currency: string; planCode: string | null; toAssemble: InvoiceToAssemble; fees: readonly InvoiceContent['fees'][number][]; usagePosition: string };

/** An applied coupon's state as the coupon rule reads it. */
function couponInputOf(state: Extract<AppliedCouponState, { status: 'active' | 'terminated' }>): CouponToApply {
  const { applied } = state;
  return {
    appliedCouponId: applied.appliedCouponId,
    couponCode: applied.couponCode,
    couponType: applied.couponType,
    frequency: applied.frequency,
    amountCents: applied.amountCents === null ? null : new BigNumber(applied.amountCents),
    amountCurrency: applied.amountCurrency,
    percentageRate: applied.percentageRate === null ? null : new BigNumber(applied.percentageRate),
    frequencyDurationRemaining: state.frequencyDurationRemaining,
    creditedAmountCents: new BigNumber(state.creditedAmountCents),
    limitedPlanCodes: applied.limitedPlanCodes,
    limitedBillableMetricCodes: applied.limitedBillableMetricCodes,
    createdAt: applied.createdAt,
  };
}

export function createInvoiceService(deps: AppDeps, usage: UsageService, creditNotes?: CreditNoteService) {
  const invoices = () => deps.readModels.collection<InvoiceDocument>(INVOICES);
  const collection = deps.readModels.collection.bind(deps.readModels);
  const numbering = createNumbering(deps);

  function newLookups(horizon: bigint | null = null): Lookups {
    return {
      horizon,
      plan: memo((id: string) => collection<PlanDocument>('plans').findOne({ _id: id })),
      organization: memo((id: string) => collection<OrganizationDocument>('organizations').findOne({ _id: id })),
      customer: memo((id: string) => collection<CustomerDocument>('customers').findOne({ _id: id })),
      metrics: memo(async (organizationId: string) => {
        const docs = await collection<PricingMetric & { _id: string; organizationId: string; deletedAt: string | null }>('billableMetrics').find({ organizationId, deletedAt: null });
        const record: Record<string, PricingMetric> = {};
        for (const doc of docs) Object.defineProperty(record, doc.code, { value: doc, enumerable: true });
        return record;
      }),
      taxes: memo((organizationId: string) => collection<TaxDocument>('taxes').find({ organizationId, deletedAt: null })),
    };
  }

  type Context = { sub: SubscriptionDocument; plan: SubscriptionPlan; customer: CustomerDocument; organization: OrganizationDocument | null; timezone: string; ps: PeriodSubscription };

  async function contextOf(lookups: Lookups, sub: SubscriptionDocument): Promise<Context | null> {
    const [planDoc, customer, organization] = await Promise.all([lookups.plan(sub.planId), lookups.customer(sub.customerId), lookups.organization(sub.organizationId)]);
    if (planDoc === null || customer === null || sub.startedAt === null) return null;
    const plan = planOf(planDoc, sub);
    const timezone = applicableTimezone(customer, organization);
    return { sub, plan, customer, organization, timezone, ps: periodSubscriptionOf({ sub, plan, timezone }) };
  }

  /**
   * Every invoice the subscription is owed up to `now`, oldest first, the ones already issued left out; and whether
   * one of those issued billed a subscription fee.
   */
  async function dueItems(context: Context, now: number): Promise<{ items: BillingItem[]; feeBilled: boolean }> {
    const { sub, plan, ps } = context;
    const issued = await invoices().find({ subscriptionId: sub._id }, { sort: { billingAt: 1 } });
    const feeBilled = issued.some((i) => i.fees.some((f) => f.feeType === 'SUBSCRIPTION'));
    const has = new Set(issued.map((i) => `${i.reason}/${i.billingAt}`));
    const items: BillingItem[] = [];
    const startedAt = sub.startedAt!;
    const end = sub.terminatedAt === null ? now : Math.min(now, Date.parse(sub.terminatedAt));
    const inTrialAtStart = sub.trialEndsAt !== null && Date.parse(sub.trialEndsAt) > Date.parse(startedAt);
    // In advance: the first period's fee is billed when the subscription starts (outside a trial), a plan change
    // included (an upgrade or a downgrade bills the rest of the period it starts in).
    if (plan.payInAdvance && !inTrialAtStart && Date.parse(startedAt) <= now) {
      items.push({ sub, reason: 'SUBSCRIPTION_STARTING', billingAt: startedAt });
    }
    // In advance with a trial: the rest of the period the trial ends in is billed when it ends (Lago's
    // `FreeTrialBillingService`); periods starting during the trial bill no fee.
    if (plan.payInAdvance && inTrialAtStart && Date.parse(sub.trialEndsAt!) <= end) {
      items.push({ sub, reason: 'SUBSCRIPTION_STARTING', billingAt: sub.trialEndsAt! });
    }
    let at = nextBillingDate(ps, startedAt);
    while (Date.parse(at) <= end) {
      items.push({ sub, reason: 'PERIOD_END', billingAt: at });
      at = nextBillingDate(ps, at);
    }
    // An upgrade always bills the old plan up to the upgrade (§3.5); a downgrade happens at a period end, billed as such.
    const terminatesWithInvoice =
      sub.terminatedAt !== null &&
      ((sub.onTerminationInvoice === 'GENERATE' && (sub.terminationReason === 'REQUESTED' || sub.terminationReason === 'ENDING_AT')) || sub.terminationReason === 'UPGRADED');
    const lastPeriodEnd = items.filter((i) => i.reason === 'PERIOD_END').at(-1)?.billingAt ?? null;
    if (terminatesWithInvoice && Date.parse(sub.terminatedAt!) <= now && lastPeriodEnd !== sub.terminatedAt && Date.parse(sub.terminatedAt!) > Date.parse(startedAt)) {
      items.push({ sub, reason: 'SUBSCRIPTION_TERMINATING', billingAt: sub.terminatedAt! });
    }
    return { items: items.filter((item) => !has.has(`${item.reason}/${item.billingAt}`)), feeBilled };
  }

  /** The next instant something may be due for the subscription (for the in-memory schedule); Infinity when none. */
  function nextDueAfter(context: Context, now: number): number {
    const { sub, ps } = context;
    if (sub.terminatedAt !== null && Date.parse(sub.terminatedAt) <= now) return Number.POSITIVE_INFINITY;
    let next = Date.parse(nextBillingDate(ps, new Date(Math.max(now, Date.parse(sub.startedAt!)))));
    // A trial ending bills an in-advance plan.
    if (sub.trialEndsAt !== null && Date.parse(sub.trialEndsAt) > now) next = Math.min(next, Date.parse(sub.trialEndsAt));
    return sub.terminatedAt === null ? next : Math.min(next, Date.parse(sub.terminatedAt));
  }

  /** The invoice's fees, taxes and totals for a billing item, with the usage position read. */
  async function contentOf(lookups: Lookups, context: Context, item: Pick<BillingItem, 'reason' | 'billingAt'>, invoiceId: string, alreadyBilledFee: boolean) {
    const { sub, plan, customer, organization, timezone, ps } = context;
    const gracePeriodDays = customer.invoiceGracePeriod ?? organization?.invoiceGracePeriod ?? 0;
    const levels = taxLevels(await lookups.taxes(sub.organizationId), plan, customer);
    const terminated = item.reason === 'SUBSCRIPTION_TERMINATING';
    const terminatedByUpgrade = terminated && sub.terminationReason === 'UPGRADED';
    const previous = sub.previousSubscriptionId === null ? null : await collection<SubscriptionDocument>('subscriptions').findOne({ _id: sub.previousSubscriptionId });
    // The first invoice of a subscription that replaced another by an upgrade (§3.4 rule 2).
    const createdByUpgrade = !terminated && !alreadyBilledFee && previous?.terminationReason === 'UPGRADED';
    // Lago's `started_in_past?`: the UTC date of `started_at` before that of `created_at` (a plan change inherits
    // `subscriptionAt`, not the start: its subscription did not start in the past).
    const startedInPast = (sub.startedAt ?? sub.subscriptionAt).slice(0, 10) < sub.createdAt.slice(0, 10);
    let feeWindow: { from: string; to: string } | null = null;
    let chargesWindow: { from: string; to: string; periodDays: number } | null = null;
    let billingDate: string;
    let feeDue = true;
    if (item.reason === 'PERIOD_END') {
      const b = billingBoundaries(ps, item.billingAt);
      billingDate = b.billingDate;
      feeDue = b.subscriptionFeeDue && shouldBillSubscriptionFee(ps, item.billingAt, { alreadyBilled: alreadyBilledFee, startedInPast, terminated: false });
      // In advance, the fee is for the period starting now: not once the subscription ends at or before it.
      const upcomingEnded = plan.payInAdvance && sub.terminatedAt !== null && Date.parse(sub.terminatedAt) <= Date.parse(b.subscriptionFeeFrom);
      feeWindow = feeDue && !upcomingEnded ? { from: b.subscriptionFeeFrom, to: b.subscriptionFeeTo } : null;
      chargesWindow = { from: b.chargesFrom, to: b.chargesTo, periodDays: b.chargesPeriodDays };
    } else if (item.reason === 'PROGRESSIVE_BILLING') {
      // The current period's in-arrears charges from its start (Lago's `Invoices::ProgressiveBillingService`).
      billingDate = localDate(item.billingAt, timezone);
      const charges = chargesPeriodContaining(ps, item.billingAt);
      chargesWindow = { from: charges.from, to: charges.to, periodDays: prorationDays(ps, charges.from, charges.to, { basis: 'CHARGES' }).periodDays };
    } else if (item.reason === 'SUBSCRIPTION_STARTING') {
      billingDate = localDate(item.billingAt, timezone);
      const period = periodContaining(ps, item.billingAt);
      feeWindow = { from: period.from, to: period.to };
    } else {
      const t = sub.terminatedAt!;
      billingDate = localDate(t, timezone);
      const charges = chargesPeriodContaining(ps, t);
      chargesWindow = { from: charges.from, to: t, periodDays: prorationDays(ps, charges.from, t, { basis: 'CHARGES' }).periodDays };
      // In advance, the period was billed at its start (the unused part's credit note is not issued yet).
      if (!plan.payInAdvance) feeWindow = { from: periodContaining(ps, t).from, to: t };
    }
    // Still in its trial when billed (and the trial does not end on the billing day), or terminated during it: no
    // subscription fee at all (Lago's `CalculateFeesService` skips it; a zero fee would count as billed later).
    if (feeWindow !== null && sub.trialEndsAt !== null) {
      const trialEnd = Date.parse(sub.trialEndsAt);
      const inTrial = terminated ? trialEnd > Date.parse(sub.terminatedAt!) : trialEnd > Date.parse(item.billingAt) && localDate(sub.trialEndsAt, timezone) !== billingDate;
      if (inTrial) feeWindow = null;
    }
    const fee =
      feeWindow === null
        ? null
        : subscriptionFee({
            planAmountCents: plan.amountCents,
            currency: plan.amountCurrency,
            subscription: ps,
            from: feeWindow.from,
            to: feeWindow.to,
            trialEndsAt: sub.trialEndsAt,
            terminated,
            terminatedByUpgrade,
            hasNextSubscription: sub.nextSubscriptionId !== null,
            createdByUpgrade,
            hasPreviousSubscription: sub.previousSubscriptionId !== null,
            previousFeeBilled: alreadyBilledFee,
            startedInPast,
          });
    let usagePosition = 0n;
    const charges: ChargeToBill[] = [];
    const gathered: ChargeToBill[] = [];
    if (chargesWindow !== null) {
      // At an upgrade, charges of recurring metrics the next plan charges too are not billed: their usage carries on
      // into the next plan (§3.5, Lago's `Charge#included_in_next_subscription?`).
      const carried = new Set<string>();
      if (terminatedByUpgrade && sub.nextSubscriptionId !== null) {
        const next = await collection<SubscriptionDocument>('subscriptions').findOne({ _id: sub.nextSubscriptionId });
        const nextPlan = next === null ? null : await lookups.plan(next.planId);
        const metrics = await lookups.metrics(sub.organizationId);
        for (const charge of nextPlan === null || next === null ? [] : planOf(nextPlan, next).charges) {
          const metric = Object.hasOwn(metrics, charge.billableMetricCode) ? metrics[charge.billableMetricCode] : undefined;
          if (metric?.recurring) carried.add(charge.billableMetricCode);
        }
      }
      const progressive = item.reason === 'PROGRESSIVE_BILLING';
      const billed = plan.charges.filter((c) => !c.payInAdvance && !carried.has(c.billableMetricCode) && (!progressive || c.invoiceable));
      // Fees of non-invoiceable pay-in-advance charges computed during the period are billed here (§2.11).
      const gatheredCharges = progressive ? [] : plan.charges.filter((c) => c.payInAdvance && !c.invoiceable);
      const paidInAdvance =
        gatheredCharges.length === 0 ? [] : await collection<InAdvanceFeeDocument>(IN_ADVANCE_FEES).find({ subscriptionId: sub._id, chargesFrom: chargesWindow.from }, { sort: { createdAt: 1, _id: 1 } });
      for (const charge of gatheredCharges) {
        const own = paidInAdvance.filter((d) => d.fee.chargeId === charge.id);
        if (own.length > 0) gathered.push({ charge, usage: usageOfFees(own.map((d) => d.fee)), taxes: levels(charge.taxCodes), trueUp: null });
      }
      const metricsByCode = await lookups.metrics(sub.organizationId);
      const read = await usage.forInvoice({ organizationId: sub.organizationId, sub, charges: billed, currency: plan.amountCurrency, metricsByCode, window: chargesWindow, periodDays: chargesWindow.periodDays, horizon: lookups.horizon });
      usagePosition = read.usagePosition;
      const byCharge = new Map(read.usage.chargesUsage.map((c) => [c.charge.id, c]));
      const days = daysBetweenInclusive(chargesWindow.from, chargesWindow.to, timezone, { terminatedByUpgrade });
      for (const charge of billed) {
        const chargeUsage = byCharge.get(charge.id);
        if (chargeUsage === undefined) continue;
        const trueUp =
          charge.minAmountCents !== '0' && !progressive
            ? minimumSpendTrueUp({ minAmountCents: charge.minAmountCents, chargesDurationDays: chargesWindow.periodDays, daysToBill: days, fees: chargeUsage.fees, currency: plan.amountCurrency })
            : null;
        charges.push({ charge, usage: chargeUsage, taxes: levels(charge.taxCodes), trueUp });
      }
    }
    charges.push(...gathered);
    const commitment = item.reason === 'PROGRESSIVE_BILLING' ? null : await commitmentOf(context, item, invoiceId, fee, charges, chargesWindow, levels);
    const assembled: InvoiceToAssemble = {
      invoiceId,
      subscriptionId: sub._id,
      currency: plan.amountCurrency,
      subscriptionFee: fee === null ? null : { fee, taxes: levels([]), invoiceDisplayName: plan.invoiceDisplayName ?? plan.name },
      charges,
      chargesFrom: chargesWindow?.from ?? null,
      chargesTo: chargesWindow?.to ?? null,
      commitment,
    };
    const first = assembleInvoice(assembled);
    const progressive = chargesWindow === null || item.reason === 'SUBSCRIPTION_STARTING' ? null : await progressiveCreditOf(sub, chargesWindow.from, invoiceId, first.fees);
    const credited = progressive !== null && progressive.amountCents.isGreaterThan(0);
    const toAssemble: InvoiceToAssemble = credited ? { ...assembled, progressive: { amountCents: progressive.amountCents, feeCredits: progressive.feeCredits, credits: progressive.credits } } : assembled;
    const content: InvoiceContent = { ...(credited ? assembleInvoice(toAssemble) : first), usagePosition: usagePosition.toString() };
    const issuingDate = DateTime.fromISO(billingDate).plus({ days: gracePeriodDays }).toISODate()!;
    const netPaymentTerm = customer.netPaymentTerm ?? organization?.netPaymentTerm ?? 0;
    return {
      content,
      /** Credit notes of what the period's progressive invoice billed beyond this invoice's charges, to issue with it. */
      progressiveExcess: progressive?.excess ?? [],
      /** What finalization re-assembles with the customer's coupons. */
      couponable: { customerId: sub.customerId, currency: plan.amountCurrency, planCode: sub.planCode, toAssemble, fees: content.fees, usagePosition: content.usagePosition } satisfies Couponable,
      billingDate,
      issuingDate,
      paymentDueDate: DateTime.fromISO(issuingDate).plus({ days: netPaymentTerm }).toISODate()!,
      netPaymentTerm,
      gracePeriodDays,
      feeWindow,
      chargesWindow,
    };
  }

  /**
   * The minimum commitment true-up (§3.7) of the plan-interval period this invoice closes: in arrears, the period
   * just billed (its subscription fee and charges are on this invoice); in advance, the previous period (its fee was
   * billed at its start, its charges are on this invoice) — never on the first in-advance invoice. Yearly and
   * semiannual plans get it only on the runs that bill their fee. Every charge fee of the period counts, as Lago's
   * `CalculateTrueUpFeeService` sums them: this invoice's, the pay-in-advance invoices' of the period, and the
   * earlier monthly invoices' of a yearly or semiannual plan billing charges monthly.
   */
  /**
   * §4.4 step 3: what the period's latest progressive-billing invoice of the subscription billed, as a credit on this
   * invoice's charge fees (Lago's `Credits::ProgressiveBillingService`); null when there is none. The excess over this
   * invoice's charges (usage that shrank) is not credited back yet: see the README's billing rules.
   */
  async function progressiveCreditOf(
    sub: SubscriptionDocument,
    chargesFrom: string,
    invoiceId: string,
    fees: readonly InvoiceContent['fees'][number][],
  ): Promise<(NonNullable<InvoiceToAssemble['progressive']> & { excess: readonly ProgressiveBillingCreditNote[] }) | null> {
    const earlier = (await finalizedProgressiveInvoices(deps.readModels, sub._id)).filter((d) => d._id !== invoiceId);
    if (earlier.length === 0) return null;
    const progressiveInvoices = await Promise.all(earlier.map((doc) => progressiveInvoiceOf(doc, invoiceId)));
    const filterKey = (values: Record<string, string[]> | null) => (values === null ? null : JSON.stringify(values));
    const chargeFees = fees
      .filter((f) => f.feeType === 'CHARGE' && f.chargeId !== null && !f.trueUp)
      .map((f) => ({ id: f.id, subscriptionId: sub._id, chargeId: f.chargeId!, chargeFilterId: filterKey(f.chargeFilterValues), groupedBy: f.groupedBy as Record<string, string>, amountCents: new BigNumber(f.amountCents) }));
    let credit: ReturnType<typeof progressiveBillingCredit>;
    try {
      credit = progressiveBillingCredit({ fees: chargeFees, subscriptions: [{ subscriptionId: sub._id, chargesFromDatetime: chargesFrom, progressiveInvoices }] });
    } catch (error) {
      deps.logger.warn('progressive billing credit: the excess over this invoice cannot be credited back', { invoiceId, error: String(error) });
      return null;
    }
    if (!credit.amountCents.isGreaterThan(0) && credit.creditNotes.length === 0) return null;
    return {
      amountCents: credit.amountCents,
      feeCredits: credit.feePreciseCouponsAmountCents,
      credits: credit.credits.map((c) => ({ invoiceId: c.progressiveBillingInvoiceId, amountCents: c.amountCents })),
      excess: credit.creditNotes,
    };
  }

  /**
   * The credit note of what a progressive invoice billed beyond this invoice's charges (usage that shrank: Lago's
   * `CreditNotes::CreateFromProgressiveBillingInvoice`, automatic, reason OTHER), credited to the customer's balance.
   * Its id derives from both invoices: issued once, whichever run computes it.
   */
  async function issueExcess(organizationId: string, streamId: string, excess: readonly ProgressiveBillingCreditNote[]): Promise<void> {
    if (creditNotes === undefined) return;
    for (const note of excess) {
      try {
        const position = await creditNotes.issue(
          organizationId,
          derivedCreditNoteId(`${organizationId}/${note.progressiveBillingInvoiceId}/progressive/${streamId}`),
          { invoiceId: note.progressiveBillingInvoiceId, reason: 'OTHER', items: note.items.map((i) => ({ feeId: i.feeId, amountCents: i.amountCents.toFixed() })), creditAmountCents: note.creditAmountCents.toFixed() },
          { actor: null, automatic: true },
        );
        // Issued before the invoice it comes from, so that invoice's finalization consumes it (as Lago's does).
        if (position !== null) await deps.waitForProjections(position, { usage: false });
      } catch (error) {
        deps.logger.warn('progressive billing: the excess credit note could not be issued', { invoice: note.progressiveBillingInvoiceId, error: String(error) });
      }
    }
  }

  /** A progressive-billing invoice as `progressiveBillingCredit` reads it (credits taken from it by other invoices). */
  async function progressiveInvoiceOf(doc: InvoiceDocument, exceptInvoiceId: string): Promise<ProgressiveBillingInvoice> {
    const [takers, notes] = await Promise.all([
      invoices().find({ organizationId: doc.organizationId, subscriptionId: doc.subscriptionId, status: { $ne: 'VOIDED' }, 'credits.invoiceId': doc._id }),
      collection<CreditNoteDocument>(CREDIT_NOTES).find({ invoiceId: doc._id, creditStatus: { $in: ['AVAILABLE', 'CONSUMED'] } }),
    ]);
    const takenCents = takers
      .filter((t) => t._id !== exceptInvoiceId)
      .flatMap((t) => (t.credits ?? []).filter((c) => c.type === 'PROGRESSIVE_BILLING' && c.invoiceId === doc._id).map((c) => c.amountCents));
    return asProgressiveInvoice(doc, { takenCents, creditNotesCents: notes.map((n) => n.creditAmountCents) });
  }

  async function commitmentOf(
    context: Context,
    item: Pick<BillingItem, 'reason' | 'billingAt'>,
    invoiceId: string,
    fee: ReturnType<typeof subscriptionFee> | null,
    charges: readonly ChargeToBill[],
    chargesWindow: { from: string; to: string } | null,
    levels: (own: readonly string[]) => TaxRate[],
  ) {
    const { sub, plan, ps } = context;
    const minimum = plan.minimumCommitment;
    if (minimum === null || minimum.amountCents === '0' || item.reason === 'SUBSCRIPTION_STARTING') return null;
    const chargeFees: { amountCents: BigNumber.Value; preciseAmountCents: BigNumber.Value }[] = charges.flatMap((c) => [...c.usage.fees.map((f) => f), ...(c.trueUp === null ? [] : [c.trueUp])]);
    let window: { from: string; to: string };
    const others = (await invoices().find({ subscriptionId: sub._id })).filter((i) => i._id !== invoiceId);
    if (!plan.payInAdvance) {
      if (fee === null) return null;
      window = { from: fee.fromDatetime, to: fee.toDatetime };
      chargeFees.push(fee);
    } else {
      if (chargesWindow === null) return null;
      const period = periodContaining(ps, chargesWindow.from);
      window = { from: period.from, to: sub.terminatedAt !== null && Date.parse(sub.terminatedAt) < Date.parse(period.to) ? sub.terminatedAt : period.to };
      const earlier = others.filter((i) => i.subscriptionFeeFrom !== null && i.subscriptionFeeFrom >= period.from && i.subscriptionFeeFrom <= period.to);
      if (earlier.length === 0) return null;
      chargeFees.push(...earlier.flatMap((i) => i.fees.filter((f) => f.feeType === 'SUBSCRIPTION')));
    }
    // Charge fees of the period on the subscription's other invoices (Lago compares the fees' charges period).
    const from = Date.parse(window.from);
    const to = Date.parse(window.to);
    for (const other of others) {
      for (const f of other.fees) if (f.feeType === 'CHARGE' && Date.parse(f.fromDatetime) >= from && Date.parse(f.toDatetime) <= to) chargeFees.push(f);
    }
    const feesAmountCents = BigNumber.sum(0, ...chargeFees.map((f) => f.amountCents));
    const feesPreciseAmountCents = BigNumber.sum(0, ...chargeFees.map((f) => f.preciseAmountCents));
    const { days, periodDays } = commitmentProrationDays({ subscription: ps, from: window.from, to: window.to });
    const trueUp = commitmentTrueUp({ commitmentAmountCents: minimum.amountCents, currency: plan.amountCurrency, feesAmountCents, feesPreciseAmountCents, days, periodDays });
    if (trueUp === null) return null;
    return {
      amountCents: trueUp.amountCents,
      preciseAmountCents: trueUp.preciseAmountCents,
      taxes: levels(minimum.taxCodes),
      invoiceDisplayName: minimum.invoiceDisplayName,
      from: window.from,
      to: window.to,
      details: { commitmentAmountCents: minimum.amountCents, proratedCommitmentAmountCents: trueUp.proratedCommitmentAmountCents.toFixed(), days, periodDays },
    };
  }

  const metadataFor = (organizationId: string, actor = 'billingClock'): EventMetadata => eventMetadata(deps, { organizationId, actor });

  /** An invoice's number and its counter event, given its per-customer and per-organization sequences. */
  function numbered(doc: { organizationId: string; invoiceId: string; customerId: string }, sequentialId: number, organizationSequentialId: number, customer: CustomerDocument, organization: OrganizationDocument | null, timezone: string) {
    const prefix = organization?.documentNumberPrefix ?? 'INV';
    const number = invoiceNumber({
      prefix,
      numbering: organization?.documentNumbering ?? 'PER_CUSTOMER',
      customerSequentialId: customer.sequentialId,
      customerInvoiceSequentialId: sequentialId,
      organizationSequentialId,
      issuingYearMonth: DateTime.fromJSDate(deps.clock.now(), { zone: organization?.timezone ?? timezone }).toFormat('yyyyLL'),
    });
    const assigned: NewEvent = {
      type: 'InvoiceNumberAssigned',
      data: { organizationId: doc.organizationId, invoiceId: doc.invoiceId, customerId: doc.customerId, sequentialId, organizationSequentialId } satisfies InvoiceNumberAssigned,
      metadata: metadataFor(doc.organizationId),
    };
    return { numbers: { number, sequentialId, organizationSequentialId }, assigned };
  }

  /**
   * The customer's coupons and credit notes for the finalizations of one atomic append (§4.4 steps 4 and 6): each
   * applied coupon's and credit note's exact state is read from its stream (not a read model that may lag), the
   * invoices of the group are finalized in turn against them (a once-fixed coupon's remainder, a credit note's
   * balance, pass from one to the next), and what each credited is appended to its stream in the same append,
   * conditioned on the revision read: a concurrent credit, removal or void makes the whole append draw again.
   */
  function finalizationLedger(organizationId: string) {
    type Coupon = { state: AppliedCouponState; revision: bigint | null; events: AppliedCouponCredited[] };
    type Note = { state: CreditNoteState; revision: bigint | null; events: CreditNoteConsumed[] };
    const coupons = new Map<string, Coupon>();
    const notes = new Map<string, Note>();
    const couponsByCustomer = new Map<string, string[]>();
    const notesByCustomer = new Map<string, string[]>();
    const wallets = walletLedger(deps, organizationId);
    /** One read of each kind for the customers of a group (most have neither: then nothing else is read). */
    async function preload(customerIds: readonly string[]) {
      const wanted = [...new Set(customerIds)].filter((id) => !couponsByCustomer.has(id));
      if (wanted.length === 0) return;
      const [appliedDocs, noteDocs] = await Promise.all([
        collection<AppliedCouponDocument>(APPLIED_COUPONS).find({ customerId: { $in: wanted }, status: 'ACTIVE' }),
        collection<CreditNoteDocument>(CREDIT_NOTES).find({ customerId: { $in: wanted }, creditStatus: 'AVAILABLE' }, { sort: { createdAt: 1, number: 1 } }),
      ]);
      for (const id of wanted) {
        couponsByCustomer.set(id, []);
        notesByCustomer.set(id, []);
      }
      for (const doc of appliedDocs) {
        couponsByCustomer.get(doc.customerId)?.push(doc._id);
        if (!coupons.has(doc._id)) coupons.set(doc._id, { ...(await readAppliedCoupon(deps, organizationId, doc._id)), events: [] });
      }
      for (const doc of noteDocs) {
        notesByCustomer.get(doc.customerId)?.push(doc._id);
        if (!notes.has(doc._id)) notes.set(doc._id, { ...(await readCreditNote(deps, organizationId, doc._id)), events: [] });
      }
      await wallets.preload(wanted);
    }
    return {
      preload,
      /** The invoice as finalized with the customer's coupons and credit notes; undefined when none applies. */
      async finalize(invoiceId: string, target: Couponable): Promise<InvoiceContent | undefined> {
        await preload([target.customerId]);
        const at = deps.clock.now().toISOString();
        const liveCoupons = (couponsByCustomer.get(target.customerId) ?? []).flatMap((id) => {
          const state = coupons.get(id)!.state;
          return state.status === 'active' && !state.invoiceIds.includes(invoiceId) ? [state] : [];
        });
        const noteIds = notesByCustomer.get(target.customerId) ?? [];
        // Most customers have none: the invoice stays as it was assembled.
        if (liveCoupons.length === 0 && noteIds.length === 0 && !wallets.has(target.customerId)) return undefined;
        let applied: ReturnType<typeof applyCoupons> | undefined;
        if (liveCoupons.length > 0) {
          applied = applyCoupons({
            currency: target.currency,
            // Each fee net of what progressive billing already took off it (Lago: `amount − precise_coupons`).
            fees: target.fees.map((f) => ({ id: f.id, feeType: f.feeType, amountCents: new BigNumber(f.amountCents).minus(f.preciseCouponsAmountCents ?? 0).integerValue(BigNumber.ROUND_DOWN), billableMetricCode: f.billableMetricCode, planCode: target.planCode })),
            coupons: liveCoupons.map(couponInputOf),
          });
          if (applied.credits.length === 0) applied = undefined;
        }
        for (const credit of applied?.credits ?? []) {
          const entry = coupons.get(credit.appliedCouponId)!;
          const event: AppliedCouponCredited = {
            type: 'AppliedCouponCredited',
            data: {
              organizationId,
              appliedCouponId: credit.appliedCouponId,
              invoiceId,
              amountCents: credit.amountCents.toFixed(),
              creditedAmountCents: credit.creditedAmountCents.toFixed(),
              frequencyDurationRemaining: credit.frequencyDurationRemaining,
              terminated: credit.terminated,
              creditedAt: at,
            },
          };
          entry.events.push(event);
          entry.state = appliedCouponDecider.evolve(entry.state, event);
        }
        // Credit notes after taxes, oldest first, each at most what remains (Lago's `Credits::CreditNoteService`).
        const withCoupons = assembleInvoice({ ...target.toAssemble, ...(applied === undefined ? {} : { coupons: applied }) });
        let remaining = new BigNumber(withCoupons.totals.subTotalIncludingTaxesAmountCents);
        const consumed: { creditNoteId: string; creditNoteNumber: string; amountCents: BigNumber }[] = [];
        for (const id of noteIds) {
          if (!remaining.isGreaterThan(0)) break;
          const entry = notes.get(id)!;
          const state = entry.state;
          if (state.status !== 'created' || state.creditStatus !== 'AVAILABLE' || state.note.currency !== target.currency || state.note.invoiceId === invoiceId || state.consumedBy.includes(invoiceId)) continue;
          const amount = BigNumber.min(state.balanceAmountCents, remaining);
          if (!amount.isGreaterThan(0)) continue;
          remaining = remaining.minus(amount);
          consumed.push({ creditNoteId: id, creditNoteNumber: state.note.number, amountCents: amount });
          const event: CreditNoteConsumed = {
            type: 'CreditNoteConsumed',
            data: { organizationId, creditNoteId: id, invoiceId, amountCents: amount.toFixed(), balanceAmountCents: new BigNumber(state.balanceAmountCents).minus(amount).toFixed(), consumedAt: at },
          };
          entry.events.push(event);
          entry.state = creditNoteDecider.evolve(entry.state, event);
        }
        const creditNotes = consumed.length === 0 ? undefined : { amountCents: BigNumber.sum(0, ...consumed.map((c) => c.amountCents)), credits: consumed };
        const withCredits = creditNotes === undefined ? withCoupons : assembleInvoice({ ...target.toAssemble, ...(applied === undefined ? {} : { coupons: applied }), creditNotes });
        // Prepaid credits last, on what remains after taxes and credit notes (§4.4 step 7).
        const prepaid = wallets.pay(invoiceId, target.customerId, target.currency, withCredits, at);
        if (applied === undefined && creditNotes === undefined && prepaid === null) return undefined;
        if (prepaid === null) return { ...withCredits, usagePosition: target.usagePosition };
        return {
          ...assembleInvoice({ ...target.toAssemble, ...(applied === undefined ? {} : { coupons: applied }), ...(creditNotes === undefined ? {} : { creditNotes }), wallets: prepaid }),
          usagePosition: target.usagePosition,
        };
      },
      /** The applied coupons' and credit notes' streams of the append, conditioned on the revisions read. */
      entries(metadata: EventMetadata): StreamAppend[] {
        const of = (stream: (id: string) => string, map: Map<string, { revision: bigint | null; events: { type: string; data: unknown }[] }>) =>
          [...map.entries()]
            .filter(([, entry]) => entry.events.length > 0)
            .map(([id, entry]) => ({ streamId: stream(id), events: entry.events.map((e) => ({ type: e.type, data: e.data, metadata })), expectedRevision: entry.revision ?? ('no_stream' as const) }));
        return [...of((id) => appliedCouponStream(organizationId, id), coupons), ...of((id) => creditNoteStream(organizationId, id), notes), ...wallets.entries(metadata)];
      },
    };
  }

  type NumberedRequest = {
    streamId: string;
    expected: bigint | 'no_stream';
    /** The events to append; `content`: the invoice as finalized with the customer's coupons (absent: unchanged). */
    eventsFor: (numbers: { number: string; sequentialId: number; organizationSequentialId: number }, content?: InvoiceContent) => InvoiceEvent[];
    /** A finalization the customer's coupons apply to (null: none do). */
    couponable: Couponable | null;
    doc: { invoiceId: string; customerId: string };
    customer: CustomerDocument;
    organization: OrganizationDocument | null;
    timezone: string;
    resolve: (position: bigint | null) => void;
    reject: (error: unknown) => void;
  };
  /** Numbered appends waiting, per organization, and the organizations whose queue is being drained. */
  const numberedWaiting = new Map<string, NumberedRequest[]>();
  const numberedDraining = new Set<string>();

  /**
   * Appends an invoice stream's new events together with a number drawn from the organization's counter, as one
   * atomic append conditioned on both streams: a concurrent finalization makes it draw again. Resolves with a
   * position at or after its events, or null when the invoice stream moved meanwhile (another run did it).
   *
   * Group commit: the requests of one organization that arrive while its previous append is being made durable go
   * together in the next one (one transaction, one fsync, consecutive numbers), so a billing run's invoices are not
   * paced one fsync each by the counter they share.
   */
  function appendNumbered(
    organizationId: string,
    streamId: string,
    expected: bigint | 'no_stream',
    eventsFor: NumberedRequest['eventsFor'],
    doc: { invoiceId: string; customerId: string },
    customer: CustomerDocument,
    organization: OrganizationDocument | null,
    timezone: string,
    couponable: Couponable | null,
  ): Promise<bigint | null> {
    return new Promise((resolve, reject) => {
      let waiting = numberedWaiting.get(organizationId);
      if (waiting === undefined) numberedWaiting.set(organizationId, (waiting = []));
      waiting.push({ streamId, expected, eventsFor, couponable, doc, customer, organization, timezone, resolve, reject });
      if (!numberedDraining.has(organizationId)) {
        numberedDraining.add(organizationId);
        void drainNumbered(organizationId);
      }
    });
  }

  async function drainNumbered(organizationId: string): Promise<void> {
    try {
      for (;;) {
        const waiting = numberedWaiting.get(organizationId);
        if (waiting === undefined || waiting.length === 0) break;
        const batch = waiting.splice(0, NUMBERED_BATCH);
        try {
          await appendNumberedBatch(organizationId, batch);
        } catch (error) {
          // One bad invoice must not fail the others of its group: each is tried alone.
          if (batch.length === 1) batch[0]!.reject(error);
          else for (const request of batch) await appendNumberedBatch(organizationId, [request]).catch(request.reject);
        }
      }
    } finally {
      numberedDraining.delete(organizationId);
      if (numberedWaiting.get(organizationId)?.length === 0) numberedWaiting.delete(organizationId);
    }
  }

  /** One atomic append of a group's invoices and their numbers; draws again while the counter moved under it. */
  async function appendNumberedBatch(organizationId: string, batch: NumberedRequest[]): Promise<void> {
    let live = batch;
    for (let attempt = 1; live.length > 0; attempt += 1) {
      const counter = await numbering.read(organizationId);
      const perCustomer = new Map<string, number>();
      let organizationSequentialId = counter.organizationInvoices;
      const assigned: NewEvent[] = [];
      const entries: StreamAppend[] = [];
      const metadata = metadataFor(organizationId);
      const ledger = finalizationLedger(organizationId);
      await ledger.preload(live.flatMap((request) => (request.couponable === null ? [] : [request.couponable.customerId])));
      for (const request of live) {
        const { customerId } = request.doc;
        const sequentialId = (perCustomer.get(customerId) ?? counter.invoicesPerCustomer.get(customerId) ?? 0) + 1;
        perCustomer.set(customerId, sequentialId);
        organizationSequentialId += 1;
        const drawn = numbered({ organizationId, ...request.doc }, sequentialId, organizationSequentialId, request.customer, request.organization, request.timezone);
        const content = request.couponable === null ? undefined : await ledger.finalize(request.doc.invoiceId, request.couponable);
        entries.push({ streamId: request.streamId, events: request.eventsFor(drawn.numbers, content).map((e) => ({ type: e.type, data: e.data, metadata })), expectedRevision: request.expected });
        assigned.push(drawn.assigned);
      }
      entries.push(...ledger.entries(metadata));
      entries.push(numbering.entry(organizationId, counter, assigned));
      try {
        const { position } = await deps.eventStore.appendMany(entries);
        for (const request of live) request.resolve(position);
        return;
      } catch (error) {
        if (!(error instanceof ConcurrencyError)) throw error;
        // The invoices whose stream moved were done by another run: answered null, the others draw again.
        const still: NumberedRequest[] = [];
        for (const request of live) {
          const head = await deps.eventStore.streamHead(request.streamId);
          if ((head === null ? 'no_stream' : head.revision) !== request.expected) request.resolve(null);
          else still.push(request);
        }
        live = still;
        if (live.length > 0 && attempt >= MAX_NUMBER_ATTEMPTS) throw error;
      }
    }
  }

  /** The creation event of a billing item's invoice (computed, not appended). */
  async function creationOf(lookups: Lookups, context: Context, item: Pick<BillingItem, 'reason' | 'billingAt'>, invoiceId: string, alreadyBilledFee: boolean) {
    const { sub, organization, timezone } = context;
    const computed = await contentOf(lookups, context, item, invoiceId, alreadyBilledFee);
    const draft = computed.gracePeriodDays > 0;
    const created: InvoiceCreated = {
      type: 'InvoiceCreated',
      data: {
        organizationId: sub.organizationId,
        invoiceId,
        ...computed.content,
        invoiceType: 'SUBSCRIPTION',
        reason: item.reason,
        customerId: sub.customerId,
        externalCustomerId: sub.externalCustomerId,
        subscriptionId: sub._id,
        externalSubscriptionId: sub.externalId,
        planCode: sub.planCode,
        currency: context.plan.amountCurrency,
        billingAt: item.billingAt,
        billingDate: computed.billingDate,
        issuingDate: computed.issuingDate,
        paymentDueDate: computed.paymentDueDate,
        netPaymentTerm: computed.netPaymentTerm,
        gracePeriodDays: computed.gracePeriodDays,
        subscriptionFeeFrom: computed.feeWindow?.from ?? null,
        subscriptionFeeTo: computed.feeWindow?.to ?? null,
        chargesFrom: computed.chargesWindow?.from ?? null,
        chargesTo: computed.chargesWindow?.to ?? null,
        finalizesAt: draft ? localMidnight(computed.issuingDate, timezone) : null,
        number: draftInvoiceNumber(organization?.documentNumberPrefix ?? 'INV'),
        createdAt: deps.clock.now().toISOString(),
      },
    };
    return { created, computed };
  }

  /**
   * The creation of an invoice finalized at once, with no grace period (a pay-in-advance charge's, a one-off): issued
   * at `at`, due after the customer's (else the organization's) net payment term.
   */
  function createdAtOnce(
    at: string,
    content: InvoiceContent,
    parties: { customer: CustomerDocument; organization: OrganizationDocument | null; timezone: string },
    fields: Pick<
      InvoiceCreated['data'],
      'organizationId' | 'invoiceId' | 'invoiceType' | 'reason' | 'customerId' | 'externalCustomerId' | 'subscriptionId' | 'externalSubscriptionId' | 'planCode' | 'currency' | 'chargesFrom' | 'chargesTo' | 'triggerTransactionId'
    >,
  ): InvoiceCreated {
    const { customer, organization, timezone } = parties;
    const issuingDate = localDate(at, timezone);
    const netPaymentTerm = customer.netPaymentTerm ?? organization?.netPaymentTerm ?? 0;
    return {
      type: 'InvoiceCreated',
      data: {
        ...fields,
        ...content,
        billingAt: at,
        billingDate: issuingDate,
        issuingDate,
        paymentDueDate: DateTime.fromISO(issuingDate).plus({ days: netPaymentTerm }).toISODate()!,
        netPaymentTerm,
        gracePeriodDays: 0,
        subscriptionFeeFrom: null,
        subscriptionFeeTo: null,
        finalizesAt: null,
        number: draftInvoiceNumber(organization?.documentNumberPrefix ?? 'INV'),
        createdAt: at,
      },
    };
  }

  /**
   * The events of an invoice created and finalized in one append, with its number: finalized with the content the
   * finalization gives (coupons, credit notes), else the one it was created with.
   */
  function createdAndFinalized(created: InvoiceCreated): NumberedRequest['eventsFor'] {
    const { invoiceId, issuingDate, paymentDueDate, createdAt, fees, appliedTaxes, totals, usagePosition, credits } = created.data;
    return (numbers, content = { fees, appliedTaxes, totals, usagePosition, ...(credits === undefined ? {} : { credits }) }) => [
      created,
      ...invoiceDecider.decide({ type: 'FinalizeInvoice', data: { invoiceId, content, numbers, issuingDate, paymentDueDate }, metadata: { now: createdAt } }, fold(invoiceDecider, [created])),
    ];
  }

  /** Issues one billing item's invoice; null when it already existed. */
  async function bill(lookups: Lookups, context: Context, item: BillingItem, alreadyBilledFee: boolean): Promise<bigint | null> {
    const { sub, customer, organization, timezone } = context;
    const organizationId = sub.organizationId;
    const streamId = invoiceStream(organizationId, { subscriptionId: sub._id, reason: item.reason, billingAt: item.billingAt });
    if ((await deps.eventStore.streamHead(streamId)) !== null) return null;
    const invoiceId = deps.newId();
    const { created, computed } = await creationOf(lookups, context, item, invoiceId, alreadyBilledFee);
    const draft = computed.gracePeriodDays > 0;
    if (draft) {
      try {
        await issueExcess(organizationId, streamId, computed.progressiveExcess);
        const result = await deps.eventStore.append(streamId, [{ type: created.type, data: created.data, metadata: metadataFor(organizationId) }], { expectedRevision: 'no_stream' });
        return result.position;
      } catch (error) {
        if (error instanceof ConcurrencyError) return null;
        throw error;
      }
    }
    await issueExcess(organizationId, streamId, computed.progressiveExcess);
    return appendNumbered(
      organizationId,
      streamId,
      'no_stream',
      createdAndFinalized(created),
      { invoiceId, customerId: sub.customerId },
      customer,
      organization,
      timezone,
      computed.couponable,
    );
  }

  async function streamOfInvoice(doc: InvoiceDocument): Promise<{ streamId: string; events: InvoiceEvent[]; revision: bigint }> {
    const streamId = invoiceStream(doc.organizationId, { subscriptionId: doc.subscriptionId, reason: doc.reason, billingAt: doc.billingAt, triggerTransactionId: doc.triggerTransactionId });
    const recorded = await deps.eventStore.readStream(streamId);
    if (recorded.length === 0) throw new NotFoundError(`invoice ${doc._id} not found`);
    return { streamId, events: recorded.map((e) => ({ type: e.type, data: e.data }) as InvoiceEvent), revision: recorded.at(-1)!.revision };
  }

  async function contextForInvoice(lookups: Lookups, doc: InvoiceDocument): Promise<Context> {
    const sub = await collection<SubscriptionDocument>('subscriptions').findOne({ _id: doc.subscriptionId });
    const context = sub === null ? null : await contextOf(lookups, sub);
    if (context === null) throw new NotFoundError(`the subscription of invoice ${doc._id} is gone`);
    return context;
  }

  /** Re-reads a draft's usage and fees; with `finalize`, finalizes it with those (and a number) in the same append. */
  /**
   * A draft's dates under the grace period and payment term that apply now (customer, else organization): Lago moves
   * them when either changes, and a grace period reduced to 0 finalizes the draft (§4.2). Null for a draft of a
   * subscription that is gone.
   */
  async function draftDates(lookups: Lookups, doc: InvoiceDocument): Promise<{ finalizesAt: string; issuingDate: string; paymentDueDate: string } | null> {
    const [customer, organization] = await Promise.all([lookups.customer(doc.customerId), lookups.organization(doc.organizationId)]);
    if (customer === null) return null;
    const grace = customer.invoiceGracePeriod ?? organization?.invoiceGracePeriod ?? 0;
    const term = customer.netPaymentTerm ?? organization?.netPaymentTerm ?? 0;
    const timezone = applicableTimezone(customer, organization);
    const issuingDate = DateTime.fromISO(doc.billingDate).plus({ days: grace }).toISODate()!;
    return { finalizesAt: localMidnight(issuingDate, timezone), issuingDate, paymentDueDate: DateTime.fromISO(issuingDate).plus({ days: term }).toISODate()! };
  }

  async function refreshDraft(doc: InvoiceDocument, finalize: boolean, actor = 'billingClock', dates?: { issuingDate: string; paymentDueDate: string }): Promise<bigint | null> {
    const lookups = newLookups();
    const context = await contextForInvoice(lookups, doc);
    const { streamId, events, revision } = await streamOfInvoice(doc);
    const state: InvoiceState = fold(invoiceDecider, events);
    if (state.status !== 'DRAFT') {
      // Finalizing a finalized invoice again is a no-op; anything else on a non-draft is refused.
      if (finalize && state.status === 'FINALIZED') return null;
      throw new IllegalStateError(`invoice ${doc._id} is ${state.status.toLowerCase()}: only a draft can be ${finalize ? 'finalized' : 'refreshed'}`);
    }
    const billedBefore = await invoices().count({ subscriptionId: doc.subscriptionId, billingAt: { $lt: doc.billingAt }, 'fees.feeType': 'SUBSCRIPTION' });
    const computed = await contentOf(lookups, context, doc, doc._id, billedBefore > 0);
    const now = deps.clock.now().toISOString();
    if (!finalize) {
      // Nothing billed changed (the usage position moved for another reason): no event.
      const same = (c: Pick<InvoiceContent, 'fees' | 'appliedTaxes' | 'totals'>) => JSON.stringify([c.fees, c.appliedTaxes, c.totals]);
      if (same(computed.content) === same(doc)) return null;
      const refreshed = invoiceDecider.decide({ type: 'RefreshInvoice', data: { invoiceId: doc._id, content: computed.content }, metadata: { now } }, state);
      const metadata = metadataFor(doc.organizationId, actor);
      const result = await deps.eventStore.append(streamId, refreshed.map((e) => ({ type: e.type, data: e.data, metadata })), { expectedRevision: revision });
      return result.position;
    }
    // Finalizing by the clock takes the dates as they are now (a grace change moved them); finalizeInvoice keeps the
    // draft's.
    return appendNumbered(
      doc.organizationId,
      streamId,
      revision,
      (numbers, content = computed.content) =>
        invoiceDecider.decide({ type: 'FinalizeInvoice', data: { invoiceId: doc._id, content, numbers, issuingDate: dates?.issuingDate ?? doc.issuingDate, paymentDueDate: dates?.paymentDueDate ?? doc.paymentDueDate }, metadata: { now } }, state),
      { invoiceId: doc._id, customerId: doc.customerId },
      context.customer,
      context.organization,
      context.timezone,
      computed.couponable,
    );
  }

  /**
   * Pay-in-advance charges (§2.11): per subscription, the position of the last usage event billed and each
   * (period, charge, filter bucket, pricing group)'s running state. After a restart it is rebuilt from the start of
   * the previous charges period (earlier events were billed before); re-billing an event is impossible (its
   * invoice or fee stream exists), so rebuilding only costs reading.
   */
  const advance = new Map<string, { after: bigint | undefined; fromMs: number; states: Map<string, InAdvanceState> }>();

  /** Bills a subscription's new usage events on its pay-in-advance charges; the last position appended, or null. */
  async function billInAdvance(lookups: Lookups, context: Context, nowMs: number): Promise<bigint | null> {
    const { sub, plan, ps, customer, organization, timezone } = context;
    const inAdvance = plan.charges.filter((c) => c.payInAdvance);
    if (inAdvance.length === 0) return null;
    const metrics = await lookups.metrics(sub.organizationId);
    const pricings = inAdvance.flatMap((charge) => {
      const metric = Object.hasOwn(metrics, charge.billableMetricCode) ? (metrics[charge.billableMetricCode] as unknown as InAdvanceMetric) : undefined;
      return metric === undefined ? [] : [{ charge, pricing: inAdvancePricing(charge, metric) }];
    });
    const startMs = Date.parse(sub.startedAt!);
    const endMs = sub.terminatedAt === null ? Number.POSITIVE_INFINITY : Date.parse(sub.terminatedAt);
    let cursor = advance.get(sub._id);
    if (cursor === undefined) {
      const current = chargesPeriodContaining(ps, new Date(Math.max(startMs, Math.min(nowMs, endMs - 1))));
      const previous = Date.parse(current.from) - 1 >= startMs ? chargesPeriodContaining(ps, new Date(Date.parse(current.from) - 1)) : current;
      advance.set(sub._id, (cursor = { after: undefined, fromMs: Date.parse(previous.from), states: new Map() }));
    }
    const levels = taxLevels(await lookups.taxes(sub.organizationId), plan, customer);
    let position: bigint | null = null;
    const PAGE = 2_000;
    for (;;) {
      const events = await deps.eventStore.readUsage(sub.organizationId, sub.externalId, { ...(cursor.after === undefined ? {} : { after: cursor.after }), maxCount: PAGE });
      for (const event of events) {
        cursor.after = event.position;
        const data = event.data as IngestedUsageEvent;
        const ms = Date.parse(data.timestamp);
        if (ms < startMs || ms >= endMs || ms < cursor.fromMs) continue;
        const matching = pricings.filter((p) => p.charge.billableMetricCode === data.code);
        if (matching.length === 0) continue;
        const period = chargesPeriodContaining(ps, data.timestamp);
        const lines = matching.flatMap(({ charge, pricing }) => {
          const stateOf = (slot: string) => {
            const key = JSON.stringify([period.from, charge.id, slot]);
            let state = cursor!.states.get(key);
            if (state === undefined) cursor!.states.set(key, (state = emptyInAdvanceState()));
            return state;
          };
          const priced = priceInAdvanceEvent(pricing, data.properties, stateOf, plan.amountCurrency);
          return priced === null ? [] : [{ charge, priced }];
        });
        const feeOf = (charge: PlanCharge, priced: InAdvanceFee): InAdvanceFeeCreated['data']['fee'] => ({
          feeType: 'CHARGE',
          subscriptionId: sub._id,
          chargeId: charge.id,
          billableMetricCode: charge.billableMetricCode,
          chargeModel: charge.chargeModel,
          invoiceDisplayName: (priced.filter === null ? null : charge.filters[priced.filter]?.invoiceDisplayName) ?? charge.invoiceDisplayName,
          chargeFilterValues: priced.filter === null ? null : (charge.filters[priced.filter]?.values ?? null),
          groupedBy: priced.groupedBy,
          trueUp: false,
          units: priced.fee.units.toFixed(),
          eventsCount: 1,
          amountCents: priced.fee.amountCents.toFixed(),
          preciseAmountCents: priced.fee.preciseAmountCents.toFixed(),
          unitAmountCents: priced.fee.unitAmountCents.toFixed(),
          preciseUnitAmount: priced.fee.unitAmount.toFixed(),
          amountCurrency: plan.amountCurrency,
          fromDatetime: period.from,
          toDatetime: period.to,
          details: { transactionId: data.transactionId, timestamp: data.timestamp },
        });
        const metadata = metadataFor(sub.organizationId);
        // Non-invoiceable: a fee, billed with the period's invoice.
        for (const { charge, priced } of lines.filter((l) => !l.charge.invoiceable)) {
          try {
            const fee: InAdvanceFeeCreated = {
              type: 'InAdvanceFeeCreated',
              data: { organizationId: sub.organizationId, subscriptionId: sub._id, externalSubscriptionId: sub.externalId, transactionId: data.transactionId, chargesFrom: period.from, chargesTo: period.to, fee: feeOf(charge, priced), createdAt: new Date(nowMs).toISOString() },
            };
            const result = await deps.eventStore.append(inAdvanceFeeStream(sub.organizationId, sub._id, data.transactionId, charge.id), [{ ...fee, metadata }], { expectedRevision: 'no_stream' });
            position = result.position;
          } catch (error) {
            if (!(error instanceof ConcurrencyError)) throw error;
          }
        }
        // Invoiceable: an invoice for the event, finalized at once (nothing for a free event).
        const invoiceable = lines.filter((l) => l.charge.invoiceable);
        if (invoiceable.length === 0 || invoiceable.every((l) => l.priced.fee.amountCents.isZero())) continue;
        const streamId = invoiceStream(sub.organizationId, { subscriptionId: sub._id, reason: 'IN_ADVANCE_CHARGE', billingAt: '', triggerTransactionId: data.transactionId });
        if ((await deps.eventStore.streamHead(streamId)) !== null) continue;
        const invoiceId = deps.newId();
        const toAssemble: InvoiceToAssemble = {
          invoiceId,
          subscriptionId: sub._id,
          currency: plan.amountCurrency,
          subscriptionFee: null,
          charges: invoiceable.map(({ charge, priced }) => ({ charge, usage: usageOfFees([feeOf(charge, priced)]), taxes: levels(charge.taxCodes), trueUp: null })),
          chargesFrom: period.from,
          chargesTo: period.to,
          commitment: null,
        };
        const content: InvoiceContent = { ...assembleInvoice(toAssemble), usagePosition: event.position.toString() };
        const couponable: Couponable = { customerId: sub.customerId, currency: plan.amountCurrency, planCode: sub.planCode, toAssemble, fees: content.fees, usagePosition: content.usagePosition };
        const created = createdAtOnce(new Date(nowMs).toISOString(), content, { customer, organization, timezone }, {
          organizationId: sub.organizationId,
          invoiceId,
          invoiceType: 'SUBSCRIPTION',
          reason: 'IN_ADVANCE_CHARGE',
          customerId: sub.customerId,
          externalCustomerId: sub.externalCustomerId,
          subscriptionId: sub._id,
          externalSubscriptionId: sub.externalId,
          planCode: sub.planCode,
          currency: plan.amountCurrency,
          chargesFrom: period.from,
          chargesTo: period.to,
          triggerTransactionId: data.transactionId,
        });
        const appended = await appendNumbered(
          sub.organizationId,
          streamId,
          'no_stream',
          createdAndFinalized(created),
          { invoiceId, customerId: sub.customerId },
          customer,
          organization,
          timezone,
          couponable,
        );
        if (appended !== null) position = appended;
      }
      if (events.length < PAGE) break;
    }
    // States of periods before the previous one are no longer needed.
    const current = chargesPeriodContaining(ps, new Date(Math.max(startMs, Math.min(nowMs, endMs - 1))));
    if (Date.parse(current.from) - 1 >= startMs) {
      const keep = chargesPeriodContaining(ps, new Date(Date.parse(current.from) - 1)).from;
      cursor.fromMs = Math.max(cursor.fromMs, Date.parse(keep));
      for (const key of cursor.states.keys()) if ((JSON.parse(key) as string[])[0]! < keep) cursor.states.delete(key);
    }
    return position;
  }

  /** Per draft, the usage position it was last computed at (drafts are computed again only when it moved). */
  const draftsChecked = new Map<string, bigint>();

  /** In-memory schedule: per subscription, when something may next be due, valid while the documents are unchanged. */
  const schedule = new Map<string, { updatedAt: string; nextAt: number }>();
  /** The latest `updatedAt` of the subscriptions read so far (null before the first tick), and the ticks run. */
  let scannedUpTo: string | null = null;
  let ticks = 0;
  /** Subscriptions whose plan has a pay-in-advance charge: their new usage events are billed on every tick. */
  const inAdvanceSubs = new Map<string, SubscriptionDocument>();
  /** Terminated subscriptions of in-advance plans whose automatic credit note is not settled yet (§3.4). */
  const terminations = new Map<string, SubscriptionDocument>();
  /** Terminations settled by this process (a full scan lists them again: they are not looked at twice). */
  const terminationsSettled = new Set<string>();

  /**
   * The automatic credit note of a terminated (or upgraded) in-advance subscription: the unused part of its last
   * subscription fee (Lago's `CreditNotes::CreateFromTermination`, reason ORDER_CHANGE), credited to the customer's
   * balance so that its next invoice — the new plan's, on an upgrade — consumes it. Its id derives from the
   * subscription: issued once. Not settled while the fee's invoice is still a draft (for at most 35 days).
   */
  async function terminationCreditNote(lookups: Lookups, sub: SubscriptionDocument): Promise<{ settled: boolean; position: bigint | null }> {
    const context = await contextOf(lookups, sub);
    if (creditNotes === undefined || context === null || !context.plan.payInAdvance || sub.terminatedAt === null) return { settled: true, position: null };
    const creditNoteId = derivedCreditNoteId(`${sub.organizationId}/${sub._id}/termination`);
    if ((await deps.eventStore.streamHead(creditNoteStream(sub.organizationId, creditNoteId))) !== null) return { settled: true, position: null };
    const issued = await invoices().find({ subscriptionId: sub._id }, { sort: { createdAt: 1, _id: 1 } });
    const last = issued.flatMap((invoice) => invoice.fees.filter((f) => f.feeType === 'SUBSCRIPTION').map((fee) => ({ invoice, fee }))).at(-1);
    const patience = Date.parse(sub.terminatedAt) + 35 * 86_400_000 > deps.clock.now().getTime();
    if (last === undefined || last.invoice.status === 'DRAFT') return { settled: !patience, position: null };
    if (last.invoice.status === 'VOIDED') return { settled: true, position: null };
    // An upgrade always credits (Lago); a termination does what it was asked.
    const mode = sub.terminationReason === 'UPGRADED' ? 'CREDIT' : (sub.onTerminationCreditNote ?? 'CREDIT');
    if (mode === 'SKIP') return { settled: true, position: null };
    const details = (last.fee.details ?? {}) as { planAmountCents?: string; periodDays?: number };
    const credit = terminationCredit({
      fee: {
        id: last.fee.id,
        amountCents: new BigNumber(last.fee.amountCents),
        preciseAmountCents: new BigNumber(last.fee.preciseAmountCents),
        preciseCouponsAmountCents: new BigNumber(last.fee.preciseCouponsAmountCents ?? '0'),
        // The fee's taxes as stored (rounded; Lago keeps them to 5 places): only a refund's or an offset's share uses them.
        taxesPreciseAmountCents: new BigNumber(last.fee.taxesAmountCents),
        creditedAmountCents: new BigNumber((last.invoice.creditNoteIds ?? []).length === 0 ? '0' : await creditedOnFee(last.invoice, last.fee.id)),
        fromDatetime: last.fee.fromDatetime,
        toDatetime: last.fee.toDatetime,
        taxes: last.fee.appliedTaxes.map((t) => ({ code: t.code, name: t.name, rate: t.rate })),
      },
      terminatedAt: sub.terminatedAt,
      timezone: context.timezone,
      upgrade: sub.terminationReason === 'UPGRADED',
      planAmountCents: new BigNumber(details.planAmountCents ?? context.plan.amountCents),
      periodDays: details.periodDays ?? daysBetweenInclusive(last.fee.fromDatetime, last.fee.toDatetime, context.timezone),
      periodToDatetime: last.fee.toDatetime,
      trialEndDate: sub.trialEndsAt === null ? null : sub.trialEndsAt.slice(0, 10),
      onTermination: mode,
      invoice: {
        subTotalIncludingTaxesAmountCents: new BigNumber(last.invoice.totals.subTotalIncludingTaxesAmountCents),
        totalPaidAmountCents: last.invoice.paymentStatus === 'SUCCEEDED' ? new BigNumber(last.invoice.totals.totalAmountCents) : new BigNumber(0),
      },
    });
    if (credit === null) return { settled: true, position: null };
    const position = await creditNotes.issue(
      sub.organizationId,
      creditNoteId,
      {
        invoiceId: last.invoice._id,
        reason: 'ORDER_CHANGE',
        items: [{ feeId: last.fee.id, amountCents: credit.preciseAmountCents.toFixed() }],
        creditAmountCents: credit.creditAmountCents.toFixed(),
        refundAmountCents: credit.refundAmountCents.toFixed(),
        offsetAmountCents: credit.offsetAmountCents.toFixed(),
      },
      { actor: null, automatic: true },
    );
    return { settled: true, position };
  }

  /** What credit notes already took on one fee (from the invoice's stream, exact). */
  async function creditedOnFee(invoice: InvoiceDocument, feeId: string): Promise<string> {
    const { events } = await streamOfInvoice(invoice);
    const state = fold(invoiceDecider, events);
    return state.status === 'none' ? '0' : (state.creditedByFee[feeId] ?? '0');
  }

  /** Settles the automatic credit notes of terminations that are due; the last position appended, or null. */
  async function settleTerminations(lookups: Lookups, nowMs: number): Promise<bigint | null> {
    let position: bigint | null = null;
    for (const [id, sub] of terminations) {
      if (sub.terminatedAt === null || Date.parse(sub.terminatedAt) > nowMs) continue;
      try {
        const result = await terminationCreditNote(lookups, sub);
        if (result.position !== null) position = result.position;
        if (result.settled) {
          terminations.delete(id);
          if (terminationsSettled.size >= 100_000) terminationsSettled.clear();
          terminationsSettled.add(id);
        }
      } catch (error) {
        deps.logger.error('termination credit note failed', { organizationId: sub.organizationId, subscriptionId: sub._id, error: String(error) });
      }
    }
    return position;
  }


  /**
   * The billing clock's invoicing step, up to `now`: every invoice due (oldest first), then drafts whose grace
   * period ended are finalized and drafts whose usage moved are refreshed. Returns the last position appended.
   * Runs of this process one after the other (the clock's tick and `advanceClock` share the schedule and the
   * counter); runs of other processes are kept apart by the streams' expected revisions.
   */
  const oneRunAtATime = keyedQueue();
  const runDue = (now: Date) =>
    oneRunAtATime('run', async () => {
      const started = performance.now();
      const result = await runDueNow(now);
      deps.metrics?.billingRun((performance.now() - started) / 1000, { created: result.created, finalized: result.finalized, refreshed: result.refreshed });
      return result;
    });

  async function runDueNow(now: Date): Promise<{ created: number; finalized: number; refreshed: number; position: bigint | null }> {
    const nowMs = now.getTime();
    const lookups = newLookups(await deps.eventStore.headPosition());
    // The subscriptions to look at: on the first tick every one; then those changed since the last tick (their
    // documents' `updatedAt`) and those the in-memory schedule says are due. Most ticks read a handful of documents.
    const subscriptions = collection<SubscriptionDocument>('subscriptions');
    // NOTE: `updatedAt` is the time a command recorded, and two racing commands may be folded out of that order: the
    // incremental read goes back a minute before the latest one seen, and every 100th tick reads everything.
    ticks += 1;
    const full = scannedUpTo === null || ticks % 100 === 0;
    const since = scannedUpTo === null ? '' : new Date(Math.max(0, Date.parse(scannedUpTo) - 60_000)).toISOString();
    const changed = full ? await subscriptions.find({ status: { $in: ['ACTIVE', 'TERMINATED'] } }) : await subscriptions.find({ updatedAt: { $gte: since } });
    for (const sub of changed) if (scannedUpTo === null || sub.updatedAt > scannedUpTo) scannedUpTo = sub.updatedAt;
    scannedUpTo ??= new Date(0).toISOString();
    for (const sub of changed) {
      const planDoc = sub.status === 'ACTIVE' || sub.status === 'TERMINATED' ? await lookups.plan(sub.planId) : null;
      if (planDoc !== null && planDoc.charges.some((c) => c.payInAdvance) && (sub.terminatedAt === null || Date.parse(sub.terminatedAt) > nowMs - 400 * 86_400_000)) inAdvanceSubs.set(sub._id, sub);
      else inAdvanceSubs.delete(sub._id);
      if (sub.status === 'TERMINATED' && !terminationsSettled.has(sub._id) && planDoc !== null && planDoc.payInAdvance && Date.parse(sub.terminatedAt ?? '') > nowMs - 400 * 86_400_000) {
        terminations.set(sub._id, sub);
      }
    }
    const seen = new Set(changed.map((sub) => sub._id));
    const dueIds = [...schedule.entries()].filter(([id, entry]) => entry.nextAt <= nowMs && !seen.has(id)).map(([id]) => id);
    const subs = [...changed, ...(dueIds.length === 0 ? [] : await subscriptions.find({ _id: { $in: dueIds } }))].filter((sub) => sub.status === 'ACTIVE' || sub.status === 'TERMINATED');
    const due: { context: Context; item: BillingItem; feeBilled: boolean }[] = [];
    for (const sub of subs) {
      const known = schedule.get(sub._id);
      if (known !== undefined && known.updatedAt === sub.updatedAt && known.nextAt > nowMs) continue;
      const context = await contextOf(lookups, sub);
      // Not billable yet (its plan or customer not in the read models): looked at again on the next tick.
      if (context === null) {
        schedule.set(sub._id, { updatedAt: '', nextAt: 0 });
        continue;
      }
      const { items, feeBilled } = await dueItems(context, nowMs);
      for (const item of items) due.push({ context, item, feeBilled });
      const nextAt = nextDueAfter(context, nowMs);
      if (nextAt === Number.POSITIVE_INFINITY) schedule.delete(sub._id);
      else schedule.set(sub._id, { updatedAt: sub.updatedAt, nextAt });
    }
    due.sort((a, b) => Date.parse(a.item.billingAt) - Date.parse(b.item.billingAt));
    let position: bigint | null = null;
    let created = 0;
    // Pay-in-advance charges first: the period-end invoices below gather the non-invoiceable fees.
    for (const sub of inAdvanceSubs.values()) {
      try {
        const context = await contextOf(lookups, sub);
        const appended = context === null ? null : await billInAdvance(lookups, context, nowMs);
        if (appended !== null) position = appended;
      } catch (error) {
        advance.delete(sub._id);
        deps.logger.error('pay-in-advance billing failed', { organizationId: sub.organizationId, subscriptionId: sub._id, error: String(error) });
      }
    }
    // Credit notes of terminations (an upgrade's is consumed by the new plan's first invoice, billed below).
    const credited = await settleTerminations(lookups, nowMs);
    if (credited !== null) position = credited;
    if (position !== null) await deps.waitForProjections(position, { usage: false });
    // Subscriptions are billed several at a time (their reads and computations overlap; each one's invoices in
    // order, oldest first); appends that take a number wait for each other per organization (appendNumbered).
    const bySubscription = new Map<string, { context: Context; items: BillingItem[]; feeBilled: boolean }>();
    for (const { context, item, feeBilled } of due) {
      const entry = bySubscription.get(context.sub._id);
      if (entry === undefined) bySubscription.set(context.sub._id, { context, items: [item], feeBilled });
      else entry.items.push(item);
    }
    const queue = [...bySubscription.values()];
    const worker = async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        const { context, items } = next;
        let billed = next.feeBilled;
        for (const item of items) {
          try {
            const appended = await bill(lookups, context, item, billed);
            billed = true;
            if (appended !== null) {
              created += 1;
              if (position === null || appended > position) position = appended;
              // A minimum commitment sums the fees of the subscription's earlier invoices of the period: a run
              // catching up several periods lets the read model show each invoice before computing the next.
              if (items.length > 1 && context.plan.minimumCommitment !== null) await deps.waitForProjections(appended, { usage: false });
            }
          } catch (error) {
            // One subscription that cannot be billed must not hold back the others: logged, retried next tick.
            schedule.set(context.sub._id, { updatedAt: '', nextAt: 0 });
            deps.logger.error('invoice failed', { organizationId: context.sub.organizationId, subscriptionId: context.sub._id, billingAt: item.billingAt, error: String(error) });
            break;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(RUN_CONCURRENCY, queue.length) }, worker));
    if (position !== null) await deps.waitForProjections(position, { usage: false });
    // A termination whose last fee was billed by this very run (catching up) is credited now, for later invoices.
    if (terminations.size > 0) {
      const late = await settleTerminations(lookups, nowMs);
      if (late !== null) {
        position = late;
        await deps.waitForProjections(late, { usage: false });
      }
    }
    let finalized = 0;
    let refreshed = 0;
    const drafts = await invoices().find({ status: 'DRAFT' }, { sort: { billingAt: 1 } });
    const open = new Set(drafts.map((d) => d._id));
    for (const id of draftsChecked.keys()) if (!open.has(id)) draftsChecked.delete(id);
    for (const draft of drafts) {
      try {
        // The grace period as it is now (a customer or organization change moves the finalization, §4.2).
        const dates = await draftDates(lookups, draft);
        const finalize = dates !== null && Date.parse(dates.finalizesAt) <= nowMs;
        // A draft whose subscription's usage may have moved since it was computed (a late event) is computed again,
        // and refreshed when what it bills changed.
        if (!finalize) {
          const required = await usagePositionOf(draft);
          if (required <= BigInt(draft.usagePosition) || required <= (draftsChecked.get(draft._id) ?? -1n)) continue;
          draftsChecked.set(draft._id, required);
        }
        const appended = await refreshDraft(draft, finalize, 'billingClock', dates ?? undefined);
        if (appended !== null) {
          position = appended;
          if (finalize) finalized += 1;
          else refreshed += 1;
        }
      } catch (error) {
        deps.logger.error('draft invoice step failed', { organizationId: draft.organizationId, invoiceId: draft._id, error: String(error) });
      }
    }
    if (position !== null) await deps.waitForProjections(position, { usage: false });
    return { created, finalized, refreshed, position };
  }

  function usagePositionOf(doc: InvoiceDocument): Promise<bigint> {
    return deps.usagePosition(subjectKey(doc.organizationId, doc.externalSubscriptionId));
  }

  /**
   * A one-off invoice of add-ons (Lago's `POST /invoices`, §4.7): each fee an add-on with its units and unit amount
   * (the add-on's amount by default), its display name and description, and its taxes — the fee's own tax codes →
   * the add-on's → the customer's → the organization's default. Numbered and finalized at once, as Lago does (no
   * coupon or credit note applies: Lago's `CreateOneOffService` applies neither). VALIDATION naming the field for an
   * unknown customer or add-on, a currency other than the customer's, or a tax code that names no live tax.
   */
  async function createOneOff(actor: Actor, input: OneOffInput): Promise<InvoiceDocument> {
    const { organizationId } = actor;
    const lookups = newLookups();
    const customer = await collection<CustomerDocument>('customers').findOne({ organizationId, externalId: input.externalCustomerId, deletedAt: null });
    if (customer === null) throw new ValidationError(`externalCustomerId: no customer with external id "${input.externalCustomerId}"`, 'externalCustomerId');
    const currency = input.currency ?? customer.currency ?? null;
    if (currency === null) throw new ValidationError(`currency: customer "${customer.externalId}" has no currency: give the invoice's`, 'currency');
    if (customer.currency !== null && customer.currency !== undefined && customer.currency !== currency) {
      throw new ValidationError(`currency: customer "${customer.externalId}" is billed in ${customer.currency}`, 'currency');
    }
    if (input.fees.length === 0) throw new ValidationError('fees: a one-off invoice bills at least one add-on', 'fees');
    const codes = [...new Set(input.fees.map((f) => f.addOnCode))];
    const addOns = new Map((await collection<AddOnDocument>(ADD_ONS).find({ organizationId, deletedAt: null, code: { $in: codes } })).map((a) => [a.code, a]));
    const organization = await lookups.organization(organizationId);
    const taxes = (await lookups.taxes(organizationId)).filter((t) => t.deletedAt === null);
    const byCode = new Map(taxes.map((t) => [t.code, t]));
    const rates = (list: readonly TaxDocument[]): TaxRate[] => list.map((t) => ({ code: t.code, name: t.name, rate: t.rate }));
    const live = (codes: readonly string[] | undefined) => rates((codes ?? []).flatMap((code) => byCode.get(code) ?? []));
    const customerLevel = live(customer.taxCodes);
    const organizationLevel = rates(taxes.filter((t) => t.appliedToOrganization));
    const now = deps.clock.now().toISOString();
    const fees = input.fees.map((fee, i) => {
      const addOn = addOns.get(fee.addOnCode);
      if (addOn === undefined) throw new ValidationError(`fees.${i}.addOnCode: no add-on with code "${fee.addOnCode}"`, `fees.${i}.addOnCode`);
      (fee.taxCodes ?? []).forEach((code, j) => {
        if (!byCode.has(code)) throw new ValidationError(`fees.${i}.taxCodes.${j}: no tax with code "${code}"`, `fees.${i}.taxCodes.${j}`);
      });
      const decimal = (value: string | null | undefined, field: string, fallback: string) => {
        const text = value ?? fallback;
        if (!/^\d+(\.\d+)?$/.test(text) || text.length > 40) throw new ValidationError(`${field}: must be a non-negative decimal string`, field);
        return new BigNumber(text);
      };
      const feeTaxes = [live(fee.taxCodes ?? []), live(addOn.taxCodes), customerLevel, organizationLevel].find((level) => level.length > 0) ?? [];
      return {
        addOnCode: addOn.code,
        units: decimal(fee.units, `fees.${i}.units`, '1'),
        unitAmountCents: decimal(fee.unitAmountCents, `fees.${i}.unitAmountCents`, addOn.amountCents),
        invoiceDisplayName: fee.invoiceDisplayName ?? addOn.invoiceDisplayName ?? addOn.name,
        description: fee.description ?? addOn.description,
        fromDatetime: fee.fromDatetime ?? now,
        toDatetime: fee.toDatetime ?? now,
        taxes: feeTaxes,
      };
    });
    const invoiceId = deps.newId();
    const content: InvoiceContent = {
      ...assembleInvoice({ invoiceId, subscriptionId: '', currency, subscriptionFee: null, charges: [], chargesFrom: null, chargesTo: null, commitment: null, addOns: fees }),
      usagePosition: '0',
    };
    const timezone = applicableTimezone(customer, organization);
    const created = createdAtOnce(now, content, { customer, organization, timezone }, {
      organizationId,
      invoiceId,
      invoiceType: 'ONE_OFF',
      reason: 'ONE_OFF',
      customerId: customer._id,
      externalCustomerId: customer.externalId,
      subscriptionId: '',
      externalSubscriptionId: '',
      planCode: '',
      currency,
      chargesFrom: null,
      chargesTo: null,
      triggerTransactionId: invoiceId,
    });
    const streamId = invoiceStream(organizationId, { subscriptionId: '', reason: 'ONE_OFF', billingAt: now, triggerTransactionId: invoiceId });
    const position = await appendNumbered(
      organizationId,
      streamId,
      'no_stream',
      createdAndFinalized(created),
      { invoiceId, customerId: customer._id },
      customer,
      organization,
      timezone,
      null,
    );
    if (position !== null) await deps.waitForProjections(position, { usage: false });
    return byId(organizationId, invoiceId);
  }

  /**
   * The credit invoice of a wallet's paid credits (Lago's `Invoices::PaidCreditService`): one untaxed CREDIT fee, the
   * credits at the wallet's rate, numbered and finalized at once; no coupon, credit note or wallet applies. Its
   * stream derives from the wallet transaction, so issuing it again (a retry, the billing clock's sweep after a
   * crash) adds nothing. Resolves once the read models hold it; null when it already existed.
   */
  async function createCredit(input: CreditInvoiceInput): Promise<bigint | null> {
    const { organizationId, walletTransactionId } = input;
    const streamId = invoiceStream(organizationId, { subscriptionId: '', reason: 'CREDIT', billingAt: '', triggerTransactionId: walletTransactionId });
    if ((await deps.eventStore.streamHead(streamId)) !== null) return null;
    const customer = await collection<CustomerDocument>('customers').findOne({ _id: input.customerId, organizationId });
    if (customer === null) return null;
    const organization = await newLookups().organization(organizationId);
    const timezone = applicableTimezone(customer, organization);
    const now = deps.clock.now().toISOString();
    const rateAmountCents = toPreciseCents(new BigNumber(input.rateAmount), input.currency);
    const content: InvoiceContent = {
      ...assembleInvoice({
        invoiceId: input.invoiceId,
        subscriptionId: '',
        currency: input.currency,
        subscriptionFee: null,
        charges: [],
        chargesFrom: null,
        chargesTo: null,
        commitment: null,
        credit: { credits: new BigNumber(input.credits), amountCents: new BigNumber(input.amountCents), rateAmountCents, invoiceDisplayName: input.walletName, at: now },
      }),
      usagePosition: '0',
    };
    const created = createdAtOnce(now, content, { customer, organization, timezone }, {
      organizationId,
      invoiceId: input.invoiceId,
      invoiceType: 'CREDIT',
      reason: 'CREDIT',
      customerId: customer._id,
      externalCustomerId: customer.externalId,
      subscriptionId: '',
      externalSubscriptionId: '',
      planCode: '',
      currency: input.currency,
      chargesFrom: null,
      chargesTo: null,
      triggerTransactionId: walletTransactionId,
    });
    const position = await appendNumbered(organizationId, streamId, 'no_stream', createdAndFinalized(created), { invoiceId: input.invoiceId, customerId: customer._id }, customer, organization, timezone, null);
    if (position !== null) await deps.waitForProjections(position, { usage: false });
    return position;
  }

  /**
   * A progressive-billing invoice (§6.2, Lago's `Invoices::ProgressiveBillingService`) for the usage thresholds the
   * subscription's lifetime usage just passed: the current period's in-arrears charges so far, less what the period's
   * previous progressive invoice billed, finalized at once with coupons, taxes, credit notes and wallets. `key` names
   * the crossing (the period, what was billed progressively before it, the thresholds): its stream is appended with
   * "stream must not exist", so a crossing seen by two checks bills once. Null when it existed already.
   */
  async function billProgressive(sub: SubscriptionDocument, applied: AppliedUsageThreshold[], key: string): Promise<InvoiceDocument | null> {
    const lookups = newLookups();
    const context = await contextOf(lookups, sub);
    if (context === null) return null;
    const { customer, organization, timezone } = context;
    const now = deps.clock.now().toISOString();
    const streamId = invoiceStream(sub.organizationId, { subscriptionId: sub._id, reason: 'PROGRESSIVE_BILLING', billingAt: now, triggerTransactionId: key });
    if ((await deps.eventStore.streamHead(streamId)) !== null) return null;
    const invoiceId = deps.newId();
    const computed = await contentOf(lookups, context, { reason: 'PROGRESSIVE_BILLING', billingAt: now }, invoiceId, true);
    await issueExcess(sub.organizationId, streamId, computed.progressiveExcess);
    const created = createdAtOnce(now, computed.content, { customer, organization, timezone }, {
      organizationId: sub.organizationId,
      invoiceId,
      invoiceType: 'PROGRESSIVE_BILLING',
      reason: 'PROGRESSIVE_BILLING',
      customerId: sub.customerId,
      externalCustomerId: sub.externalCustomerId,
      subscriptionId: sub._id,
      externalSubscriptionId: sub.externalId,
      planCode: sub.planCode,
      currency: context.plan.amountCurrency,
      chargesFrom: computed.chargesWindow?.from ?? null,
      chargesTo: computed.chargesWindow?.to ?? null,
      triggerTransactionId: key,
    });
    created.data.appliedUsageThresholds = applied;
    const position = await appendNumbered(sub.organizationId, streamId, 'no_stream', createdAndFinalized(created), { invoiceId, customerId: sub.customerId }, customer, organization, timezone, computed.couponable);
    if (position === null) return null;
    await deps.waitForProjections(position, { usage: false });
    return byId(sub.organizationId, invoiceId);
  }

  const paymentListeners: ((actor: Actor, invoice: InvoiceDocument) => Promise<void>)[] = [];

  async function byId(organizationId: string, invoiceId: string): Promise<InvoiceDocument> {
    const doc = await invoices().findOne({ _id: invoiceId, organizationId });
    if (doc === null) throw new NotFoundError(`invoice ${invoiceId} not found`);
    return doc;
  }

  async function simple(actor: Actor, invoiceId: string, command: (doc: InvoiceDocument) => Parameters<typeof invoiceDecider.decide>[0]): Promise<InvoiceDocument> {
    const doc = await byId(actor.organizationId, invoiceId);
    const streamId = invoiceStream(doc.organizationId, { subscriptionId: doc.subscriptionId, reason: doc.reason, billingAt: doc.billingAt, triggerTransactionId: doc.triggerTransactionId });
    await execute(deps, actor, streamId, invoiceDecider, command(doc));
    return byId(actor.organizationId, invoiceId);
  }

  return {
    runDue,
    byId,
    createOneOff,
    createCredit,
    billProgressive,

    /**
     * The invoice the subscription's current period would get if it ended now (nothing is appended): its fee and
     * its usage so far, taxes and totals, as a draft. NOT_FOUND without an active subscription of that id.
     */
    async preview(organizationId: string, externalSubscriptionId: string): Promise<InvoiceDocument> {
      const sub = await collection<SubscriptionDocument>('subscriptions').findOne({ organizationId, externalId: externalSubscriptionId, status: 'ACTIVE' });
      const lookups = newLookups();
      const context = sub === null ? null : await contextOf(lookups, sub);
      if (sub === null || context === null) throw new NotFoundError(`no active subscription "${externalSubscriptionId}"`);
      const now = deps.clock.now();
      const billingAt = nextBillingDate(context.ps, new Date(Math.max(now.getTime(), Date.parse(sub.startedAt!))));
      const billed = (await invoices().count({ subscriptionId: sub._id, 'fees.feeType': 'SUBSCRIPTION' })) > 0;
      const { created } = await creationOf(lookups, context, { reason: 'PERIOD_END', billingAt }, `preview-${sub._id}`, billed);
      const { invoiceId, ...data } = created.data;
      return { _id: invoiceId, ...data, periodInvoicedTo: data.chargesTo, status: 'DRAFT', paymentStatus: 'PENDING', sequentialId: null, organizationSequentialId: null, finalizedAt: null, voidedAt: null, updatedAt: data.createdAt };
    },

    collection: invoices,

    /** Finalizes a draft now (its fees re-read first), with its number. A finalized invoice answers as it is. */
    async finalize(actor: Actor, invoiceId: string): Promise<InvoiceDocument> {
      const doc = await byId(actor.organizationId, invoiceId);
      const position = await refreshDraft(doc, true, actor.actor);
      if (position !== null) await deps.waitForProjections(position, { usage: false });
      return byId(actor.organizationId, invoiceId);
    },

    /** Re-reads a draft's usage. CONFLICT (ILLEGAL_STATE) for a finalized or voided invoice. */
    async refresh(actor: Actor, invoiceId: string): Promise<InvoiceDocument> {
      const doc = await byId(actor.organizationId, invoiceId);
      const position = await refreshDraft(doc, false, actor.actor);
      if (position !== null) await deps.waitForProjections(position, { usage: false });
      return byId(actor.organizationId, invoiceId);
    },

    void: (actor: Actor, invoiceId: string) => simple(actor, invoiceId, () => ({ type: 'VoidInvoice', data: { invoiceId }, metadata: { now: deps.clock.now().toISOString() } })),

    /** Sets a finalized invoice's payment status; a credit invoice's then settles (or fails) its wallet credits. */
    async updatePaymentStatus(actor: Actor, invoiceId: string, paymentStatus: PaymentStatus): Promise<InvoiceDocument> {
      const doc = await simple(actor, invoiceId, () => ({ type: 'UpdateInvoicePaymentStatus', data: { invoiceId, paymentStatus }, metadata: { now: deps.clock.now().toISOString() } }));
      for (const listener of paymentListeners) await listener(actor, doc);
      return doc;
    },

    /** Called after each payment status update (wallets settle their credit invoices' credits). */
    onPaymentUpdated(listener: (actor: Actor, invoice: InvoiceDocument) => Promise<void>): void {
      paymentListeners.push(listener);
    },
  };
}

export type InvoiceService = ReturnType<typeof createInvoiceService>;

import BigNumber from 'bignumber.js';
import { computeTaxes, invoiceTotals, type SubscriptionFeeResult, type TaxRate } from './invoice/index.ts';
import type { TrueUpFee } from './minimumSpend.ts';
import type { ChargeUsage } from './usage/price.ts';
import type { PlanCharge } from '../domain/plan/types.ts';
import type { InvoiceContent, InvoiceCredit, InvoiceFee } from '../domain/invoice/index.ts';

/** One charge of the invoice: its priced usage over the charges window, its taxes, and its minimum-spend true-up. */
export interface ChargeToBill {
  readonly charge: PlanCharge;
  readonly usage: ChargeUsage;
  readonly taxes: readonly TaxRate[];
  readonly trueUp: TrueUpFee | null;
}

export interface InvoiceToAssemble {
  readonly invoiceId: string;
  readonly subscriptionId: string;
  readonly currency: string;
  readonly subscriptionFee: { readonly fee: SubscriptionFeeResult; readonly taxes: readonly TaxRate[]; readonly invoiceDisplayName: string | null } | null;
  readonly charges: readonly ChargeToBill[];
  readonly chargesFrom: string | null;
  readonly chargesTo: string | null;
  readonly commitment: {
    readonly amountCents: BigNumber;
    readonly preciseAmountCents: BigNumber;
    readonly taxes: readonly TaxRate[];
    readonly invoiceDisplayName: string | null;
    readonly from: string;
    readonly to: string;
    readonly details: unknown;
  } | null;
  /** A one-off invoice's add-on fees (§4.7): amount = round(units × unit amount) (ROUND_HALF_UP, as Lago's BigDecimal). */
  readonly addOns?: readonly {
    readonly addOnCode: string;
    readonly units: BigNumber;
    readonly unitAmountCents: BigNumber;
    readonly invoiceDisplayName: string | null;
    readonly description: string | null;
    readonly fromDatetime: string;
    readonly toDatetime: string;
    readonly taxes: readonly TaxRate[];
  }[];
  /**
   * Coupons applied on finalization (`applyCoupons` on this invoice's fees, as first assembled without them): each
   * fee's taxes then apply to its amount minus its coupons' split (§4.4 steps 4–5).
   */
  readonly coupons?: {
    readonly feeCoupons: ReadonlyMap<string, BigNumber>;
    readonly couponsAmountCents: BigNumber;
    readonly credits: readonly { readonly appliedCouponId: string; readonly couponCode: string; readonly amountCents: BigNumber }[];
  };
  /**
   * A credit invoice's one fee (§5.4, Lago's `Fees::PaidCreditService`): the paid credits of a wallet transaction
   * (units) at the wallet's rate, untaxed.
   */
  readonly credit?: { readonly credits: BigNumber; readonly amountCents: BigNumber; readonly rateAmountCents: BigNumber; readonly invoiceDisplayName: string | null; readonly at: string };
  /**
   * What the period's progressive-billing invoice already billed (§4.4 step 3, `progressiveBillingCredit`): taken off
   * before coupons and taxes, each fee's share (`feeCredits`, unrounded cents) counted with its coupons.
   */
  readonly progressive?: {
    readonly amountCents: BigNumber;
    readonly feeCredits: ReadonlyMap<string, BigNumber>;
    readonly credits: readonly { readonly invoiceId: string; readonly amountCents: BigNumber }[];
  };
  /** Prepaid credits of the customer's wallets, after taxes and credit notes (§4.4 step 7), at most what remained. */
  readonly wallets?: {
    readonly amountCents: BigNumber;
    readonly credits: readonly { readonly walletId: string; readonly walletTransactionId: string; readonly amountCents: BigNumber }[];
  };
  /** Credit notes' credit consumed on finalization, after taxes (§4.4 step 6), each at most what remained. */
  readonly creditNotes?: {
    readonly amountCents: BigNumber;
    readonly credits: readonly { readonly creditNoteId: string; readonly creditNoteNumber: string; readonly amountCents: BigNumber }[];
  };
}

const str = (value: BigNumber) => value.toFixed();

/**
 * Lago's "should persist fee" (§2.13): a charge fee with no units, no amount and no events is not kept. The
 * subscription fee and true-ups are always kept.
 */
function kept(fee: { units: BigNumber; amountCents: BigNumber; eventsCount: number }): boolean {
  return !(fee.units.isZero() && fee.amountCents.isZero() && fee.eventsCount === 0);
}

/**
 * An invoice's fees, coupons, taxes, credit notes and totals (§4.4 steps 1, 2, 4–8): the
 * subscription fee, then each charge's fees (one per filter bucket and pricing group) and its true-up, then the
 * minimum commitment true-up; taxes per fee and per invoice; totals. Pure: the audit recomputes with it.
 */
export function assembleInvoice(input: InvoiceToAssemble): Omit<InvoiceContent, 'usagePosition'> {
  type Draft = Omit<InvoiceFee, 'id' | 'taxesAmountCents' | 'taxesRate' | 'appliedTaxes'> & { taxes: readonly TaxRate[]; amount: BigNumber };
  const drafts: Draft[] = [];
  const common = { subscriptionId: input.subscriptionId, amountCurrency: input.currency };
  if (input.subscriptionFee !== null) {
    const { fee, taxes, invoiceDisplayName } = input.subscriptionFee;
    drafts.push({
      ...common,
      feeType: 'SUBSCRIPTION',
      chargeId: null,
      billableMetricCode: null,
      chargeModel: null,
      invoiceDisplayName,
      chargeFilterValues: null,
      groupedBy: {},
      trueUp: false,
      units: str(fee.units),
      eventsCount: 0,
      amountCents: str(fee.amountCents),
      preciseAmountCents: str(fee.preciseAmountCents),
      unitAmountCents: str(fee.amountCents),
      preciseUnitAmount: str(fee.amountCents),
      fromDatetime: fee.fromDatetime,
      toDatetime: fee.toDatetime,
      details: { planAmountCents: str(fee.planAmountCents), days: fee.days, periodDays: fee.periodDays },
      taxes,
      amount: fee.amountCents,
    });
  }
  for (const { charge, usage, taxes, trueUp } of input.charges) {
    const base = {
      ...common,
      feeType: 'CHARGE' as const,
      chargeId: charge.id,
      billableMetricCode: usage.billableMetric.code,
      chargeModel: charge.chargeModel,
      trueUp: false,
      fromDatetime: input.chargesFrom ?? '',
      toDatetime: input.chargesTo ?? '',
      taxes,
    };
    for (const fee of usage.fees) {
      if (!kept(fee)) continue;
      drafts.push({
        ...base,
        invoiceDisplayName: fee.invoiceDisplayName ?? charge.invoiceDisplayName,
        chargeFilterValues: fee.filterValues,
        groupedBy: fee.groupedBy,
        units: str(fee.units),
        eventsCount: fee.eventsCount,
        amountCents: str(fee.amountCents),
        preciseAmountCents: str(fee.preciseAmountCents),
        unitAmountCents: str(fee.unitAmountCents),
        preciseUnitAmount: str(fee.preciseUnitAmount),
        details: fee.details,
        amount: fee.amountCents,
      });
    }
    if (trueUp !== null) {
      drafts.push({
        ...base,
        invoiceDisplayName: charge.invoiceDisplayName,
        chargeFilterValues: null,
        groupedBy: {},
        trueUp: true,
        units: str(trueUp.units),
        eventsCount: 0,
        amountCents: str(trueUp.amountCents),
        preciseAmountCents: str(trueUp.preciseAmountCents),
        unitAmountCents: str(trueUp.unitAmountCents),
        preciseUnitAmount: str(trueUp.unitAmountCents),
        details: { minAmountCents: charge.minAmountCents, proratedMinAmountCents: str(trueUp.proratedMinAmountCents) },
        amount: trueUp.amountCents,
      });
    }
  }
  if (input.commitment !== null) {
    const c = input.commitment;
    drafts.push({
      ...common,
      feeType: 'COMMITMENT',
      chargeId: null,
      billableMetricCode: null,
      chargeModel: null,
      invoiceDisplayName: c.invoiceDisplayName,
      chargeFilterValues: null,
      groupedBy: {},
      trueUp: true,
      units: '1',
      eventsCount: 0,
      amountCents: str(c.amountCents),
      preciseAmountCents: str(c.preciseAmountCents),
      unitAmountCents: str(c.amountCents),
      preciseUnitAmount: str(c.amountCents),
      fromDatetime: c.from,
      toDatetime: c.to,
      details: c.details,
      taxes: c.taxes,
      amount: c.amountCents,
    });
  }
  for (const addOn of input.addOns ?? []) {
    const precise = addOn.units.times(addOn.unitAmountCents);
    const amount = precise.integerValue(BigNumber.ROUND_HALF_UP);
    drafts.push({
      ...common,
      feeType: 'ADD_ON',
      chargeId: null,
      billableMetricCode: null,
      chargeModel: null,
      invoiceDisplayName: addOn.invoiceDisplayName,
      chargeFilterValues: null,
      groupedBy: {},
      trueUp: false,
      units: str(addOn.units),
      eventsCount: 0,
      amountCents: str(amount),
      preciseAmountCents: str(precise),
      unitAmountCents: str(addOn.unitAmountCents),
      preciseUnitAmount: str(addOn.unitAmountCents.shiftedBy(-2)),
      fromDatetime: addOn.fromDatetime,
      toDatetime: addOn.toDatetime,
      details: null,
      addOnCode: addOn.addOnCode,
      description: addOn.description,
      taxes: addOn.taxes,
      amount,
    });
  }
  if (input.credit !== undefined) {
    const c = input.credit;
    drafts.push({
      ...common,
      feeType: 'CREDIT',
      chargeId: null,
      billableMetricCode: null,
      chargeModel: null,
      invoiceDisplayName: c.invoiceDisplayName,
      chargeFilterValues: null,
      groupedBy: {},
      trueUp: false,
      units: str(c.credits),
      eventsCount: 0,
      amountCents: str(c.amountCents),
      preciseAmountCents: str(c.amountCents),
      unitAmountCents: str(c.rateAmountCents),
      preciseUnitAmount: str(c.rateAmountCents.shiftedBy(-2)),
      fromDatetime: c.at,
      toDatetime: c.at,
      details: null,
      taxes: [],
      amount: c.amountCents,
    });
  }
  const withIds = drafts.map((draft, index) => ({ ...draft, id: `${input.invoiceId}/${index + 1}` }));
  const zero = new BigNumber(0);
  const couponOf = (id: string) => (input.coupons?.feeCoupons.get(id) ?? zero).plus(input.progressive?.feeCredits.get(id) ?? zero);
  const couponsAmountCents = input.coupons?.couponsAmountCents ?? zero;
  const progressiveAmountCents = input.progressive?.amountCents ?? zero;
  const discounted = input.coupons !== undefined || input.progressive !== undefined;
  const taxes = computeTaxes(
    withIds.map((fee) => ({ id: fee.id, amountCents: fee.amount, preciseCouponsAmountCents: couponOf(fee.id), taxes: fee.taxes })),
    discounted ? { subTotalExcludingTaxesAmountCents: BigNumber.sum(0, ...withIds.map((f) => f.amount)).minus(couponsAmountCents).minus(progressiveAmountCents) } : {},
  );
  const taxesById = new Map(taxes.fees.map((t) => [t.id, t]));
  const fees: InvoiceFee[] = withIds.map(({ taxes: _taxes, amount: _amount, ...fee }) => {
    const t = taxesById.get(fee.id);
    return {
      ...fee,
      ...(discounted ? { preciseCouponsAmountCents: str(couponOf(fee.id)) } : {}),
      taxesAmountCents: str(t?.taxesAmountCents ?? new BigNumber(0)),
      taxesPreciseAmountCents: str(t?.taxesPreciseAmountCents ?? new BigNumber(0)),
      taxesRate: str(t?.taxesRate ?? new BigNumber(0)),
      appliedTaxes: (t?.appliedTaxes ?? []).map((a) => ({ code: a.code, name: a.name, rate: a.rate, amountCents: str(a.amountCents) })),
    };
  });
  const totals = invoiceTotals({ fees: withIds.map((f) => ({ amountCents: f.amount })), taxesAmountCents: taxes.taxesAmountCents, couponsAmountCents, progressiveBillingCreditAmountCents: progressiveAmountCents, creditNotesAmountCents: input.creditNotes?.amountCents ?? new BigNumber(0), prepaidCreditAmountCents: input.wallets?.amountCents ?? new BigNumber(0) });
  const credits: InvoiceCredit[] = (input.progressive?.credits ?? []).filter((c) => !c.amountCents.isZero()).map((c) => ({ type: 'PROGRESSIVE_BILLING', invoiceId: c.invoiceId, amountCents: str(c.amountCents) }));
  const couponCredits: InvoiceCredit[] = (input.coupons?.credits ?? [])
    .filter((c) => !c.amountCents.isZero())
    .map((c) => ({ type: 'COUPON', appliedCouponId: c.appliedCouponId, couponCode: c.couponCode, amountCents: str(c.amountCents) }));
  credits.push(...couponCredits);
  for (const c of input.creditNotes?.credits ?? []) credits.push({ type: 'CREDIT_NOTE', creditNoteId: c.creditNoteId, creditNoteNumber: c.creditNoteNumber, amountCents: str(c.amountCents) });
  for (const c of input.wallets?.credits ?? []) credits.push({ type: 'WALLET', walletId: c.walletId, walletTransactionId: c.walletTransactionId, amountCents: str(c.amountCents) });
  return {
    ...(input.coupons === undefined && input.creditNotes === undefined && input.wallets === undefined && input.progressive === undefined ? {} : { credits }),
    fees,
    appliedTaxes: taxes.appliedTaxes.map((a) => ({ code: a.code, name: a.name, rate: a.rate, amountCents: str(a.amountCents), feesAmountCents: str(a.feesAmountCents) })),
    totals: {
      feesAmountCents: str(totals.feesAmountCents),
      couponsAmountCents: str(totals.couponsAmountCents),
      ...(input.progressive === undefined ? {} : { progressiveBillingCreditAmountCents: str(totals.progressiveBillingCreditAmountCents) }),
      subTotalExcludingTaxesAmountCents: str(totals.subTotalExcludingTaxesAmountCents),
      taxesAmountCents: str(totals.taxesAmountCents),
      subTotalIncludingTaxesAmountCents: str(totals.subTotalIncludingTaxesAmountCents),
      creditNotesAmountCents: str(totals.creditNotesAmountCents),
      prepaidCreditAmountCents: str(totals.prepaidCreditAmountCents),
      totalAmountCents: str(totals.totalAmountCents),
      taxesRate: str(taxes.taxesRate),
    },
  };
}

import type { DomainEvent } from '../shared/decider.ts';

/** Lago's invoice types this engine issues so far. */
/** Subscription invoices, one-off invoices of add-ons (§4.7), and credit invoices of a wallet's paid credits (§5.4). */
export type InvoiceType = 'SUBSCRIPTION' | 'ONE_OFF' | 'CREDIT' | 'PROGRESSIVE_BILLING';
/** Why a subscription invoice was issued: a period ended, the subscription started (in advance) or was terminated. */
export type InvoiceReason = 'PERIOD_END' | 'SUBSCRIPTION_STARTING' | 'SUBSCRIPTION_TERMINATING' | 'IN_ADVANCE_CHARGE' | 'ONE_OFF' | 'CREDIT' | 'PROGRESSIVE_BILLING';
export type InvoiceStatus = 'DRAFT' | 'FINALIZED' | 'VOIDED';
export type PaymentStatus = 'PENDING' | 'SUCCEEDED' | 'FAILED';
export type FeeType = 'SUBSCRIPTION' | 'CHARGE' | 'COMMITMENT' | 'ADD_ON' | 'CREDIT';

/** A tax applied to a fee or to the invoice; amounts in integer cents (strings). */
export type AppliedTax = { code: string; name: string | null; rate: string; amountCents: string };

/**
 * One fee line as the invoice stores it. Amounts are strings: integer cents, except `precise*` (unrounded cents)
 * and `preciseUnitAmount` (major units).
 */
export type InvoiceFee = {
  id: string;
  feeType: FeeType;
  subscriptionId: string;
  chargeId: string | null;
  billableMetricCode: string | null;
  chargeModel: string | null;
  invoiceDisplayName: string | null;
  /** The charge filter's values; null for the default bucket or a fee without filters. */
  chargeFilterValues: Record<string, string[]> | null;
  groupedBy: Record<string, string | null>;
  /** A per-charge minimum spend true-up fee. */
  trueUp: boolean;
  units: string;
  eventsCount: number;
  amountCents: string;
  preciseAmountCents: string;
  unitAmountCents: string;
  preciseUnitAmount: string;
  amountCurrency: string;
  taxesAmountCents: string;
  /** The fee's unrounded taxes (what wallets cap each fee at, §4.4 step 7). Absent on invoices issued before wallets. */
  taxesPreciseAmountCents?: string;
  taxesRate: string;
  appliedTaxes: AppliedTax[];
  fromDatetime: string;
  toDatetime: string;
  /** The charge model's pricing details (charge fees), or the proration (subscription / commitment fees). */
  details: unknown;
  /** Σ of the coupons' split onto this fee, unrounded cents (its taxes apply to `amountCents` minus this). Absent: 0. */
  preciseCouponsAmountCents?: string;
  /** An add-on fee of a one-off invoice: the add-on's code and the fee's description. */
  addOnCode?: string;
  description?: string | null;
};

/** What reduced a finalized invoice, and by how much (Lago's invoice `credits`): a coupon, or a credit note's credit. */
export type InvoiceCredit =
  | { type: 'COUPON'; appliedCouponId: string; couponCode: string; amountCents: string }
  | { type: 'CREDIT_NOTE'; creditNoteId: string; creditNoteNumber: string; amountCents: string }
  /** What the period's latest progressive-billing invoice already billed (before coupons and taxes, §4.4 step 3). */
  | { type: 'PROGRESSIVE_BILLING'; invoiceId: string; amountCents: string }
  /** Prepaid credits of a wallet (after taxes and credit notes): its outbound transaction on the wallet. */
  | { type: 'WALLET'; walletId: string; walletTransactionId: string; amountCents: string };

export type InvoiceTotals = {
  feesAmountCents: string;
  /** Absent on invoices issued before progressive billing: 0. */
  progressiveBillingCreditAmountCents?: string;
  couponsAmountCents: string;
  subTotalExcludingTaxesAmountCents: string;
  taxesAmountCents: string;
  subTotalIncludingTaxesAmountCents: string;
  creditNotesAmountCents: string;
  prepaidCreditAmountCents: string;
  totalAmountCents: string;
  taxesRate: string;
};

/** What an invoice bills and how much: computed by the billing run, carried by every invoice event that sets it. */
export type InvoiceContent = {
  fees: InvoiceFee[];
  appliedTaxes: (AppliedTax & { feesAmountCents: string })[];
  totals: InvoiceTotals;
  /** The log position up to which the subscription's usage was read: what an audit recomputes from. */
  usagePosition: string;
  /** Coupons applied on finalization (never on a draft, §4.2). Absent: none. */
  credits?: InvoiceCredit[];
};

type Keys = { organizationId: string; invoiceId: string };

/** A usage threshold a progressive-billing invoice was issued for (Lago's `applied_usage_threshold`). */
export type AppliedUsageThreshold = { usageThresholdId: string; amountCents: string; recurring: boolean; thresholdDisplayName: string | null; lifetimeUsageAmountCents: string };

export type InvoiceCreated = DomainEvent<
  'InvoiceCreated',
  Keys &
    InvoiceContent & {
      invoiceType: InvoiceType;
      reason: InvoiceReason;
      customerId: string;
      externalCustomerId: string;
      subscriptionId: string;
      externalSubscriptionId: string;
      planCode: string;
      currency: string;
      /** The billing run's instant (local midnight of the billing day), and that day in the customer's timezone. */
      billingAt: string;
      billingDate: string;
      issuingDate: string;
      paymentDueDate: string;
      netPaymentTerm: number;
      gracePeriodDays: number;
      /** The subscription fee's and the charges' windows (null when the invoice has none of them). */
      subscriptionFeeFrom: string | null;
      subscriptionFeeTo: string | null;
      chargesFrom: string | null;
      chargesTo: string | null;
      /** When a draft (grace period) is finalized by the billing clock; null when created finalized. */
      finalizesAt: string | null;
      /** `<prefix>-DRAFT` until finalized. */
      number: string;
      /** PROGRESSIVE_BILLING: the usage thresholds it was issued for, with the lifetime usage then. */
      appliedUsageThresholds?: AppliedUsageThreshold[];
      /** IN_ADVANCE_CHARGE: the usage event (its transaction id) the invoice bills. */
      triggerTransactionId?: string | null;
      createdAt: string;
    }
>;

/** A draft re-read its usage (a late event, `refreshInvoice`, or just before finalization). */
export type InvoiceRefreshed = DomainEvent<'InvoiceRefreshed', Keys & InvoiceContent & { refreshedAt: string }>;

/**
 * The finalized invoice, complete: every fee line and amount, its number, and the usage position read — what an
 * auditor recomputes and compares.
 */
export type InvoiceFinalized = DomainEvent<
  'InvoiceFinalized',
  Keys &
    InvoiceContent & {
      number: string;
      /** Per customer (1, 2, …) and per organization: the sequences numbers are made from. */
      sequentialId: number;
      organizationSequentialId: number;
      issuingDate: string;
      paymentDueDate: string;
      paymentStatus: PaymentStatus;
      finalizedAt: string;
    }
>;

export type InvoiceVoided = DomainEvent<'InvoiceVoided', Keys & { voidedAt: string }>;

export type InvoicePaymentStatusUpdated = DomainEvent<'InvoicePaymentStatusUpdated', Keys & { paymentStatus: PaymentStatus; updatedAt: string }>;

/**
 * A credit note issued on this invoice (appended with the credit note's creation, in one atomic append: two credit
 * notes at once can never credit a fee beyond its amount).
 */
export type InvoiceCredited = DomainEvent<
  'InvoiceCredited',
  Keys & {
    creditNoteId: string;
    number: string;
    items: { feeId: string; amountCents: string }[];
    totalAmountCents: string;
    creditAmountCents: string;
    refundAmountCents: string;
    offsetAmountCents: string;
    /** The note's taxes, rounded and precise (a later note that credits all that remains gives back the rounding). */
    taxesAmountCents: string;
    preciseTaxesAmountCents: string;
    creditedAt: string;
  }
>;

export type InvoiceEvent = InvoiceCreated | InvoiceRefreshed | InvoiceFinalized | InvoiceVoided | InvoicePaymentStatusUpdated | InvoiceCredited;

export const INVOICE_EVENT_TYPES = ['InvoiceCreated', 'InvoiceRefreshed', 'InvoiceFinalized', 'InvoiceVoided', 'InvoicePaymentStatusUpdated', 'InvoiceCredited'] as const satisfies readonly InvoiceEvent['type'][];

/**
 * A pay-in-advance fee of a non-invoiceable charge (§2.11): computed for one usage event, billed on the period-end
 * invoice of its charges period. Its stream derives from the event and the charge, so it exists once.
 */
export type InAdvanceFeeCreated = DomainEvent<
  'InAdvanceFeeCreated',
  {
    organizationId: string;
    subscriptionId: string;
    externalSubscriptionId: string;
    transactionId: string;
    chargesFrom: string;
    chargesTo: string;
    fee: Omit<InvoiceFee, 'id' | 'taxesAmountCents' | 'taxesRate' | 'appliedTaxes'>;
    createdAt: string;
  }
>;

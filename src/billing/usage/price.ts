import BigNumber from 'bignumber.js';
import { aggregationFor } from '../aggregations/index.ts';
import type { ChargeDetails, ChargeModelName } from '../chargeModels/index.ts';
import type { PlanCharge } from '../../domain/plan/types.ts';
import { priceCharge } from './priceCharge.ts';
import type { PricingMetric, UsageContext, UsageWindow } from './priceCharge.ts';
import type { PeriodBuckets } from './types.ts';

export { priceCharge } from './priceCharge.ts';
export type { PriceChargeInput, PricingMetric, UsageContext, UsageWindow } from './priceCharge.ts';

/** Usage of one charge filter (or of the default bucket: `values` and `invoiceDisplayName` null). */
export type FilterUsage = {
  units: BigNumber;
  totalAggregatedUnits: BigNumber;
  eventsCount: number;
  amountCents: BigNumber;
  invoiceDisplayName: string | null;
  values: Record<string, string[]> | null;
};

/** Usage of one pricing group, across filters. */
export type GroupedUsage = {
  units: BigNumber;
  totalAggregatedUnits: BigNumber;
  eventsCount: number;
  amountCents: BigNumber;
  groupedBy: Record<string, string | null>;
  filters: FilterUsage[];
};

/** Why one fee (filter bucket × pricing group) costs what it does: the charge model's own details. */
export type FeeDetail = {
  filterValues: Record<string, string[]> | null;
  groupedBy: Record<string, string | null>;
  units: string;
  amountCents: string;
  details: ChargeDetails;
};

/** One fee of a charge as an invoice bills it: a filter bucket (or the default one) × a pricing group. */
export type ChargeFee = {
  filterValues: Record<string, string[]> | null;
  /** The filter's display name (null for the default bucket). */
  invoiceDisplayName: string | null;
  groupedBy: Record<string, string | null>;
  units: BigNumber;
  eventsCount: number;
  amountCents: BigNumber;
  preciseAmountCents: BigNumber;
  unitAmountCents: BigNumber;
  preciseUnitAmount: BigNumber;
  details: ChargeDetails;
};

/** One charge's current (or past) usage, Lago's `charges_usage[]` item. */
export type ChargeUsage = {
  units: BigNumber;
  totalAggregatedUnits: BigNumber;
  eventsCount: number;
  amountCents: BigNumber;
  amountCurrency: string;
  charge: { id: string; chargeModel: ChargeModelName; invoiceDisplayName: string | null };
  billableMetric: { id: string; name: string; code: string; aggregationType: string };
  filters: FilterUsage[];
  groupedUsage: GroupedUsage[];
  details: FeeDetail[];
  /** The same fees with every amount an invoice needs (not exposed as current usage). */
  fees: ChargeFee[];
};

/** A tax that applies to a charge's fees: `rate` is a percentage as a decimal string ("20", "5.5"). */
export type TaxRate = { code: string; rate: string };

/** Everything pricing a subscription's usage over one charges period needs, already read. */
export type CustomerUsageInput = {
  currency: string;
  /** The charges period, both bounds inclusive. */
  from: string;
  to: string;
  /** Length in days of the whole charges period (WEIGHTED_SUM divides by it even on a partial period, §9.5). */
  durationDays?: number | undefined;
  /** Current usage (the default) or an invoice: see `UsageContext`. */
  context?: UsageContext | undefined;
  plan: { charges: readonly PlanCharge[] };
  /** Live metrics by code; a charge whose metric is missing or deleted is skipped. */
  metricsByCode: Readonly<Record<string, PricingMetric | undefined>>;
  /** The period's usage document of each metric, by code. */
  documentsByCode: Readonly<Record<string, PeriodBuckets | undefined>>;
  /** Recurring metrics: history + earlier periods' documents of the external subscription id, by code. */
  earlierByCode?: Readonly<Record<string, readonly PeriodBuckets[] | undefined>>;
  /** The taxes of a charge's fees (charge → plan → customer → organization); none when taxes are not applied. */
  taxesFor?: ((charge: PlanCharge) => readonly TaxRate[]) | undefined;
};

/** Lago's `customer_usage` (without `issuing_date`, which depends on the caller's calendar). */
export type CustomerUsage = {
  fromDatetime: string;
  toDatetime: string;
  currency: string;
  amountCents: BigNumber;
  taxesAmountCents: BigNumber;
  totalAmountCents: BigNumber;
  chargesUsage: ChargeUsage[];
  /**
   * Each charge fee with its own taxes (rounded per fee, as Lago's `Fees::ApplyTaxesService`) and whether the charge
   * is paid in advance: what a wallet's ongoing balance deducts (§5.4). Not exposed as current usage; computed only
   * when asked (current usage queries and live pushes never pay for it).
   */
  walletFees(): { billableMetricCode: string; amountCents: BigNumber; taxesAmountCents: BigNumber; payInAdvance: boolean }[];
};

function own<T>(record: Readonly<Record<string, T | undefined>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

/**
 * Unrounded tax cents of a charge: Σ over its fees and taxes of `fee.amountCents × rate / 100` (§4.4 step 5),
 * which is the charge's amount × Σ rates / 100 since the fees sum to it.
 */
function chargeTaxes(usage: ChargeUsage, taxes: readonly TaxRate[]): BigNumber {
  return BigNumber.sum(0, ...taxes.map((tax) => usage.amountCents.times(tax.rate).shiftedBy(-2)));
}

/**
 * Prices a subscription's usage of one charges period (Lago's current usage, §6.1): every charge of the plan
 * whose metric is live, priced from the usage documents; no subscription fee, coupons, true-up or wallets.
 * Taxes as an invoice computes them: unrounded per fee and tax, rounded ROUND_HALF_UP once on their sum.
 */
export function priceCustomerUsage(input: CustomerUsageInput): CustomerUsage {
  const window: UsageWindow = { from: input.from, to: input.to, durationDays: input.durationDays, context: input.context };
  const chargesUsage: ChargeUsage[] = [];
  const taxed: { code: string; usage: ChargeUsage; rates: readonly TaxRate[]; payInAdvance: boolean }[] = [];
  let taxes = new BigNumber(0);
  for (const charge of input.plan.charges) {
    const code = charge.billableMetricCode;
    const metric = own(input.metricsByCode, code);
    if (metric === undefined || (metric.deletedAt ?? null) !== null || aggregationFor(metric.aggregationType) === undefined) continue;
    const usage = priceCharge({
      charge,
      metric,
      document: own(input.documentsByCode, code),
      earlier: own(input.earlierByCode, code),
      currency: input.currency,
      window,
    });
    chargesUsage.push(usage);
    const rates = input.taxesFor?.(charge) ?? [];
    taxes = taxes.plus(chargeTaxes(usage, rates));
    taxed.push({ code, usage, rates, payInAdvance: charge.payInAdvance === true });
  }
  const amountCents = BigNumber.sum(0, ...chargesUsage.map((c) => c.amountCents));
  const taxesAmountCents = taxes.integerValue(BigNumber.ROUND_HALF_UP);
  return {
    fromDatetime: input.from,
    toDatetime: input.to,
    currency: input.currency,
    amountCents,
    taxesAmountCents,
    totalAmountCents: amountCents.plus(taxesAmountCents),
    chargesUsage,
    walletFees: () =>
      taxed.flatMap(({ code, usage, rates, payInAdvance }) =>
        usage.fees.map((fee) => ({
          billableMetricCode: code,
          amountCents: fee.amountCents,
          taxesAmountCents: BigNumber.sum(0, ...rates.map((tax) => fee.amountCents.times(tax.rate).shiftedBy(-2))).integerValue(BigNumber.ROUND_HALF_UP),
          payInAdvance,
        })),
      ),
  };
}

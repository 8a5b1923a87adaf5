import type { ChargeModelName, ChargePropertiesByModel } from '../../billing/chargeModels/types.ts';

export type { ChargeModelName } from '../../billing/chargeModels/types.ts';

/** Billing intervals of a plan (Lago's `interval`, upper case). */
export const PLAN_INTERVALS = ['WEEKLY', 'MONTHLY', 'QUARTERLY', 'SEMIANNUAL', 'YEARLY'] as const;
export type PlanInterval = (typeof PLAN_INTERVALS)[number];

export const CHARGE_MODELS: readonly ChargeModelName[] = ['STANDARD', 'GRADUATED', 'GRADUATED_PERCENTAGE', 'PACKAGE', 'PERCENTAGE', 'VOLUME', 'DYNAMIC'];

/** The properties of any charge model, as stored (validated, with exactly the keys the model accepts). */
export type ChargeProperties = ChargePropertiesByModel[ChargeModelName];

/** A charge filter: event property key → accepted values (or `['__ALL_FILTER_VALUES__']`), its own properties. */
export type PlanChargeFilter = {
  invoiceDisplayName: string | null;
  values: Record<string, string[]>;
  properties: ChargeProperties;
};

export type PlanCharge = {
  id: string;
  billableMetricId: string;
  billableMetricCode: string;
  chargeModel: ChargeModelName;
  properties: ChargeProperties;
  filters: PlanChargeFilter[];
  payInAdvance: boolean;
  prorated: boolean;
  invoiceable: boolean;
  /** Integer cents, as a string; "0" when no minimum. */
  minAmountCents: string;
  taxCodes: string[];
  invoiceDisplayName: string | null;
};

export type MinimumCommitment = { amountCents: string; invoiceDisplayName: string | null; taxCodes: string[] };

export type UsageThreshold = { amountCents: string; thresholdDisplayName: string | null; recurring: boolean };

/** A plan as events carry it and the read model stores it (without ids and timestamps). */
export type PlanDefinition = {
  code: string;
  name: string;
  description: string | null;
  invoiceDisplayName: string | null;
  interval: PlanInterval;
  /** Integer cents, as a string. */
  amountCents: string;
  amountCurrency: string;
  payInAdvance: boolean;
  /** Days; decimals allowed. */
  trialPeriod: number;
  billChargesMonthly: boolean | null;
  taxCodes: string[];
  minimumCommitment: MinimumCommitment | null;
  usageThresholds: UsageThreshold[];
  charges: PlanCharge[];
};

/** A billable metric as the application looks it up (`billableMetrics` read model) and hands it to the decider. */
export type MetricRef = {
  id: string;
  code: string;
  /** Upper case: COUNT, SUM, MAX, UNIQUE_COUNT, WEIGHTED_SUM, LATEST, CUSTOM. */
  aggregationType: string;
  recurring: boolean;
  filters: readonly { key: string; values: readonly string[] }[];
};

/** What the decider needs from other aggregates: metrics by code, and the organization's live tax codes. */
export type PlanLookups = {
  metrics: Readonly<Record<string, MetricRef>>;
  taxCodes: readonly string[];
};

/** Inputs as they arrive (GraphQL or another caller): optional fields may be absent or null. */
export type ChargeFilterInput = { invoiceDisplayName?: string | null; values: unknown; properties?: unknown };

export type ChargeInput = {
  id?: string | null;
  billableMetricCode: string;
  chargeModel: ChargeModelName;
  properties?: unknown;
  filters?: readonly ChargeFilterInput[] | null;
  payInAdvance?: boolean | null;
  prorated?: boolean | null;
  invoiceable?: boolean | null;
  minAmountCents?: string | null;
  taxCodes?: readonly string[] | null;
  invoiceDisplayName?: string | null;
};

export type MinimumCommitmentInput = { amountCents: string; invoiceDisplayName?: string | null; taxCodes?: readonly string[] | null };
export type UsageThresholdInput = { amountCents: string; thresholdDisplayName?: string | null; recurring?: boolean | null };

export type PlanInput = {
  code: string;
  name: string;
  description?: string | null;
  invoiceDisplayName?: string | null;
  interval: PlanInterval;
  amountCents: string;
  amountCurrency: string;
  payInAdvance?: boolean | null;
  trialPeriod?: number | null;
  billChargesMonthly?: boolean | null;
  taxCodes?: readonly string[] | null;
  minimumCommitment?: MinimumCommitmentInput | null;
  usageThresholds?: readonly UsageThresholdInput[] | null;
  charges?: readonly ChargeInput[] | null;
};

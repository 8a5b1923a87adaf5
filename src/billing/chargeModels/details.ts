/** `details` of each charge model: why the amount is what it is. Every amount and unit is a decimal string. */

/** One graduated tier that was entered. `total = perUnitTotalAmount + flatAmount`. */
export interface TierDetail {
  readonly fromValue: string;
  readonly toValue: string | null;
  readonly units: string;
  /** "0" when the tier holds no units, as Lago reports it. */
  readonly perUnitAmount: string;
  readonly perUnitTotalAmount: string;
  readonly flatAmount: string;
  readonly total: string;
}

export interface StandardDetails {
  readonly model: 'STANDARD';
  readonly units: string;
  readonly perUnitAmount: string;
  readonly total: string;
}

export interface GraduatedDetails {
  readonly model: 'GRADUATED';
  /** Every range starts where the previous ends (0–0.1, 0.1–1): no "+1" between tiers. */
  readonly adjacentRanges: boolean;
  readonly tiers: readonly TierDetail[];
}

export interface GraduatedPercentageTierDetail extends Omit<TierDetail, 'perUnitAmount'> {
  readonly rate: string;
}

export interface GraduatedPercentageDetails {
  readonly model: 'GRADUATED_PERCENTAGE';
  readonly tiers: readonly GraduatedPercentageTierDetail[];
}

export interface PackageDetails {
  readonly model: 'PACKAGE';
  readonly units: string;
  readonly freeUnits: string;
  readonly paidUnits: string;
  readonly packageSize: string;
  readonly packages: string;
  readonly perPackageAmount: string;
  readonly total: string;
}

export interface VolumeDetails {
  readonly model: 'VOLUME';
  /** The units that chose the tier (full units when prorated). */
  readonly tierUnits: string;
  readonly tier: { readonly fromValue: string; readonly toValue: string | null } | null;
  readonly units: string;
  readonly perUnitAmount: string;
  readonly perUnitTotalAmount: string;
  readonly flatAmount: string;
  readonly total: string;
}

/** One event of a percentage charge with per-transaction min/max. */
export interface TransactionDetail {
  readonly value: string;
  /** The part of the value the rate applied to, after free units. */
  readonly paidValue: string;
  readonly free: boolean;
  /** `paidValue × rate / 100 + fixedAmount`, before clamping. */
  readonly rawAmount: string;
  readonly clampedTo: 'MIN' | 'MAX' | null;
  readonly amount: string;
}

export interface PercentageDetails {
  readonly model: 'PERCENTAGE';
  readonly units: string;
  readonly freeUnits: string;
  readonly paidUnits: string;
  readonly freeEvents: string;
  readonly paidEvents: string;
  readonly rate: string;
  readonly percentageAmount: string;
  readonly fixedFeeUnitAmount: string;
  readonly fixedFeeTotalAmount: string;
  /** Per-transaction total minus `percentageAmount + fixedFeeTotalAmount`; "0" without min/max. */
  readonly minMaxAdjustmentTotalAmount: string;
  readonly transactions: readonly TransactionDetail[] | null;
  readonly total: string;
}

export interface DynamicDetails {
  readonly model: 'DYNAMIC';
  readonly preciseTotalAmountCents: string;
  readonly subunitToUnit: string;
  readonly total: string;
}

/** One tier of a prorated graduated charge: full units decide the tier, prorated units are priced. */
export interface ProratedTierDetail {
  readonly fromValue: string;
  readonly toValue: string | null;
  /** Net full units that moved through this tier. */
  readonly fullUnits: string;
  readonly proratedUnits: string;
  readonly perUnitAmount: string;
  readonly perUnitTotalAmount: string;
  /** Owed when the period's highest full usage reached this tier. */
  readonly flatAmount: string;
}

export interface ProratedGraduatedDetails {
  readonly model: 'PRORATED_GRADUATED';
  readonly totalFullUnits: string;
  readonly maxFullUnits: string;
  readonly tiers: readonly ProratedTierDetail[];
  /** Σ per-unit totals, floored at 0. */
  readonly unitsAmount: string;
  readonly flatAmount: string;
  readonly total: string;
}

export type ChargeDetails =
  | StandardDetails
  | GraduatedDetails
  | GraduatedPercentageDetails
  | PackageDetails
  | VolumeDetails
  | PercentageDetails
  | DynamicDetails
  | ProratedGraduatedDetails;

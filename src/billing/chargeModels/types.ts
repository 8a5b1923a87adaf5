import type BigNumber from 'bignumber.js';
import type { DecimalInput } from '../money.ts';
import type { ChargeDetails } from './details.ts';

export type { ChargeDetails } from './details.ts';

/** The charge models a charge can declare (Lago's `charge_model`, upper case). */
export type ChargeModelName = 'STANDARD' | 'GRADUATED' | 'GRADUATED_PERCENTAGE' | 'PACKAGE' | 'PERCENTAGE' | 'VOLUME' | 'DYNAMIC';

/** What an aggregation hands to a charge model. Only `units` is always needed; each model says what else. */
export interface ChargeInput {
  /** The aggregation after the metric's rounding (prorated for prorated charges). */
  readonly units: BigNumber;
  /** Non-prorated units; set only by prorated aggregations. Divides `unitAmount`, picks the volume tier. */
  readonly fullUnits?: BigNumber | undefined;
  /** Lago's `count`: number of events (for unique_count, the aggregation itself). Percentage fixed fees. */
  readonly count?: BigNumber | undefined;
  /** One value per event in ingestion order: percentage per-transaction min/max, prorated graduated. */
  readonly perEventValues?: readonly BigNumber[] | undefined;
  /** Prorated value of each event, same order as `perEventValues` (prorated graduated). */
  readonly perEventProratedValues?: readonly BigNumber[] | undefined;
  /** Cumulative event values built by the aggregator when percentage free units are set. */
  readonly runningTotal?: readonly BigNumber[] | undefined;
  /** Σ of the events' `precise_total_amount_cents` (dynamic). */
  readonly preciseTotalAmountCents?: BigNumber | undefined;
  /** Pay-in-advance "before this event" computation: flat fees are not owed at zero units. */
  readonly excludeEvent?: boolean | undefined;
}

/** What a charge model needs to know besides units and properties. */
export interface ChargeContext {
  readonly currency: string;
}

/** Properties every model accepts: price each combination of these event properties separately. */
export interface BaseProperties {
  readonly pricingGroupKeys?: readonly string[] | null;
}

/** A tier bound: number or decimal string; `toValue: null` means unbounded. */
export type Bound = number | string;

export interface StandardProperties extends BaseProperties {
  readonly amount: string;
}

export interface GraduatedRange {
  readonly fromValue: Bound;
  readonly toValue: Bound | null;
  readonly perUnitAmount: string;
  readonly flatAmount: string;
}

export interface GraduatedProperties extends BaseProperties {
  readonly graduatedRanges: readonly GraduatedRange[];
}

export interface GraduatedPercentageRange {
  readonly fromValue: Bound;
  readonly toValue: Bound | null;
  /** A percent: "1" is 1 %. */
  readonly rate: string;
  readonly flatAmount: string;
}

export interface GraduatedPercentageProperties extends BaseProperties {
  readonly graduatedPercentageRanges: readonly GraduatedPercentageRange[];
}

export interface VolumeProperties extends BaseProperties {
  readonly volumeRanges: readonly GraduatedRange[];
}

export interface PackageProperties extends BaseProperties {
  /** Price of one package. */
  readonly amount: string;
  readonly packageSize: DecimalInput;
  readonly freeUnits?: DecimalInput | null;
}

export interface PercentageProperties extends BaseProperties {
  /** A percent: "1.3" is 1.3 %. */
  readonly rate: string;
  /** Charged per paying event. */
  readonly fixedAmount?: string | null;
  /** The first N events are free. */
  readonly freeUnitsPerEvents?: DecimalInput | null;
  /** The first X units (summed over events) are free. */
  readonly freeUnitsPerTotalAggregation?: string | null;
  readonly perTransactionMinAmount?: string | null;
  readonly perTransactionMaxAmount?: string | null;
}

export type DynamicProperties = BaseProperties;

/** Properties of each model, by name. */
export interface ChargePropertiesByModel {
  STANDARD: StandardProperties;
  GRADUATED: GraduatedProperties;
  GRADUATED_PERCENTAGE: GraduatedPercentageProperties;
  PACKAGE: PackageProperties;
  PERCENTAGE: PercentageProperties;
  VOLUME: VolumeProperties;
  DYNAMIC: DynamicProperties;
}

/** A charge model's answer. `amount` is in major units and unrounded: rounding happens once, on the fee. */
export interface ChargeResult {
  readonly amount: BigNumber;
  readonly unitAmount: BigNumber;
  /** The units priced (`input.units`). */
  readonly units: BigNumber;
  /** `input.fullUnits`, passed through: a prorated fee displays the non-prorated units. */
  readonly fullUnits?: BigNumber | undefined;
  readonly details: ChargeDetails;
}

/** A pure charge model. */
export type ChargeModel<P> = (input: ChargeInput, properties: P, context: ChargeContext) => ChargeResult;

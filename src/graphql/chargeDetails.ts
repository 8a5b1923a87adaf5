import type {
  ChargeDetails,
  DynamicDetails,
  GraduatedDetails,
  GraduatedPercentageDetails,
  GraduatedPercentageTierDetail,
  PackageDetails,
  PercentageDetails,
  ProratedGraduatedDetails,
  ProratedTierDetail,
  StandardDetails,
  TierDetail,
  TransactionDetail,
  VolumeDetails,
} from '../billing/chargeModels/details.ts';
import type { FeeDetail as FeeDetailData } from '../billing/usage/price.ts';
import { builder } from './builder.ts';
import { ChargeFilterValueRef, filterValueList, groupValueList, PricingGroupValueRef } from './chargeOutputs.ts';

// The charge models' `details` (src/billing/chargeModels/details.ts), typed: one object per model, a union over them
// told apart by `model`. Every amount and unit is a decimal string, as in the JSON form.

type Strings<T> = { [K in keyof T]: T[K] extends string ? K : never }[keyof T] & string;
type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;
type Fields<T> = PothosSchemaTypes.ObjectFieldBuilder<Types, T>;

/** Exposes the (always set) string fields `keys` of a details object. */
function strings<T>(t: Fields<T>, keys: readonly Strings<T>[]) {
  return Object.fromEntries(keys.map((key) => [key, t.string({ resolve: (d) => String(d[key]) })]));
}

const TierDetailRef = builder.objectRef<TierDetail>('TierDetail').implement({
  description: 'One GRADUATED tier entered: `total = perUnitTotalAmount + flatAmount`.',
  fields: (t) => ({
    ...strings<TierDetail>(t, ['fromValue', 'units', 'perUnitAmount', 'perUnitTotalAmount', 'flatAmount', 'total']),
    toValue: t.exposeString('toValue', { nullable: true }),
  }),
});

const GraduatedPercentageTierRef = builder.objectRef<GraduatedPercentageTierDetail>('GraduatedPercentageTierDetail').implement({
  fields: (t) => ({
    ...strings<GraduatedPercentageTierDetail>(t, ['fromValue', 'units', 'rate', 'perUnitTotalAmount', 'flatAmount', 'total']),
    toValue: t.exposeString('toValue', { nullable: true }),
  }),
});

const ProratedTierRef = builder.objectRef<ProratedTierDetail>('ProratedTierDetail').implement({
  description: 'One tier of a prorated GRADUATED charge: full units decide the tier, prorated units are priced.',
  fields: (t) => ({
    ...strings<ProratedTierDetail>(t, ['fromValue', 'fullUnits', 'proratedUnits', 'perUnitAmount', 'perUnitTotalAmount', 'flatAmount']),
    toValue: t.exposeString('toValue', { nullable: true }),
  }),
});

const VolumeTierRef = builder.objectRef<NonNullable<VolumeDetails['tier']>>('VolumeTier').implement({
  fields: (t) => ({ fromValue: t.exposeString('fromValue'), toValue: t.exposeString('toValue', { nullable: true }) }),
});

const ClampedTo = builder.enumType('TransactionClamp', { values: ['MIN', 'MAX'] as const });

const TransactionRef = builder.objectRef<TransactionDetail>('TransactionDetail').implement({
  description: 'One event of a PERCENTAGE charge with per-transaction min/max.',
  fields: (t) => ({
    ...strings<TransactionDetail>(t, ['value', 'paidValue', 'rawAmount', 'amount']),
    free: t.exposeBoolean('free'),
    clampedTo: t.field({ type: ClampedTo, nullable: true, resolve: (d) => d.clampedTo }),
  }),
});

const model = <T extends { model: string }>(t: Fields<T>) => t.string({ description: 'The charge model (PRORATED_GRADUATED for a prorated GRADUATED charge).', resolve: (d) => d.model });

const Standard = builder.objectRef<StandardDetails>('StandardDetails').implement({
  fields: (t) => ({ model: model(t), ...strings<StandardDetails>(t, ['units', 'perUnitAmount', 'total']) }),
});
const Graduated = builder.objectRef<GraduatedDetails>('GraduatedDetails').implement({
  fields: (t) => ({
    model: model(t),
    adjacentRanges: t.exposeBoolean('adjacentRanges', { description: 'Every range starts where the previous ends (no "+1" between tiers).' }),
    tiers: t.field({ type: [TierDetailRef], resolve: (d) => [...d.tiers] }),
  }),
});
const GraduatedPercentage = builder.objectRef<GraduatedPercentageDetails>('GraduatedPercentageDetails').implement({
  fields: (t) => ({ model: model(t), tiers: t.field({ type: [GraduatedPercentageTierRef], resolve: (d) => [...d.tiers] }) }),
});
const Package = builder.objectRef<PackageDetails>('PackageDetails').implement({
  fields: (t) => ({
    model: model(t),
    ...strings<PackageDetails>(t, ['units', 'freeUnits', 'paidUnits', 'packageSize', 'packages', 'perPackageAmount', 'total']),
  }),
});
const Volume = builder.objectRef<VolumeDetails>('VolumeDetails').implement({
  fields: (t) => ({
    model: model(t),
    ...strings<VolumeDetails>(t, ['tierUnits', 'units', 'perUnitAmount', 'perUnitTotalAmount', 'flatAmount', 'total']),
    tier: t.field({ type: VolumeTierRef, nullable: true, resolve: (d) => d.tier }),
  }),
});
const Percentage = builder.objectRef<PercentageDetails>('PercentageDetails').implement({
  fields: (t) => ({
    model: model(t),
    ...strings<PercentageDetails>(t, [
      'units', 'freeUnits', 'paidUnits', 'freeEvents', 'paidEvents', 'rate', 'percentageAmount', 'fixedFeeUnitAmount', 'fixedFeeTotalAmount',
      'minMaxAdjustmentTotalAmount', 'total',
    ]),
    transactions: t.field({ type: [TransactionRef], nullable: true, description: 'Per event, with per-transaction min/max only.', resolve: (d) => (d.transactions ? [...d.transactions] : null) }),
  }),
});
const Dynamic = builder.objectRef<DynamicDetails>('DynamicDetails').implement({
  fields: (t) => ({ model: model(t), ...strings<DynamicDetails>(t, ['preciseTotalAmountCents', 'subunitToUnit', 'total']) }),
});
const ProratedGraduated = builder.objectRef<ProratedGraduatedDetails>('ProratedGraduatedDetails').implement({
  fields: (t) => ({
    model: model(t),
    ...strings<ProratedGraduatedDetails>(t, ['totalFullUnits', 'maxFullUnits', 'unitsAmount', 'flatAmount', 'total']),
    tiers: t.field({ type: [ProratedTierRef], resolve: (d) => [...d.tiers] }),
  }),
});

const BY_MODEL = {
  STANDARD: Standard,
  GRADUATED: Graduated,
  GRADUATED_PERCENTAGE: GraduatedPercentage,
  PACKAGE: Package,
  VOLUME: Volume,
  PERCENTAGE: Percentage,
  DYNAMIC: Dynamic,
  PRORATED_GRADUATED: ProratedGraduated,
} as const;

export const ChargeModelDetails = builder.unionType('ChargeModelDetails', {
  description: 'Why a charge fee costs what it does, per charge model (tiers, packages, free units, transactions…).',
  types: Object.values(BY_MODEL),
  resolveType: (details) => BY_MODEL[(details as ChargeDetails).model],
});

/** A charge fee's `details` when they are a charge model's (they carry its `model`), else null (other fees). */
export function chargeModelDetailsOf(details: unknown): ChargeDetails | null {
  if (typeof details !== 'object' || details === null) return null;
  const named = (details as { model?: unknown }).model;
  return typeof named === 'string' && Object.hasOwn(BY_MODEL, named) ? (details as ChargeDetails) : null;
}

export const FeeDetailRef = builder.objectRef<FeeDetailData>('ChargeFeeDetail').implement({
  description: 'One fee of a charge (filter bucket × pricing group) and its charge model’s details.',
  fields: (t) => ({
    filterValues: t.field({ type: [ChargeFilterValueRef], nullable: true, description: 'The filter’s keys and values; null for the default bucket.', resolve: (f) => filterValueList(f.filterValues) }),
    groupedBy: t.field({ type: [PricingGroupValueRef], description: 'The pricing group (empty when not grouped).', resolve: (f) => groupValueList(f.groupedBy) }),
    units: t.exposeString('units'),
    amountCents: t.exposeString('amountCents'),
    details: t.field({ type: ChargeModelDetails, resolve: (f) => f.details }),
  }),
});

import BigNumber from 'bignumber.js';
import type { ChargeProperties as StoredProperties } from '../domain/plan/index.ts';
import { builder } from './builder.ts';

// Typed twins of the JSON outputs whose shape is fixed: a charge's properties, a filter's values, a pricing group.

/** The deprecation of a JSON field (input or output) that has a typed twin. */
export const UNTYPED = (twin: string) => `Untyped JSON: use ${twin}, the same value typed.`;

/** A stored quantity or amount as a decimal string: strings as given, numbers (JSON input) without exponent. */
function decimalText(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return typeof value === 'number' ? new BigNumber(value).toFixed() : String(value);
}

type StoredRange = { fromValue: unknown; toValue: unknown; perUnitAmount?: unknown; rate?: unknown; flatAmount: unknown };
type Props = Record<string, unknown>;

function rangeObject(name: string, description: string, price: 'perUnitAmount' | 'rate') {
  return builder.objectRef<StoredRange>(name).implement({
    description,
    fields: (t) => ({
      fromValue: t.string({ description: 'Decimal string.', resolve: (r) => decimalText(r.fromValue) ?? '0' }),
      toValue: t.string({ nullable: true, description: 'Decimal string; null on the last, unbounded range.', resolve: (r) => decimalText(r.toValue) }),
      ...(price === 'rate'
        ? { rate: t.string({ description: 'Percent, decimal string.', resolve: (r) => decimalText(r.rate) ?? '0' }) }
        : { perUnitAmount: t.string({ description: 'Major units, decimal string.', resolve: (r) => decimalText(r.perUnitAmount) ?? '0' }) }),
      flatAmount: t.string({ description: 'Major units, decimal string.', resolve: (r) => decimalText(r.flatAmount) ?? '0' }),
    }),
  });
}

const GraduatedRange = rangeObject('GraduatedRange', 'A GRADUATED tier.', 'perUnitAmount');
const VolumeRange = rangeObject('VolumeRange', 'A VOLUME tier.', 'perUnitAmount');
const GraduatedPercentageRange = rangeObject('GraduatedPercentageRange', 'A GRADUATED_PERCENTAGE tier.', 'rate');

const ranges = (value: unknown): StoredRange[] | null => (Array.isArray(value) ? (value as StoredRange[]) : null);

/** A charge model's properties as stored, typed: the model's own fields are set, every other one is null. */
export const ChargePropertiesRef = builder.objectRef<StoredProperties>('ChargeProperties').implement({
  description: 'A charge model’s properties, typed (the fields of ChargePropertiesInput): those of the charge’s model are set, others null.',
  fields: (t) => {
    const text = (key: string, description?: string) =>
      t.string({ nullable: true, ...(description ? { description } : {}), resolve: (p) => decimalText((p as Props)[key]) });
    return {
      amount: text('amount', 'STANDARD: per unit; PACKAGE: per package. Major units.'),
      graduatedRanges: t.field({ type: [GraduatedRange], nullable: true, resolve: (p) => ranges((p as Props).graduatedRanges) }),
      graduatedPercentageRanges: t.field({ type: [GraduatedPercentageRange], nullable: true, resolve: (p) => ranges((p as Props).graduatedPercentageRanges) }),
      volumeRanges: t.field({ type: [VolumeRange], nullable: true, resolve: (p) => ranges((p as Props).volumeRanges) }),
      packageSize: text('packageSize'),
      freeUnits: text('freeUnits'),
      rate: text('rate', 'PERCENTAGE: percent.'),
      fixedAmount: text('fixedAmount'),
      freeUnitsPerEvents: text('freeUnitsPerEvents'),
      freeUnitsPerTotalAggregation: text('freeUnitsPerTotalAggregation'),
      perTransactionMinAmount: text('perTransactionMinAmount'),
      perTransactionMaxAmount: text('perTransactionMaxAmount'),
      pricingGroupKeys: t.stringList({ nullable: true, resolve: (p) => ((p as Props).pricingGroupKeys as string[] | null | undefined) ?? null }),
    };
  },
});

type FilterValue = { key: string; values: readonly string[] };

export const ChargeFilterValueRef = builder.objectRef<FilterValue>('ChargeFilterValue').implement({
  description: 'One key of a charge filter and the values it matches (["__ALL_FILTER_VALUES__"]: any the metric declares).',
  fields: (t) => ({ key: t.exposeString('key'), values: t.stringList({ resolve: (v) => [...v.values] }) }),
});

/** `{key: [values]}` as a list of `ChargeFilterValue`, in key order; `null` stays null (the default bucket). */
export function filterValueList(values: Readonly<Record<string, readonly string[]>>): FilterValue[];
export function filterValueList(values: Readonly<Record<string, readonly string[]>> | null): FilterValue[] | null;
export function filterValueList(values: Readonly<Record<string, readonly string[]>> | null): FilterValue[] | null {
  return values === null ? null : Object.entries(values).map(([key, list]) => ({ key, values: list }));
}

type GroupValue = { key: string; value: string | null };

export const PricingGroupValueRef = builder.objectRef<GroupValue>('PricingGroupValue').implement({
  description: 'One pricing group key (`pricingGroupKeys`) and the event property value of the group (null when missing).',
  fields: (t) => ({ key: t.exposeString('key'), value: t.exposeString('value', { nullable: true }) }),
});

/** `{key: value}` of a pricing group as a list of `PricingGroupValue` (empty when not grouped). */
export function groupValueList(groupedBy: Readonly<Record<string, string | null>>): GroupValue[] {
  return Object.entries(groupedBy).map(([key, value]) => ({ key, value }));
}

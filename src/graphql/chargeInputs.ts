import type { ChargeFilterInput as DomainFilterInput } from '../domain/plan/index.ts';
import { ValidationError } from '../domain/shared/errors.ts';
import { LIST_LIMITS, tooMany } from '../domain/shared/limits.ts';
import { builder } from './builder.ts';

// Typed inputs for what `properties: JSON` and a filter's `values: JSON` carry, so that generated clients get types.
// One input object covers every charge model (Lago's own GraphQL `PropertiesInput` does the same): its fields are the
// JSON form's keys, so a typed value maps to the JSON one by dropping unset fields, and the domain's per-model rules
// then refuse a field the model does not take. Money, rates and quantities are decimal strings (never Float).

const DECIMAL = 'decimal string.';

function rangeInput(name: string, description: string, price: 'perUnitAmount' | 'rate') {
  return builder.inputType(name, {
    description,
    fields: (t) => ({
      fromValue: t.string({ required: true, description: 'Decimal string: where the range starts.' }),
      toValue: t.string({ description: 'Decimal string; omit (or null) on the last, unbounded range.' }),
      ...(price === 'rate'
        ? { rate: t.string({ required: true, description: 'Percent, decimal string ("1" is 1 %).' }) }
        : { perUnitAmount: t.string({ required: true, description: 'Major units, decimal string.' }) }),
      flatAmount: t.string({ required: true, description: 'Major units, decimal string.' }),
    }),
  });
}

const GraduatedRangeInput = rangeInput('GraduatedRangeInput', 'A GRADUATED tier (Lago `graduated_ranges[]`).', 'perUnitAmount');
const VolumeRangeInput = rangeInput('VolumeRangeInput', 'A VOLUME tier (Lago `volume_ranges[]`).', 'perUnitAmount');
const GraduatedPercentageRangeInput = rangeInput('GraduatedPercentageRangeInput', 'A GRADUATED_PERCENTAGE tier (Lago `graduated_percentage_ranges[]`).', 'rate');

export const ChargePropertiesInput = builder.inputType('ChargePropertiesInput', {
  description:
    'A charge model’s properties, typed: set the fields of the charge’s model only (camelCase of Lago’s), unset ones are left out. STANDARD: amount. GRADUATED: graduatedRanges. GRADUATED_PERCENTAGE: graduatedPercentageRanges. VOLUME: volumeRanges. PACKAGE: amount, packageSize, freeUnits. PERCENTAGE: rate, fixedAmount, freeUnitsPerEvents, freeUnitsPerTotalAggregation, perTransactionMinAmount, perTransactionMaxAmount. Every model: pricingGroupKeys. A field of another model is a VALIDATION error naming it.',
  fields: (t) => ({
    amount: t.string({ description: `STANDARD: per unit; PACKAGE: per package. Major units, ${DECIMAL}` }),
    graduatedRanges: t.field({ type: [GraduatedRangeInput] }),
    graduatedPercentageRanges: t.field({ type: [GraduatedPercentageRangeInput] }),
    volumeRanges: t.field({ type: [VolumeRangeInput] }),
    packageSize: t.string({ description: `PACKAGE: units per package, > 0. ${DECIMAL}` }),
    freeUnits: t.string({ description: `PACKAGE: units free before the first package. ${DECIMAL}` }),
    rate: t.string({ description: 'PERCENTAGE: percent, decimal string ("1.3" is 1.3 %).' }),
    fixedAmount: t.string({ description: `PERCENTAGE: per paying event. Major units, ${DECIMAL}` }),
    freeUnitsPerEvents: t.string({ description: 'PERCENTAGE: the first N events are free. Integer, as a string.' }),
    freeUnitsPerTotalAggregation: t.string({ description: `PERCENTAGE: the first units summed over events are free. ${DECIMAL}` }),
    perTransactionMinAmount: t.string({ description: `PERCENTAGE: least billed per event. Major units, ${DECIMAL}` }),
    perTransactionMaxAmount: t.string({ description: `PERCENTAGE: most billed per event, ≥ the min. Major units, ${DECIMAL}` }),
    pricingGroupKeys: t.stringList({ description: 'Event property names: each combination of their values is priced on its own.' }),
  }),
});

export const ChargeFilterValueInput = builder.inputType('ChargeFilterValueInput', {
  description: 'One key of a charge filter: the event property and the values it matches (or ["__ALL_FILTER_VALUES__"]).',
  fields: (t) => ({ key: t.string({ required: true }), values: t.stringList({ required: true }) }),
});

/** How a domain error's field, named after the JSON form, reads in the typed form the client sent. */
type Rename = { from: string; to: string; exact?: string };

/** Collects the renames of one request while its typed inputs are mapped to the JSON form. */
export class TypedFields {
  private readonly renames: Rename[] = [];

  add(from: string, to: string, exact?: string): void {
    this.renames.push(exact === undefined ? { from, to } : { from, to, exact });
  }

  /** `field` as the client named it: the most specific rename that covers it (keys first, then whole fields). */
  rename(field: string): string {
    for (const { from, to, exact } of this.renames) {
      if (field === from) return exact ?? to;
      if (field.startsWith(`${from}.`)) return `${to}${field.slice(from.length)}`;
    }
    return field;
  }

  /** Runs the command, reporting its validation errors under the typed fields' names. */
  async run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      if (!(error instanceof ValidationError) || error.field === undefined) throw error;
      const field = this.rename(error.field);
      if (field === error.field) throw error;
      const message = error.message.startsWith(`${error.field}:`) ? `${field}${error.message.slice(error.field.length)}` : error.message;
      throw new ValidationError(message, field);
    }
  }
}

const given = (value: unknown): boolean => value !== undefined && value !== null;

const fail = (field: string, message: string): never => {
  throw new ValidationError(`${field}: ${message}`, field);
};

/** The JSON form of typed properties: the fields set, nothing else (ranges as given; a missing `toValue` is unbounded). */
function propertiesOf(typed: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(typed).filter(([, value]) => given(value)));
}

/**
 * `properties` of an input holding `properties` (JSON) and/or `typedProperties` at `at`: at most one of them; the
 * typed one in its JSON form, its errors then named under `typedProperties`.
 */
function pickProperties(input: Record<string, unknown>, at: string, names: TypedFields): unknown {
  if (!given(input.typedProperties)) return input.properties;
  if (given(input.properties)) fail(`${at}.typedProperties`, 'give either properties or typedProperties, not both');
  names.add(`${at}.properties`, `${at}.typedProperties`);
  return propertiesOf(input.typedProperties as Record<string, unknown>);
}

/** `{key: [values]}` of a filter's `typedValues` list; a key listed twice is refused. */
function valuesOf(list: readonly { key: string; values: readonly string[] }[], filterAt: string, names: TypedFields): Record<string, readonly string[]> {
  const at = `${filterAt}.typedValues`;
  if (list.length > LIST_LIMITS.filterKeys) throw new ValidationError(tooMany(at, LIST_LIMITS.filterKeys, 'filter keys'), at);
  const seen = new Map<string, number>();
  list.forEach((entry, i) => {
    if (seen.has(entry.key)) fail(`${at}.${i}.key`, `"${entry.key}" is listed twice (at ${seen.get(entry.key)})`);
    seen.set(entry.key, i);
  });
  // Longest keys first, so a key containing a dot is never mistaken for a shorter key's value path.
  [...seen].sort(([a], [b]) => b.length - a.length).forEach(([key, i]) => names.add(`${filterAt}.values.${key}`, `${at}.${i}.values`, `${at}.${i}.key`));
  return Object.fromEntries(list.map((entry) => [entry.key, entry.values]));
}

function filterOf(input: Record<string, unknown>, at: string, names: TypedFields): DomainFilterInput {
  const properties = pickProperties(input, at, names);
  let values: unknown = input.values;
  if (given(input.typedValues)) {
    if (given(input.values)) fail(`${at}.typedValues`, 'give either values or typedValues, not both');
    values = valuesOf(input.typedValues as { key: string; values: string[] }[], at, names);
    names.add(`${at}.values`, `${at}.typedValues`);
  } else if (!given(values)) {
    fail(`${at}.typedValues`, 'is required (or values)');
  }
  return { invoiceDisplayName: input.invoiceDisplayName as string | null | undefined, values, properties };
}

/** A charge (or a charge override) at `at` in its JSON form: `typedProperties` and each filter's typed fields mapped. */
export function untypedCharge(input: Record<string, unknown>, at: string, names: TypedFields): Record<string, unknown> {
  const { typedProperties: _typed, properties: _json, filters, ...rest } = input;
  const properties = pickProperties(input, at, names);
  const charge: Record<string, unknown> = properties === undefined ? rest : { ...rest, properties };
  if (!Array.isArray(filters)) return filters === undefined ? charge : { ...charge, filters };
  const isObject = (filter: unknown): filter is Record<string, unknown> => typeof filter === 'object' && filter !== null;
  return { ...charge, filters: filters.map((filter: unknown, j) => (isObject(filter) ? filterOf(filter, `${at}.filters.${j}`, names) : filter)) };
}

/** Every charge of a list (`input.charges`, `input.planOverrides.charges`) in its JSON form. */
export function untypedCharges(charges: unknown, at: string, names: TypedFields): unknown {
  if (!Array.isArray(charges)) return charges;
  return charges.map((charge, i) => (typeof charge === 'object' && charge !== null ? untypedCharge(charge as Record<string, unknown>, `${at}.${i}`, names) : charge));
}

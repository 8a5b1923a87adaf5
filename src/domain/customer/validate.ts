import { assertCurrency, assertTimezone } from '../organization/decide.ts';
import { ValidationError } from '../shared/errors.ts';
import { LIST_LIMITS, tooMany } from '../shared/limits.ts';
import { COUNTRY_CODES } from './countries.ts';
import type { CustomerMetadataEntry, CustomerProfile } from './events.ts';

/** What an upsert may say: `undefined` = not said (keep / default), `null` = clear. Lists replace. */
export type CustomerFields = {
  [K in Exclude<keyof CustomerProfile, 'metadata'>]?: CustomerProfile[K] | null;
} & {
  metadata?: { key: string; value: string; displayInInvoice?: boolean | null }[] | null;
};

/** Lago's customer metadata limits (`Metadata::CustomerMetadata`). */
export const METADATA_LIMITS = { count: LIST_LIMITS.customerMetadata, keyLength: 20, valueLength: 100 } as const;
const TEXT_FIELDS = ['name', 'legalName', 'taxIdentificationNumber', 'addressLine1', 'addressLine2', 'city', 'zipcode', 'state'] as const;
const EMAIL = /^[^\s@,;]+@[^\s@,;]+\.[^\s@,;]+$/;

const pick = <T>(said: T | undefined, kept: T): T => (said === undefined ? kept : said);
// Lago normalises blank address fields to nil (`.presence`); so do we for every free-text field.
const blankToNull = (value: string | null): string | null => (value === null || value.trim() === '' ? null : value.trim());

/** The profile an upsert leads to (over the current one, or over an empty one), validated. */
export function resolveProfile(current: CustomerProfile | null, said: CustomerFields, existingTaxCodes: readonly string[]): CustomerProfile {
  const text = Object.fromEntries(TEXT_FIELDS.map((field) => [field, blankToNull(pick(said[field], current?.[field] ?? null))])) as Pick<
    CustomerProfile,
    (typeof TEXT_FIELDS)[number]
  >;
  return {
    ...text,
    email: resolveEmail(blankToNull(pick(said.email, current?.email ?? null))),
    country: resolveCountry(blankToNull(pick(said.country, current?.country ?? null))),
    currency: resolveWith(blankToNull(pick(said.currency, current?.currency ?? null)), (c) => assertCurrency(c, 'currency')),
    timezone: resolveWith(blankToNull(pick(said.timezone, current?.timezone ?? null)), (tz) => assertTimezone(tz, 'timezone')),
    invoiceGracePeriod: resolveDays(pick(said.invoiceGracePeriod, current?.invoiceGracePeriod ?? null), 'invoiceGracePeriod'),
    netPaymentTerm: resolveDays(pick(said.netPaymentTerm, current?.netPaymentTerm ?? null), 'netPaymentTerm'),
    // Codes kept from the current profile are not re-checked: a tax cannot be deleted while a customer uses it.
    taxCodes: said.taxCodes === undefined ? (current?.taxCodes ?? []) : resolveTaxCodes(said.taxCodes ?? [], existingTaxCodes),
    metadata: said.metadata === undefined ? (current?.metadata ?? []) : resolveMetadata(said.metadata ?? []),
  };
}

function resolveWith(value: string | null, check: (value: string) => void): string | null {
  if (value !== null) check(value);
  return value;
}

function resolveEmail(email: string | null): string | null {
  if (email !== null && !EMAIL.test(email)) throw new ValidationError(`email: "${email}" is not an email address`, 'email');
  return email;
}

function resolveCountry(country: string | null): string | null {
  if (country === null) return null;
  const code = country.toUpperCase();
  if (!COUNTRY_CODES.has(code)) throw new ValidationError(`country: "${country}" is not an ISO 3166-1 alpha-2 code`, 'country');
  return code;
}

function resolveDays(days: number | null, field: string): number | null {
  if (days !== null && (!Number.isInteger(days) || days < 0)) throw new ValidationError(`${field}: must be a whole number of days ≥ 0`, field);
  return days;
}

/** Linear: live taxes and codes already listed are looked up in sets. */
function resolveTaxCodes(codes: string[], existing: readonly string[]): string[] {
  if (codes.length > LIST_LIMITS.taxCodes) throw new ValidationError(tooMany('taxCodes', LIST_LIMITS.taxCodes, 'tax codes'), 'taxCodes');
  const live = new Set(existing);
  const seen = new Set<string>();
  codes.forEach((code, i) => {
    if (!live.has(code)) throw new ValidationError(`taxCodes.${i}: no tax with code "${code}"`, `taxCodes.${i}`);
    if (seen.has(code)) throw new ValidationError(`taxCodes.${i}: "${code}" is listed twice`, `taxCodes.${i}`);
    seen.add(code);
  });
  return codes;
}

function resolveMetadata(entries: NonNullable<CustomerFields['metadata']>): CustomerMetadataEntry[] {
  const { count, keyLength, valueLength } = METADATA_LIMITS;
  if (entries.length > count) throw new ValidationError(`metadata: at most ${count} entries`, 'metadata');
  const keys = new Set<string>();
  return entries.map((entry, i) => {
    const key = entry.key.trim();
    const value = entry.value.trim();
    if (key === '' || key.length > keyLength) throw new ValidationError(`metadata.${i}.key: 1 to ${keyLength} characters`, `metadata.${i}.key`);
    if (keys.has(key)) throw new ValidationError(`metadata.${i}.key: "${key}" is listed twice`, `metadata.${i}.key`);
    keys.add(key);
    if (value === '' || value.length > valueLength) throw new ValidationError(`metadata.${i}.value: 1 to ${valueLength} characters`, `metadata.${i}.value`);
    return { key, value, displayInInvoice: entry.displayInInvoice ?? false };
  });
}

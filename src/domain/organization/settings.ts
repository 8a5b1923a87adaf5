import { ValidationError } from '../shared/errors.ts';
import type { DocumentNumbering, OrganizationSettings } from './events.ts';

/** What `UpdateOrganization` may say; `undefined` keeps the current value. */
export type OrganizationSettingsFields = Partial<OrganizationSettings>;

const NUMBERINGS: readonly DocumentNumbering[] = ['PER_CUSTOMER', 'PER_ORGANIZATION'];
export const DOCUMENT_NUMBER_PREFIX_MAX = 10;

/**
 * Lago's default prefix (`generate_document_number_prefix`): the name's first 3 characters and the id's last 4,
 * upper-cased — "Acme", id "…9f3a" → "ACM-9F3A".
 */
export function defaultDocumentNumberPrefix(name: string, organizationId: string): string {
  return `${name.slice(0, 3).toUpperCase()}-${organizationId.slice(-4).toUpperCase()}`;
}

/** Settings of a new organization: Lago's column defaults. */
export function initialSettings(data: { organizationId: string; name: string; timezone: string; defaultCurrency: string }): OrganizationSettings {
  return {
    timezone: data.timezone,
    defaultCurrency: data.defaultCurrency,
    invoiceGracePeriod: 0,
    netPaymentTerm: 0,
    documentNumberPrefix: defaultDocumentNumberPrefix(data.name, data.organizationId),
    documentNumbering: 'PER_CUSTOMER',
  };
}

/** The settings an update leads to, validated (timezone and currency are checked by the caller's asserts). */
export function resolveSettings(
  current: OrganizationSettings,
  said: OrganizationSettingsFields,
  asserts: { timezone: (tz: string) => void; currency: (code: string) => void },
): OrganizationSettings {
  const next: OrganizationSettings = {
    timezone: said.timezone ?? current.timezone,
    defaultCurrency: said.defaultCurrency ?? current.defaultCurrency,
    invoiceGracePeriod: said.invoiceGracePeriod ?? current.invoiceGracePeriod,
    netPaymentTerm: said.netPaymentTerm ?? current.netPaymentTerm,
    // Lago upper-cases the prefix on write (`document_number_prefix=`).
    documentNumberPrefix: said.documentNumberPrefix?.trim().toUpperCase() ?? current.documentNumberPrefix,
    documentNumbering: said.documentNumbering ?? current.documentNumbering,
  };
  if (said.timezone !== undefined) asserts.timezone(next.timezone);
  if (said.defaultCurrency !== undefined) asserts.currency(next.defaultCurrency);
  for (const field of ['invoiceGracePeriod', 'netPaymentTerm'] as const) {
    if (!Number.isInteger(next[field]) || next[field] < 0) throw new ValidationError(`${field}: must be a whole number of days ≥ 0`, field);
  }
  const prefixLength = next.documentNumberPrefix.length;
  if (prefixLength < 1 || prefixLength > DOCUMENT_NUMBER_PREFIX_MAX) {
    throw new ValidationError(`documentNumberPrefix: 1 to ${DOCUMENT_NUMBER_PREFIX_MAX} characters`, 'documentNumberPrefix');
  }
  if (!NUMBERINGS.includes(next.documentNumbering)) {
    throw new ValidationError(`documentNumbering: must be one of ${NUMBERINGS.join(', ')}`, 'documentNumbering');
  }
  return next;
}

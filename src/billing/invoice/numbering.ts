import { formatEpochDay } from '../periods/civilDate.ts';
import type { Instant } from '../periods/types.ts';
import { assertTimezone, localEpochDay, toMillis } from '../periods/zone.ts';

/** The billing entity's `document_numbering`. */
export type DocumentNumbering = 'PER_CUSTOMER' | 'PER_ORGANIZATION';

/** A number while the invoice is not finalized: `"<prefix>-DRAFT"` (`Invoice#ensure_number`). */
export function draftInvoiceNumber(prefix: string): string {
  return `${prefix}-DRAFT`;
}

export interface InvoiceNumberInput {
  /** The billing entity's `document_number_prefix`. */
  readonly prefix: string;
  /** `PER_CUSTOMER` also for self-billed invoices, which Lago always numbers per customer. */
  readonly numbering: DocumentNumbering;
  readonly customerSequentialId: number;
  /** The invoice's `sequential_id`, sequenced per customer (and billing entity). */
  readonly customerInvoiceSequentialId: number;
  /** The invoice's `billing_entity_sequential_id`: max + 1 over the entity's numbered invoices, never reset monthly. */
  readonly organizationSequentialId: number;
  /** `YYYYMM` of the finalization instant in the billing entity's timezone (see `issuingYearMonth`). */
  readonly issuingYearMonth: string;
}

/**
 * The number given at finalization (`Invoice#ensure_number`, app/models/invoice.rb), `%03d` padding to at least
 * three digits and cutting nothing:
 * - per customer: `"<prefix>-<customer sequential id>-<invoice sequential id>"`, e.g. `LAG-1A2B-027-006`;
 * - per organization (billing entity): `"<prefix>-<YYYYMM>-<billing-entity sequential id>"`, e.g.
 *   `LAG-1A2B-202310-016`. NOTE: the month in the number does not restart the sequence.
 */
export function invoiceNumber(input: InvoiceNumberInput): string {
  if (input.numbering === 'PER_CUSTOMER') {
    return `${input.prefix}-${pad3(input.customerSequentialId, 'customerSequentialId')}-${pad3(input.customerInvoiceSequentialId, 'customerInvoiceSequentialId')}`;
  }
  if (!/^\d{4}(0[1-9]|1[0-2])$/.test(input.issuingYearMonth)) {
    throw new RangeError(`issuingYearMonth must be YYYYMM, got ${JSON.stringify(input.issuingYearMonth)}`);
  }
  return `${input.prefix}-${input.issuingYearMonth}-${pad3(input.organizationSequentialId, 'organizationSequentialId')}`;
}

/**
 * `Time.now.in_time_zone(billing_entity.timezone || "UTC").strftime("%Y%m")`: the year and month of `at` in
 * `timezone` (2023-10-31T23:30Z in Europe/Paris → `"202311"`).
 */
export function issuingYearMonth(at: Instant, timezone: string): string {
  assertTimezone(timezone);
  return formatEpochDay(localEpochDay(toMillis(at, 'at'), timezone)).slice(0, 7).replace('-', '');
}

/** Ruby's `format("%03d", n)` for the non-negative integers sequences produce. */
function pad3(value: number, field: string): string {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${field} must be a non-negative integer, got ${value}`);
  return String(value).padStart(3, '0');
}

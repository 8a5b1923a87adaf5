import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { draftInvoiceNumber, invoiceNumber, issuingYearMonth } from '../../../../src/billing/invoice/numbering.ts';

const base = { prefix: 'LAG-1A2B', customerSequentialId: 1, customerInvoiceSequentialId: 1, organizationSequentialId: 1, issuingYearMonth: '202310' };

describe('invoice numbering (§4.6, Invoice#ensure_number)', () => {
  it('drafts are "<prefix>-DRAFT"', () => {
    expect(draftInvoiceNumber('LAG-1A2B')).toBe('LAG-1A2B-DRAFT'); // spec/models/invoice_spec.rb:821
  });

  it('per customer: customer and invoice sequences padded to 3 (spec/models/invoice_spec.rb:691, :731)', () => {
    expect(invoiceNumber({ ...base, numbering: 'PER_CUSTOMER' })).toBe('LAG-1A2B-001-001');
    expect(invoiceNumber({ ...base, numbering: 'PER_CUSTOMER', customerSequentialId: 27, customerInvoiceSequentialId: 6 })).toBe('LAG-1A2B-027-006');
  });

  it('per organization: YYYYMM and the billing entity sequence (spec/models/invoice_spec.rb:702, :719)', () => {
    expect(invoiceNumber({ ...base, numbering: 'PER_ORGANIZATION' })).toBe('LAG-1A2B-202310-001');
    expect(invoiceNumber({ ...base, numbering: 'PER_ORGANIZATION', organizationSequentialId: 16 })).toBe('LAG-1A2B-202310-016');
  });

  it('%03d pads but never cuts', () => {
    expect(invoiceNumber({ ...base, numbering: 'PER_CUSTOMER', customerSequentialId: 1234, customerInvoiceSequentialId: 56789 })).toBe('LAG-1A2B-1234-56789');
    expect(invoiceNumber({ ...base, numbering: 'PER_ORGANIZATION', organizationSequentialId: 1000 })).toBe('LAG-1A2B-202310-1000');
  });

  it('takes the month in the billing entity timezone', () => {
    expect(issuingYearMonth('2023-10-31T23:30:00Z', 'Europe/Paris')).toBe('202311');
    expect(issuingYearMonth('2023-11-01T03:00:00Z', 'America/New_York')).toBe('202310');
    expect(issuingYearMonth('2023-12-31T23:59:59.999Z', 'UTC')).toBe('202312');
  });

  it('refuses malformed inputs', () => {
    expect(() => invoiceNumber({ ...base, numbering: 'PER_ORGANIZATION', issuingYearMonth: '202313' })).toThrow(RangeError);
    expect(() => invoiceNumber({ ...base, numbering: 'PER_ORGANIZATION', issuingYearMonth: '2023-10' })).toThrow(RangeError);
    expect(() => invoiceNumber({ ...base, numbering: 'PER_CUSTOMER', customerSequentialId: -1 })).toThrow(RangeError);
    expect(() => invoiceNumber({ ...base, numbering: 'PER_CUSTOMER', customerInvoiceSequentialId: 1.5 })).toThrow(RangeError);
    expect(() => issuingYearMonth('2023-10-01T00:00:00Z', 'Mars/Olympus')).toThrow();
  });

  it('properties: numbers parse back into their parts, in order', () => {
    const id = fc.integer({ min: 0, max: 10_000_000 });
    fc.assert(
      fc.property(id, id, id, fc.integer({ min: 1970, max: 9999 }), fc.integer({ min: 1, max: 12 }), (customer, invoice, organization, year, month) => {
        const yearMonth = `${year}${String(month).padStart(2, '0')}`;
        const input = { prefix: 'ACME', customerSequentialId: customer, customerInvoiceSequentialId: invoice, organizationSequentialId: organization, issuingYearMonth: yearMonth };
        const [p1, c, i] = invoiceNumber({ ...input, numbering: 'PER_CUSTOMER' }).split('-');
        expect([p1, Number(c), Number(i)]).toEqual(['ACME', customer, invoice]);
        expect(c!.length).toBe(Math.max(3, String(customer).length));
        const [p2, ym, o] = invoiceNumber({ ...input, numbering: 'PER_ORGANIZATION' }).split('-');
        expect([p2, ym, Number(o)]).toEqual(['ACME', yearMonth, organization]);
        expect(o!.length).toBe(Math.max(3, String(organization).length));
      }),
    );
  });
});

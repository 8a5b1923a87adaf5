import { describe, expect, it } from 'vitest';
import { invoiceDecider, type InvoiceContent, type InvoiceCreated, type InvoiceEvent, type InvoiceFinalized } from '../../../src/domain/invoice/index.ts';
import { IllegalStateError, NotFoundError, ValidationError } from '../../../src/domain/shared/errors.ts';
import { spec } from '../../support/decider.ts';

const content = (total: string): InvoiceContent => ({
  fees: [],
  appliedTaxes: [],
  totals: {
    feesAmountCents: total,
    couponsAmountCents: '0',
    subTotalExcludingTaxesAmountCents: total,
    taxesAmountCents: '0',
    subTotalIncludingTaxesAmountCents: total,
    creditNotesAmountCents: '0',
    prepaidCreditAmountCents: '0',
    totalAmountCents: total,
    taxesRate: '0',
  },
  usagePosition: '42',
});

const created = (total = '1000'): InvoiceCreated => ({
  type: 'InvoiceCreated',
  data: {
    organizationId: 'org',
    invoiceId: 'inv',
    ...content(total),
    invoiceType: 'SUBSCRIPTION',
    reason: 'PERIOD_END',
    customerId: 'cus',
    externalCustomerId: 'c1',
    subscriptionId: 'sub',
    externalSubscriptionId: 's1',
    planCode: 'basic',
    currency: 'EUR',
    billingAt: '2026-02-01T00:00:00.000Z',
    billingDate: '2026-02-01',
    issuingDate: '2026-02-04',
    paymentDueDate: '2026-02-04',
    netPaymentTerm: 0,
    gracePeriodDays: 3,
    subscriptionFeeFrom: null,
    subscriptionFeeTo: null,
    chargesFrom: null,
    chargesTo: null,
    finalizesAt: '2026-02-04T00:00:00.000Z',
    number: 'ACM-DRAFT',
    createdAt: '2026-02-01T00:00:00.000Z',
  },
});

const numbers = { number: 'ACM-001-001', sequentialId: 1, organizationSequentialId: 1 };
const now = { now: '2026-02-02T00:00:00.000Z' };
const finalize = (total = '1000') => ({ type: 'FinalizeInvoice' as const, data: { invoiceId: 'inv', content: content(total), numbers, issuingDate: '2026-02-04', paymentDueDate: '2026-02-04' }, metadata: now });
const finalized = (total = '1000'): InvoiceFinalized => invoiceDecider.decide(finalize(total), invoiceDecider.evolve(invoiceDecider.initialState(), created(total)))[0] as InvoiceFinalized;
const given = (history: InvoiceEvent[]) => spec(invoiceDecider).given(history);

describe('invoice decider', () => {
  it('creates once: a second creation on the same stream is a no-op', () => {
    given([]).when({ type: 'CreateInvoice', data: created().data, metadata: now }).then([created()]);
    given([created()]).when({ type: 'CreateInvoice', data: { ...created().data, invoiceId: 'other' }, metadata: now }).then([]);
  });

  it('finalizes a draft with its numbers; a zero total is paid at once; finalizing again is a no-op', () => {
    expect(finalized().data).toMatchObject({ number: 'ACM-001-001', paymentStatus: 'PENDING', finalizedAt: now.now, usagePosition: '42' });
    expect(finalized('0').data.paymentStatus).toBe('SUCCEEDED');
    given([created(), finalized()]).when(finalize()).then([]);
    given([]).when(finalize()).thenThrows(NotFoundError);
  });

  it('refreshes drafts only', () => {
    const refresh = { type: 'RefreshInvoice' as const, data: { invoiceId: 'inv', content: content('1500') }, metadata: now };
    const [event] = invoiceDecider.decide(refresh, invoiceDecider.evolve(invoiceDecider.initialState(), created()));
    expect(event).toMatchObject({ type: 'InvoiceRefreshed', data: { totals: { totalAmountCents: '1500' } } });
    given([created(), finalized()]).when(refresh).thenThrows(IllegalStateError, /only a draft/);
  });

  it('voids a finalized, unpaid invoice only', () => {
    const voidIt = { type: 'VoidInvoice' as const, data: { invoiceId: 'inv' }, metadata: now };
    given([created()]).when(voidIt).thenThrows(IllegalStateError, /draft/);
    given([created(), finalized('0')]).when(voidIt).thenThrows(IllegalStateError, /paid/);
    given([created(), finalized()]).when(voidIt).then([{ type: 'InvoiceVoided', data: { organizationId: 'org', invoiceId: 'inv', voidedAt: now.now } }]);
    given([created(), finalized(), { type: 'InvoiceVoided', data: { organizationId: 'org', invoiceId: 'inv', voidedAt: now.now } }]).when(voidIt).then([]);
  });

  it('sets the payment status of finalized invoices only, and refuses unknown statuses', () => {
    const pay = (paymentStatus: string) => ({ type: 'UpdateInvoicePaymentStatus' as const, data: { invoiceId: 'inv', paymentStatus: paymentStatus as 'SUCCEEDED' }, metadata: now });
    given([created()]).when(pay('SUCCEEDED')).thenThrows(IllegalStateError);
    given([created(), finalized()]).when(pay('SUCCEEDED')).then([{ type: 'InvoicePaymentStatusUpdated', data: { organizationId: 'org', invoiceId: 'inv', paymentStatus: 'SUCCEEDED', updatedAt: now.now } }]);
    given([created(), finalized()]).when(pay('PENDING')).then([]);
    given([created(), finalized()]).when(pay('LATER')).thenThrows(ValidationError);
  });
});

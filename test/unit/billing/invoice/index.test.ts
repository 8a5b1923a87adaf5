import { describe, expect, it } from 'vitest';
import {
  commitmentProrationDays,
  commitmentTrueUp,
  computeTaxes,
  draftInvoiceNumber,
  invoiceNumber,
  invoiceTotals,
  issuingYearMonth,
  paymentStatusFor,
  subscriptionFee,
} from '../../../../src/billing/invoice/index.ts';
import { billingBoundaries } from '../../../../src/billing/periods/index.ts';
import { subscription } from '../periods/helpers.ts';
import { expectDecimal } from '../support.ts';

describe('an invoice through the public API', () => {
  it('first in-arrears invoice of a subscription started mid-month, with a commitment, 20% VAT, numbered', () => {
    const sub = subscription({ subscriptionAt: '2024-03-15T09:30:00Z', timezone: 'Europe/Paris' });
    const boundaries = billingBoundaries(sub, '2024-04-01T00:00:00+02:00');
    const fee = subscriptionFee({
      planAmountCents: '4999',
      currency: 'EUR',
      subscription: sub,
      from: boundaries.subscriptionFeeFrom,
      to: boundaries.subscriptionFeeTo,
      trialEndsAt: null,
      terminated: false,
      terminatedByUpgrade: false,
      hasNextSubscription: false,
      createdByUpgrade: false,
      hasPreviousSubscription: false,
      previousFeeBilled: false,
      startedInPast: false,
    });
    // 17 of 31 days of 49.99 EUR: 4999.fdiv(31) × 17 = 2741.354838709677
    expect([fee.days, fee.periodDays]).toEqual([17, 31]);
    expectDecimal(fee.amountCents, 2741);

    const { days, periodDays } = commitmentProrationDays({ subscription: sub, from: boundaries.subscriptionFeeFrom, to: boundaries.subscriptionFeeTo });
    const trueUp = commitmentTrueUp({ commitmentAmountCents: '10000', currency: 'EUR', feesAmountCents: fee.amountCents, days, periodDays });
    if (trueUp === null) throw new Error('expected a commitment true-up');
    expectDecimal(trueUp.proratedCommitmentAmountCents, 5484); // 10000 × 17/31 = 5483.87
    expectDecimal(trueUp.amountCents, 2743);

    const vat = [{ code: 'vat_fr', name: 'TVA', rate: '20' }];
    const taxes = computeTaxes([
      { id: 'subscription', amountCents: fee.amountCents, preciseAmountCents: fee.preciseAmountCents, taxes: vat },
      { id: 'commitment', amountCents: trueUp.amountCents, taxes: vat },
    ]);
    expectDecimal(taxes.taxesAmountCents, 1097); // (2741 + 2743) × 20% = 1096.8
    expectDecimal(taxes.taxesRate, 20);

    const totals = invoiceTotals({ fees: [fee, { amountCents: trueUp.amountCents }], taxesAmountCents: taxes.taxesAmountCents });
    expectDecimal(totals.totalAmountCents, 6581);
    expect(paymentStatusFor(totals)).toBe('PENDING');

    expect(draftInvoiceNumber('ACME')).toBe('ACME-DRAFT');
    const yearMonth = issuingYearMonth('2024-04-01T00:00:00+02:00', 'Europe/Paris');
    expect(invoiceNumber({ prefix: 'ACME', numbering: 'PER_ORGANIZATION', customerSequentialId: 3, customerInvoiceSequentialId: 1, organizationSequentialId: 42, issuingYearMonth: yearMonth })).toBe('ACME-202404-042');
  });
});

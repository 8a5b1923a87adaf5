import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';

/** One-off invoices of add-ons (README "Discounts and credit notes"; reference §4.7, §5.2). */

let server: TestServer;
afterEach(async () => server?.close());

async function ok<T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const result = await server.gql<T>(query, variables);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data as T;
}

const CREATE = `mutation($input: CreateOneOffInvoiceInput!) { createOneOffInvoice(input: $input) { invoice {
  id number status invoiceType reason externalSubscriptionId planCode feesAmountCents taxesAmountCents totalAmountCents issuingDate paymentDueDate
  fees { feeType addOnCode description invoiceDisplayName units unitAmountCents amountCents taxesAmountCents appliedTaxes { taxCode } } } } }`;

async function setup() {
  server = await startTestServer({ CLOCK: 'manual', CLOCK_START: '2026-03-10T09:00:00Z' });
  await ok('mutation { createTax(input: {code: "vat", name: "VAT", rate: "20", appliedToOrganization: true}) { tax { code } } }');
  await ok('mutation { createTax(input: {code: "reduced", name: "Reduced", rate: "5.5"}) { tax { code } } }');
  await ok('mutation { createAddOn(input: {code: "setup", name: "Setup", amountCents: "50000", amountCurrency: "EUR", description: "One-time setup", taxCodes: ["reduced"]}) { addOn { code } } }');
  await ok('mutation { createAddOn(input: {code: "training", name: "Training", amountCents: "12050", amountCurrency: "EUR", invoiceDisplayName: "Training day"}) { addOn { code } } }');
  await ok('mutation { createCustomer(input: {externalId: "c1", currency: "EUR", netPaymentTerm: 30}) { customer { externalId } } }');
}

describe('one-off invoices', () => {
  it('bills add-ons with their units, amounts and taxes (fee codes → add-on → customer → organization), finalized and numbered', async () => {
    await setup();
    const data = await ok<{ createOneOffInvoice: { invoice: Record<string, unknown> & { fees: Record<string, unknown>[] } } }>(CREATE, {
      input: {
        externalCustomerId: 'c1',
        fees: [
          { addOnCode: 'setup' },
          { addOnCode: 'training', units: '2.5', description: 'Two and a half days' },
          { addOnCode: 'training', unitAmountCents: '1000', taxCodes: ['reduced', 'vat'] },
        ],
      },
    });
    const invoice = data.createOneOffInvoice.invoice;
    expect(invoice).toMatchObject({ status: 'FINALIZED', invoiceType: 'ONE_OFF', reason: 'ONE_OFF', externalSubscriptionId: null, planCode: null, issuingDate: '2026-03-10', paymentDueDate: '2026-04-09' });
    expect(invoice.number).toMatch(/-001$/);
    expect(invoice.fees.map((f) => [f.feeType, f.addOnCode, f.units, f.amountCents, f.taxesAmountCents, (f.appliedTaxes as { taxCode: string }[]).map((t) => t.taxCode)])).toEqual([
      // The add-on's own tax: 50000 × 5.5 % = 2750.
      ['ADD_ON', 'setup', '1', '50000', '2750', ['reduced']],
      // No tax of its own: the organization's 20 %; 2.5 × 12050 = 30125 → 6025.
      ['ADD_ON', 'training', '2.5', '30125', '6025', ['vat']],
      // The fee's tax codes replace the add-on's: 1000 × 25.5 % = 255.
      ['ADD_ON', 'training', '1', '1000', '255', ['reduced', 'vat']],
    ]);
    expect(invoice.fees.map((f) => [f.description, f.invoiceDisplayName])).toEqual([
      ['One-time setup', 'Setup'],
      ['Two and a half days', 'Training day'],
      [null, 'Training day'],
    ]);
    expect(invoice).toMatchObject({ feesAmountCents: '81125', taxesAmountCents: '9030', totalAmountCents: '90155' });
    const listed = await ok<{ invoices: { edges: unknown[] } }>('{ invoices(invoiceType: ONE_OFF) { edges { cursor } } }');
    expect(listed.invoices.edges).toHaveLength(1);
    // It can be credited like any finalized invoice: the setup fee, with its 5.5 % tax.
    const fees = await ok<{ invoice: { fees: { id: string }[] } }>(`{ invoice(id: "${invoice.id}") { fees { id } } }`);
    const note = await ok<{ createCreditNote: { creditNote: { totalAmountCents: string; number: string } } }>(
      `mutation { createCreditNote(input: {invoiceId: "${invoice.id}", reason: OTHER, items: [{feeId: "${fees.invoice.fees[0]!.id}", amountCents: "50000"}]}) { creditNote { totalAmountCents number } } }`,
    );
    expect(note.createCreditNote.creditNote).toEqual({ totalAmountCents: '52750', number: `${invoice.number}-CN001` });
  });

  it('bad input: typed errors naming the field, nothing appended', async () => {
    await setup();
    const refused = async (input: Record<string, unknown>) => {
      const head = await server.system.app.deps.eventStore.headPosition();
      const result = await server.gql(CREATE, { input });
      expect(await server.system.app.deps.eventStore.headPosition()).toBe(head);
      return { code: result.errors?.[0]?.extensions?.code, field: result.errors?.[0]?.extensions?.field };
    };
    expect(await refused({ externalCustomerId: 'c1', fees: [{ addOnCode: 'nope' }] })).toEqual({ code: 'VALIDATION', field: 'input.fees.0.addOnCode' });
    expect(await refused({ externalCustomerId: 'nobody', fees: [{ addOnCode: 'setup' }] })).toEqual({ code: 'VALIDATION', field: 'input.externalCustomerId' });
    expect(await refused({ externalCustomerId: 'c1', currency: 'USD', fees: [{ addOnCode: 'setup' }] })).toEqual({ code: 'VALIDATION', field: 'input.currency' });
    expect(await refused({ externalCustomerId: 'c1', fees: [] })).toEqual({ code: 'VALIDATION', field: 'input.fees' });
    expect(await refused({ externalCustomerId: 'c1', fees: [{ addOnCode: 'setup', taxCodes: ['missing'] }] })).toEqual({ code: 'VALIDATION', field: 'input.fees.0.taxCodes.0' });
    expect(await refused({ externalCustomerId: 'c1', fees: [{ addOnCode: 'setup', units: '-1' }] })).toEqual({ code: 'VALIDATION', field: 'input.fees.0.units' });
  });
});

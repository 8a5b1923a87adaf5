import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';

/** Credit notes through GraphQL and the manual clock (README "Discounts and credit notes"; reference §5.5, §4.4 step 6, §3.4). */

type Fee = { id: string; feeType: string; amountCents: string };
type Invoice = {
  id: string;
  number: string;
  status: string;
  reason: string;
  planCode: string;
  totalAmountCents: string;
  taxesAmountCents: string;
  creditNotesAmountCents: string;
  totalDueAmountCents: string;
  creditedAmountCents: string;
  chargesToDatetime: string | null;
  subscriptionFeeFromDatetime: string | null;
  credits: { type: string; creditNoteNumber: string | null; amountCents: string }[];
  fees: Fee[];
};
type Note = {
  id: string;
  number: string;
  automatic: boolean;
  creditStatus: string;
  reason: string;
  items: { feeId: string; amountCents: string }[];
  subTotalExcludingTaxesAmountCents: string;
  taxesAmountCents: string;
  totalAmountCents: string;
  creditAmountCents: string;
  balanceAmountCents: string;
  refundAmountCents: string;
  offsetAmountCents: string;
  consumptions: { invoiceId: string; amountCents: string }[];
};

const INVOICE = `id number status reason planCode totalAmountCents taxesAmountCents creditNotesAmountCents totalDueAmountCents creditedAmountCents chargesToDatetime subscriptionFeeFromDatetime
  credits { type creditNoteNumber amountCents } fees { id feeType amountCents }`;
const NOTE = `id number automatic creditStatus reason items { feeId amountCents } subTotalExcludingTaxesAmountCents taxesAmountCents totalAmountCents creditAmountCents
  balanceAmountCents refundAmountCents offsetAmountCents consumptions { invoiceId amountCents }`;
const CREATE = `mutation($input: CreateCreditNoteInput!) { createCreditNote(input: $input) { creditNote { ${NOTE} } } }`;

let server: TestServer;
afterEach(async () => server?.close());

async function ok<T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const result = await server.gql<T>(query, variables);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data as T;
}

async function refused(query: string, variables: Record<string, unknown>): Promise<{ code: unknown; field: unknown }> {
  const head = await server.system.app.deps.eventStore.headPosition();
  const result = await server.gql(query, variables);
  expect(await server.system.app.deps.eventStore.headPosition()).toBe(head);
  expect(result.errors, 'an error').toBeDefined();
  return { code: result.errors![0]!.extensions?.code, field: result.errors![0]!.extensions?.field };
}

const credit = (input: Record<string, unknown>) => ok<{ createCreditNote: { creditNote: Note } }>(CREATE, { input }).then((d) => d.createCreditNote.creditNote);

async function setup(options: { plan?: Record<string, unknown>; tax?: boolean } = {}) {
  server = await startTestServer({ CLOCK: 'manual', CLOCK_START: '2026-01-01T00:00:00Z' });
  if (options.tax) await ok('mutation { createTax(input: {code: "vat", name: "VAT", rate: "20", appliedToOrganization: true}) { tax { code } } }');
  await ok('mutation { createBillableMetric(input: {code: "calls", name: "Calls", aggregationType: COUNT}) { billableMetric { code } } }');
  await ok('mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { code } } }', {
    input: { code: 'basic', name: 'Basic', interval: 'MONTHLY', amountCents: '3100', amountCurrency: 'EUR', ...options.plan },
  });
  await ok('mutation { createCustomer(input: {externalId: "c1", currency: "EUR"}) { customer { externalId } } }');
  await ok('mutation { createSubscription(input: {externalId: "s1", externalCustomerId: "c1", planCode: "basic"}) { subscription { status } } }');
}

async function invoices(): Promise<Invoice[]> {
  const data = await ok<{ invoices: { edges: { node: Invoice }[] } }>(`{ invoices(first: 100) { edges { node { ${INVOICE} } } } }`);
  return data.invoices.edges.map((e) => e.node).sort((a, b) => (a.subscriptionFeeFromDatetime ?? a.chargesToDatetime ?? '').localeCompare(b.subscriptionFeeFromDatetime ?? b.chargesToDatetime ?? '') || a.number.localeCompare(b.number));
}

async function balances(): Promise<{ currency: string; amountCents: string }[]> {
  return (await ok<{ customer: { creditBalances: { currency: string; amountCents: string }[] } }>('{ customer(externalId: "c1") { creditBalances { currency amountCents } } }')).customer.creditBalances;
}

describe('credit notes', () => {
  it('a credit note’s credit goes to the customer’s balance and is consumed by the next invoice, after taxes', async () => {
    await setup({ tax: true });
    await server.advanceClock('2026-02-01T00:00:00Z');
    const [january] = await invoices();
    // 3100 + 20 % = 3720.
    expect(january).toMatchObject({ totalAmountCents: '3720', taxesAmountCents: '620' });
    const fee = january!.fees[0]!;
    const note = await credit({ invoiceId: january!.id, reason: 'ORDER_CHANGE', items: [{ feeId: fee.id, amountCents: '1000' }] });
    // 1000 + its 20 % tax, all to the credit (the default split).
    expect(note).toMatchObject({ number: `${january!.number}-CN001`, automatic: false, creditStatus: 'AVAILABLE', subTotalExcludingTaxesAmountCents: '1000', taxesAmountCents: '200', totalAmountCents: '1200', creditAmountCents: '1200', balanceAmountCents: '1200', refundAmountCents: '0', offsetAmountCents: '0' });
    expect(await balances()).toEqual([{ currency: 'EUR', amountCents: '1200' }]);
    expect((await invoices())[0]).toMatchObject({ creditedAmountCents: '1200' });
    await server.advanceClock('2026-03-01T00:00:00Z');
    const [, february] = await invoices();
    // Applied after taxes: 3720 − 1200 = 2520.
    expect(february).toMatchObject({ taxesAmountCents: '620', creditNotesAmountCents: '1200', totalAmountCents: '2520' });
    expect(february!.credits).toEqual([{ type: 'CREDIT_NOTE', creditNoteNumber: note.number, amountCents: '1200' }]);
    const after = await ok<{ creditNote: Note }>(`{ creditNote(id: "${note.id}") { ${NOTE} } }`);
    expect(after.creditNote).toMatchObject({ creditStatus: 'CONSUMED', balanceAmountCents: '0', consumptions: [{ invoiceId: february!.id, amountCents: '1200' }] });
    expect(await balances()).toEqual([]);
  });

  it('a credit larger than the next invoice carries its balance on, oldest credit note first', async () => {
    await setup();
    await server.advanceClock('2026-02-01T00:00:00Z');
    const [january] = await invoices();
    const fee = january!.fees[0]!.id;
    const first = await credit({ invoiceId: january!.id, reason: 'OTHER', items: [{ feeId: fee, amountCents: '2000' }] });
    const second = await credit({ invoiceId: january!.id, reason: 'OTHER', items: [{ feeId: fee, amountCents: '1100' }] });
    expect(second.number).toBe(`${january!.number}-CN002`);
    await ok('mutation { createPlan(input: {code: "small", name: "Small", interval: MONTHLY, amountCents: "1500", amountCurrency: "EUR"}) { plan { code } } }');
    await ok('mutation { terminateSubscription(input: {externalId: "s1", onTerminationInvoice: SKIP}) { subscription { status } } }');
    await ok('mutation { createSubscription(input: {externalId: "s2", externalCustomerId: "c1", planCode: "small"}) { subscription { status } } }');
    await server.advanceClock('2026-03-01T00:00:00Z');
    const march = (await invoices()).find((i) => i.planCode === 'small')!;
    // 1500 owed: the oldest note (2000) pays it all and keeps 500.
    expect(march).toMatchObject({ creditNotesAmountCents: '1500', totalAmountCents: '0' });
    expect(march.credits).toEqual([{ type: 'CREDIT_NOTE', creditNoteNumber: first.number, amountCents: '1500' }]);
    expect(await balances()).toEqual([{ currency: 'EUR', amountCents: '1600' }]);
    await server.advanceClock('2026-04-01T00:00:00Z');
    const april = (await invoices()).filter((i) => i.planCode === 'small')[1]!;
    // Then its 500, and 1000 of the second note.
    expect(april.credits).toEqual([
      { type: 'CREDIT_NOTE', creditNoteNumber: first.number, amountCents: '500' },
      { type: 'CREDIT_NOTE', creditNoteNumber: second.number, amountCents: '1000' },
    ]);
    expect(await balances()).toEqual([{ currency: 'EUR', amountCents: '100' }]);
  });

  it('refund and offset: an offset reduces what the unpaid invoice owes; a refund needs a payment', async () => {
    await setup();
    await server.advanceClock('2026-02-01T00:00:00Z');
    const [january] = await invoices();
    const fee = january!.fees[0]!.id;
    expect(await refused(CREATE, { input: { invoiceId: january!.id, reason: 'OTHER', items: [{ feeId: fee, amountCents: '500' }], refundAmountCents: '500', creditAmountCents: '0' } })).toMatchObject({ code: 'VALIDATION', field: 'input.refundAmountCents' });
    const offset = await credit({ invoiceId: january!.id, reason: 'OTHER', items: [{ feeId: fee, amountCents: '500' }], offsetAmountCents: '500', creditAmountCents: '0' });
    expect(offset).toMatchObject({ offsetAmountCents: '500', creditAmountCents: '0', creditStatus: 'CONSUMED' });
    expect((await invoices())[0]).toMatchObject({ totalDueAmountCents: '2600' });
    await ok(`mutation { updateInvoice(input: {id: "${january!.id}", paymentStatus: SUCCEEDED}) { invoice { id } } }`);
    expect(await refused(CREATE, { input: { invoiceId: january!.id, reason: 'OTHER', items: [{ feeId: fee, amountCents: '300' }], offsetAmountCents: '300', creditAmountCents: '0' } })).toMatchObject({ code: 'VALIDATION', field: 'input.offsetAmountCents' });
    const refund = await credit({ invoiceId: january!.id, reason: 'PRODUCT_UNSATISFACTORY', items: [{ feeId: fee, amountCents: '300' }], refundAmountCents: '300', creditAmountCents: '0' });
    expect(refund).toMatchObject({ refundAmountCents: '300', totalAmountCents: '300' });
    // The split must add up to the total.
    expect(await refused(CREATE, { input: { invoiceId: january!.id, reason: 'OTHER', items: [{ feeId: fee, amountCents: '100' }], refundAmountCents: '50', creditAmountCents: '10' } })).toMatchObject({ code: 'VALIDATION' });
  });

  it('never more than what remains creditable on a fee; typed errors, nothing appended', async () => {
    await setup();
    await server.advanceClock('2026-02-01T00:00:00Z');
    const [january] = await invoices();
    const fee = january!.fees[0]!.id;
    expect(await refused(CREATE, { input: { invoiceId: january!.id, reason: 'OTHER', items: [{ feeId: fee, amountCents: '3101' }] } })).toMatchObject({ code: 'VALIDATION', field: 'input.items.0.amountCents' });
    await credit({ invoiceId: january!.id, reason: 'OTHER', items: [{ feeId: fee, amountCents: '2000' }] });
    expect(await refused(CREATE, { input: { invoiceId: january!.id, reason: 'OTHER', items: [{ feeId: fee, amountCents: '1200' }] } })).toMatchObject({ code: 'VALIDATION', field: 'input.items.0.amountCents' });
    expect(await refused(CREATE, { input: { invoiceId: january!.id, reason: 'OTHER', items: [{ feeId: 'nope', amountCents: '1' }] } })).toMatchObject({ code: 'VALIDATION', field: 'input.items.0.feeId' });
    expect(await refused(CREATE, { input: { invoiceId: 'missing', reason: 'OTHER', items: [{ feeId: fee, amountCents: '1' }] } })).toMatchObject({ code: 'VALIDATION', field: 'input.invoiceId' });
    expect(await refused(CREATE, { input: { invoiceId: january!.id, reason: 'OTHER', items: [{ feeId: fee, amountCents: '-5' }] } })).toMatchObject({ code: 'VALIDATION', field: 'input.items.0.amountCents' });
    // Concurrent credit notes never credit a fee beyond its amount.
    const results = await Promise.all(Array.from({ length: 4 }, () => server.gql(CREATE, { input: { invoiceId: january!.id, reason: 'OTHER', items: [{ feeId: fee, amountCents: '600' }] } })));
    expect(results.filter((r) => r.errors === undefined)).toHaveLength(1);
    expect((await invoices())[0]).toMatchObject({ creditedAmountCents: '2600' });
  });

  it('an estimate says what a credit note would be, without creating it; a void drops the credit left', async () => {
    await setup({ tax: true });
    await server.advanceClock('2026-02-01T00:00:00Z');
    const [january] = await invoices();
    const fee = january!.fees[0]!.id;
    const head = await server.system.app.deps.eventStore.headPosition();
    const estimate = await ok<{ creditNoteEstimate: Record<string, string> }>(
      `query($input: CreditNoteEstimateInput!) { creditNoteEstimate(input: $input) { subTotalExcludingTaxesAmountCents taxesAmountCents totalAmountCents maxRefundableAmountCents maxOffsettableAmountCents } }`,
      { input: { invoiceId: january!.id, items: [{ feeId: fee, amountCents: '3100' }] } },
    );
    expect(estimate.creditNoteEstimate).toEqual({ subTotalExcludingTaxesAmountCents: '3100', taxesAmountCents: '620', totalAmountCents: '3720', maxRefundableAmountCents: '0', maxOffsettableAmountCents: '3720' });
    expect(await server.system.app.deps.eventStore.headPosition()).toBe(head);
    const whole = await credit({ invoiceId: january!.id, reason: 'OTHER', items: [{ feeId: fee, amountCents: '3100' }] });
    // Crediting the whole invoice gives back its total, to the cent.
    expect(whole.totalAmountCents).toBe(january!.totalAmountCents);
    const voided = await ok<{ voidCreditNote: { creditNote: Note } }>(`mutation { voidCreditNote(input: {id: "${whole.id}"}) { creditNote { ${NOTE} } } }`);
    expect(voided.voidCreditNote.creditNote).toMatchObject({ creditStatus: 'VOIDED', balanceAmountCents: '0' });
    // Voiding again is a no-op that answers the voided note.
    expect(await ok(`mutation { voidCreditNote(input: {id: "${whole.id}"}) { creditNote { creditStatus } } }`)).toEqual({ voidCreditNote: { creditNote: { creditStatus: 'VOIDED' } } });
    await server.advanceClock('2026-03-01T00:00:00Z');
    expect((await invoices())[1]).toMatchObject({ creditNotesAmountCents: '0', totalAmountCents: '3720' });
  });

  it('a credit note on a pay-in-advance charge fee', async () => {
    await setup({ plan: { charges: [{ billableMetricCode: 'calls', chargeModel: 'STANDARD', properties: { amount: '2' }, payInAdvance: true, invoiceable: true }] } });
    await server.advanceClock('2026-01-05T00:00:00Z');
    await ok('mutation { createEvents(input: {events: [{transactionId: "t1", externalSubscriptionId: "s1", code: "calls", timestamp: "2026-01-05T00:00:00Z"}]}) { acceptedCount } }');
    await server.advanceClock('2026-01-06T00:00:00Z');
    const [advance] = (await invoices()).filter((i) => i.reason === 'IN_ADVANCE_CHARGE');
    const note = await credit({ invoiceId: advance!.id, reason: 'DUPLICATED_CHARGE', items: [{ feeId: advance!.fees[0]!.id, amountCents: '200' }] });
    expect(note).toMatchObject({ totalAmountCents: '200', creditAmountCents: '200' });
  });

  it('the automatic credit note on an upgrade from an in-advance plan: the unused days, consumed by the new plan’s first invoice', async () => {
    await setup({ plan: { payInAdvance: true } });
    await ok('mutation { createPlan(input: {code: "pro", name: "Pro", interval: MONTHLY, amountCents: "6200", amountCurrency: "EUR", payInAdvance: true}) { plan { code } } }');
    await server.advanceClock('2026-01-01T00:00:01Z');
    const [start] = await invoices();
    expect(start).toMatchObject({ reason: 'SUBSCRIPTION_STARTING', totalAmountCents: '3100' });
    await server.advanceClock('2026-01-16T12:00:00Z');
    await ok('mutation { createSubscription(input: {externalId: "s1", externalCustomerId: "c1", planCode: "pro"}) { subscription { status } } }');
    await server.advanceClock('2026-01-16T12:00:01Z');
    const notes = await ok<{ creditNotes: { edges: { node: Note }[] } }>(`{ creditNotes(externalCustomerId: "c1") { edges { node { ${NOTE} } } } }`);
    // Jan 16 (the upgrade day, billed on the new plan) → Jan 31: 16 unused days × 3100 / 31 = 1600, credited.
    expect(notes.creditNotes.edges.map((e) => e.node)).toMatchObject([
      { automatic: true, reason: 'ORDER_CHANGE', number: `${start!.number}-CN001`, items: [{ feeId: start!.fees[0]!.id, amountCents: '1600' }], totalAmountCents: '1600', creditAmountCents: '1600', creditStatus: 'CONSUMED', balanceAmountCents: '0' },
    ]);
    const upgrade = (await invoices()).find((i) => i.planCode === 'pro' && i.reason === 'SUBSCRIPTION_STARTING')!;
    // The new plan from the upgrade day: 6200 × 16 / 31 = 3200, less the 1600 credit.
    expect(upgrade).toMatchObject({ creditNotesAmountCents: '1600', totalAmountCents: '1600' });
    // Issued once, however many runs follow.
    await server.advanceClock('2026-02-01T00:00:01Z');
    expect((await ok<{ creditNotes: { edges: unknown[] } }>('{ creditNotes { edges { cursor } } }')).creditNotes.edges).toHaveLength(1);
  });

  it('a termination of an in-advance subscription credits the days after the termination day to the customer’s balance', async () => {
    await setup({ plan: { payInAdvance: true } });
    await server.advanceClock('2026-01-10T12:00:00Z');
    await ok('mutation { terminateSubscription(input: {externalId: "s1"}) { subscription { status } } }');
    await server.advanceClock('2026-01-10T12:00:01Z');
    const notes = await ok<{ creditNotes: { edges: { node: Note }[] } }>(`{ creditNotes { edges { node { ${NOTE} } } } }`);
    // Jan 11 → Jan 31: 21 days × 100 = 2100.
    expect(notes.creditNotes.edges.map((e) => e.node)).toMatchObject([{ automatic: true, totalAmountCents: '2100', creditStatus: 'AVAILABLE', balanceAmountCents: '2100' }]);
    expect(await balances()).toEqual([{ currency: 'EUR', amountCents: '2100' }]);
  });

  it('onTerminationCreditNote: REFUND gives back the unused days of a paid in-advance fee; SKIP issues nothing', async () => {
    await setup({ plan: { payInAdvance: true } });
    await ok('mutation { createSubscription(input: {externalId: "s2", externalCustomerId: "c1", planCode: "basic"}) { subscription { status } } }');
    await server.advanceClock('2026-01-01T00:00:01Z');
    for (const invoice of await invoices()) await ok(`mutation { updateInvoice(input: {id: "${invoice.id}", paymentStatus: SUCCEEDED}) { invoice { id } } }`);
    await server.advanceClock('2026-01-10T12:00:00Z');
    const terminated = await ok<{ terminateSubscription: { subscription: { onTerminationCreditNote: string } } }>('mutation { terminateSubscription(input: {externalId: "s1", onTerminationCreditNote: REFUND}) { subscription { onTerminationCreditNote } } }');
    expect(terminated.terminateSubscription.subscription.onTerminationCreditNote).toBe('REFUND');
    await ok('mutation { terminateSubscription(input: {externalId: "s2", onTerminationCreditNote: SKIP}) { subscription { status } } }');
    await server.advanceClock('2026-01-10T12:00:01Z');
    const notes = await ok<{ creditNotes: { edges: { node: Note }[] } }>(`{ creditNotes { edges { node { ${NOTE} } } } }`);
    // Jan 11 → Jan 31 unused (21 × 100 = 2100) of 3100 paid: all of it refunded; nothing for s2.
    expect(notes.creditNotes.edges.map((e) => e.node)).toMatchObject([{ automatic: true, totalAmountCents: '2100', refundAmountCents: '2100', creditAmountCents: '0', offsetAmountCents: '0' }]);
    expect(await balances()).toEqual([]);
  });

  it('creditNoteCreated pushes over websockets, automatic credit notes included', async () => {
    await setup();
    await server.advanceClock('2026-02-01T00:00:00Z');
    const [january] = await invoices();
    const pushes: string[] = [];
    server.ws(server.apiKey).subscribe({ query: 'subscription { creditNoteCreated(externalCustomerId: "c1") { number totalAmountCents } }' }, {
      next: (r) => pushes.push((r.data as { creditNoteCreated: { number: string } }).creditNoteCreated.number),
      error: () => {},
      complete: () => {},
    });
    await new Promise((r) => setTimeout(r, 200));
    const note = await credit({ invoiceId: january!.id, reason: 'OTHER', items: [{ feeId: january!.fees[0]!.id, amountCents: '100' }] });
    const deadline = Date.now() + 3_000;
    while (pushes.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(pushes).toEqual([note.number]);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, take, until, type TestServer } from '../support/server.ts';

/** Prepaid wallets through GraphQL, websockets and the manual clock (README "Wallets"; reference §4.4 step 7, §5.4). */

type Wallet = {
  id: string;
  status: string;
  balanceCents: string;
  creditsBalance: string;
  consumedCredits: string;
  pendingCredits: string;
  ongoingBalanceCents: string;
  ongoingUsageBalanceCents: string;
  creditsOngoingBalance: string;
  depletedOngoingBalance: boolean;
};
type Transaction = { id: string; transactionType: string; transactionStatus: string; status: string; source: string; creditAmount: string; amountCents: string; invoiceId: string | null };
type Invoice = {
  id: string;
  invoiceType: string;
  status: string;
  paymentStatus: string;
  feesAmountCents: string;
  taxesAmountCents: string;
  prepaidCreditAmountCents: string;
  totalAmountCents: string;
  chargesToDatetime: string | null;
  credits: { type: string; walletId: string | null; amountCents: string }[];
  fees: { feeType: string; units: string; amountCents: string; taxesAmountCents: string }[];
};

const WALLET = 'id status balanceCents creditsBalance consumedCredits pendingCredits ongoingBalanceCents ongoingUsageBalanceCents creditsOngoingBalance depletedOngoingBalance';
const TRANSACTION = 'id transactionType transactionStatus status source creditAmount amountCents invoiceId';
const INVOICE = `id invoiceType status paymentStatus feesAmountCents taxesAmountCents prepaidCreditAmountCents totalAmountCents chargesToDatetime
  credits { type walletId amountCents } fees { feeType units amountCents taxesAmountCents }`;

let server: TestServer;
afterEach(async () => server?.close());

async function ok<T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const result = await server.gql<T>(query, variables);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data as T;
}

/** The error a mutation answers, and that it appended nothing. */
async function refused(query: string, variables: Record<string, unknown>): Promise<{ code: unknown; field: unknown }> {
  const head = await server.system.app.deps.eventStore.headPosition();
  const result = await server.gql(query, variables);
  expect(await server.system.app.deps.eventStore.headPosition()).toBe(head);
  const error = result.errors?.[0];
  expect(error, 'an error').toBeDefined();
  return { code: error!.extensions?.code, field: error!.extensions?.field };
}

const CREATE = `mutation($input: CreateWalletInput!) { createWallet(input: $input) { wallet { ${WALLET} } } }`;
const TOP_UP = `mutation($input: CreateWalletTransactionInput!) { createWalletTransaction(input: $input) { wallet { ${WALLET} } walletTransactions { ${TRANSACTION} } } }`;

const createWallet = (input: Record<string, unknown>) =>
  ok<{ createWallet: { wallet: Wallet } }>(CREATE, { input: { externalCustomerId: 'c1', currency: 'EUR', rateAmount: '1', ...input } }).then((d) => d.createWallet.wallet);
const topUp = (input: Record<string, unknown>) =>
  ok<{ createWalletTransaction: { wallet: Wallet; walletTransactions: Transaction[] } }>(TOP_UP, { input }).then((d) => d.createWalletTransaction);
const wallet = (id: string) => ok<{ wallet: Wallet }>(`query($id: ID!) { wallet(id: $id) { ${WALLET} } }`, { id }).then((d) => d.wallet);
const transactions = (id: string) =>
  ok<{ wallet: { transactions: { edges: { node: Transaction }[] } } }>(`query($id: ID!) { wallet(id: $id) { transactions(first: 100) { edges { node { ${TRANSACTION} } } } } }`, { id }).then((d) =>
    d.wallet.transactions.edges.map((e) => e.node),
  );

async function setup(options: { plan?: Record<string, unknown>; taxes?: boolean } = {}) {
  server = await startTestServer({ CLOCK: 'manual', CLOCK_START: '2026-01-01T00:00:00Z' });
  for (const code of ['calls', 'storage']) {
    await ok('mutation($input: CreateBillableMetricInput!) { createBillableMetric(input: $input) { billableMetric { code } } }', { input: { code, name: code, aggregationType: 'COUNT' } });
  }
  await ok('mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { code } } }', {
    input: {
      code: 'basic',
      name: 'Basic',
      interval: 'MONTHLY',
      amountCents: '1000',
      amountCurrency: 'EUR',
      charges: [
        { billableMetricCode: 'calls', chargeModel: 'STANDARD', properties: { amount: '1' } },
        { billableMetricCode: 'storage', chargeModel: 'STANDARD', properties: { amount: '2' } },
      ],
      ...options.plan,
    },
  });
  await ok('mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { externalId } } }', { input: { externalId: 'c1', currency: 'EUR' } });
  await ok('mutation { createSubscription(input: {externalId: "s1", externalCustomerId: "c1", planCode: "basic"}) { subscription { status } } }');
}

/** `count` events of a metric; `prefix` keeps transaction ids apart between calls. */
async function send(code: string, count: number, prefix = code): Promise<void> {
  const timestamp = server.system.app.deps.clock.now().toISOString();
  const events = Array.from({ length: count }, (_, i) => ({ transactionId: `${prefix}-${i}`, externalSubscriptionId: 's1', code, timestamp }));
  await ok('mutation($input: CreateEventsInput!) { createEvents(input: $input) { acceptedCount } }', { input: { events } });
}

async function invoices(): Promise<Invoice[]> {
  const data = await ok<{ invoices: { edges: { node: Invoice }[] } }>(`{ invoices(first: 100) { edges { node { ${INVOICE} } } } }`);
  return data.invoices.edges.map((e) => e.node);
}

const subscriptionInvoices = async () => (await invoices()).filter((i) => i.invoiceType === 'SUBSCRIPTION').sort((a, b) => (a.chargesToDatetime ?? '').localeCompare(b.chargesToDatetime ?? ''));

describe('wallets', () => {
  it('granted credits settle at once; paid credits wait for their credit invoice to be paid', async () => {
    await setup();
    const created = await createWallet({ rateAmount: '1.5', paidCredits: '20', grantedCredits: '10' });
    // 10 credits × 1.50 EUR = 1500 cents settled; 20 paid credits (3000 cents) pending.
    expect(created).toMatchObject({ status: 'ACTIVE', balanceCents: '1500', creditsBalance: '10', pendingCredits: '20' });
    const all = await transactions(created.id);
    expect(all.map((t) => [t.transactionStatus, t.status, t.creditAmount, t.amountCents])).toEqual([
      ['PURCHASED', 'PENDING', '20', '3000'],
      ['GRANTED', 'SETTLED', '10', '1500'],
    ]);
    const credit = (await invoices()).find((i) => i.invoiceType === 'CREDIT')!;
    expect(credit).toMatchObject({ id: all[0]!.invoiceId, status: 'FINALIZED', paymentStatus: 'PENDING', totalAmountCents: '3000', taxesAmountCents: '0' });
    expect(credit.fees).toEqual([{ feeType: 'CREDIT', units: '20', amountCents: '3000', taxesAmountCents: '0' }]);
    await ok('mutation($id: ID!) { updateInvoice(input: {id: $id, paymentStatus: SUCCEEDED}) { invoice { paymentStatus } } }', { id: credit.id });
    expect(await wallet(created.id)).toMatchObject({ balanceCents: '4500', creditsBalance: '30', pendingCredits: '0' });
    expect((await transactions(created.id))[0]).toMatchObject({ status: 'SETTLED' });
    // Paying again changes nothing.
    await ok('mutation($id: ID!) { updateInvoice(input: {id: $id, paymentStatus: SUCCEEDED}) { invoice { paymentStatus } } }', { id: credit.id });
    expect(await wallet(created.id)).toMatchObject({ balanceCents: '4500', creditsBalance: '30' });
  });

  it('a failed payment fails the purchase: its credits never come', async () => {
    await setup();
    const created = await createWallet({ paidCredits: '5' });
    const credit = (await invoices()).find((i) => i.invoiceType === 'CREDIT')!;
    await ok('mutation($id: ID!) { updateInvoice(input: {id: $id, paymentStatus: FAILED}) { invoice { paymentStatus } } }', { id: credit.id });
    expect(await wallet(created.id)).toMatchObject({ balanceCents: '0', pendingCredits: '0' });
    expect((await transactions(created.id))[0]).toMatchObject({ transactionStatus: 'PURCHASED', status: 'FAILED' });
  });

  it('top-ups and voids move the balance; a void above it is refused and appends nothing', async () => {
    await setup();
    const created = await createWallet({ grantedCredits: '10' });
    const { wallet: after, walletTransactions } = await topUp({ walletId: created.id, grantedCredits: '5.123456', voidedCredits: '3' });
    // Credits are floored to 5 decimals (Lago): 5.12345 granted, then 3 voided.
    expect(walletTransactions.map((t) => [t.transactionType, t.transactionStatus, t.creditAmount])).toEqual([
      ['INBOUND', 'GRANTED', '5.12345'],
      ['OUTBOUND', 'VOIDED', '3'],
    ]);
    expect(after).toMatchObject({ creditsBalance: '12.12345', balanceCents: '1212', consumedCredits: '3' });
    expect(await refused(TOP_UP, { input: { walletId: created.id, voidedCredits: '100' } })).toEqual({ code: 'VALIDATION', field: 'input.voidedCredits' });
  });

  it('refuses bad wallets with VALIDATION naming the field, appending nothing', async () => {
    await setup();
    const input = (extra: Record<string, unknown>) => ({ input: { externalCustomerId: 'c1', currency: 'EUR', rateAmount: '1', ...extra } });
    expect(await refused(CREATE, input({ rateAmount: '0' }))).toEqual({ code: 'VALIDATION', field: 'input.rateAmount' });
    expect(await refused(CREATE, input({ priority: 51 }))).toEqual({ code: 'VALIDATION', field: 'input.priority' });
    expect(await refused(CREATE, input({ currency: 'USD' }))).toEqual({ code: 'VALIDATION', field: 'input.currency' });
    expect(await refused(CREATE, input({ externalCustomerId: 'nobody' }))).toEqual({ code: 'VALIDATION', field: 'input.externalCustomerId' });
    expect(await refused(CREATE, input({ appliesTo: { billableMetricCodes: ['unknown'] } }))).toEqual({ code: 'VALIDATION', field: 'input.appliesTo.billableMetricCodes.0' });
    expect(await refused(CREATE, input({ grantedCredits: '-1' }))).toEqual({ code: 'VALIDATION', field: 'input.grantedCredits' });
    expect(await refused(CREATE, input({ paidCredits: '1', paidTopUpMinAmountCents: '500' }))).toEqual({ code: 'VALIDATION', field: 'input.paidCredits' });
    expect(await refused(CREATE, input({ recurringTransactionRules: [{ trigger: 'INTERVAL', grantedCredits: '1' }] }))).toEqual({ code: 'VALIDATION', field: 'input.recurringTransactionRules.0.interval' });
    expect(await refused(CREATE, input({ recurringTransactionRules: [{ trigger: 'THRESHOLD', thresholdCredits: '1', grantedCredits: '1' }, { trigger: 'INTERVAL', interval: 'MONTHLY', grantedCredits: '1' }] }))).toEqual({
      code: 'VALIDATION',
      field: 'input.recurringTransactionRules',
    });
    await createWallet({ code: 'main' });
    expect(await refused(CREATE, input({ code: 'main' }))).toEqual({ code: 'VALIDATION', field: 'input.code' });
  });

  it('pays an invoice after taxes and credit notes, and a wallet limited to one metric pays only its fees', async () => {
    await setup();
    const limited = await createWallet({ grantedCredits: '100', appliesTo: { billableMetricCodes: ['calls'] } });
    await send('calls', 30);
    await send('storage', 10);
    await server.advanceClock('2026-02-01T00:00:00Z');
    const [january] = await subscriptionInvoices();
    // Fees: subscription 1000 + calls 30 × 100 + storage 10 × 200 = 6000; the wallet pays only the calls fee (3000)
    // up to its 10,000 cents.
    expect(january).toMatchObject({ feesAmountCents: '6000', prepaidCreditAmountCents: '3000', totalAmountCents: '3000' });
    expect(january!.credits).toEqual([{ type: 'WALLET', walletId: limited.id, amountCents: '3000' }]);
    expect(await wallet(limited.id)).toMatchObject({ balanceCents: '7000', creditsBalance: '70', consumedCredits: '30' });
    expect((await transactions(limited.id)).at(-1)).toMatchObject({ transactionType: 'OUTBOUND', transactionStatus: 'INVOICED', amountCents: '3000', invoiceId: january!.id });
  });

  it('two wallets pay by priority, the first until it is empty', async () => {
    await setup();
    const second = await createWallet({ grantedCredits: '50', priority: 20 });
    const first = await createWallet({ grantedCredits: '8', priority: 1 });
    await server.advanceClock('2026-02-01T00:00:00Z');
    const [january] = await subscriptionInvoices();
    expect(january).toMatchObject({ feesAmountCents: '1000', prepaidCreditAmountCents: '1000', totalAmountCents: '0', paymentStatus: 'SUCCEEDED' });
    expect(january!.credits).toEqual([
      { type: 'WALLET', walletId: first.id, amountCents: '800' },
      { type: 'WALLET', walletId: second.id, amountCents: '200' },
    ]);
    expect((await wallet(first.id)).balanceCents).toBe('0');
    expect((await wallet(second.id)).balanceCents).toBe('4800');
  });

  it('the ongoing balance deducts usage not yet invoiced as soon as it is folded, then the invoice', async () => {
    await setup();
    const created = await createWallet({ grantedCredits: '100' });
    await send('calls', 25);
    await server.settle();
    // 25 calls × 1 EUR not invoiced yet: ongoing 10,000 − 2,500.
    expect(await wallet(created.id)).toMatchObject({ balanceCents: '10000', ongoingUsageBalanceCents: '2500', ongoingBalanceCents: '7500', creditsOngoingBalance: '75', depletedOngoingBalance: false });
    await server.advanceClock('2026-02-01T00:00:00Z');
    // Invoiced: the balance paid 1000 + 2500; nothing is deducted twice.
    expect(await wallet(created.id)).toMatchObject({ balanceCents: '6500', ongoingUsageBalanceCents: '0', ongoingBalanceCents: '6500' });
  });

  it('an interval rule tops up once per occurrence as the clock passes them', async () => {
    await setup();
    const created = await createWallet({ grantedCredits: '1', recurringTransactionRules: [{ trigger: 'INTERVAL', interval: 'MONTHLY', grantedCredits: '10', startedAt: '2026-01-15T00:00:00Z' }] });
    await server.advanceClock('2026-01-20T00:00:00Z');
    expect((await transactions(created.id)).filter((t) => t.source === 'INTERVAL')).toHaveLength(1);
    await server.advanceClock('2026-03-20T00:00:00Z');
    const interval = (await transactions(created.id)).filter((t) => t.source === 'INTERVAL');
    expect(interval.map((t) => [t.transactionStatus, t.status, t.creditAmount])).toEqual([
      ['GRANTED', 'SETTLED', '10'],
      ['GRANTED', 'SETTLED', '10'],
      ['GRANTED', 'SETTLED', '10'],
    ]);
    await server.advanceClock('2026-03-21T00:00:00Z');
    expect((await transactions(created.id)).filter((t) => t.source === 'INTERVAL')).toHaveLength(3);
  });

  it('an expiring wallet is terminated by the clock and pays nothing afterwards', async () => {
    await setup();
    const created = await createWallet({ grantedCredits: '100', expirationAt: '2026-01-20T00:00:00Z' });
    await server.advanceClock('2026-02-01T00:00:00Z');
    expect(await wallet(created.id)).toMatchObject({ status: 'TERMINATED' });
    const [january] = await subscriptionInvoices();
    expect(january).toMatchObject({ prepaidCreditAmountCents: '0', totalAmountCents: '1000' });
    expect(await refused(TOP_UP, { input: { walletId: created.id, grantedCredits: '1' } })).toMatchObject({ code: 'CONFLICT' });
  });

  it('a threshold top-up fires exactly once when 8 concurrent clients push the ongoing balance through it', async () => {
    await setup();
    // 20 credits; top up 50 paid credits when the ongoing balance falls to 10 or below.
    const created = await createWallet({ grantedCredits: '20', recurringTransactionRules: [{ trigger: 'THRESHOLD', thresholdCredits: '10', paidCredits: '50' }] });
    await Promise.all(Array.from({ length: 8 }, (_, client) => send('calls', 2, `client${client}`)));
    await server.settle();
    // 16 calls: ongoing 20 − 16 = 4 ≤ 10 → one paid top-up of 50, pending; 4 + 50 > 10 afterwards.
    const fired = await until(
      () => transactions(created.id),
      (all) => all.some((t) => t.source === 'THRESHOLD'),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    await send('calls', 1, 'late');
    await server.settle();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const thresholds = (await transactions(created.id)).filter((t) => t.source === 'THRESHOLD');
    expect(fired.some((t) => t.source === 'THRESHOLD')).toBe(true);
    expect(thresholds.map((t) => [t.transactionStatus, t.status, t.creditAmount])).toEqual([['PURCHASED', 'PENDING', '50']]);
    expect(await wallet(created.id)).toMatchObject({ pendingCredits: '50', creditsOngoingBalance: '3' });
    // Its credit invoice was issued; paid, the credits settle.
    const credit = (await invoices()).find((i) => i.id === thresholds[0]!.invoiceId)!;
    expect(credit).toMatchObject({ invoiceType: 'CREDIT', totalAmountCents: '5000' });
  });

  it('eight checks of one crossing racing each other top up once (the decision is taken on the wallet stream)', async () => {
    await setup();
    const created = await createWallet({ grantedCredits: '20', recurringTransactionRules: [{ trigger: 'THRESHOLD', thresholdCredits: '10', grantedCredits: '30' }] });
    const { wallets } = server.system.app;
    const doc = (await wallets.wallets().findOne({ _id: created.id }))!;
    // As if 8 instances had each computed 15 credits of usage (ongoing 5 ≤ 10) before any of them topped up.
    const balance = { ...(await wallets.ongoing(doc, { fresh: true })), allocatedCents: '1500' };
    const results = await Promise.all(Array.from({ length: 8 }, () => wallets.checkThreshold(doc, balance)));
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    const thresholds = (await transactions(created.id)).filter((t) => t.source === 'THRESHOLD');
    expect(thresholds.map((t) => [t.transactionStatus, t.creditAmount])).toEqual([['GRANTED', '30']]);
    expect(await wallet(created.id)).toMatchObject({ creditsBalance: '50' });
  });

  it('walletUpdated pushes the ongoing balance as usage is folded', async () => {
    await setup();
    const created = await createWallet({ grantedCredits: '100' });
    const client = server.ws(server.apiKey);
    const { started, done } = take<{ walletUpdated: Wallet }>(client, `subscription($id: ID!) { walletUpdated(walletId: $id) { ${WALLET} } }`, 2, { id: created.id });
    await started;
    await new Promise((resolve) => setTimeout(resolve, 100));
    await send('calls', 7);
    const [first, second] = await done;
    expect(first!.walletUpdated).toMatchObject({ id: created.id, ongoingBalanceCents: '10000' });
    expect(second!.walletUpdated).toMatchObject({ id: created.id, ongoingUsageBalanceCents: '700', ongoingBalanceCents: '9300' });
  });
});

/**
 * The catalog and the book of the realistic shape, created over GraphQL: 4 metrics, plans `pro` and `team`
 * (each charging all 4), customers `cus_<n>` in mixed timezones and 5 subscriptions `sub_<n>` each, alternating
 * between the plans, at most 16 requests in flight.
 */
import { gql, type Endpoint } from './gql.ts';
import { customerId, customerOfSubscription, subscriptionId, type Shape } from './workload.ts';

const TIMEZONES = ['UTC', 'America/New_York', 'Europe/Paris', 'Asia/Kolkata'];
export const PLANS = ['pro', 'team'] as const;
export const planOf = (subscription: number) => PLANS[subscription % PLANS.length]!;

const METRIC = 'mutation($input: CreateBillableMetricInput!) { createBillableMetric(input: $input) { billableMetric { code } } }';
const PLAN = 'mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { code } } }';
const CUSTOMER = 'mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { externalId } } }';
const SUBSCRIPTION = 'mutation($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { status } } }';

/** Runs `work` over `items` with at most `concurrency` in flight. */
export async function pool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

type Prices = { call: string; euCall: string; tokens: [string, string, string]; seatPack: string; gpu: [string, string] };

function planInput(code: string, prices: Prices) {
  const tiers = [
    { fromValue: 0, toValue: 10_000, perUnitAmount: prices.tokens[0], flatAmount: '0' },
    { fromValue: 10_001, toValue: 100_000, perUnitAmount: prices.tokens[1], flatAmount: '0' },
    { fromValue: 100_001, toValue: null, perUnitAmount: prices.tokens[2], flatAmount: '1' },
  ];
  return {
    code,
    name: code.toUpperCase(),
    interval: 'MONTHLY',
    amountCents: '0',
    amountCurrency: 'EUR',
    charges: [
      { billableMetricCode: 'api_calls', chargeModel: 'STANDARD', properties: { amount: prices.call }, filters: [{ values: { region: ['eu'] }, properties: { amount: prices.euCall } }] },
      { billableMetricCode: 'tokens', chargeModel: 'GRADUATED', properties: { graduatedRanges: tiers } },
      { billableMetricCode: 'active_users', chargeModel: 'PACKAGE', properties: { amount: prices.seatPack, packageSize: 5, freeUnits: 0 } },
      {
        billableMetricCode: 'gpu_peak',
        chargeModel: 'VOLUME',
        properties: {
          volumeRanges: [
            { fromValue: 0, toValue: 50, perUnitAmount: prices.gpu[0], flatAmount: '0' },
            { fromValue: 51, toValue: null, perUnitAmount: prices.gpu[1], flatAmount: '10' },
          ],
        },
      },
    ],
  };
}

export type SetupTimes = { catalogSeconds: number; customersSeconds: number; subscriptionsSeconds: number; totalSeconds: number };

export async function createCatalog(endpoint: Endpoint, shape: Shape): Promise<SetupTimes> {
  const started = performance.now();
  const metric = (input: Record<string, unknown>) => gql(endpoint, METRIC, { input });
  await metric({ code: 'api_calls', name: 'API calls', aggregationType: 'COUNT', filters: [{ key: 'region', values: ['eu', 'us', 'ap'] }] });
  await metric({ code: 'tokens', name: 'Tokens', aggregationType: 'SUM', fieldName: 'tokens' });
  await metric({ code: 'active_users', name: 'Active users', aggregationType: 'UNIQUE_COUNT', fieldName: 'user' });
  await metric({ code: 'gpu_peak', name: 'GPU peak', aggregationType: 'MAX', fieldName: 'gpu' });
  await gql(endpoint, PLAN, { input: planInput('pro', { call: '0.001', euCall: '0.002', tokens: ['0.0001', '0.00005', '0.00002'], seatPack: '10', gpu: ['0.5', '0.4'] }) });
  await gql(endpoint, PLAN, { input: planInput('team', { call: '0.0008', euCall: '0.0015', tokens: ['0.00008', '0.00004', '0.00001'], seatPack: '25', gpu: ['0.45', '0.35'] }) });
  const catalogDone = performance.now();

  const customers = Array.from({ length: shape.customers }, (_, i) => i);
  await pool(customers, 16, (i) => gql(endpoint, CUSTOMER, { input: { externalId: customerId(i), currency: 'EUR', timezone: TIMEZONES[i % TIMEZONES.length] } }));
  const customersDone = performance.now();

  const subscriptions = Array.from({ length: shape.subscriptions }, (_, i) => i);
  await pool(subscriptions, 16, (i) =>
    gql(endpoint, SUBSCRIPTION, { input: { externalId: subscriptionId(i), externalCustomerId: customerId(customerOfSubscription(i)), planCode: planOf(i) } }),
  );
  const done = performance.now();
  return {
    catalogSeconds: (catalogDone - started) / 1000,
    customersSeconds: (customersDone - catalogDone) / 1000,
    subscriptionsSeconds: (done - customersDone) / 1000,
    totalSeconds: (done - started) / 1000,
  };
}

export async function organizationId(endpoint: Endpoint): Promise<string> {
  return (await gql<{ organization: { id: string } }>(endpoint, '{ organization { id } }')).data.organization.id;
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/application/logger.ts';
import { composeSystem } from '../../src/compose.ts';
import { loadConfig } from '../../src/config.ts';
import { startTestServer, type GqlResult, type TestServer } from '../support/server.ts';

/**
 * Issue 12, "Races": two commands that depend on each other's aggregate, sent together, always end in a state the
 * engine's rules allow (ARCHITECTURE.md, consistency across aggregates; src/application/consistency.ts); identical
 * concurrent upserts all answer the entity. 30 rounds per race, each round on fresh codes, the two requests sent in
 * alternating order. Run on one process (projections inline), and on two API instances sharing one SQLite file with
 * a projection worker (as separate processes would: each command of a pair goes to another instance).
 */
const ROUNDS = 30;

const METRIC = 'mutation($input: CreateBillableMetricInput!) { createBillableMetric(input: $input) { billableMetric { code } } }';
const DELETE_METRIC = 'mutation($input: DeleteBillableMetricInput!) { deleteBillableMetric(input: $input) { billableMetric { code } } }';
const PLAN = 'mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { code } } }';
const TAX = 'mutation($input: CreateTaxInput!) { createTax(input: $input) { tax { code } } }';
const DELETE_TAX = 'mutation($input: DeleteTaxInput!) { deleteTax(input: $input) { tax { code } } }';
const CUSTOMER = 'mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id externalId currency taxCodes } } }';
const SUBSCRIPTION = 'mutation($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { id externalId planCode status } } }';

type Outcome = 'ok' | string;
const outcome = (result: GqlResult<unknown>): Outcome => (result.errors ? (result.errors[0]?.extensions?.code ?? 'NO CODE') : 'ok');

const plan = (code: string, extra: Record<string, unknown> = {}) => ({
  code, name: code, interval: 'MONTHLY', amountCents: '1000', amountCurrency: 'EUR', ...extra,
});

/** Two API endpoints (possibly the same one), the key to use on both, and how to stop them. */
type Deployment = { servers: [TestServer, TestServer]; key: string; close(): Promise<void> };

const DEPLOYMENTS: [string, () => Promise<Deployment>][] = [
  [
    'one process',
    async () => {
      const server = await startTestServer();
      return { servers: [server, server], key: server.apiKey, close: () => server.close() };
    },
  ],
  [
    'two API instances on one file, projections in a worker',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'billing-races-'));
      const env = { DATA_DIR: dir, DATABASE_PATH: join(dir, 'billing.db'), LOG_LEVEL: 'silent' };
      // Appends made by another process reach the worker by polling: inline projections poll the file every 25 ms
      // (a projection thread, every 250 ms), and commit on their interval (the API's waits do not reach them).
      const worker = await composeSystem(loadConfig({ ...env, ROLE: 'worker', PROJECTIONS: 'inline', USAGE_COMMIT_INTERVAL_MS: '10' }), { logger: createLogger('silent') });
      const first = await startTestServer({ ...env, ROLE: 'api' });
      const second = await startTestServer({ ...env, ROLE: 'api' });
      return {
        servers: [first, second],
        key: first.apiKey,
        async close() {
          await first.close();
          await second.close();
          await worker.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  ],
];

for (const [name, start] of DEPLOYMENTS) describe(`races between commands that depend on each other (30 rounds each): ${name}`, () => {
  let deployment: Deployment;
  beforeAll(async () => {
    deployment = await start();
  });
  afterAll(async () => deployment.close());

  const server = {
    gql: <T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>) => deployment.servers[0].gql<T>(query, variables, deployment.key),
  };
  /**
   * Sends two requests together, one to each instance; even rounds start `a` first, odd rounds `b`. Answers in
   * (a, b) order.
   */
  const together = async <A, B>(round: number, a: (s: TestServer) => Promise<A>, b: (s: TestServer) => Promise<B>): Promise<[A, B]> => {
    const [one, two] = deployment.servers;
    if (round % 2 === 0) return Promise.all([a(one), b(two)]);
    const [second, first] = await Promise.all([b(two), a(one)]);
    return [first, second];
  };
  const send = <T = Record<string, unknown>>(query: string, input: Record<string, unknown>) => (s: TestServer) => s.gql<T>(query, { input }, deployment.key);

  const ok = async <T>(query: string, input: Record<string, unknown>): Promise<T> => {
    const result = await server.gql<T>(query, { input });
    expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
    return result.data!;
  };
  /** Whether a live entity answers (each queried alone: a NOT_FOUND nulls the whole answer). */
  const exists = async (query: string, variables: Record<string, unknown>): Promise<boolean> => {
    const result = await server.gql(query, variables);
    if (result.errors?.[0]?.extensions?.code === 'NOT_FOUND') return false;
    expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
    return true;
  };
  const metricExists = (code: string) => exists('query($code: String!) { billableMetric(code: $code) { code } }', { code });
  const taxExists = (code: string) => exists('query($code: String!) { tax(code: $code) { code } }', { code });
  /** Tallies the pairs of outcomes, so a failure shows what happened. */
  const tally = (seen: Map<string, number>, key: string) => seen.set(key, (seen.get(key) ?? 0) + 1);

  it('deleteBillableMetric ‖ createPlan charging it: never a live plan charging a deleted metric', async () => {
    const seen = new Map<string, number>();
    for (let round = 0; round < ROUNDS; round += 1) {
      const [metric, code] = [`m_${round}`, `p_m_${round}`];
      await ok(METRIC, { code: metric, name: metric, aggregationType: 'COUNT' });
      const [deleted, created] = await together(
        round,
        send(DELETE_METRIC, { code: metric }),
        send(PLAN, plan(code, { charges: [{ billableMetricCode: metric, chargeModel: 'STANDARD', properties: { amount: '1' } }] })),
      );
      const pair = `delete ${outcome(deleted)}, plan ${outcome(created)}`;
      tally(seen, pair);
      // The delete wins and the plan is refused naming the charge's metric, or the plan wins and the delete is
      // refused (CONFLICT: in use), as when they are sent one after the other.
      expect(['delete ok, plan VALIDATION', 'delete CONFLICT, plan ok'], pair).toContain(pair);
      const charging = await server.gql<{ plan: { charges: { billableMetricCode: string }[] } }>('query($code: String!) { plan(code: $code) { charges { billableMetricCode } } }', { code });
      const charged = (charging.data?.plan.charges ?? []).some((charge) => charge.billableMetricCode === metric);
      expect(charged && !(await metricExists(metric)), `round ${round}: a live plan charges a deleted metric`).toBe(false);
    }
    console.info(`${name}: deleteBillableMetric ‖ createPlan:`, Object.fromEntries(seen));
  });

  it('deleteTax ‖ createCustomer with that tax: never a live customer carrying a deleted tax', async () => {
    const seen = new Map<string, number>();
    for (let round = 0; round < ROUNDS; round += 1) {
      const [tax, externalId] = [`t_c_${round}`, `cus_t_${round}`];
      await ok(TAX, { code: tax, name: tax, rate: '20' });
      const [deleted, created] = await together(round, send(DELETE_TAX, { code: tax }), send(CUSTOMER, { externalId, taxCodes: [tax] }));
      const pair = `delete ${outcome(deleted)}, customer ${outcome(created)}`;
      tally(seen, pair);
      expect(['delete ok, customer VALIDATION', 'delete CONFLICT, customer ok'], pair).toContain(pair);
      const after = await server.gql<{ customer: { taxCodes: string[] } }>('query($id: String!) { customer(externalId: $id) { taxCodes } }', { id: externalId });
      const carried = (after.data?.customer.taxCodes ?? []).includes(tax);
      expect(carried && !(await taxExists(tax)), `round ${round}: a live customer carries a deleted tax`).toBe(false);
    }
    console.info(`${name}: deleteTax ‖ createCustomer:`, Object.fromEntries(seen));
  });

  it('deleteTax ‖ createPlan with that tax: never a live plan carrying a deleted tax', async () => {
    const seen = new Map<string, number>();
    for (let round = 0; round < ROUNDS; round += 1) {
      const [tax, code] = [`t_p_${round}`, `p_t_${round}`];
      await ok(TAX, { code: tax, name: tax, rate: '20' });
      const [deleted, created] = await together(round, send(DELETE_TAX, { code: tax }), send(PLAN, plan(code, { taxCodes: [tax] })));
      const pair = `delete ${outcome(deleted)}, plan ${outcome(created)}`;
      tally(seen, pair);
      expect(['delete ok, plan VALIDATION', 'delete CONFLICT, plan ok'], pair).toContain(pair);
      const after = await server.gql<{ plan: { taxCodes: string[] } }>('query($code: String!) { plan(code: $code) { taxCodes } }', { code });
      const carried = (after.data?.plan.taxCodes ?? []).includes(tax);
      expect(carried && !(await taxExists(tax)), `round ${round}: a live plan carries a deleted tax`).toBe(false);
    }
    console.info(`${name}: deleteTax ‖ createPlan:`, Object.fromEntries(seen));
  });

  const COUPON = 'mutation($input: CreateCouponInput!) { createCoupon(input: $input) { coupon { code } } }';
  const APPLY = 'mutation($input: ApplyCouponInput!) { applyCoupon(input: $input) { appliedCoupon { id percentageRate } } }';
  const UPDATE_COUPON = 'mutation($input: UpdateCouponInput!) { updateCoupon(input: $input) { coupon { percentageRate } } }';
  const appliedOf = async (externalCustomerId: string, couponCode: string) => {
    const data = await server.gql<{ appliedCoupons: { edges: { node: { couponCode: string; percentageRate: string } }[] } }>('query($c: String!) { appliedCoupons(externalCustomerId: $c, first: 500) { edges { node { couponCode percentageRate } } } }', { c: externalCustomerId });
    return (data.data?.appliedCoupons.edges ?? []).map((e) => e.node).filter((n) => n.couponCode === couponCode);
  };

  it('applyCoupon ‖ applyCoupon of a coupon that is not reusable: applied to the customer once', async () => {
    const seen = new Map<string, number>();
    await ok(CUSTOMER, { externalId: 'cus_coupon_once', currency: 'EUR' });
    for (let round = 0; round < ROUNDS; round += 1) {
      const coupon = `once_${round}`;
      await ok(COUPON, { code: coupon, name: coupon, couponType: 'PERCENTAGE', percentageRate: '5', reusable: false });
      const input = { externalCustomerId: 'cus_coupon_once', couponCode: coupon };
      const [first, second] = await together(round, send(APPLY, input), send(APPLY, input));
      const pair = [outcome(first), outcome(second)].sort().join(', ');
      tally(seen, pair);
      expect(pair).toBe('VALIDATION, ok');
      expect(await appliedOf('cus_coupon_once', coupon), `round ${round}`).toHaveLength(1);
    }
    console.info(`${name}: applyCoupon ‖ applyCoupon:`, Object.fromEntries(seen));
  });

  it('updateCoupon ‖ applyCoupon: the terms applied are the coupon’s terms, never changed afterwards', async () => {
    const seen = new Map<string, number>();
    await ok(CUSTOMER, { externalId: 'cus_coupon_terms', currency: 'EUR' });
    for (let round = 0; round < ROUNDS; round += 1) {
      const coupon = `terms_${round}`;
      await ok(COUPON, { code: coupon, name: coupon, couponType: 'PERCENTAGE', percentageRate: '5' });
      const [updated, applied] = await together(round, send(UPDATE_COUPON, { code: coupon, percentageRate: '50' }), send(APPLY, { externalCustomerId: 'cus_coupon_terms', couponCode: coupon }));
      const pair = `update ${outcome(updated)}, apply ${outcome(applied)}`;
      tally(seen, pair);
      // The update first (the application takes 50 %), or the application first (the update is refused: applied).
      expect(['update ok, apply ok', 'update CONFLICT, apply ok'], pair).toContain(pair);
      const current = await server.gql<{ coupon: { percentageRate: string } }>('query($code: String!) { coupon(code: $code) { percentageRate } }', { code: coupon });
      const [only] = await appliedOf('cus_coupon_terms', coupon);
      expect(only?.percentageRate, `round ${round}: applied at the coupon's terms`).toBe(current.data?.coupon.percentageRate);
    }
    console.info(`${name}: updateCoupon ‖ applyCoupon:`, Object.fromEntries(seen));
  });

  for (const initial of ['EUR', null] as const) {
    it(`a customer's currency change (from ${initial ?? 'none'} to USD) ‖ createSubscription on an EUR plan: never a USD customer with an EUR subscription`, async () => {
      await ok(PLAN, plan(`euro_${initial ?? 'none'}`));
      const seen = new Map<string, number>();
      for (let round = 0; round < ROUNDS; round += 1) {
        const [externalId, subscription] = [`cus_${initial ?? 'none'}_${round}`, `sub_${initial ?? 'none'}_${round}`];
        await ok(CUSTOMER, { externalId, ...(initial ? { currency: initial } : {}) });
        const [changed, subscribed] = await together(
          round,
          send(CUSTOMER, { externalId, currency: 'USD' }),
          send(SUBSCRIPTION, { externalId: subscription, externalCustomerId: externalId, planCode: `euro_${initial ?? 'none'}` }),
        );
        const pair = `currency ${outcome(changed)}, subscription ${outcome(subscribed)}`;
        tally(seen, pair);
        // The subscription wins (the currency is then fixed: VALIDATION), or the change wins (the plan's currency
        // then differs from the customer's: VALIDATION).
        expect(['currency VALIDATION, subscription ok', 'currency ok, subscription VALIDATION'], pair).toContain(pair);
        const after = await server.gql<{ customer: { currency: string | null }; subscriptions: { edges: { node: { plan: { amountCurrency: string } } }[] } }>(
          'query($id: String!) { customer(externalId: $id) { currency } subscriptions(externalCustomerId: $id) { edges { node { plan { amountCurrency } } } } }',
          { id: externalId },
        );
        const currency = after.data!.customer.currency;
        for (const edge of after.data!.subscriptions.edges) expect([null, edge.node.plan.amountCurrency], `round ${round}`).toContain(currency);
      }
      console.info(`${name}: currency change from ${initial ?? 'none'} ‖ createSubscription:`, Object.fromEntries(seen));
    });
  }

  const WEBHOOK_ENDPOINT = 'mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { webhookEndpoint { id url } } }';
  const DELETE_WEBHOOK_ENDPOINT = 'mutation($input: DeleteWebhookEndpointInput!) { deleteWebhookEndpoint(input: $input) { webhookEndpoint { id } } }';
  type CreatedEndpoint = { createWebhookEndpoint: { webhookEndpoint: { id: string; url: string } } };
  const liveEndpoints = async () =>
    (await server.gql<{ webhookEndpoints: { edges: { node: { id: string; url: string } }[] } }>('{ webhookEndpoints(first: 100) { edges { node { id url } } } }')).data!.webhookEndpoints.edges.map((e) => e.node);
  // Endpoints at a closed local port, for a type nothing here makes: nothing is delivered.
  const endpointInput = (path: string) => ({ url: `http://127.0.0.1:9/${path}`, eventTypes: ['plan.deleted'] });
  const dropEndpoints = async (results: GqlResult<CreatedEndpoint>[]) => {
    for (const result of results) if (!result.errors) await ok(DELETE_WEBHOOK_ENDPOINT, { id: result.data!.createWebhookEndpoint.webhookEndpoint.id });
  };

  it('createWebhookEndpoint ‖ createWebhookEndpoint of one url: one live endpoint with it', async () => {
    const seen = new Map<string, number>();
    for (let round = 0; round < ROUNDS; round += 1) {
      const input = endpointInput(`same/${round}`);
      const results = await together(round, send<CreatedEndpoint>(WEBHOOK_ENDPOINT, input), send<CreatedEndpoint>(WEBHOOK_ENDPOINT, input));
      const pair = results.map(outcome).sort().join(', ');
      tally(seen, pair);
      expect(pair).toBe('CONFLICT, ok');
      expect((await liveEndpoints()).filter((e) => e.url === input.url), `round ${round}`).toHaveLength(1);
      await dropEndpoints(results);
    }
    console.info(`${name}: createWebhookEndpoint ‖ createWebhookEndpoint (same url):`, Object.fromEntries(seen));
  });

  it('createWebhookEndpoint ‖ createWebhookEndpoint for the last free slot: never more than 10 live endpoints', async () => {
    const seen = new Map<string, number>();
    const filled: GqlResult<CreatedEndpoint>[] = [];
    for (let i = 0; i < 9; i += 1) filled.push(await server.gql<CreatedEndpoint>(WEBHOOK_ENDPOINT, { input: endpointInput(`fill/${i}`) }));
    expect(filled.map(outcome)).toEqual(Array(9).fill('ok'));
    for (let round = 0; round < ROUNDS; round += 1) {
      const results = await together(round, send<CreatedEndpoint>(WEBHOOK_ENDPOINT, endpointInput(`slot/${round}/a`)), send<CreatedEndpoint>(WEBHOOK_ENDPOINT, endpointInput(`slot/${round}/b`)));
      const pair = results.map(outcome).sort().join(', ');
      tally(seen, pair);
      expect(pair).toBe('CONFLICT, ok');
      expect(await liveEndpoints(), `round ${round}`).toHaveLength(10);
      await dropEndpoints(results);
    }
    await dropEndpoints(filled);
    console.info(`${name}: createWebhookEndpoint ‖ createWebhookEndpoint (last slot):`, Object.fromEntries(seen));
  });

  describe('identical concurrent upserts all answer the entity', () => {
    it('5 × createCustomer, 10 rounds', async () => {
      for (let round = 0; round < 10; round += 1) {
        const input = { externalId: `cus_same_${round}`, name: 'Same', currency: 'EUR' };
        const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => send<{ createCustomer: { customer: { id: string } } }>(CUSTOMER, input)(deployment.servers[i % 2]!)));
        for (const answer of answers) expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
        expect(new Set(answers.map((answer) => answer.data!.createCustomer.customer.id)).size).toBe(1);
      }
    });

    it('5 × createSubscription, 10 rounds', async () => {
      await ok(PLAN, plan('same_plan'));
      await ok(CUSTOMER, { externalId: 'cus_same_subs', currency: 'EUR' });
      for (let round = 0; round < 10; round += 1) {
        const input = { externalId: `sub_same_${round}`, externalCustomerId: 'cus_same_subs', planCode: 'same_plan' };
        const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => send<{ createSubscription: { subscription: { id: string } } }>(SUBSCRIPTION, input)(deployment.servers[i % 2]!)));
        for (const answer of answers) expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
        expect(new Set(answers.map((answer) => answer.data!.createSubscription.subscription.id)).size).toBe(1);
      }
    });
  });
});

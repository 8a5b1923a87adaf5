import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startBillingClock } from '../../src/application/billingClock.ts';
import { isManualClock } from '../../src/application/ports/clockControl.ts';
import { createPlanWith } from '../support/catalog.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

describe('billing clock', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer({ CLOCK: 'manual' });
    await server.advanceClock('2030-01-10T00:00:00Z');
    await server.gql('mutation { createBillableMetric(input: {code: "calls", name: "Calls", aggregationType: COUNT}) { billableMetric { code } } }');
    await createPlanWith(server, 'basic', [{ billableMetricCode: 'calls' }]);
    await server.gql('mutation { createCustomer(input: {externalId: "c1", currency: "EUR"}) { customer { externalId } } }');
  });
  afterEach(async () => server.close());

  const status = async () =>
    (await server.gql<{ subscription: { status: string } }>('{ subscription(externalId: "s1") { status } }')).data?.subscription.status;

  it('activates a due pending subscription on its tick, without anyone calling advanceClock', async () => {
    const created = await server.gql('mutation { createSubscription(input: {externalId: "s1", externalCustomerId: "c1", planCode: "basic", subscriptionAt: "2030-02-01T00:00:00Z"}) { subscription { status } } }');
    expect(created.errors).toBeUndefined();
    const { clock } = server.system.app.deps;
    if (!isManualClock(clock)) throw new Error('manual clock expected');
    await clock.advance(new Date('2030-02-02T00:00:00Z')); // time passes, no mutation, no activation yet
    expect(await status()).toBe('PENDING');
    const billingClock = startBillingClock(server.system.app, 60_000);
    try {
      expect(await billingClock.tick()).toBe(1);
      expect(await status()).toBe('ACTIVE');
      expect(await billingClock.tick()).toBe(0); // idempotent: nothing left to do
    } finally {
      billingClock.stop();
    }
  });
});

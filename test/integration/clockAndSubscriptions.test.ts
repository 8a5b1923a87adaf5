import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestServer, take, type TestServer } from '../support/server.ts';

describe('clock', () => {
  let server: TestServer;
  afterEach(async () => server.close());

  it('advances in manual mode and only forward', async () => {
    server = await startTestServer({ CLOCK: 'manual' });
    const moved = await server.gql<{ advanceClock: { mode: string; now: string } }>(
      'mutation { advanceClock(input: {to: "2031-02-03T04:05:06.000Z"}) { mode now } }', {}, ADMIN_KEY,
    );
    expect(moved.data?.advanceClock).toEqual({ mode: 'MANUAL', now: '2031-02-03T04:05:06.000Z' });
    expect((await server.gql<{ clock: { now: string } }>('{ clock { now } }')).data?.clock.now).toBe('2031-02-03T04:05:06.000Z');
    const back = await server.gql('mutation { advanceClock(input: {to: "2030-01-01T00:00:00Z"}) { now } }', {}, ADMIN_KEY);
    expect(back.errors?.[0]?.extensions).toMatchObject({ code: 'VALIDATION', field: 'to' });
  });

  it("is the operator's: an organization key cannot move it (FORBIDDEN), the admin key can", async () => {
    server = await startTestServer({ CLOCK: 'manual' });
    const before = (await server.gql<{ clock: { now: string } }>('{ clock { now } }')).data!.clock.now;
    const refused = await server.gql('mutation { advanceClock(input: {to: "2031-02-03T04:05:06.000Z"}) { now } }');
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(refused.errors?.[0]?.message).toMatch(/ADMIN_API_KEY/);
    expect((await server.gql<{ clock: { now: string } }>('{ clock { now } }')).data!.clock.now).toBe(before);
    expect((await server.system.app.deps.eventStore.readAll()).some((e) => e.type.startsWith('Clock'))).toBe(false);
    const moved = await server.gql<{ advanceClock: { now: string } }>('mutation { advanceClock(input: {to: "2031-02-03T04:05:06.000Z"}) { now } }', {}, ADMIN_KEY);
    expect(moved.errors).toBeUndefined();
    expect(moved.data?.advanceClock.now).toBe('2031-02-03T04:05:06.000Z');
  });

  it('cannot be moved at all without ADMIN_API_KEY configured (FORBIDDEN)', async () => {
    server = await startTestServer({ CLOCK: 'manual', ADMIN_API_KEY: '' });
    const refused = await server.gql('mutation { advanceClock(input: {to: "2031-02-03T04:05:06.000Z"}) { now } }');
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('stamps events with the manual time', async () => {
    server = await startTestServer({ CLOCK: 'manual' });
    await server.advanceClock('2031-01-01T00:00:00.000Z');
    const org = await server.gql<{ createOrganization: { organization: { id: string } } }>(
      'mutation { createOrganization(input: {name: "Later"}) { organization { id } } }', {}, ADMIN_KEY,
    );
    expect(org.errors).toBeUndefined();
    const log = await server.system.app.deps.eventStore.readAll();
    expect(log.find((e) => e.type === 'OrganizationCreated' && (e.data as { name: string }).name === 'Later')?.metadata.recordedAt).toBe('2031-01-01T00:00:00.000Z');
  });

  it('refuses advanceClock with FORBIDDEN on the system clock', async () => {
    server = await startTestServer();
    const result = await server.gql('mutation { advanceClock(input: {to: "2031-01-01T00:00:00Z"}) { now } }');
    expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('rejects a malformed instant with VALIDATION', async () => {
    server = await startTestServer({ CLOCK: 'manual' });
    const result = await server.gql('mutation { advanceClock(input: {to: "tomorrow"}) { now } }', {}, ADMIN_KEY);
    expect(result.errors?.[0]?.extensions?.code).toBe('VALIDATION');
  });
});

describe('subscriptions over graphql-ws', () => {
  let server: TestServer;
  afterEach(async () => server.close());

  it("streams the organization's own events to an authenticated socket, and not another organization's", async () => {
    server = await startTestServer();
    const mine = (await server.gql<{ organization: { id: string } }>('{ organization { id } }')).data!.organization.id;
    const other = await server.gql<{ createOrganization: { organization: { id: string } } }>(
      'mutation { createOrganization(input: {name: "Other"}) { organization { id } } }', {}, ADMIN_KEY,
    );
    const otherId = other.data!.createOrganization.organization.id;
    const client = server.ws(server.apiKey);
    const sub = take<{ auditEvents: { type: string; streamId: string; data: { name: string } } }>(
      client, 'subscription { auditEvents { type streamId data } }', 1,
    );
    await sub.started;
    await server.gql(`mutation { createApiKey(input: {organizationId: "${otherId}", name: "theirs"}) { key } }`, {}, ADMIN_KEY);
    await server.gql(`mutation { createApiKey(input: {organizationId: "${mine}", name: "ours"}) { key } }`, {}, ADMIN_KEY);
    const [received] = await sub.done;
    expect(received?.auditEvents.type).toBe('ApiKeyCreated');
    expect(received?.auditEvents.data.name).toBe('ours');
  });

  it('closes a socket that presents no valid key', async () => {
    server = await startTestServer();
    const client = server.ws('bk_wrong');
    const sub = take(client, 'subscription { auditEvents { type } }', 1);
    await expect(sub.done).rejects.toBeDefined();
  });
});

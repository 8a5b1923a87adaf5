import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestServer, type TestServer } from '../support/server.ts';

const CREATE_ORG = `mutation($input: CreateOrganizationInput!) {
  createOrganization(input: $input) { organization { id name timezone defaultCurrency } apiKey { key apiKey { id keyPrefix } } }
}`;
type CreatedOrg = { createOrganization: { organization: { id: string; name: string; timezone: string; defaultCurrency: string }; apiKey: { key: string; apiKey: { id: string; keyPrefix: string } } } };

describe('organizations and API keys over GraphQL', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer();
  });
  afterEach(async () => server.close());

  const createOrg = async (name: string, extra: Record<string, unknown> = {}) => {
    const result = await server.gql<CreatedOrg>(CREATE_ORG, { input: { name, ...extra } }, ADMIN_KEY);
    expect(result.errors).toBeUndefined();
    return result.data!.createOrganization;
  };

  it('refuses a request without a key with UNAUTHENTICATED and HTTP 401', async () => {
    const result = await server.gql('{ organization { id } }', {}, null);
    expect(result.status).toBe(401);
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(result.data ?? null).toBeNull();
  });

  it('refuses a wrong key with UNAUTHENTICATED', async () => {
    const result = await server.gql('{ organization { id } }', {}, 'bk_not-a-real-key');
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('serves the default organization to the key printed at start', async () => {
    const result = await server.gql<{ organization: { name: string } }>('{ organization { name } }');
    expect(result.data?.organization.name).toBe('Default organization');
  });

  it('keeps two organizations from seeing each other’s data', async () => {
    const a = await createOrg('Acme', { timezone: 'Europe/Paris', defaultCurrency: 'EUR' });
    const b = await createOrg('Globex');
    await server.gql(`mutation { createApiKey(input: {organizationId: "${a.organization.id}", name: "ci"}) { key } }`, {}, ADMIN_KEY);
    const keysOf = async (key: string) =>
      (await server.gql<{ organization: { id: string }; apiKeys: { totalCount: number; edges: { node: { id: string } }[] } }>(
        '{ organization { id } apiKeys { totalCount edges { node { id } } } }', {}, key,
      )).data!;
    const seenByA = await keysOf(a.apiKey.key);
    const seenByB = await keysOf(b.apiKey.key);
    expect(seenByA.organization.id).toBe(a.organization.id);
    expect(seenByB.organization.id).toBe(b.organization.id);
    expect(seenByA.apiKeys.totalCount).toBe(2);
    expect(seenByB.apiKeys.totalCount).toBe(1);
    expect(seenByB.apiKeys.edges.map((e) => e.node.id)).toEqual([b.apiKey.apiKey.id]);
    expect(seenByA.apiKeys.edges.map((e) => e.node.id)).not.toContain(b.apiKey.apiKey.id);
  });

  it('lets an admin revoke a key, after which the key is refused', async () => {
    const org = await createOrg('Acme');
    expect((await server.gql('{ organization { id } }', {}, org.apiKey.key)).errors).toBeUndefined();
    const revoked = await server.gql<{ revokeApiKey: { revokedAt: string | null } }>(
      `mutation { revokeApiKey(input: {organizationId: "${org.organization.id}", id: "${org.apiKey.apiKey.id}"}) { revokedAt } }`, {}, ADMIN_KEY,
    );
    expect(revoked.data?.revokeApiKey.revokedAt).toMatch(/^\d{4}-/);
    const after = await server.gql('{ organization { id } }', {}, org.apiKey.key);
    expect(after.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses admin mutations to an organization key with FORBIDDEN', async () => {
    const result = await server.gql<CreatedOrg>(CREATE_ORG, { input: { name: 'Sneaky' } });
    expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('answers VALIDATION naming the field for a bad timezone, and appends nothing', async () => {
    const head = await server.system.app.deps.eventStore.headPosition();
    const result = await server.gql(CREATE_ORG, { input: { name: 'Acme', timezone: 'Mars/Olympus' } }, ADMIN_KEY);
    expect(result.errors?.[0]?.extensions?.code).toBe('VALIDATION');
    expect(result.errors?.[0]?.extensions?.field).toBe('timezone');
    expect(await server.system.app.deps.eventStore.headPosition()).toBe(head);
  });

  it('answers VALIDATION for an empty name and a malformed currency', async () => {
    const empty = await server.gql(CREATE_ORG, { input: { name: '  ' } }, ADMIN_KEY);
    expect(empty.errors?.[0]?.extensions).toMatchObject({ code: 'VALIDATION', field: 'input.name' });
    const currency = await server.gql(CREATE_ORG, { input: { name: 'X', defaultCurrency: 'euro' } }, ADMIN_KEY);
    expect(currency.errors?.[0]?.extensions).toMatchObject({ code: 'VALIDATION', field: 'input.defaultCurrency' });
  });

  it('answers VALIDATION for a query against the schema’s types, without a stack trace', async () => {
    const result = await server.gql('mutation { createOrganization(input: {name: 3}) { organization { id } } }', {}, ADMIN_KEY);
    expect(result.errors?.[0]?.extensions?.code).toBe('VALIDATION');
    expect(JSON.stringify(result.errors)).not.toMatch(/at .*\.ts:\d+/);
  });

  it('pages through API keys with cursors', async () => {
    const org = await createOrg('Paged');
    for (const name of ['k1', 'k2', 'k3']) {
      await server.gql(`mutation { createApiKey(input: {organizationId: "${org.organization.id}", name: "${name}"}) { key } }`, {}, ADMIN_KEY);
    }
    type Page = { apiKeys: { edges: { node: { name: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } };
    const query = 'query($after: String) { apiKeys(first: 2, after: $after) { edges { node { name } } pageInfo { hasNextPage endCursor } } }';
    const first = (await server.gql<Page>(query, {}, org.apiKey.key)).data!.apiKeys;
    const second = (await server.gql<Page>(query, { after: first.pageInfo.endCursor }, org.apiKey.key)).data!.apiKeys;
    expect([...first.edges, ...second.edges].map((e) => e.node.name)).toEqual(['default', 'k1', 'k2', 'k3']);
    expect(first.pageInfo.hasNextPage).toBe(true);
    expect(second.pageInfo.hasNextPage).toBe(false);
  });
});

describe('admin operations without ADMIN_API_KEY', () => {
  it('are refused with FORBIDDEN', async () => {
    const server = await startTestServer({ ADMIN_API_KEY: '' });
    try {
      const result = await server.gql(CREATE_ORG, { input: { name: 'X' } });
      expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    } finally {
      await server.close();
    }
  });
});

describe('bad variables', () => {
  it('answer VALIDATION (not INTERNAL) when a variable does not coerce to its input type', async () => {
    const server = await startTestServer({ CLOCK: 'manual' });
    try {
      const wrongType = await server.gql('mutation($to: DateTime!) { advanceClock(input: {to: $to}) { now } }', { to: 'yesterday-ish' });
      expect(wrongType.errors?.[0]?.extensions?.code).toBe('VALIDATION');
      const wrongShape = await server.gql(CREATE_ORG, { input: { name: 3, extra: true } }, ADMIN_KEY);
      expect(wrongShape.errors?.[0]?.extensions?.code).toBe('VALIDATION');
    } finally {
      await server.close();
    }
  });
});

import { expect } from 'vitest';
import { ADMIN_KEY, type GqlResult, type TestServer } from './server.ts';

/** Sends a mutation expected to be refused with VALIDATION naming `field`, and checks nothing was appended. */
export async function expectValidation(server: TestServer, query: string, variables: Record<string, unknown>, field: string): Promise<void> {
  const head = await server.system.app.deps.eventStore.headPosition();
  const result = await server.gql(query, variables);
  expect(result.errors?.[0]?.extensions, JSON.stringify(variables)).toMatchObject({ code: 'VALIDATION', field });
  expect(result.data ?? null).toBeNull();
  expect(await server.system.app.deps.eventStore.headPosition()).toBe(head);
}

/** Sends a request expected to fail with `code`, and checks nothing was appended. */
export async function expectRefusal(server: TestServer, query: string, variables: Record<string, unknown>, code: string, key?: string): Promise<void> {
  const head = await server.system.app.deps.eventStore.headPosition();
  const result = await server.gql(query, variables, key);
  expect(result.errors?.[0]?.extensions?.code, JSON.stringify(result.errors)).toBe(code);
  expect(await server.system.app.deps.eventStore.headPosition()).toBe(head);
}

/** A second organization, created with the admin key; answers its id and API key. */
export async function createOtherOrganization(server: TestServer, name = 'Globex'): Promise<{ id: string; key: string }> {
  const result = await server.gql<{ createOrganization: { organization: { id: string }; apiKey: { key: string } } }>(
    'mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } apiKey { key } } }',
    { input: { name } },
    ADMIN_KEY,
  );
  expect(result.errors).toBeUndefined();
  return { id: result.data!.createOrganization.organization.id, key: result.data!.createOrganization.apiKey.key };
}

export async function organizationIdOf(server: TestServer, key?: string): Promise<string> {
  const result = await server.gql<{ organization: { id: string } }>('{ organization { id } }', {}, key);
  return result.data!.organization.id;
}

let fixturePosition = 1n;

/**
 * Writes a `plans` read-model document directly — the contract this area relies on (`organizationId`,
 * `deletedAt`, `code`, `taxCodes`, `charges[].billableMetricCode`, `charges[].taxCodes`) — so these tests do
 * not depend on the plans area's commands.
 */
export async function putPlanDocument(server: TestServer, doc: { _id: string; organizationId: string; code: string; deletedAt: string | null } & Record<string, unknown>): Promise<void> {
  fixturePosition += 1n;
  await server.system.app.deps.readModels.commit(
    [{ collection: 'plans', id: doc._id, doc, position: fixturePosition }],
    { name: 'test-fixture-plans', position: fixturePosition },
  );
}

/** Collects every node of a connection query, page by page (`$after` variable, `first` in the query). */
export async function allPages<T>(server: TestServer, query: string, field: string, key?: string): Promise<{ nodes: T[]; pages: number }> {
  const nodes: T[] = [];
  let after: string | null = null;
  let pages = 0;
  type Page = { edges: { node: T }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
  for (;;) {
    const result: GqlResult<Record<string, Page>> = await server.gql<Record<string, Page>>(query, { after }, key);
    expect(result.errors).toBeUndefined();
    const page: Page = result.data![field]!;
    nodes.push(...page.edges.map((edge) => edge.node));
    pages += 1;
    if (!page.pageInfo.hasNextPage) return { nodes, pages };
    after = page.pageInfo.endCursor;
  }
}

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

/** Creates a monthly plan through the real `createPlan` mutation, with one STANDARD charge per metric code. */
export async function createPlanWith(
  server: TestServer,
  code: string,
  charges: { billableMetricCode: string; taxCodes?: string[] }[],
  key?: string,
): Promise<void> {
  const result = await server.gql(
    'mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { code } } }',
    {
      input: {
        code, name: code, interval: 'MONTHLY', amountCents: '1000', amountCurrency: 'EUR',
        charges: charges.map((charge) => ({ chargeModel: 'STANDARD', properties: { amount: '1' }, ...charge })),
      },
    },
    key,
  );
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
}

export async function deletePlan(server: TestServer, code: string, key?: string): Promise<void> {
  const result = await server.gql('mutation($input: DeletePlanInput!) { deletePlan(input: $input) { plan { code } } }', { input: { code } }, key);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
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

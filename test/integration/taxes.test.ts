import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { allPages, createOtherOrganization, expectRefusal, expectValidation, createPlanWith } from '../support/catalog.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const FIELDS = 'id code name rate description appliedToOrganization createdAt updatedAt';
const CREATE = `mutation($input: CreateTaxInput!) { createTax(input: $input) { tax { ${FIELDS} } } }`;
const UPDATE = `mutation($input: UpdateTaxInput!) { updateTax(input: $input) { tax { ${FIELDS} } } }`;
const DELETE = 'mutation($input: DeleteTaxInput!) { deleteTax(input: $input) { tax { code } } }';
const GET = `query($code: String!) { tax(code: $code) { ${FIELDS} } }`;
const LIST = 'query($after: String) { taxes(first: 2, after: $after) { totalCount edges { node { code } } pageInfo { hasNextPage endCursor } } }';
const UPSERT_CUSTOMER = 'mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { taxCodes } } }';

type Tax = { id: string; code: string; name: string; rate: string; description: string | null; appliedToOrganization: boolean };

describe('taxes over GraphQL', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer();
  });
  afterEach(async () => server.close());

  const create = async (input: Record<string, unknown>, key?: string) => {
    const result = await server.gql<{ createTax: { tax: Tax } }>(CREATE, { input }, key);
    expect(result.errors).toBeUndefined();
    return result.data!.createTax.tax;
  };
  const get = (code: string, key?: string) => server.gql<{ tax: Tax }>(GET, { code }, key);

  it('creates a tax with its rate as a normalised decimal string and reads it back', async () => {
    const created = await create({ code: 'vat_20', name: 'VAT', rate: '20.00', description: 'French VAT' });
    expect(created).toMatchObject({ code: 'vat_20', name: 'VAT', rate: '20', description: 'French VAT', appliedToOrganization: false });
    expect((await get('vat_20')).data?.tax).toEqual(created);
  });

  it('updates the fields given and keeps the others', async () => {
    await create({ code: 'vat_20', name: 'VAT', rate: '20' });
    const updated = await server.gql<{ updateTax: { tax: Tax } }>(UPDATE, { input: { code: 'vat_20', rate: '5.5', appliedToOrganization: true } });
    expect(updated.data?.updateTax.tax).toMatchObject({ name: 'VAT', rate: '5.5', appliedToOrganization: true });
  });

  it('refuses a second tax with the same code with CONFLICT', async () => {
    await create({ code: 'vat_20', name: 'VAT', rate: '20' });
    await expectRefusal(server, CREATE, { input: { code: 'vat_20', name: 'Other', rate: '10' } }, 'CONFLICT');
  });

  it('pages through taxes with cursors', async () => {
    for (const code of ['t1', 't2', 't3']) await create({ code, name: code, rate: '1' });
    const { nodes, pages } = await allPages<{ code: string }>(server, LIST, 'taxes');
    expect(pages).toBe(2);
    expect(nodes.map((n) => n.code).sort()).toEqual(['t1', 't2', 't3']);
  });

  describe('refuses bad input with VALIDATION naming the field, appending nothing', () => {
    for (const rate of ['100.5', '-1', 'twenty', '1e2', '20%']) {
      it(`rate "${rate}"`, () => expectValidation(server, CREATE, { input: { code: 't', name: 'T', rate } }, 'input.rate'));
    }
    it('blank name', () => expectValidation(server, CREATE, { input: { code: 't', name: ' ', rate: '1' } }, 'input.name'));
    it('blank code', () => expectValidation(server, CREATE, { input: { code: '', name: 'T', rate: '1' } }, 'input.code'));
    it('bad rate on update', async () => {
      await create({ code: 'vat_20', name: 'VAT', rate: '20' });
      await expectValidation(server, UPDATE, { input: { code: 'vat_20', rate: '120' } }, 'input.rate');
    });
  });

  it('refuses to delete a tax a customer carries (CONFLICT), and deletes it once the customer drops it', async () => {
    await create({ code: 'vat_20', name: 'VAT', rate: '20' });
    await server.gql(UPSERT_CUSTOMER, { input: { externalId: 'cus_1', taxCodes: ['vat_20'] } });
    const refused = await server.gql(DELETE, { input: { code: 'vat_20' } });
    expect(refused.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(refused.errors?.[0]?.message).toMatch(/cus_1/);
    await server.gql(UPSERT_CUSTOMER, { input: { externalId: 'cus_1', taxCodes: [] } });
    expect((await server.gql(DELETE, { input: { code: 'vat_20' } })).errors).toBeUndefined();
    expect((await get('vat_20')).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('refuses to delete a tax a live plan carries at charge level (CONFLICT)', async () => {
    await create({ code: 'vat_20', name: 'VAT', rate: '20' });
    await server.gql('mutation { createBillableMetric(input: {code: "x", name: "X", aggregationType: COUNT}) { billableMetric { code } } }');
    await createPlanWith(server, 'pro', [{ billableMetricCode: 'x', taxCodes: ['vat_20'] }]);
    await expectRefusal(server, DELETE, { input: { code: 'vat_20' } }, 'CONFLICT');
  });

  it('lets a deleted tax’s code be used again', async () => {
    await create({ code: 'vat_20', name: 'VAT', rate: '20' });
    await server.gql(DELETE, { input: { code: 'vat_20' } });
    expect((await create({ code: 'vat_20', name: 'VAT again', rate: '19' })).rate).toBe('19');
  });

  it('keeps organizations apart', async () => {
    await create({ code: 'vat_20', name: 'VAT', rate: '20' });
    const other = await createOtherOrganization(server);
    expect((await get('vat_20', other.key)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const list = await server.gql<{ taxes: { totalCount: number } }>(LIST, {}, other.key);
    expect(list.data!.taxes.totalCount).toBe(0);
    await expectRefusal(server, DELETE, { input: { code: 'vat_20' } }, 'NOT_FOUND', other.key);
    // Tax codes of another organization do not exist for this one's customers either.
    const customer = await server.gql(UPSERT_CUSTOMER, { input: { externalId: 'cus_9', taxCodes: ['vat_20'] } }, other.key);
    expect(customer.errors?.[0]?.extensions).toMatchObject({ code: 'VALIDATION', field: 'input.taxCodes.0' });
  });
});

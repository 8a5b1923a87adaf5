import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getCustomerByExternalId } from '../../src/application/customers.ts';
import { allPages, createOtherOrganization, expectRefusal, expectValidation, organizationIdOf } from '../support/catalog.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const FIELDS = `id externalId sequentialId name legalName taxIdentificationNumber email addressLine1 addressLine2 city zipcode state country
  currency timezone applicableTimezone invoiceGracePeriod applicableInvoiceGracePeriod netPaymentTerm applicableNetPaymentTerm
  taxCodes metadata { key value displayInInvoice } createdAt updatedAt`;
const UPSERT = `mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { ${FIELDS} } } }`;
const DELETE = 'mutation($input: DeleteCustomerInput!) { deleteCustomer(input: $input) { customer { externalId } } }';
const GET = `query($externalId: String!) { customer(externalId: $externalId) { ${FIELDS} } }`;
const LIST = 'query($after: String) { customers(first: 2, after: $after) { totalCount edges { node { externalId sequentialId } } pageInfo { hasNextPage endCursor } } }';
const UPDATE_ORG = 'mutation($input: UpdateOrganizationInput!) { updateOrganization(input: $input) { organization { id } } }';

type Customer = Record<string, unknown> & { id: string; externalId: string; sequentialId: number };

const acme = {
  externalId: 'cus_1',
  name: 'Acme',
  email: 'billing@acme.io',
  currency: 'EUR',
  timezone: 'Europe/Paris',
  netPaymentTerm: 30,
  country: 'FR',
  city: 'Paris',
  taxIdentificationNumber: 'FR123',
  metadata: [{ key: 'crm', value: '42', displayInInvoice: true }],
};

describe('customers over GraphQL', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer();
  });
  afterEach(async () => server.close());

  const upsert = async (input: Record<string, unknown>, key?: string) => {
    const result = await server.gql<{ createCustomer: { customer: Customer } }>(UPSERT, { input }, key);
    expect(result.errors).toBeUndefined();
    return result.data!.createCustomer.customer;
  };
  const get = (externalId: string, key?: string) => server.gql<{ customer: Customer }>(GET, { externalId }, key);

  it('creates a customer on the first call and reads it back by external id', async () => {
    const created = await upsert(acme);
    expect(created).toMatchObject({ ...acme, sequentialId: 1, invoiceGracePeriod: null, taxCodes: [], addressLine1: null });
    expect((await get('cus_1')).data?.customer).toEqual(created);
  });

  it('updates it on later calls: same id and sequential id, omitted fields kept, null clears', async () => {
    const created = await upsert(acme);
    const updated = await upsert({ externalId: 'cus_1', name: 'Acme Inc', email: null, invoiceGracePeriod: 3 });
    expect(updated).toMatchObject({ id: created.id, sequentialId: 1, name: 'Acme Inc', email: null, invoiceGracePeriod: 3, city: 'Paris', currency: 'EUR' });
  });

  it('appends nothing when an upsert changes nothing', async () => {
    await upsert(acme);
    const head = await server.system.app.deps.eventStore.headPosition();
    await upsert({ externalId: 'cus_1', name: 'Acme', country: 'fr' });
    expect(await server.system.app.deps.eventStore.headPosition()).toBe(head);
  });

  it('falls back to the organization for timezone, grace period and payment term (then UTC / 0)', async () => {
    const bare = await upsert({ externalId: 'cus_bare' });
    expect(bare).toMatchObject({ timezone: null, applicableTimezone: 'UTC', applicableInvoiceGracePeriod: 0, applicableNetPaymentTerm: 0 });
    await server.gql(UPDATE_ORG, { input: { timezone: 'America/New_York', invoiceGracePeriod: 5, netPaymentTerm: 45 } });
    const inherited = (await get('cus_bare')).data!.customer;
    expect(inherited).toMatchObject({ applicableTimezone: 'America/New_York', applicableInvoiceGracePeriod: 5, applicableNetPaymentTerm: 45 });
    const own = await upsert({ externalId: 'cus_bare', timezone: 'Asia/Tokyo', invoiceGracePeriod: 0, netPaymentTerm: 10 });
    expect(own).toMatchObject({ applicableTimezone: 'Asia/Tokyo', applicableInvoiceGracePeriod: 0, applicableNetPaymentTerm: 10 });
  });

  it('numbers customers per organization, and a customer re-created after deletion gets a new id and number', async () => {
    const first = await upsert({ externalId: 'a' });
    const second = await upsert({ externalId: 'b' });
    expect([first.sequentialId, second.sequentialId]).toEqual([1, 2]);
    await server.gql(DELETE, { input: { externalId: 'a' } });
    const again = await upsert({ externalId: 'a' });
    expect(again.id).not.toBe(first.id);
    expect(again.sequentialId).toBe(3);
    const other = await createOtherOrganization(server);
    expect((await upsert({ externalId: 'a' }, other.key)).sequentialId).toBe(1);
  });

  it('keeps tax codes that exist', async () => {
    await server.gql('mutation { createTax(input: {code: "vat_20", name: "VAT", rate: "20"}) { tax { code } } }');
    expect((await upsert({ externalId: 'cus_1', taxCodes: ['vat_20'] })).taxCodes).toEqual(['vat_20']);
  });

  describe('refuses bad input with VALIDATION naming the field, appending nothing', () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['an invalid email', { email: 'not-an-email' }, 'input.email'],
      ['a country outside ISO 3166-1 alpha-2', { country: 'XX' }, 'input.country'],
      ['a currency outside ISO 4217', { currency: 'XYZ' }, 'input.currency'],
      ['a currency that is not a code', { currency: 'euro' }, 'input.currency'],
      ['a timezone outside IANA', { timezone: 'Mars/Olympus' }, 'input.timezone'],
      ['a negative grace period', { invoiceGracePeriod: -1 }, 'input.invoiceGracePeriod'],
      ['a negative payment term', { netPaymentTerm: -1 }, 'input.netPaymentTerm'],
      ['an unknown tax code', { taxCodes: ['nope'] }, 'input.taxCodes.0'],
      ['more than 5 metadata', { metadata: ['a', 'b', 'c', 'd', 'e', 'f'].map((key) => ({ key, value: 'v' })) }, 'input.metadata'],
      ['a repeated metadata key', { metadata: [{ key: 'a', value: '1' }, { key: 'a', value: '2' }] }, 'input.metadata.1.key'],
    ];
    for (const [rule, fields, field] of cases) {
      it(rule, () => expectValidation(server, UPSERT, { input: { externalId: 'cus_1', ...fields } }, field));
    }
    it('a blank external id', () => expectValidation(server, UPSERT, { input: { externalId: '  ' } }, 'input.externalId'));
    it('the same rules on update', async () => {
      await upsert(acme);
      await expectValidation(server, UPSERT, { input: { externalId: 'cus_1', email: 'nope@' } }, 'input.email');
    });
  });

  it('deletes a customer: it disappears from queries, and deleting again is NOT_FOUND', async () => {
    await upsert(acme);
    const deleted = await server.gql<{ deleteCustomer: { customer: { externalId: string } } }>(DELETE, { input: { externalId: 'cus_1' } });
    expect(deleted.data?.deleteCustomer.customer.externalId).toBe('cus_1');
    expect((await get('cus_1')).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await server.gql<{ customers: { totalCount: number } }>(LIST, {})).data!.customers.totalCount).toBe(0);
    await expectRefusal(server, DELETE, { input: { externalId: 'cus_1' } }, 'NOT_FOUND');
  });

  it('pages through customers with cursors', async () => {
    for (const externalId of ['c1', 'c2', 'c3', 'c4']) await upsert({ externalId });
    const { nodes, pages } = await allPages<{ externalId: string }>(server, LIST, 'customers');
    expect(pages).toBe(2);
    expect(nodes.map((n) => n.externalId).sort()).toEqual(['c1', 'c2', 'c3', 'c4']);
  });

  it('keeps organizations apart: another organization neither reads nor lists them, and its upsert creates its own', async () => {
    const mine = await upsert(acme);
    const other = await createOtherOrganization(server);
    expect((await get('cus_1', other.key)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const list = await server.gql<{ customers: { totalCount: number; edges: unknown[] } }>(LIST, {}, other.key);
    expect(list.data!.customers).toMatchObject({ totalCount: 0, edges: [] });
    await expectRefusal(server, DELETE, { input: { externalId: 'cus_1' } }, 'NOT_FOUND', other.key);
    const theirs = await upsert({ externalId: 'cus_1', name: 'Theirs' }, other.key);
    expect(theirs.id).not.toBe(mine.id);
    expect((await get('cus_1')).data?.customer.name).toBe('Acme');
  });

  it('exposes getCustomerByExternalId for other areas (live customers of one organization only)', async () => {
    const created = await upsert(acme);
    const { deps } = server.system.app;
    const organizationId = await organizationIdOf(server);
    expect((await getCustomerByExternalId(deps, organizationId, 'cus_1'))?._id).toBe(created.id);
    expect(await getCustomerByExternalId(deps, 'another-organization', 'cus_1')).toBeNull();
    await server.gql(DELETE, { input: { externalId: 'cus_1' } });
    expect(await getCustomerByExternalId(deps, organizationId, 'cus_1')).toBeNull();
  });
});

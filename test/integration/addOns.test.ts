import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LIST_LIMITS } from '../../src/domain/shared/limits.ts';
import { allPages, createOtherOrganization, expectRefusal, expectValidation } from '../support/catalog.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const FIELDS = 'id code name invoiceDisplayName description amountCents amountCurrency taxCodes createdAt updatedAt';
const CREATE = `mutation($input: CreateAddOnInput!) { createAddOn(input: $input) { addOn { ${FIELDS} } } }`;
const UPDATE = `mutation($input: UpdateAddOnInput!) { updateAddOn(input: $input) { addOn { ${FIELDS} } } }`;
const DELETE = 'mutation($input: DeleteAddOnInput!) { deleteAddOn(input: $input) { addOn { code } } }';
const GET = `query($code: String!) { addOn(code: $code) { ${FIELDS} } }`;
const LIST = 'query($after: String) { addOns(first: 2, after: $after) { totalCount edges { node { code } } pageInfo { hasNextPage endCursor } } }';
const CREATE_TAX = 'mutation($input: CreateTaxInput!) { createTax(input: $input) { tax { code } } }';
const DELETE_TAX = 'mutation($input: DeleteTaxInput!) { deleteTax(input: $input) { tax { code } } }';

type AddOn = {
  id: string;
  code: string;
  name: string;
  invoiceDisplayName: string | null;
  description: string | null;
  amountCents: string;
  amountCurrency: string;
  taxCodes: string[];
  createdAt: string;
  updatedAt: string;
};

const setup = { code: 'setup', name: 'Setup', amountCents: '50000', amountCurrency: 'EUR' };

describe('add-ons over GraphQL', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer();
  });
  afterEach(async () => server.close());

  const ok = async <T>(query: string, variables: Record<string, unknown>, key?: string): Promise<T> => {
    const result = await server.gql<T>(query, variables, key);
    expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
    return result.data!;
  };
  const create = async (input: Record<string, unknown>, key?: string) => (await ok<{ createAddOn: { addOn: AddOn } }>(CREATE, { input }, key)).createAddOn.addOn;
  const update = async (input: Record<string, unknown>) => (await ok<{ updateAddOn: { addOn: AddOn } }>(UPDATE, { input })).updateAddOn.addOn;
  const get = (code: string, key?: string) => server.gql<{ addOn: AddOn | null }>(GET, { code }, key);
  const createTax = (code: string, key?: string) => ok(CREATE_TAX, { input: { code, name: code, rate: '20' } }, key);

  it('creates an add-on (Lago’s example) and reads it back', async () => {
    await createTax('vat_20');
    const created = await create({ ...setup, amountCents: '050000', invoiceDisplayName: 'Setup fee', description: 'One-time onboarding', taxCodes: ['vat_20'] });
    expect(created).toMatchObject({ code: 'setup', name: 'Setup', invoiceDisplayName: 'Setup fee', description: 'One-time onboarding', amountCents: '50000', amountCurrency: 'EUR', taxCodes: ['vat_20'] });
    expect(created.updatedAt).toBe(created.createdAt);
    expect((await get('setup')).data?.addOn).toEqual(created);
  });

  it('updates the fields given, keeps the others, and clears optional ones with null', async () => {
    await createTax('vat_20');
    await createTax('vat_5');
    await create({ ...setup, invoiceDisplayName: 'Setup fee', taxCodes: ['vat_20'] });
    const updated = await update({ code: 'setup', amountCents: '60000', amountCurrency: 'USD', taxCodes: ['vat_5'] });
    expect(updated).toMatchObject({ name: 'Setup', invoiceDisplayName: 'Setup fee', amountCents: '60000', amountCurrency: 'USD', taxCodes: ['vat_5'] });
    const cleared = await update({ code: 'setup', invoiceDisplayName: null, taxCodes: null });
    expect(cleared).toMatchObject({ invoiceDisplayName: null, taxCodes: [], amountCents: '60000' });
    expect((await get('setup')).data?.addOn).toEqual(cleared);
  });

  it('an update that changes nothing appends nothing', async () => {
    const created = await create(setup);
    const head = await server.system.app.deps.eventStore.headPosition();
    expect(await update({ code: 'setup', amountCents: '50000', name: 'Setup' })).toEqual(created);
    expect(await server.system.app.deps.eventStore.headPosition()).toBe(head);
  });

  it('deletes an add-on, after which it is NOT_FOUND and its code can be used again', async () => {
    const first = await create(setup);
    expect((await ok<{ deleteAddOn: { addOn: { code: string } } }>(DELETE, { input: { code: 'setup' } })).deleteAddOn.addOn.code).toBe('setup');
    expect((await get('setup')).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    await expectRefusal(server, DELETE, { input: { code: 'setup' } }, 'NOT_FOUND');
    await expectRefusal(server, UPDATE, { input: { code: 'setup', name: 'X' } }, 'NOT_FOUND');
    const again = await create({ ...setup, amountCents: '100' });
    expect(again.id).not.toBe(first.id);
    expect(again.amountCents).toBe('100');
  });

  it('refuses a second add-on with the same code with CONFLICT', async () => {
    await create(setup);
    await expectRefusal(server, CREATE, { input: { ...setup, name: 'Other' } }, 'CONFLICT');
  });

  it('pages through live add-ons with cursors', async () => {
    for (const code of ['a1', 'a2', 'a3', 'gone']) await create({ ...setup, code });
    await ok(DELETE, { input: { code: 'gone' } });
    const { nodes, pages } = await allPages<{ code: string }>(server, LIST, 'addOns');
    expect(pages).toBe(2);
    expect(nodes.map((n) => n.code).sort()).toEqual(['a1', 'a2', 'a3']);
  });

  it('does not move the catalog version current usage reads (catalog: false)', async () => {
    await server.settle();
    const before = server.system.projections.status().catalog;
    await create(setup);
    await update({ code: 'setup', name: 'Onboarding' });
    expect(server.system.projections.status().catalog).toBe(before);
  });

  describe('refuses bad input with VALIDATION naming the field, appending nothing', () => {
    for (const amountCents of ['0', '-1', '1.5', '1e3', 'fifty', '', ' 100']) {
      it(`amountCents "${amountCents}"`, () => expectValidation(server, CREATE, { input: { ...setup, amountCents } }, 'input.amountCents'));
    }
    for (const amountCurrency of ['EURO', 'XYZ', 'eur', '']) {
      it(`amountCurrency "${amountCurrency}"`, () => expectValidation(server, CREATE, { input: { ...setup, amountCurrency } }, 'input.amountCurrency'));
    }
    it('blank name', () => expectValidation(server, CREATE, { input: { ...setup, name: ' ' } }, 'input.name'));
    it('blank code', () => expectValidation(server, CREATE, { input: { ...setup, code: '' } }, 'input.code'));
    it('padded code', () => expectValidation(server, CREATE, { input: { ...setup, code: ' setup' } }, 'input.code'));
    it('a tax code that names no tax', async () => {
      await createTax('vat_20');
      await expectValidation(server, CREATE, { input: { ...setup, taxCodes: ['vat_20', 'nope'] } }, 'input.taxCodes.1');
      await expectValidation(server, CREATE, { input: { ...setup, taxCodes: ['nope'] } }, 'input.taxCodes.0');
    });
    it('a deleted tax', async () => {
      await createTax('vat_20');
      await ok(DELETE_TAX, { input: { code: 'vat_20' } });
      await expectValidation(server, CREATE, { input: { ...setup, taxCodes: ['vat_20'] } }, 'input.taxCodes.0');
    });
    it(`more than ${LIST_LIMITS.taxCodes} tax codes`, () =>
      expectValidation(server, CREATE, { input: { ...setup, taxCodes: Array.from({ length: LIST_LIMITS.taxCodes + 1 }, (_, i) => `t${i}`) } }, 'input.taxCodes'));
    it('bad fields on update', async () => {
      await create(setup);
      await expectValidation(server, UPDATE, { input: { code: 'setup', amountCents: '0' } }, 'input.amountCents');
      await expectValidation(server, UPDATE, { input: { code: 'setup', amountCents: null } }, 'input.amountCents');
      await expectValidation(server, UPDATE, { input: { code: 'setup', amountCurrency: 'ZZZ' } }, 'input.amountCurrency');
      await expectValidation(server, UPDATE, { input: { code: 'setup', name: '' } }, 'input.name');
      await expectValidation(server, UPDATE, { input: { code: 'setup', taxCodes: ['nope'] } }, 'input.taxCodes.0');
    });
  });

  it('keeps a tax an add-on carries from being deleted (CONFLICT naming it), until the add-on drops it', async () => {
    await createTax('vat_20');
    await create({ ...setup, taxCodes: ['vat_20'] });
    const head = await server.system.app.deps.eventStore.headPosition();
    const refused = await server.gql(DELETE_TAX, { input: { code: 'vat_20' } });
    expect(refused.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(refused.errors?.[0]?.message).toMatch(/add-on setup/);
    expect(await server.system.app.deps.eventStore.headPosition()).toBe(head);
    // A deleted add-on carries nothing either.
    await create({ ...setup, code: 'gone', taxCodes: ['vat_20'] });
    await ok(DELETE, { input: { code: 'gone' } });
    await update({ code: 'setup', taxCodes: [] });
    await ok(DELETE_TAX, { input: { code: 'vat_20' } });
  });

  it('keeps organizations apart', async () => {
    await createTax('vat_20');
    await create({ ...setup, taxCodes: ['vat_20'] });
    const other = await createOtherOrganization(server);
    expect((await get('setup', other.key)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await server.gql<{ addOns: { totalCount: number } }>(LIST, {}, other.key)).data!.addOns.totalCount).toBe(0);
    await expectRefusal(server, DELETE, { input: { code: 'setup' } }, 'NOT_FOUND', other.key);
    await expectRefusal(server, UPDATE, { input: { code: 'setup', name: 'Taken' } }, 'NOT_FOUND', other.key);
    // Another organization's taxes do not exist for this one's add-ons; its own code is free.
    const refused = await server.gql(CREATE, { input: { ...setup, taxCodes: ['vat_20'] } }, other.key);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'VALIDATION', field: 'input.taxCodes.0' });
    expect((await create(setup, other.key)).code).toBe('setup');
    expect((await get('setup')).data?.addOn?.taxCodes).toEqual(['vat_20']);
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { allPages, createOtherOrganization, expectRefusal, expectValidation, createPlanWith, deletePlan } from '../support/catalog.ts';
import { ADMIN_KEY, startTestServer, type TestServer } from '../support/server.ts';

const FIELDS = 'id code name description aggregationType fieldName recurring weightedInterval roundingFunction roundingPrecision filters { key values } createdAt updatedAt';
const CREATE = `mutation($input: CreateBillableMetricInput!) { createBillableMetric(input: $input) { billableMetric { ${FIELDS} } } }`;
const UPDATE = `mutation($input: UpdateBillableMetricInput!) { updateBillableMetric(input: $input) { billableMetric { ${FIELDS} } } }`;
const DELETE = 'mutation($input: DeleteBillableMetricInput!) { deleteBillableMetric(input: $input) { billableMetric { id code } } }';
const GET = `query($code: String!) { billableMetric(code: $code) { ${FIELDS} } }`;
const LIST = 'query($after: String) { billableMetrics(first: 2, after: $after) { totalCount edges { node { code } } pageInfo { hasNextPage endCursor } } }';

type Metric = { id: string; code: string; name: string; description: string | null; aggregationType: string; fieldName: string | null; recurring: boolean; weightedInterval: string | null; roundingFunction: string | null; roundingPrecision: number | null; filters: { key: string; values: string[] }[]; createdAt: string; updatedAt: string };

const storage = {
  code: 'storage_gb',
  name: 'Storage',
  aggregationType: 'WEIGHTED_SUM',
  fieldName: 'gb',
  recurring: true,
  roundingFunction: 'CEIL',
  roundingPrecision: 2,
  filters: [{ key: 'region', values: ['europe', 'usa'] }],
};

describe('billable metrics over GraphQL', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer();
  });
  afterEach(async () => server.close());

  const create = async (input: Record<string, unknown>, key?: string) => {
    const result = await server.gql<{ createBillableMetric: { billableMetric: Metric } }>(CREATE, { input }, key);
    expect(result.errors).toBeUndefined();
    return result.data!.createBillableMetric.billableMetric;
  };
  const get = (code: string, key?: string) => server.gql<{ billableMetric: Metric }>(GET, { code }, key);

  it('creates a metric and reads it back by code, weightedInterval defaulting to SECONDS', async () => {
    const created = await create({ ...storage, description: 'GB stored' });
    expect(created).toMatchObject({ ...storage, description: 'GB stored', weightedInterval: 'SECONDS' });
    const read = await get('storage_gb');
    expect(read.data?.billableMetric).toEqual(created);
  });

  it('accepts a rounding precision without a rounding function and stores it (Lago ignores it when pricing)', async () => {
    const created = await create({ code: 'gb', name: 'GB', aggregationType: 'SUM', fieldName: 'gb', roundingPrecision: 3 });
    expect(created).toMatchObject({ roundingFunction: null, roundingPrecision: 3 });
    expect((await get('gb')).data?.billableMetric).toMatchObject({ roundingFunction: null, roundingPrecision: 3 });
  });

  it('ignores fieldName for COUNT', async () => {
    const created = await create({ code: 'api_calls', name: 'API calls', aggregationType: 'COUNT', fieldName: 'anything' });
    expect(created.fieldName).toBeNull();
  });

  it('updates the fields given and keeps the others; an update that changes nothing appends nothing', async () => {
    const created = await create(storage);
    const updated = await server.gql<{ updateBillableMetric: { billableMetric: Metric } }>(UPDATE, {
      input: { code: 'storage_gb', name: 'Disk', roundingFunction: null, filters: [{ key: 'cloud', values: ['aws'] }] },
    });
    expect(updated.errors).toBeUndefined();
    expect(updated.data!.updateBillableMetric.billableMetric).toMatchObject({
      // Clearing the function keeps the precision, stored and ignored (Lago's BillableMetrics::UpdateService).
      id: created.id, code: 'storage_gb', name: 'Disk', fieldName: 'gb', recurring: true, roundingFunction: null, roundingPrecision: 2,
      filters: [{ key: 'cloud', values: ['aws'] }],
    });
    const head = await server.system.app.deps.eventStore.headPosition();
    const again = await server.gql(UPDATE, { input: { code: 'storage_gb', name: 'Disk' } });
    expect(again.errors).toBeUndefined();
    expect(await server.system.app.deps.eventStore.headPosition()).toBe(head);
  });

  it('answers NOT_FOUND for an unknown code, on read, update and delete', async () => {
    expect((await get('nope')).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    await expectRefusal(server, UPDATE, { input: { code: 'nope', name: 'X' } }, 'NOT_FOUND');
    await expectRefusal(server, DELETE, { input: { code: 'nope' } }, 'NOT_FOUND');
  });

  it('refuses a second metric with the same code with CONFLICT', async () => {
    await create(storage);
    await expectRefusal(server, CREATE, { input: { ...storage, name: 'Other' } }, 'CONFLICT');
  });

  it('pages through metrics with cursors', async () => {
    for (const code of ['m1', 'm2', 'm3', 'm4', 'm5']) await create({ code, name: code, aggregationType: 'COUNT' });
    const { nodes, pages } = await allPages<{ code: string }>(server, LIST, 'billableMetrics');
    expect(pages).toBe(3);
    expect(nodes.map((n) => n.code).sort()).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    const first = await server.gql<{ billableMetrics: { totalCount: number } }>(LIST, { after: null });
    expect(first.data!.billableMetrics.totalCount).toBe(5);
  });

  describe('refuses bad input with VALIDATION naming the field, appending nothing', () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['recurring on COUNT', { code: 'c', name: 'C', aggregationType: 'COUNT', recurring: true }, 'input.recurring'],
      ['recurring on MAX', { code: 'c', name: 'C', aggregationType: 'MAX', fieldName: 'v', recurring: true }, 'input.recurring'],
      ['recurring on LATEST', { code: 'c', name: 'C', aggregationType: 'LATEST', fieldName: 'v', recurring: true }, 'input.recurring'],
      ['SUM without fieldName', { code: 'c', name: 'C', aggregationType: 'SUM' }, 'input.fieldName'],
      ['weightedInterval on SUM', { code: 'c', name: 'C', aggregationType: 'SUM', fieldName: 'v', weightedInterval: 'SECONDS' }, 'input.weightedInterval'],
      ['precision out of range without function', { code: 'c', name: 'C', aggregationType: 'COUNT', roundingPrecision: -21 }, 'input.roundingPrecision'],
      ['precision out of range', { code: 'c', name: 'C', aggregationType: 'COUNT', roundingFunction: 'ROUND', roundingPrecision: 99 }, 'input.roundingPrecision'],
      ['repeated filter key', { code: 'c', name: 'C', aggregationType: 'COUNT', filters: [{ key: 'a', values: ['x'] }, { key: 'a', values: ['y'] }] }, 'input.filters.1.key'],
      ['filter without values', { code: 'c', name: 'C', aggregationType: 'COUNT', filters: [{ key: 'a', values: [] }] }, 'input.filters.0.values'],
      ['blank name', { code: 'c', name: '  ', aggregationType: 'COUNT' }, 'input.name'],
      ['blank code', { code: ' ', name: 'C', aggregationType: 'COUNT' }, 'input.code'],
      ['code with surrounding spaces', { code: ' c ', name: 'C', aggregationType: 'COUNT' }, 'input.code'],
    ];
    for (const [rule, input, field] of cases) {
      it(rule, () => expectValidation(server, CREATE, { input }, field));
    }

    it('on update too (switching a recurring metric to MAX, clearing the name)', async () => {
      await create(storage);
      await expectValidation(server, UPDATE, { input: { code: 'storage_gb', aggregationType: 'MAX' } }, 'input.recurring');
      await expectValidation(server, UPDATE, { input: { code: 'storage_gb', name: null } }, 'input.name');
    });
  });

  it('refuses to delete a metric a live plan charges (CONFLICT), then deletes it once the plan is deleted', async () => {
    await create(storage);
    await createPlanWith(server, 'pro', [{ billableMetricCode: 'storage_gb' }]);
    const refused = await server.gql(DELETE, { input: { code: 'storage_gb' } });
    expect(refused.errors?.[0]).toMatchObject({ extensions: { code: 'CONFLICT' } });
    expect(refused.errors?.[0]?.message).toMatch(/pro/);

    await deletePlan(server, 'pro');
    const deleted = await server.gql<{ deleteBillableMetric: { billableMetric: { code: string } } }>(DELETE, { input: { code: 'storage_gb' } });
    expect(deleted.data?.deleteBillableMetric.billableMetric.code).toBe('storage_gb');
    expect((await get('storage_gb')).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await server.gql<{ billableMetrics: { totalCount: number } }>(LIST, {})).data!.billableMetrics.totalCount).toBe(0);
  });

  it('ignores plans of another organization when deleting', async () => {
    await create(storage);
    const other = await createOtherOrganization(server);
    await create(storage, other.key);
    await createPlanWith(server, 'pro', [{ billableMetricCode: 'storage_gb' }], other.key);
    expect((await server.gql(DELETE, { input: { code: 'storage_gb' } })).errors).toBeUndefined();
  });

  it('lets a deleted metric’s code be used again, as a new metric', async () => {
    const first = await create(storage);
    await server.gql(DELETE, { input: { code: 'storage_gb' } });
    const second = await create({ code: 'storage_gb', name: 'Again', aggregationType: 'COUNT' });
    expect(second.id).not.toBe(first.id);
    expect((await get('storage_gb')).data?.billableMetric.name).toBe('Again');
  });

  it('keeps organizations apart: another organization cannot read, list, update or delete them, and may reuse the code', async () => {
    await create(storage);
    const other = await createOtherOrganization(server);
    expect((await get('storage_gb', other.key)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const list = await server.gql<{ billableMetrics: { totalCount: number; edges: unknown[] } }>(LIST, {}, other.key);
    expect(list.data!.billableMetrics).toMatchObject({ totalCount: 0, edges: [] });
    await expectRefusal(server, UPDATE, { input: { code: 'storage_gb', name: 'Hijack' } }, 'NOT_FOUND', other.key);
    await expectRefusal(server, DELETE, { input: { code: 'storage_gb' } }, 'NOT_FOUND', other.key);
    const own = await create(storage, other.key);
    expect(own.code).toBe('storage_gb');
    expect((await get('storage_gb')).data?.billableMetric.name).toBe('Storage');
  });

  it('refuses the admin key with FORBIDDEN (metrics belong to an organization)', async () => {
    await expectRefusal(server, CREATE, { input: storage }, 'FORBIDDEN', ADMIN_KEY);
  });
});

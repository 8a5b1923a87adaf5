import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectRefusal, expectValidation } from '../support/catalog.ts';
import { ADMIN_KEY, startTestServer, type TestServer } from '../support/server.ts';

const ORG_FIELDS = 'id name timezone defaultCurrency invoiceGracePeriod netPaymentTerm documentNumberPrefix documentNumbering';
const UPDATE = `mutation($input: UpdateOrganizationInput!) { updateOrganization(input: $input) { organization { ${ORG_FIELDS} } } }`;
type Org = { id: string; name: string; timezone: string; invoiceGracePeriod: number; netPaymentTerm: number; documentNumberPrefix: string; documentNumbering: string };

describe('organization billing defaults over GraphQL', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer();
  });
  afterEach(async () => server.close());

  it('starts with Lago’s defaults: grace 0, net 0, PER_CUSTOMER, prefix from the name and id', async () => {
    const org = (await server.gql<{ organization: Org }>(`{ organization { ${ORG_FIELDS} } }`)).data!.organization;
    expect(org).toMatchObject({ invoiceGracePeriod: 0, netPaymentTerm: 0, documentNumbering: 'PER_CUSTOMER' });
    expect(org.documentNumberPrefix).toBe(`DEF-${org.id.slice(-4).toUpperCase()}`);
  });

  it('updates the given settings and keeps the others', async () => {
    const result = await server.gql<{ updateOrganization: { organization: Org } }>(UPDATE, {
      input: { timezone: 'Europe/Paris', invoiceGracePeriod: 3, documentNumberPrefix: 'acme', documentNumbering: 'PER_ORGANIZATION' },
    });
    expect(result.errors).toBeUndefined();
    expect(result.data!.updateOrganization.organization).toMatchObject({
      timezone: 'Europe/Paris', invoiceGracePeriod: 3, netPaymentTerm: 0, documentNumberPrefix: 'ACME', documentNumbering: 'PER_ORGANIZATION',
    });
    const read = (await server.gql<{ organization: Org }>(`{ organization { ${ORG_FIELDS} } }`)).data!.organization;
    expect(read).toMatchObject({ timezone: 'Europe/Paris', invoiceGracePeriod: 3, documentNumberPrefix: 'ACME' });
  });

  describe('refuses bad input with VALIDATION naming the field, appending nothing', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ timezone: 'Mars/Olympus' }, 'input.timezone'],
      [{ defaultCurrency: 'XYZ' }, 'input.defaultCurrency'],
      [{ defaultCurrency: 'eur' }, 'input.defaultCurrency'],
      [{ invoiceGracePeriod: -1 }, 'input.invoiceGracePeriod'],
      [{ netPaymentTerm: -5 }, 'input.netPaymentTerm'],
      [{ documentNumberPrefix: 'ABCDEFGHIJK' }, 'input.documentNumberPrefix'],
      [{ documentNumberPrefix: ' ' }, 'input.documentNumberPrefix'],
      [{ timezone: null }, 'input.timezone'],
    ];
    for (const [input, field] of cases) {
      it(`${JSON.stringify(input)} → ${field}`, () => expectValidation(server, UPDATE, { input }, field));
    }
  });

  it('needs an organization key: the admin key is refused with FORBIDDEN', () =>
    expectRefusal(server, UPDATE, { input: { netPaymentTerm: 1 } }, 'FORBIDDEN', ADMIN_KEY));
});

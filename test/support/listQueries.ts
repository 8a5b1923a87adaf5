/** Every paginated list of the API (the `*Connection` fields over read models), with the arguments that filter it. */
export interface ListTargets {
  externalCustomerId: string;
  externalSubscriptionId: string;
  walletId: string;
  /** A webhook endpoint of the organization: the lists of its webhooks are read too when given. */
  webhookEndpointId?: string;
}

/** An `after` cursor the API accepts (any sort key and id): the second page's query shape without a first page. */
export const ANY_CURSOR = Buffer.from(JSON.stringify(['0', '0'])).toString('base64url');

const page = '(first: 1, after: $after) { edges { node { __typename } } pageInfo { hasNextPage } }';
const pageWith = (args: string) => `(first: 1, after: $after, ${args}) { edges { node { __typename } } pageInfo { hasNextPage } }`;

export function listQueries(t: ListTargets): string[] {
  const lists = [
    `addOns${page}`,
    `alerts${page}`,
    `alerts${pageWith(`externalSubscriptionId: "${t.externalSubscriptionId}"`)}`,
    `alerts${pageWith(`walletId: "${t.walletId}"`)}`,
    `apiKeys${page}`,
    `appliedCoupons${page}`,
    `appliedCoupons${pageWith(`externalCustomerId: "${t.externalCustomerId}", status: ACTIVE`)}`,
    `billableMetrics${page}`,
    `coupons${page}`,
    `coupons${pageWith('status: ACTIVE')}`,
    `creditNotes${page}`,
    `creditNotes${pageWith(`externalCustomerId: "${t.externalCustomerId}"`)}`,
    `customers${page}`,
    `invoices${page}`,
    `invoices${pageWith(`externalCustomerId: "${t.externalCustomerId}", status: FINALIZED`)}`,
    `plans${page}`,
    `quarantinedEvents${page}`,
    `subscriptions${page}`,
    `subscriptions${pageWith(`externalCustomerId: "${t.externalCustomerId}", status: ACTIVE`)}`,
    `taxes${page}`,
    `triggeredAlerts${page}`,
    `triggeredAlerts${pageWith(`externalSubscriptionId: "${t.externalSubscriptionId}"`)}`,
    `wallets${page}`,
    `wallets${pageWith(`externalCustomerId: "${t.externalCustomerId}", status: ACTIVE`)}`,
    `customer(externalId: "${t.externalCustomerId}") { appliedCoupons${page} creditNotes${page} invoices${page} wallets${page} }`,
    `wallet(id: "${t.walletId}") { transactions${page} }`,
    `webhookEndpoints${page}`,
    `webhooks${page}`,
    `webhooks${pageWith('status: FAILED')}`,
    ...(t.webhookEndpointId === undefined
      ? []
      : [`webhooks${pageWith(`webhookEndpointId: "${t.webhookEndpointId}"`)}`, `webhooks${pageWith(`webhookEndpointId: "${t.webhookEndpointId}", status: PENDING`)}`]),
  ];
  return lists.map((list) => `query($after: String) { ${list} }`);
}

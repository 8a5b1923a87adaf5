/**
 * Tenant isolation, attacked through every root field of the schema (issue 12, "Tenant isolation").
 *
 * The fields are enumerated from the built schema (Query, Mutation, Subscription), and so are their arguments: every
 * argument or input field that names an entity (an id, a code, an external id, a transaction id, a cursor…) is a
 * *slot*, found by its name and the type it sits in (`slotFor`). Each field is called with organization B's key in
 * variants: the control (every slot B's own), one variant per slot with organization A's value there and B's
 * everywhere else, and one with A's values in every slot. Other arguments get minimal valid values. An argument that
 * looks like it names something but matches no rule fails the test: a new field or argument forces a decision here.
 *
 * Nothing of A may be reached: no answer carries A's names (every name, description, email… of A contains "ACME")
 * or A's internal ids unless B sent them, no event is a DUPLICATE of A's, errors are NOT_FOUND, FORBIDDEN or
 * VALIDATION only, a query naming A's entity answers an error, null or an empty list, a mutation naming one answers
 * an error. A's read models (every query, with A's key) and A's part of the log are the same after all of B's
 * mutations, and nothing B appends mentions A. Subscriptions are opened over graphql-ws while A ingests.
 */
import {
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLField,
  type GraphQLInputObjectType,
  type GraphQLInputType,
  type GraphQLOutputType,
} from 'graphql';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookStream } from '../../src/application/webhooks.ts';
import { schema } from '../../src/graphql/schema.ts';
import { ADMIN_KEY, startTestServer, type TestServer } from '../support/server.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Role = 'metric' | 'plan' | 'tax' | 'customer' | 'subscription' | 'transaction' | 'charge' | 'apiKey' | 'invoice' | 'coupon' | 'appliedCoupon' | 'creditNote' | 'fee' | 'addOn' | 'wallet' | 'walletTransaction' | 'alert' | 'webhookEndpoint' | 'webhook' | 'organization' | 'cursor';

/**
 * Root fields not called, each with the reason. Empty: admin-only fields are called too (they must answer FORBIDDEN
 * to an organization key, whatever ids they are given).
 */
const SKIP: Record<string, string> = {};

/** Queries whose answer changes by itself, left out of the comparison of A's read models before and after. */
const VOLATILE: Record<string, string> = { 'Query.clock': 'the time, which moves', 'Query.invoicePreview': 'computed now: its createdAt moves' };

/** Errors an attack may answer: nothing found, not allowed, or refused input. Never CONFLICT (it would say A's code is taken). */
const REFUSALS = new Set(['NOT_FOUND', 'FORBIDDEN', 'VALIDATION']);

/** Optional input fields a valid minimal input needs all the same (a STANDARD charge needs its amount). */
const NEEDED_OPTIONALS: Record<string, Json> = { 'ChargeInput.properties': { amount: '1' }, 'CreateCouponInput.amountCents': '100', 'CreateCouponInput.amountCurrency': 'EUR', 'AlertThresholdInput.value': '100' };

/**
 * Entity-naming input fields left out of the attacks, each with the reason (a valid input cannot hold them together
 * with another slot, and the same lookup is attacked through that one).
 */
const UNATTACKED: Record<string, string> = {
  'CouponAppliesToInput.planCodes': 'a coupon is limited to plans or to metrics, never both: the organization-scoped lookup of both lists (catalogFor) is attacked through billableMetricCodes',
  'CreateWalletInput.code': 'a wallet code names nothing to look up (it is the new wallet’s own label, unique among its customer’s wallets, a customer the attack names through externalCustomerId)',
  'AlertThresholdInput.code': 'a threshold’s code is a label of its own, shown back on the alerts it triggers: it names nothing to look up',
  'CreateAlertInput.code': 'an alert code names nothing to look up (it is the new alert’s own label, unique per subscription or wallet, which the attack names)',
  'CreateAlertInput.walletId': 'an alert watches a subscription or a wallet, never both: the generated (subscription, metric) alert is attacked through externalSubscriptionId and billableMetricCode; wallet lookups by id are attacked through alerts, triggeredAlerts, alertTriggered and the wallet fields',
};

/** An entity-naming position in the arguments of a root field. */
class Slot {
  readonly role: Role;
  readonly list: boolean;
  /** The argument names a new entity of B's (its own value is then fresh). */
  readonly creates: boolean;
  /** With A's value, the call may still succeed, in B's own namespace (usage events name codes and subscriptions that may exist later). */
  readonly mayAccept: boolean;
  /** The root field and the input types on the way, e.g. ['Mutation.createPlan', 'CreatePlanInput', 'ChargeInput']. */
  readonly path: string[];
  constructor(role: Role, list: boolean, creates: boolean, mayAccept: boolean, path: string[]) {
    this.role = role;
    this.list = list;
    this.creates = creates;
    this.mayAccept = mayAccept;
    this.path = path;
  }
}
type Tree = Slot | Json | undefined | Tree[] | { [key: string]: Tree };

/** Which entity `name` names in `path`, or null when it names none; throws when it cannot tell. */
function slotFor(path: string[], name: string, type: GraphQLInputType): Slot | null {
  const owner = path.at(-1)!;
  const list = isListType(getNullableType(type));
  if (Object.hasOwn(UNATTACKED, `${owner}.${name}`)) return null;
  let role: Role | undefined;
  switch (name) {
    case 'couponCode': role = 'coupon'; break;
    case 'invoiceId': role = 'invoice'; break;
    case 'feeId': role = 'fee'; break;
    case 'addOnCode': role = 'addOn'; break;
    case 'walletId': role = 'wallet'; break;
    case 'webhookEndpointId': role = 'webhookEndpoint'; break;
    case 'billableMetricCodes': role = 'metric'; break;
    case 'planCodes': role = 'plan'; break;
    case 'externalCustomerId': role = 'customer'; break;
    case 'externalSubscriptionId': role = 'subscription'; break;
    case 'planCode': role = 'plan'; break;
    case 'billableMetricCode': role = 'metric'; break;
    case 'taxCodes': role = 'tax'; break;
    case 'transactionId': role = 'transaction'; break;
    case 'organizationId': role = 'organization'; break;
    case 'after': role = 'cursor'; break;
    case 'code':
      role = /billableMetric|usageEvent|\.events$/i.test(owner) ? 'metric' : /plan/i.test(owner) ? 'plan' : /tax/i.test(owner) ? 'tax' : /coupon/i.test(owner) ? 'coupon' : /addOn/i.test(owner) ? 'addOn' : /wallet/i.test(owner) ? 'wallet' : undefined;
      break;
    case 'externalId':
      role = /customer/i.test(owner) ? 'customer' : /subscription/i.test(owner) ? 'subscription' : undefined;
      break;
    case 'id':
      role = /^Charge/.test(owner) ? 'charge' : /ApiKey/.test(owner) ? 'apiKey' : /invoice/i.test(owner) ? 'invoice' : /AppliedCoupon/.test(owner) ? 'appliedCoupon' : /creditNote/i.test(owner) ? 'creditNote' : /walletTransaction/i.test(owner) ? 'walletTransaction' : /wallet/i.test(owner) ? 'wallet' : /alert/i.test(owner) ? 'alert' : /webhookEndpoint/i.test(owner) ? 'webhookEndpoint' : /webhook/i.test(owner) ? 'webhook' : undefined;
      break;
  }
  if (role === undefined) {
    if (getNamedType(type).name === 'ID' || /^(id|code|after|before)$|Ids?$|Codes?$|Cursor$/.test(name)) {
      throw new Error(`${path.join(' > ')}.${name}: which entity does it name? Add a rule to slotFor (or a SKIP entry with a reason)`);
    }
    return null;
  }
  const creates = (owner === 'UsageEventInput' && name === 'transactionId') || (/^Create(BillableMetric|Plan|Tax|Customer|Subscription|Coupon|AddOn)Input$/.test(owner) && (name === 'code' || name === 'externalId'));
  const mayAccept = creates || owner === 'UsageEventInput' || role === 'cursor';
  return new Slot(role, list, creates, mayAccept, path);
}

/** Whether an input type holds a slot somewhere (then an optional field of that type is filled in, to attack it). */
function holdsSlot(type: GraphQLInputObjectType, path: string[], seen = new Set<string>()): boolean {
  if (seen.has(type.name)) return false;
  seen.add(type.name);
  return Object.values(type.getFields()).some((field) => {
    if (slotFor([...path, type.name], field.name, field.type)) return true;
    const named = getNamedType(field.type);
    return isInputObjectType(named) && holdsSlot(named, [...path, type.name], seen);
  });
}

/** A minimal valid value for a required argument that names nothing. */
function plainValue(owner: string, name: string, type: GraphQLInputType): Json {
  const named = getNamedType(type);
  const known: Record<string, Json> = {
    name: 'Globex item', rate: '10', rateAmount: '1', externalHistoricalUsageAmountCents: '100', amountCents: '100', amountCurrency: 'EUR', currency: 'EUR', defaultCurrency: 'EUR',
    interval: 'MONTHLY', aggregationType: 'COUNT', chargeModel: 'STANDARD', key: 'k', value: 'v', to: new Date(Date.now() + 86_400_000).toISOString(),
    properties: { amount: '1' }, values: {}, alertType: 'BILLABLE_METRIC_CURRENT_USAGE_UNITS', url: 'http://127.0.0.1:9/globex-new',
  };
  let value: Json;
  if (Object.hasOwn(known, name)) value = known[name]!;
  else if (isEnumType(named)) value = named.getValues()[0]!.value as string;
  else if (named.name === 'Int' || named.name === 'Float') value = 1;
  else if (named.name === 'Boolean') value = false;
  else if (named.name === 'DateTime') value = new Date().toISOString();
  else if (named.name === 'Timestamp') value = Math.floor(Date.now() / 1000);
  else if (named.name === 'JSON') value = {};
  else if (named.name === 'String') value = 'x';
  else throw new Error(`${owner}.${name}: no minimal value for ${named.name}`);
  return isListType(getNullableType(type)) ? [value] : value;
}

/** The arguments of a root field as a tree of plain values and slots. */
function argumentsOf(root: string, field: GraphQLField<unknown, unknown>): Record<string, Tree> {
  const valueOf = (path: string[], name: string, type: GraphQLInputType): Tree => {
    const slot = slotFor(path, name, type);
    if (slot) return slot;
    const named = getNamedType(type);
    if (isInputObjectType(named)) {
      const object = objectOf([...path, named.name], named);
      return isListType(getNullableType(type)) ? [object] : object;
    }
    return plainValue(path.at(-1)!, name, type);
  };
  const objectOf = (path: string[], type: GraphQLInputObjectType): Tree => {
    const out: Record<string, Tree> = {};
    for (const input of Object.values(type.getFields())) {
      const named = getNamedType(input.type);
      const needed = isNonNullType(input.type) && input.defaultValue === undefined;
      const key = `${type.name}.${input.name}`;
      if (needed || slotFor(path, input.name, input.type) || (isInputObjectType(named) && holdsSlot(named, path))) out[input.name] = valueOf(path, input.name, input.type);
      else if (Object.hasOwn(NEEDED_OPTIONALS, key)) out[input.name] = NEEDED_OPTIONALS[key]!;
    }
    return out;
  };
  const args: Record<string, Tree> = {};
  for (const arg of field.args) {
    const named = getNamedType(arg.type);
    const needed = isNonNullType(arg.type) && arg.defaultValue === undefined;
    if (needed || slotFor([`${root}.${field.name}`], arg.name, arg.type) || (isInputObjectType(named) && holdsSlot(named, [`${root}.${field.name}`]))) {
      args[arg.name] = valueOf([`${root}.${field.name}`], arg.name, arg.type);
    }
  }
  return args;
}

function slotsOf(tree: Tree, out: Slot[] = []): Slot[] {
  if (tree instanceof Slot) out.push(tree);
  else if (Array.isArray(tree)) for (const item of tree) slotsOf(item, out);
  else if (tree !== null && typeof tree === 'object') for (const value of Object.values(tree)) slotsOf(value, out);
  return out;
}

/** The selection of every field of `type` without required arguments, objects nested at most `depth` levels. */
function selectionOf(type: GraphQLOutputType, depth: number): string {
  const named = getNamedType(type);
  if (!isObjectType(named)) return '';
  const parts: string[] = [];
  for (const field of Object.values(named.getFields())) {
    if (field.args.some((arg) => isNonNullType(arg.type) && arg.defaultValue === undefined)) continue;
    const inner = getNamedType(field.type);
    if (isScalarType(inner) || isEnumType(inner)) parts.push(field.name);
    else if (depth > 0) {
      const nested = selectionOf(field.type, depth - 1);
      if (nested) parts.push(`${field.name} ${nested}`);
    }
  }
  return parts.length > 0 ? `{ ${parts.join(' ')} }` : '';
}

/** One organization and its catalog: a tax, a metric, a plan charging it, a customer, a subscription, usage events, an add-on. */
interface Tenant {
  label: string;
  key: string;
  orgId: string;
  apiKeyId: string;
  metric: string;
  plan: string;
  tax: string;
  customer: string;
  subscription: string;
  transactions: string[];
  charge: string;
  invoice: string;
  coupon: string;
  appliedCoupon: string;
  creditNote: string;
  /** The first fee of its invoice. */
  fee: string;
  addOn: string;
  wallet: string;
  /** Its wallet's first transaction. */
  walletTransaction: string;
  /** Its alert on its subscription's usage (it has one on its wallet too). */
  alert: string;
  /** Its webhook endpoint, and a FAILED webhook of it (appended as the dispatcher would). */
  webhookEndpoint: string;
  webhook: string;
  /** The end cursor of the first page (of one) of every connection query, by root field. */
  cursors: Map<string, string | null>;
}

interface RootField {
  root: 'Query' | 'Mutation' | 'Subscription';
  name: string;
  field: GraphQLField<unknown, unknown>;
  args: Record<string, Tree>;
  slots: Slot[];
  selection: string;
}

const roots = (['Query', 'Mutation', 'Subscription'] as const).flatMap((root) => {
  const type = root === 'Query' ? schema.getQueryType() : root === 'Mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  return Object.values(type?.getFields() ?? {}).map((field) => ({ root, field }));
});

/** Every root field with its arguments; a field the rules cannot call is an error, unless skipped. */
function enumerate(): { fields: RootField[]; unknown: string[] } {
  const fields: RootField[] = [];
  const unknown: string[] = [];
  for (const { root, field } of roots) {
    const id = `${root}.${field.name}`;
    if (Object.hasOwn(SKIP, id)) continue;
    try {
      const args = argumentsOf(root, field);
      const named = getNamedType(field.type);
      const selection = isObjectType(named) ? selectionOf(field.type, 5) : '';
      if (isObjectType(named) && !selection) throw new Error(`${id}: no selection for ${named.name}`);
      fields.push({ root, name: field.name, field, args, slots: slotsOf(args), selection });
    } catch (error) {
      unknown.push((error as Error).message);
    }
  }
  return { fields, unknown };
}

let fresh = 0;
/** The value of a slot: organization `tenant`'s own, or a new code when the slot names a new entity of its own. */
function valueFor(slot: Slot, tenant: Tenant, own: boolean): Json | undefined {
  let value: Json | undefined;
  if (own && slot.creates) value = `${tenant.label.toLowerCase()}-new-${++fresh}`;
  else if (slot.role === 'charge' && slot.path.includes('CreatePlanInput') && own) value = undefined; // a new plan's charges have no id yet
  else {
    switch (slot.role) {
      case 'metric': value = tenant.metric; break;
      case 'plan': value = tenant.plan; break;
      case 'tax': value = tenant.tax; break;
      case 'customer': value = tenant.customer; break;
      case 'subscription': value = tenant.subscription; break;
      case 'transaction': value = tenant.transactions[0]!; break;
      case 'charge': value = tenant.charge; break;
      case 'apiKey': value = tenant.apiKeyId; break;
      case 'invoice': value = tenant.invoice; break;
      case 'coupon': value = tenant.coupon; break;
      case 'appliedCoupon': value = tenant.appliedCoupon; break;
      case 'creditNote': value = tenant.creditNote; break;
      case 'fee': value = tenant.fee; break;
      case 'addOn': value = tenant.addOn; break;
      case 'wallet': value = tenant.wallet; break;
      case 'walletTransaction': value = tenant.walletTransaction; break;
      case 'alert': value = tenant.alert; break;
      case 'webhookEndpoint': value = tenant.webhookEndpoint; break;
      case 'webhook': value = tenant.webhook; break;
      case 'organization': value = tenant.orgId; break;
      case 'cursor': value = tenant.cursors.get(slot.path[0]!.split('.')[1]!) ?? undefined; break;
    }
  }
  return value === undefined ? undefined : slot.list ? [value] : value;
}

/** Materializes a tree: slot `i` takes `pick(i)`'s tenant's value. */
function materialize(tree: Tree, pick: (slot: Slot) => { tenant: Tenant; own: boolean }): Json | undefined {
  if (tree instanceof Slot) {
    const { tenant, own } = pick(tree);
    return valueFor(tree, tenant, own);
  }
  if (Array.isArray(tree)) return tree.map((item) => materialize(item, pick)).filter((item) => item !== undefined) as Json[];
  if (tree !== null && typeof tree === 'object') {
    const out: Record<string, Json> = {};
    for (const [key, value] of Object.entries(tree)) {
      const materialized = materialize(value, pick);
      if (materialized !== undefined) out[key] = materialized;
    }
    return out;
  }
  return tree;
}

interface Variant {
  label: string;
  /** Slots holding A's value: none for the control. */
  attacked: Slot[];
  variables: Record<string, Json>;
}

/** A's values everywhere, one variant per slot with A's value there and B's elsewhere, and the control (B's own values) last. */
function variantsOf(field: RootField, a: Tenant, b: Tenant): Variant[] {
  const make = (label: string, attacked: Slot[]): Variant => {
    const variables: Record<string, Json> = {};
    for (const [name, tree] of Object.entries(field.args)) {
      const value = materialize(tree, (slot) => (attacked.includes(slot) ? { tenant: a, own: false } : { tenant: b, own: true }));
      if (value !== undefined) variables[name] = value;
    }
    return { label, attacked, variables };
  };
  // A's values everywhere first: a single-slot variant may create, in B, an entity named as A's (createPlan with
  // A's plan code), which would then legitimately conflict with a later variant naming it again.
  const variants = [...(field.slots.length > 1 ? [make("A's values in every slot", field.slots)] : []), ...field.slots.map((slot, i) => make(`A's ${slot.role} in slot ${i} (${slot.path.slice(1).join('>') || 'argument'})`, [slot]))];
  // A slot whose A value is unknown (no cursor) leaves the variant equal to the control: drop it.
  const control = make('control', []);
  const seen = new Set([JSON.stringify(control.variables)]);
  const attacks = variants.filter((variant) => {
    const key = JSON.stringify(variant.variables);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return [...attacks, control];
}

/** The operation text of a root field, its arguments as variables. */
function operationOf(field: RootField, variables: Record<string, Json>): string {
  const used = field.field.args.filter((arg) => Object.hasOwn(variables, arg.name));
  const declared = used.length > 0 ? `(${used.map((arg) => `$${arg.name}: ${String(arg.type)}`).join(', ')})` : '';
  const passed = used.length > 0 ? `(${used.map((arg) => `${arg.name}: $${arg.name}`).join(', ')})` : '';
  const keyword = field.root === 'Query' ? 'query' : field.root === 'Mutation' ? 'mutation' : 'subscription';
  return `${keyword} Attack${declared} { ${field.name}${passed} ${field.selection} }`;
}

describe('tenant isolation: every root field of the schema, called by organization B with organization A’s ids, codes and external ids', () => {
  let server: TestServer;
  let a: Tenant;
  let bMain: Tenant;
  let mirror: Tenant;
  const { fields, unknown } = enumerate();
  const queries = fields.filter((f) => f.root === 'Query');
  const mutations = fields.filter((f) => f.root === 'Mutation');
  const subscriptionFields = fields.filter((f) => f.root === 'Subscription');
  /**
   * The organizations whose data nobody else may see: A, and the mirror (which holds A's codes, so that a lookup
   * by code that forgets the organization could find it instead of A). Each with its internal ids (every `id` and
   * `…Id` in its answers) and a word all its names, descriptions, emails… contain.
   */
  const guarded = new Map<Tenant, { ids: Set<string>; marker: RegExp }>();
  let organizationCount = 0;

  const ok = async <T = Record<string, any>>(query: string, variables: Record<string, unknown>, key: string): Promise<T> => {
    const result = await server.gql<T>(query, variables, key);
    expect(result.errors, `${query} ${JSON.stringify(variables)}`).toBeUndefined();
    return result.data!;
  };

  /** Creates organization `label` (or takes the default one) and its catalog; `prefix` names its codes. */
  async function tenant(label: string, prefix: string, events: number, existing?: { key: string }): Promise<Tenant> {
    let key: string;
    let orgId: string;
    let apiKeyId: string;
    if (existing) {
      key = existing.key;
      orgId = (await ok<{ organization: { id: string } }>('{ organization { id } }', {}, key)).organization.id;
      apiKeyId = (await ok<{ apiKeys: { edges: { node: { id: string } }[] } }>('{ apiKeys { edges { node { id } } } }', {}, key)).apiKeys.edges[0]!.node.id;
    } else {
      organizationCount += 1;
      const created = await ok<{ createOrganization: { organization: { id: string }; apiKey: { key: string; apiKey: { id: string } } } }>(
        'mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } apiKey { key apiKey { id } } } }',
        { input: { name: `${label} Corp`, defaultCurrency: 'EUR' } },
        ADMIN_KEY,
      );
      ({ key } = created.createOrganization.apiKey);
      orgId = created.createOrganization.organization.id;
      apiKeyId = created.createOrganization.apiKey.apiKey.id;
    }
    const t = { label, key, orgId, apiKeyId, metric: `${prefix}-calls`, plan: `${prefix}-plan`, tax: `${prefix}-vat`, customer: `${prefix}-cus`, subscription: `${prefix}-sub`, transactions: Array.from({ length: events }, (_, i) => `${prefix}-tx-${i}`), charge: '', invoice: '', coupon: `${prefix}-coupon`, appliedCoupon: '', creditNote: '', fee: '', addOn: `${prefix}-addon`, wallet: '', walletTransaction: '', alert: '', webhookEndpoint: '', webhook: '', cursors: new Map() } satisfies Tenant;
    await ok('mutation($input: CreateTaxInput!) { createTax(input: $input) { tax { id } } }', { input: { code: t.tax, name: `${label} VAT`, rate: '20', description: `${label} tax` } }, key);
    await ok('mutation($input: CreateBillableMetricInput!) { createBillableMetric(input: $input) { billableMetric { id } } }', { input: { code: t.metric, name: `${label} Calls`, description: `${label} metric`, aggregationType: 'COUNT' } }, key);
    const plan = await ok<{ createPlan: { plan: { charges: { id: string }[] } } }>(
      'mutation($input: CreatePlanInput!) { createPlan(input: $input) { plan { charges { id } } } }',
      {
        input: {
          code: t.plan, name: `${label} Plan`, description: `${label} plan`, invoiceDisplayName: `${label} plan`, interval: 'MONTHLY', amountCents: '1000', amountCurrency: 'EUR', taxCodes: [t.tax],
          // Every euro of usage crosses a recurring threshold: progressive-billing invoices (usageThresholdReached).
          usageThresholds: [{ amountCents: '100', recurring: true, thresholdDisplayName: `${label} threshold` }],
          charges: [{ billableMetricCode: t.metric, chargeModel: 'STANDARD', properties: { amount: '1' }, taxCodes: [t.tax], invoiceDisplayName: `${label} charge` }],
        },
      },
      key,
    );
    t.charge = plan.createPlan.plan.charges[0]!.id;
    await ok('mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } } }', {
      input: { externalId: t.customer, name: `${label} Customer`, legalName: `${label} Legal`, email: `billing@${label.toLowerCase()}.test`, currency: 'EUR', taxCodes: [t.tax], metadata: [{ key: 'owner', value: `${label} meta` }] },
    }, key);
    await ok('mutation($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { id } } }', { input: { externalId: t.subscription, externalCustomerId: t.customer, planCode: t.plan, name: `${label} sub` } }, key);
    await ok('mutation($input: CreateCouponInput!) { createCoupon(input: $input) { coupon { id } } }', {
      input: { code: t.coupon, name: `${label} Coupon`, description: `${label} coupon`, couponType: 'PERCENTAGE', percentageRate: '10', frequency: 'FOREVER', appliesTo: { billableMetricCodes: [t.metric] } },
    }, key);
    const applied = await ok<{ applyCoupon: { appliedCoupon: { id: string } } }>('mutation($input: ApplyCouponInput!) { applyCoupon(input: $input) { appliedCoupon { id } } }', { input: { externalCustomerId: t.customer, couponCode: t.coupon } }, key);
    t.appliedCoupon = applied.applyCoupon.appliedCoupon.id;
    await ok('mutation($input: CreateAddOnInput!) { createAddOn(input: $input) { addOn { id } } }', {
      input: { code: t.addOn, name: `${label} Setup`, invoiceDisplayName: `${label} setup fee`, description: `${label} add-on`, amountCents: '50000', amountCurrency: 'EUR', taxCodes: [t.tax] },
    }, key);
    // A subscription started 40 days ago has a period to bill: the billing run issues its invoice.
    const past = new Date(Date.now() - 40 * 86_400_000).toISOString();
    await ok('mutation($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { id } } }', { input: { externalId: `${prefix}-billed`, externalCustomerId: t.customer, planCode: t.plan, subscriptionAt: past } }, key);
    await server.system.app.invoices.runDue(new Date());
    const invoices = await ok<{ invoices: { edges: { node: { id: string } }[] } }>('{ invoices(first: 1) { edges { node { id } } } }', {}, key);
    t.invoice = invoices.invoices.edges[0]!.node.id;
    t.fee = (await ok<{ invoice: { fees: { id: string }[] } }>(`{ invoice(id: "${t.invoice}") { fees { id } } }`, {}, key)).invoice.fees[0]!.id;
    t.creditNote = (await creditNoteOn(t, key)).id;
    const wallet = await ok<{ createWallet: { wallet: { id: string; transactions: { edges: { node: { id: string } }[] } } } }>(
      'mutation($input: CreateWalletInput!) { createWallet(input: $input) { wallet { id transactions { edges { node { id } } } } } }',
      { input: { externalCustomerId: t.customer, currency: 'EUR', rateAmount: '1', name: `${label} wallet`, code: `${prefix}-wallet`, grantedCredits: '10', appliesTo: { billableMetricCodes: [t.metric] } } },
      key,
    );
    t.wallet = wallet.createWallet.wallet.id;
    t.walletTransaction = wallet.createWallet.wallet.transactions.edges[0]!.node.id;
    t.alert = await alertsOf(t, key);
    ({ webhookEndpoint: t.webhookEndpoint, webhook: t.webhook } = await webhooksOf(t, prefix, key));
    if (events > 0) {
      const ingested = await ok<{ createEvents: { acceptedCount: number } }>('mutation($events: [UsageEventInput!]!) { createEvents(input: {events: $events}) { acceptedCount } }', {
        events: t.transactions.map((transactionId) => ({ transactionId, externalSubscriptionId: t.subscription, code: t.metric, properties: { note: `${label} event` } })),
      }, key);
      expect(ingested.createEvents.acceptedCount, `${label}: none of its events is a duplicate`).toBe(events);
    }
    await server.settle();
    if (events > 0) await alertsTriggered(t, events);
    for (const field of queries) {
      const named = getNamedType(field.field.type);
      if (!isObjectType(named) || !named.getFields().edges || !named.getFields().pageInfo) continue;
      const page = await ok<Record<string, { pageInfo: { endCursor: string | null } }>>(`{ ${field.name}(first: 1) { pageInfo { endCursor } } }`, {}, key);
      t.cursors.set(field.name, page[field.name]!.pageInfo.endCursor);
    }
    return t;
  }

  /**
   * Two alerts of `t`: on its subscription's usage (a step of 1 EUR, so each event crosses one) and on its wallet's
   * ongoing balance (10 EUR, then every 1 EUR down); answers the subscription's.
   */
  async function alertsOf(t: Tenant, key: string): Promise<string> {
    const create = (input: Record<string, unknown>) => ok<{ createAlert: { alert: { id: string } } }>('mutation($input: CreateAlertInput!) { createAlert(input: $input) { alert { id } } }', { input }, key);
    const usage = await create({ alertType: 'CURRENT_USAGE_AMOUNT', code: `${t.label.toLowerCase()}-usage`, name: `${t.label} usage alert`, externalSubscriptionId: t.subscription, thresholds: [{ value: '100', code: `${t.label} step`, recurring: true }] });
    await create({ alertType: 'WALLET_ONGOING_BALANCE_AMOUNT', code: `${t.label.toLowerCase()}-wallet`, name: `${t.label} wallet alert`, walletId: t.wallet, thresholds: [{ value: '1000' }, { value: '100', recurring: true }] });
    return usage.createAlert.alert.id;
  }

  /**
   * A webhook endpoint of `t` and a FAILED webhook of it. The endpoint takes only `plan.deleted`, which nothing in this
   * test makes for A or the mirror (so no webhook of theirs is made or attempted while they are compared), and points
   * at a closed local port; the webhook is appended to the log as the dispatcher would append it.
   */
  async function webhooksOf(t: Tenant, prefix: string, key: string): Promise<{ webhookEndpoint: string; webhook: string }> {
    const created = await ok<{ createWebhookEndpoint: { webhookEndpoint: { id: string } } }>(
      'mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { webhookEndpoint { id } } }',
      { input: { url: `http://127.0.0.1:9/${t.label.toLowerCase()}/${prefix}`, eventTypes: ['plan.deleted'], signatureAlgorithm: 'HMAC' } },
      key,
    );
    const webhookEndpointId = created.createWebhookEndpoint.webhookEndpoint.id;
    const webhookId = `${prefix}-webhook-${t.orgId}`;
    const at = new Date().toISOString();
    const metadata = { organizationId: t.orgId, recordedAt: at };
    const payload = JSON.stringify({ webhook_type: 'plan.deleted', object_type: 'plan', organization_id: t.orgId, plan: { code: t.plan, name: `${t.label} Plan` } });
    const { position } = await server.system.app.deps.eventStore.append(
      webhookStream(t.orgId, webhookId),
      [
        { type: 'WebhookCreated', data: { organizationId: t.orgId, webhookId, webhookEndpointId, webhookType: 'plan.deleted', objectType: 'plan', objectId: t.plan, sourceEventId: `${prefix}-source`, sourcePosition: '0'.padStart(20, '0'), payload, createdAt: at }, metadata },
        { type: 'WebhookAttempted', data: { organizationId: t.orgId, webhookId, attempt: 1, outcome: 'FAILED', httpStatus: null, error: 'ECONNREFUSED', response: null, durationMs: 1, attemptedAt: at, nextAttemptAt: null }, metadata },
      ],
      { expectedRevision: 'no_stream' },
    );
    await server.system.app.deps.waitForProjections(position, { usage: false });
    return { webhookEndpoint: webhookEndpointId, webhook: webhookId };
  }

  /**
   * Waits until `t`'s alerts have seen its `events` (1 EUR each) and its wallet has settled (its progressive-billing
   * invoices paid from it, coupons and taxes included): nothing of it triggers later.
   */
  async function alertsTriggered(t: Tenant, events: number): Promise<void> {
    const read = async () => {
      const alerts = (await ok<{ alerts: { edges: { node: { alertType: string; previousValue: string } }[] } }>('{ alerts { edges { node { alertType previousValue } } } }', {}, t.key)).alerts.edges.map((e) => e.node);
      return { usage: alerts.find((a) => a.alertType === 'CURRENT_USAGE_AMOUNT')?.previousValue, all: JSON.stringify(alerts) };
    };
    let seen = await read();
    let stableSince = Date.now();
    for (const deadline = Date.now() + 5_000; Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const next = await read();
      if (next.all !== seen.all) stableSince = Date.now();
      seen = next;
      if (seen.usage === String(events * 100) && Date.now() - stableSince > 150) break;
    }
    expect(seen.usage, `${t.label}'s usage alert`).toBe(String(events * 100));
  }

  /**
   * Invoices created and changed for `t`: a subscription started 40 days ago gets (at least) two invoices from the
   * billing run, and `t`'s invoice is paid, then its payment fails.
   */
  async function invoiceActivity(t: Tenant, prefix: string): Promise<void> {
    const past = new Date(Date.now() - 40 * 86_400_000).toISOString();
    await ok('mutation($input: CreateSubscriptionInput!) { createSubscription(input: $input) { subscription { id } } }', { input: { externalId: `${prefix}-live-billed`, externalCustomerId: t.customer, planCode: t.plan, subscriptionAt: past } }, t.key);
    await server.system.app.invoices.runDue(new Date());
    for (const status of ['SUCCEEDED', 'FAILED']) await ok(`mutation { updateInvoice(input: {id: "${t.invoice}", paymentStatus: ${status}}) { invoice { id } } }`, {}, t.key);
    // Two crossings of its recurring usage threshold, one after the other: two progressive-billing invoices.
    for (let i = 0; i < 2; i += 1) {
      await ok('mutation($events: [UsageEventInput!]!) { createEvents(input: {events: $events}) { acceptedCount } }', { events: [{ transactionId: `${prefix}-crossing-${i}`, externalSubscriptionId: t.subscription, code: t.metric }] }, t.key);
      await server.settle();
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    for (let i = 0; i < 2; i += 1) await creditNoteOn(t, t.key);
  }

  /** A credit note of one cent on `t`'s invoice. */
  async function creditNoteOn(t: Tenant, key: string): Promise<{ id: string }> {
    const invoice = await ok<{ invoice: { fees: { id: string }[] } }>(`{ invoice(id: "${t.invoice}") { fees { id } } }`, {}, key);
    const created = await ok<{ createCreditNote: { creditNote: { id: string } } }>('mutation($input: CreateCreditNoteInput!) { createCreditNote(input: $input) { creditNote { id } } }', {
      input: { invoiceId: t.invoice, reason: 'OTHER', description: `${t.label} credit`, items: [{ feeId: invoice.invoice.fees[0]!.id, amountCents: '1' }] },
    }, key);
    return created.createCreditNote.creditNote;
  }

  /** What in an answer `viewer` got comes from another organization: names, internal ids it was not sent, a duplicate of their events. */
  function leaksOf(answer: unknown, sent: unknown, viewer: Tenant): string[] {
    const text = JSON.stringify(answer) ?? '';
    const request = JSON.stringify(sent) ?? '';
    const found: string[] = [];
    for (const [owner, { ids, marker }] of guarded) {
      if (owner === viewer) continue;
      const name = new RegExp(`.{0,60}${marker.source}.{0,60}`, 'i').exec(text);
      if (name) found.push(`${owner.label}'s name: …${name[0]}…`);
      for (const id of ids) if (text.includes(id) && !request.includes(id)) found.push(`${owner.label}'s id ${id}`);
    }
    if (text.includes('"DUPLICATE"')) found.push('an event reported as a duplicate (of another organization’s)');
    return found;
  }

  /** Nothing found: null, an empty list, or a connection without edges. */
  const empty = (value: unknown): boolean =>
    value === null || (Array.isArray(value) && value.length === 0) || (typeof value === 'object' && value !== null && Array.isArray((value as { edges?: unknown[] }).edges) && (value as { edges: unknown[] }).edges.length === 0);

  type Failure = string;
  /**
   * Runs one variant with B's key and says what is wrong with its answer. Strict: B holds nothing named as A's
   * entities (so naming one finds nothing) and B's own entities are all there (so the control succeeds).
   */
  async function attack(field: RootField, variant: Variant, viewer: Tenant, strict: boolean): Promise<Failure[]> {
    const query = operationOf(field, variant.variables);
    const result = await server.gql(query, variant.variables, viewer.key);
    const where = `${field.root}.${field.name} [${variant.label}] ${JSON.stringify(variant.variables)} → ${JSON.stringify(result.errors ?? result.data).slice(0, 400)}`;
    const failures = leaksOf({ data: result.data, errors: result.errors }, variant.variables, viewer).map((leak) => `${where}: ${leak}`);
    const codes = (result.errors ?? []).map((error) => error.extensions?.code ?? 'NONE');
    if (variant.attacked.length === 0) {
      if (!strict) return failures;
      // The control proves the generated input is valid, so that each attack is refused for A's value only.
      if (field.root === 'Query' && codes.length > 0) failures.push(`${where}: the control query fails`);
      if (field.root === 'Mutation' && codes.some((code) => !['FORBIDDEN', 'CONFLICT'].includes(code))) failures.push(`${where}: the control mutation fails`);
      return failures;
    }
    const bad = codes.filter((code) => !REFUSALS.has(code));
    if (bad.length > 0) failures.push(`${where}: answered ${bad.join(', ')}`);
    const reference = variant.attacked.some((slot) => !slot.mayAccept);
    if (strict && reference && codes.length === 0) {
      const value = (result.data as Record<string, unknown> | null | undefined)?.[field.name];
      if (field.root === 'Mutation') failures.push(`${where}: a mutation naming A's entity succeeded`);
      else if (!empty(value)) failures.push(`${where}: a query naming A's entity found something`);
    }
    return failures;
  }

  async function attackQueries(viewer: Tenant, strict: boolean): Promise<Failure[]> {
    const failures: Failure[] = [];
    for (const field of queries) for (const variant of variantsOf(field, a, viewer)) failures.push(...(await attack(field, variant, viewer, strict)));
    return failures;
  }

  /** An organization's read models through every query (its own values in every slot), and its part of the log. */
  async function stateOf(t: Tenant): Promise<{ answers: Record<string, unknown>; log: unknown[] }> {
    const answers: Record<string, unknown> = {};
    for (const field of queries) {
      if (Object.hasOwn(VOLATILE, `Query.${field.name}`)) continue;
      const variables: Record<string, Json> = {};
      for (const [name, tree] of Object.entries(field.args)) {
        const value = materialize(tree, () => ({ tenant: t, own: false }));
        if (value !== undefined) variables[name] = value;
      }
      answers[field.name] = await ok(operationOf(field, variables), variables, t.key);
    }
    const log = (await server.system.app.deps.eventStore.readAll()).filter((event) => event.metadata.organizationId === t.orgId).map((event) => ({ ...event, position: String(event.position) }));
    return { answers, log };
  }

  beforeAll(async () => {
    server = await startTestServer();
    a = await tenant('ACME', 'a', 7, { key: server.apiKey });
    // A's organization's own settings carry the marker too.
    await ok('mutation { updateOrganization(input: {documentNumberPrefix: "ACME", timezone: "Europe/Paris"}) { organization { id } } }', {}, a.key);
    bMain = await tenant('Globex', 'b', 3);
    // An organization with exactly A's codes, external ids and transaction ids: its own, never A's.
    mirror = await tenant('Mirror', 'a', 3);
    for (const [t, marker] of [[a, /acme/i], [mirror, /mirror/i]] as const) {
      const ids = new Set([t.orgId, t.apiKeyId]);
      const harvest = (value: unknown, key = ''): void => {
        // Internal ids only: external ids and transaction ids are the client's, and B sends them on purpose.
        if (typeof value === 'string' && (key === 'id' || (/Id$/.test(key) && !/^(external|transaction)/.test(key))) && value.length >= 8) ids.add(value);
        else if (Array.isArray(value)) for (const item of value) harvest(item, key);
        else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) harvest(v, k);
      };
      harvest((await stateOf(t)).answers);
      guarded.set(t, { ids, marker });
    }
    console.log(`tenant isolation: ${queries.length} queries, ${mutations.length} mutations, ${subscriptionFields.length} subscriptions; ${fields.reduce((n, f) => n + variantsOf(f, a, bMain).length, 0)} variants; skipped: ${Object.keys(SKIP).join(', ') || 'none'}`);
  }, 120_000);
  afterAll(async () => server?.close());

  it('knows how to call every root field of the schema (a new field or argument needs a rule, or a SKIP entry with a reason)', () => {
    expect(unknown).toEqual([]);
    for (const [id, reason] of Object.entries(SKIP)) {
      expect(roots.some((r) => `${r.root}.${r.field.name}` === id), `SKIP entry ${id} names no field`).toBe(true);
      expect(reason.length).toBeGreaterThan(10);
    }
    expect(queries.length + mutations.length + subscriptionFields.length + Object.keys(SKIP).length).toBe(roots.length);
    // The rules do find what names an entity: the fields that obviously do have slots.
    for (const id of ['Query.customer', 'Query.customerUsage', 'Query.event', 'Query.addOn', 'Mutation.updateAddOn', 'Mutation.createPlan', 'Mutation.createEvents', 'Mutation.revokeApiKey', 'Subscription.customerUsageUpdated', 'Query.webhook', 'Query.webhooks', 'Mutation.updateWebhookEndpoint', 'Mutation.retryWebhook']) {
      expect(fields.find((f) => `${f.root}.${f.name}` === id)?.slots.length ?? 0, id).toBeGreaterThan(0);
    }
  });

  it("answers B's every query with A's values with nothing of A (an error, null or an empty list)", async () => {
    expect(await attackQueries(bMain, true)).toEqual([]);
  }, 60_000);

  it("keeps an organization holding A's very codes and external ids to its own data", async () => {
    // Same external ids, same transaction ids: every one of the mirror's events was accepted (none a duplicate), and
    // its usage counts its 3 events, not A's 7.
    const usageOf = async (t: Tenant) =>
      (await ok<{ customerUsage: { chargesUsage: { units: string }[] } }>(
        'query($c: String!, $s: String!) { customerUsage(externalCustomerId: $c, externalSubscriptionId: $s, waitForEvents: true) { chargesUsage { units } } }',
        { c: t.customer, s: t.subscription },
        t.key,
      )).customerUsage.chargesUsage[0]!.units;
    expect(await usageOf(mirror)).toBe('3');
    expect(await usageOf(a)).toBe('7');
    const mirrorEvent = await ok<{ event: { properties: { note: string } } }>('{ event(transactionId: "a-tx-0") { properties } }', {}, mirror.key);
    expect(mirrorEvent.event.properties.note).toBe('Mirror event');
    expect(await attackQueries(mirror, false)).toEqual([]);
  }, 60_000);

  it("pushes nothing of A to B's subscriptions, nor to those of an organization holding A's codes, while A ingests", async () => {
    type Received = { data: unknown[]; errors: { message?: string; extensions?: { code?: string } }[]; closed: unknown[] };
    const open = (client: Client, field: RootField, variant: Variant) => {
      const received: Received = { data: [], errors: [], closed: [] };
      const query = operationOf(field, variant.variables);
      const dispose = client.subscribe(
        { query, variables: variant.variables },
        {
          next: (value) => {
            if (value.errors) received.errors.push(...(value.errors as Received['errors']));
            if (value.data) received.data.push(value.data);
          },
          error: (error) => (Array.isArray(error) ? received.errors.push(...(error as Received['errors'])) : received.closed.push(error)),
          complete: () => {},
        },
      );
      return { field, variant, received, dispose, query };
    };
    // A watches its own entities first: a shared channel that forgot the organization would then carry A's pushes.
    const aClient = server.ws(a.key);
    const own = subscriptionFields.map((field) => open(aClient, field, variantsOf(field, a, a).at(-1)!));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const bClient = server.ws(bMain.key);
    const mirrorClient = server.ws(mirror.key);
    const opened = subscriptionFields.flatMap((field) => variantsOf(field, a, bMain).map((variant) => ({ ...open(bClient, field, variant), who: 'B' })));
    // The mirror subscribes to its own entities, named as A's are.
    const mirrored = subscriptionFields.map((field) => {
      const variant = variantsOf(field, a, mirror).at(-1)!;
      return { ...open(mirrorClient, field, variant), who: 'mirror' };
    });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const mirrorPushesBefore = mirrored.map((m) => m.received.data.length);

    // A ingests and changes its catalog meanwhile.
    for (let round = 0; round < 4; round += 1) {
      await ok('mutation($events: [UsageEventInput!]!) { createEvents(input: {events: $events}) { acceptedCount } }', {
        events: Array.from({ length: 5 }, (_, i) => ({ transactionId: `a-live-${round}-${i}`, externalSubscriptionId: a.subscription, code: a.metric, properties: { note: 'ACME live' } })),
      }, a.key);
      await ok('mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } } }', { input: { externalId: a.customer, name: `ACME Customer ${round}` } }, a.key);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await ok(`mutation { createTax(input: {code: "a-live-tax", name: "ACME live tax", rate: "5"}) { tax { id } } }`, {}, a.key);
    await invoiceActivity(a, 'a');
    await server.settle();
    // Then B does something of its own, which its control subscriptions must see.
    await ok('mutation($events: [UsageEventInput!]!) { createEvents(input: {events: $events}) { acceptedCount } }', { events: [{ transactionId: 'b-live-0', externalSubscriptionId: bMain.subscription, code: bMain.metric }] }, bMain.key);
    await ok('mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } } }', { input: { externalId: bMain.customer, name: 'Globex renamed' } }, bMain.key);
    await ok('mutation { createTax(input: {code: "b-live-tax", name: "Globex live tax", rate: "5"}) { tax { id } } }', {}, bMain.key);
    await invoiceActivity(bMain, 'b');
    await server.settle();
    const controls = opened.filter((o) => o.variant.attacked.length === 0);
    const deadline = Date.now() + 5_000;
    while (controls.some((c) => c.received.data.length < 2) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, 400));
    for (const o of [...own, ...opened, ...mirrored]) o.dispose();
    // A's own subscriptions did see A's activity (so the silence of the others is not a quiet server).
    for (const o of own) expect(o.received.data.length, `A's ${o.field.name}`).toBeGreaterThan(1);

    const failures: string[] = [];
    for (const o of [...opened, ...mirrored]) {
      const where = `${o.who} ${o.field.root}.${o.field.name} [${o.variant.label}] ${JSON.stringify(o.variant.variables)} → ${JSON.stringify(o.received).slice(0, 400)}`;
      failures.push(...leaksOf(o.received, o.variant.variables, o.who === 'B' ? bMain : mirror).map((leak) => `${where}: ${leak}`));
      if (o.received.closed.length > 0) failures.push(`${where}: the socket closed`);
      const codes = o.received.errors.map((error) => error.extensions?.code ?? 'NONE');
      if (o.variant.attacked.length === 0) {
        if (codes.length > 0) failures.push(`${where}: the control subscription fails`);
        // customerUsageUpdated: the first push and B's event; auditEvents: B's two appends.
        if (o.who === 'B' && o.received.data.length < 2) failures.push(`${where}: the control subscription saw B's own changes ${o.received.data.length} times`);
      } else {
        if (codes.some((code) => !REFUSALS.has(code))) failures.push(`${where}: answered ${codes.join(', ')}`);
        if (o.variant.attacked.some((slot) => !slot.mayAccept) && o.received.data.length > 0) failures.push(`${where}: a subscription naming A's entity pushed data`);
      }
    }
    // The mirror did nothing meanwhile: A's activity pushed it nothing (not even its own unchanged usage again).
    mirrored.forEach((m, i) => {
      if (m.received.data.length !== mirrorPushesBefore[i]) failures.push(`mirror ${m.field.name}: pushed ${m.received.data.length - mirrorPushesBefore[i]!} times while only A and B were active`);
    });
    expect(failures).toEqual([]);
    // The mirror's usage subscription did answer (its own 3 events), so silence above is not a failure to subscribe.
    const mirrorUsage = mirrored.find((m) => m.field.name === 'customerUsageUpdated');
    if (mirrorUsage) expect(JSON.stringify(mirrorUsage.received.data)).toContain('"units":"3"');
  }, 60_000);

  it("refuses B's every mutation with A's values, leaves A's read models and log unchanged, and B appends nothing about A", async () => {
    const before = await stateOf(a);
    const mirrorBefore = await stateOf(mirror);
    const headBefore = (await server.system.app.deps.eventStore.headPosition()) ?? 0n;
    const failures: string[] = [];
    for (const field of mutations) {
      // A fresh organization B per mutation: what one attack creates in B's namespace cannot hide another one.
      const b = await tenant(`Globex${field.name}`, `b-${field.name.toLowerCase()}`, 2);
      for (const variant of variantsOf(field, a, b)) failures.push(...(await attack(field, variant, b, true)));
      await server.settle();
      // B may now hold entities named as A's: its queries with A's values still reach nothing of A.
      failures.push(...(await attackQueries(b, false)));
    }
    expect(failures).toEqual([]);
    await server.settle();
    const after = await stateOf(a);
    expect(after.log).toEqual(before.log);
    expect(after.answers).toEqual(before.answers);
    expect(await stateOf(mirror)).toEqual(mirrorBefore);
    // Every event B's attacks appended is B's, and mentions none of A's ids.
    const appended = (await server.system.app.deps.eventStore.readAll()).filter((event) => event.position > headBefore);
    expect(appended.length).toBeGreaterThan(0);
    for (const event of appended) {
      expect([a.orgId, mirror.orgId]).not.toContain(event.metadata.organizationId);
      const text = JSON.stringify({ streamId: event.streamId, data: event.data, metadata: event.metadata });
      for (const { ids } of guarded.values()) for (const id of ids) expect(text.includes(id), `${event.type} ${text.slice(0, 300)} mentions ${id}`).toBe(false);
    }
    // A's key was not revoked by B's revokeApiKey.
    expect((await server.gql('{ organization { id } }', {}, a.key)).errors).toBeUndefined();
    expect(organizationCount).toBeGreaterThan(mutations.length);
  }, 180_000);
});

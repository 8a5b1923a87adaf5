import { z } from 'zod';
import type { CustomerMetadataEntry } from '../domain/customer/index.ts';
import { NotFoundError } from '../domain/shared/errors.ts';
import { LIST_LIMITS } from '../domain/shared/limits.ts';
import type { CustomerDocument } from '../../projections/customers.ts';
import type { OrganizationDocument } from '../../projections/organizations.ts';
import { organizationOf } from './auth.ts';
import { builder, type GraphQLContext } from './builder.ts';
import { actorFrom, identifier, inInput, payloadOf, text } from './commandSupport.ts';
import { connectionOf, paginate } from './connection.ts';
import { parseInput } from './errors.ts';

const CustomerMetadata = builder.objectRef<CustomerMetadataEntry>('CustomerMetadata').implement({
  fields: (t) => ({
    key: t.exposeString('key'),
    value: t.exposeString('value'),
    displayInInvoice: t.exposeBoolean('displayInInvoice'),
  }),
});

const organizationOfCustomer = (customer: CustomerDocument, ctx: GraphQLContext) =>
  ctx.loaders.byId<OrganizationDocument>('organizations').load(customer.organizationId);

export const Customer = builder.objectRef<CustomerDocument>('Customer').implement({
  description: 'A customer, known by your `externalId`. Unset settings fall back to the organization (`applicable…`).',
  fields: (t) => ({
    id: t.exposeID('_id'),
    externalId: t.exposeString('externalId'),
    sequentialId: t.exposeInt('sequentialId', { description: 'Per-organization number (1, 2, …), used in invoice numbers.' }),
    name: t.exposeString('name', { nullable: true }),
    legalName: t.exposeString('legalName', { nullable: true }),
    taxIdentificationNumber: t.exposeString('taxIdentificationNumber', { nullable: true }),
    email: t.exposeString('email', { nullable: true }),
    addressLine1: t.exposeString('addressLine1', { nullable: true }),
    addressLine2: t.exposeString('addressLine2', { nullable: true }),
    city: t.exposeString('city', { nullable: true }),
    zipcode: t.exposeString('zipcode', { nullable: true }),
    state: t.exposeString('state', { nullable: true }),
    country: t.exposeString('country', { nullable: true, description: 'ISO 3166-1 alpha-2.' }),
    currency: t.exposeString('currency', { nullable: true, description: 'ISO 4217; fixed once the customer has a subscription.' }),
    timezone: t.exposeString('timezone', { nullable: true, description: 'IANA zone; null = the organization’s.' }),
    applicableTimezone: t.string({
      description: 'The timezone billing periods are computed in: the customer’s, else the organization’s, else UTC.',
      resolve: async (customer, _args, ctx) => customer.timezone ?? (await organizationOfCustomer(customer, ctx))?.timezone ?? 'UTC',
    }),
    invoiceGracePeriod: t.exposeInt('invoiceGracePeriod', { nullable: true }),
    applicableInvoiceGracePeriod: t.int({
      description: 'Days: the customer’s, else the organization’s, else 0.',
      resolve: async (customer, _args, ctx) =>
        customer.invoiceGracePeriod ?? (await organizationOfCustomer(customer, ctx))?.invoiceGracePeriod ?? 0,
    }),
    netPaymentTerm: t.exposeInt('netPaymentTerm', { nullable: true }),
    applicableNetPaymentTerm: t.int({
      description: 'Days: the customer’s, else the organization’s, else 0.',
      resolve: async (customer, _args, ctx) => customer.netPaymentTerm ?? (await organizationOfCustomer(customer, ctx))?.netPaymentTerm ?? 0,
    }),
    taxCodes: t.exposeStringList('taxCodes', { description: 'Replace the organization’s default taxes for this customer.' }),
    metadata: t.field({ type: [CustomerMetadata], resolve: (customer) => customer.metadata }),
    createdAt: t.field({ type: 'DateTime', resolve: (customer) => customer.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (customer) => customer.updatedAt }),
  }),
});

const CustomerConnection = connectionOf('Customer', Customer);

const MetadataInput = builder.inputType('CustomerMetadataInput', {
  fields: (t) => ({ key: t.string({ required: true }), value: t.string({ required: true }), displayInInvoice: t.boolean() }),
});

const CreateInput = builder.inputType('CreateCustomerInput', {
  description:
    'Lago `POST /customers`: the first call for an externalId creates the customer, later calls update it. Omitted fields keep their value; null clears; lists replace.',
  fields: (t) => ({
    externalId: t.string({ required: true }),
    name: t.string(),
    legalName: t.string(),
    taxIdentificationNumber: t.string(),
    email: t.string(),
    addressLine1: t.string(),
    addressLine2: t.string(),
    city: t.string(),
    zipcode: t.string(),
    state: t.string(),
    country: t.string({ description: 'ISO 3166-1 alpha-2, e.g. FR.' }),
    currency: t.string({ description: 'ISO 4217, e.g. EUR.' }),
    timezone: t.string({ description: 'IANA zone, e.g. Europe/Paris.' }),
    invoiceGracePeriod: t.int({ description: 'Days ≥ 0.' }),
    netPaymentTerm: t.int({ description: 'Days ≥ 0.' }),
    taxCodes: t.stringList({ description: 'Codes of existing taxes.' }),
    metadata: t.field({ type: [MetadataInput], description: 'At most 5; keys unique, ≤ 20 characters; values ≤ 100.' }),
  }),
});
const DeleteInput = builder.inputType('DeleteCustomerInput', { fields: (t) => ({ externalId: t.string({ required: true }) }) });

const upsertSchema = z.object({
  externalId: identifier,
  name: text().nullish(),
  legalName: text().nullish(),
  taxIdentificationNumber: text().nullish(),
  email: text().nullish(),
  addressLine1: text().nullish(),
  addressLine2: text().nullish(),
  city: text().nullish(),
  zipcode: text().nullish(),
  state: text().nullish(),
  country: z.string().max(2, 'must be a 2-letter code').nullish(),
  currency: z.string().max(3, 'must be a 3-letter code').nullish(),
  timezone: z.string().max(64, 'at most 64 characters').nullish(),
  invoiceGracePeriod: z.number().int().nullish(),
  netPaymentTerm: z.number().int().nullish(),
  // Caps first: a list past its cap is refused before the taxes it names are looked up.
  taxCodes: z.array(z.string()).max(LIST_LIMITS.taxCodes, `at most ${LIST_LIMITS.taxCodes} tax codes`).nullish(),
  metadata: z
    .array(z.object({ key: z.string(), value: z.string(), displayInInvoice: z.boolean().nullish() }))
    .max(LIST_LIMITS.customerMetadata, `at most ${LIST_LIMITS.customerMetadata} entries`)
    .nullish(),
});
const deleteSchema = z.object({ externalId: identifier });

const CustomerPayload = payloadOf('Customer', 'customer', Customer);

builder.queryFields((t) => ({
  customer: t.field({
    type: Customer,
    description: 'A live customer of your organization, by external id (NOT_FOUND otherwise).',
    args: { externalId: t.arg.string({ required: true }) },
    resolve: async (_root, { externalId }, ctx) => {
      const customer = await ctx.app.customers.get(organizationOf(ctx), externalId);
      if (!customer) throw new NotFoundError(`customer "${externalId}" not found`);
      return customer;
    },
  }),
  customers: t.field({
    type: CustomerConnection,
    description: 'Live customers, oldest first.',
    args: { first: t.arg.int(), after: t.arg.string() },
    resolve: (_root, args, ctx) =>
      paginate(ctx.app.deps.readModels.collection<CustomerDocument>('customers'), { organizationId: organizationOf(ctx), deletedAt: null }, args),
  }),
}));

builder.mutationFields((t) => ({
  createCustomer: t.field({
    type: CustomerPayload,
    description: 'Creates or updates the customer with this externalId (Lago `POST /customers`).',
    args: { input: t.arg({ type: CreateInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({
      customer: await inInput(() => ctx.app.customers.upsert(actorFrom(ctx), parseInput(upsertSchema, input))),
    }),
  }),
  deleteCustomer: t.field({
    type: CustomerPayload,
    description: 'Deletes a customer. A later createCustomer with the same externalId creates a new one.',
    args: { input: t.arg({ type: DeleteInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({
      customer: await inInput(() => ctx.app.customers.delete(actorFrom(ctx), parseInput(deleteSchema, input).externalId)),
    }),
  }),
}));

import { z } from 'zod';
import { NotFoundError } from '../domain/shared/errors.ts';
import type { TaxDocument } from '../../projections/taxes.ts';
import { organizationOf } from './auth.ts';
import { builder } from './builder.ts';
import { actorFrom, identifier, inInput, payloadOf, text } from './commandSupport.ts';
import { connectionOf, paginate } from './connection.ts';
import { parseInput } from './errors.ts';

export const Tax = builder.objectRef<TaxDocument>('Tax').implement({
  description: 'A tax rate. Applied from the most specific level that has taxes: charge, plan, customer, organization.',
  fields: (t) => ({
    id: t.exposeID('_id'),
    code: t.exposeString('code'),
    name: t.exposeString('name'),
    rate: t.exposeString('rate', { description: 'Percentage as a decimal string, e.g. "20" or "5.5".' }),
    description: t.exposeString('description', { nullable: true }),
    appliedToOrganization: t.exposeBoolean('appliedToOrganization', {
      description: "A default tax of the organization: applies to customers without tax codes of their own.",
    }),
    createdAt: t.field({ type: 'DateTime', resolve: (tax) => tax.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (tax) => tax.updatedAt }),
  }),
});

const TaxConnection = connectionOf('Tax', Tax);

const rate = z.string().max(40, 'at most 40 characters');
const createSchema = z.object({
  code: identifier,
  name: text().min(1, 'must not be empty'),
  rate,
  description: text(1000).nullish(),
  appliedToOrganization: z.boolean().nullish(),
});
const updateSchema = z.object({
  code: identifier,
  name: text().nullish(),
  rate: rate.nullish(),
  description: text(1000).nullish(),
  appliedToOrganization: z.boolean().nullish(),
});
const deleteSchema = z.object({ code: identifier });

const CreateInput = builder.inputType('CreateTaxInput', {
  fields: (t) => ({
    code: t.string({ required: true, description: 'Unique per organization among live taxes. Immutable.' }),
    name: t.string({ required: true }),
    rate: t.string({ required: true, description: 'Percentage between 0 and 100 as a decimal string.' }),
    description: t.string(),
    appliedToOrganization: t.boolean({ description: 'Default false.' }),
  }),
});
const UpdateInput = builder.inputType('UpdateTaxInput', {
  description: 'Omitted fields keep their value; null clears the description. The code names the tax and cannot change.',
  fields: (t) => ({
    code: t.string({ required: true }),
    name: t.string(),
    rate: t.string(),
    description: t.string(),
    appliedToOrganization: t.boolean(),
  }),
});
const DeleteInput = builder.inputType('DeleteTaxInput', { fields: (t) => ({ code: t.string({ required: true }) }) });

const TaxPayload = payloadOf('Tax', 'tax', Tax);

builder.queryFields((t) => ({
  tax: t.field({
    type: Tax,
    description: 'A live tax of your organization, by code (NOT_FOUND otherwise).',
    args: { code: t.arg.string({ required: true }) },
    resolve: async (_root, { code }, ctx) => {
      const tax = await ctx.app.taxes.get(organizationOf(ctx), code);
      if (!tax) throw new NotFoundError(`tax "${code}" not found`);
      return tax;
    },
  }),
  taxes: t.field({
    type: TaxConnection,
    description: 'Live taxes, oldest first.',
    args: { first: t.arg.int(), after: t.arg.string() },
    resolve: (_root, args, ctx) =>
      paginate(ctx.app.deps.readModels.collection<TaxDocument>('taxes'), { organizationId: organizationOf(ctx), deletedAt: null }, args),
  }),
}));

builder.mutationFields((t) => ({
  createTax: t.field({
    type: TaxPayload,
    description: 'Creates a tax (Lago `POST /taxes`). CONFLICT when the code is taken.',
    args: { input: t.arg({ type: CreateInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({
      tax: await inInput(() => ctx.app.taxes.create(actorFrom(ctx), parseInput(createSchema, input))),
    }),
  }),
  updateTax: t.field({
    type: TaxPayload,
    description: 'Updates a tax named by its code.',
    args: { input: t.arg({ type: UpdateInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({
      tax: await inInput(() => ctx.app.taxes.update(actorFrom(ctx), parseInput(updateSchema, input))),
    }),
  }),
  deleteTax: t.field({
    type: TaxPayload,
    description: 'Deletes a tax; CONFLICT while a live customer, plan or add-on carries its code. Its code can then be reused.',
    args: { input: t.arg({ type: DeleteInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({
      tax: await inInput(() => ctx.app.taxes.delete(actorFrom(ctx), parseInput(deleteSchema, input).code)),
    }),
  }),
}));

import { z } from 'zod';
import { ADD_ONS, type AddOnDocument } from '../../projections/addOns.ts';
import { NotFoundError } from '../domain/shared/errors.ts';
import { LIST_LIMITS } from '../domain/shared/limits.ts';
import { organizationOf } from './auth.ts';
import { builder } from './builder.ts';
import { actorFrom, identifier, inInput, payloadOf, text } from './commandSupport.ts';
import { connectionOf, paginate } from './connection.ts';
import { parseInput } from './errors.ts';

export const AddOn = builder.objectRef<AddOnDocument>('AddOn').implement({
  description: 'A one-off item of the catalog (Lago `add_on`): a fixed amount, with the taxes it carries.',
  fields: (t) => ({
    id: t.exposeID('_id'),
    code: t.exposeString('code'),
    name: t.exposeString('name'),
    invoiceDisplayName: t.exposeString('invoiceDisplayName', { nullable: true, description: 'The name on invoices (the name when null).' }),
    description: t.exposeString('description', { nullable: true }),
    amountCents: t.exposeString('amountCents', { description: 'Integer cents, > 0.' }),
    amountCurrency: t.exposeString('amountCurrency', { description: 'ISO 4217.' }),
    taxCodes: t.exposeStringList('taxCodes', { description: 'Codes of the taxes it carries; empty: the customer’s or the organization’s apply.' }),
    createdAt: t.field({ type: 'DateTime', resolve: (addOn) => addOn.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (addOn) => addOn.updatedAt }),
  }),
});

const AddOnConnection = connectionOf('AddOn', AddOn);

const cents = z.string().max(40, 'at most 40 characters');
const currency = z.string().max(3, 'an ISO 4217 code');
const fields = {
  invoiceDisplayName: text().nullish(),
  description: text(1000).nullish(),
  // Caps first: a list past its cap is refused before the taxes it names are looked up.
  taxCodes: z.array(z.string()).max(LIST_LIMITS.taxCodes, `at most ${LIST_LIMITS.taxCodes} tax codes`).nullish(),
};
const createSchema = z.object({ code: identifier, name: text().min(1, 'must not be empty'), amountCents: cents, amountCurrency: currency, ...fields });
const updateSchema = z.object({ code: identifier, name: text().nullish(), amountCents: cents.nullish(), amountCurrency: currency.nullish(), ...fields });
const deleteSchema = z.object({ code: identifier });

const CreateInput = builder.inputType('CreateAddOnInput', {
  fields: (t) => ({
    code: t.string({ required: true, description: 'Unique per organization among live add-ons. Immutable.' }),
    name: t.string({ required: true }),
    invoiceDisplayName: t.string(),
    description: t.string(),
    amountCents: t.string({ required: true, description: 'Integer cents, > 0.' }),
    amountCurrency: t.string({ required: true, description: 'ISO 4217.' }),
    taxCodes: t.stringList({ description: 'Codes of live taxes.' }),
  }),
});
const UpdateInput = builder.inputType('UpdateAddOnInput', {
  description: 'Omitted fields keep their value; null clears the display name, the description and the tax codes. The code names the add-on and cannot change.',
  fields: (t) => ({
    code: t.string({ required: true }),
    name: t.string(),
    invoiceDisplayName: t.string(),
    description: t.string(),
    amountCents: t.string(),
    amountCurrency: t.string(),
    taxCodes: t.stringList({ description: 'Replaces the tax codes.' }),
  }),
});
const DeleteInput = builder.inputType('DeleteAddOnInput', { fields: (t) => ({ code: t.string({ required: true }) }) });

const AddOnPayload = payloadOf('AddOn', 'addOn', AddOn);

builder.queryFields((t) => ({
  addOn: t.field({
    type: AddOn,
    description: 'A live add-on of your organization, by code (NOT_FOUND otherwise).',
    args: { code: t.arg.string({ required: true }) },
    resolve: async (_root, { code }, ctx) => {
      const addOn = await ctx.app.addOns.get(organizationOf(ctx), code);
      if (!addOn) throw new NotFoundError(`add-on "${code}" not found`);
      return addOn;
    },
  }),
  addOns: t.field({
    type: AddOnConnection,
    description: 'Live add-ons, oldest first.',
    args: { first: t.arg.int(), after: t.arg.string() },
    resolve: (_root, args, ctx) => paginate(ctx.app.deps.readModels.collection<AddOnDocument>(ADD_ONS), { organizationId: organizationOf(ctx), deletedAt: null }, args),
  }),
}));

builder.mutationFields((t) => ({
  createAddOn: t.field({
    type: AddOnPayload,
    description: 'Creates an add-on (Lago `POST /add_ons`); tax codes name live taxes. CONFLICT when the code is taken.',
    args: { input: t.arg({ type: CreateInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({
      addOn: await inInput(() => ctx.app.addOns.create(actorFrom(ctx), parseInput(createSchema, input))),
    }),
  }),
  updateAddOn: t.field({
    type: AddOnPayload,
    description: 'Updates an add-on named by its code (Lago `PUT /add_ons/:code`).',
    args: { input: t.arg({ type: UpdateInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({
      addOn: await inInput(() => ctx.app.addOns.update(actorFrom(ctx), parseInput(updateSchema, input))),
    }),
  }),
  deleteAddOn: t.field({
    type: AddOnPayload,
    description: 'Deletes an add-on (Lago `DELETE /add_ons/:code`). Its code can then be reused.',
    args: { input: t.arg({ type: DeleteInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({
      addOn: await inInput(() => ctx.app.addOns.delete(actorFrom(ctx), parseInput(deleteSchema, input).code)),
    }),
  }),
}));

import { z } from 'zod';
import { COUPON_EXPIRATIONS, COUPON_FREQUENCIES, COUPON_TYPES } from '../domain/coupon/index.ts';
import type { CustomerDocument } from '../../projections/customers.ts';
import type { AppliedCouponCredit, AppliedCouponDocument, CouponDocument } from '../../projections/coupons.ts';
import { organizationOf } from './auth.ts';
import { builder } from './builder.ts';
import { actorFrom, identifier, inInput, payloadOf, text } from './commandSupport.ts';
import { connectionOf, paginate } from './connection.ts';
import { Customer } from './customers.ts';
import { parseInput } from './errors.ts';
import { NotFoundError } from '../domain/shared/errors.ts';
import { LIST_LIMITS } from '../domain/shared/limits.ts';

const CouponTypeEnum = builder.enumType('CouponType', { values: COUPON_TYPES });
const CouponFrequencyEnum = builder.enumType('CouponFrequency', {
  description: 'ONCE: one invoice (a fixed amount carries its remainder to the next ones); RECURRING: `frequencyDuration` invoices; FOREVER.',
  values: COUPON_FREQUENCIES,
});
const CouponExpirationEnum = builder.enumType('CouponExpiration', { values: COUPON_EXPIRATIONS });
const CouponStatusEnum = builder.enumType('CouponStatus', { values: ['ACTIVE', 'TERMINATED'] as const });
const AppliedCouponStatusEnum = builder.enumType('AppliedCouponStatus', { values: ['ACTIVE', 'TERMINATED'] as const });

const CouponAppliesTo = builder.objectRef<CouponDocument['appliesTo']>('CouponAppliesTo').implement({
  description: 'What a coupon is limited to: plans (their subscriptions’ fees, overrides included) or billable metrics (their charge fees); both empty: the whole invoice.',
  fields: (t) => ({
    planCodes: t.exposeStringList('planCodes'),
    billableMetricCodes: t.exposeStringList('billableMetricCodes'),
  }),
});

export const Coupon = builder.objectRef<CouponDocument>('Coupon').implement({
  description: 'A discount of the catalog (Lago `coupon`), applied to customers with `applyCoupon`.',
  fields: (t) => ({
    id: t.exposeID('_id'),
    code: t.exposeString('code'),
    name: t.exposeString('name'),
    description: t.exposeString('description', { nullable: true }),
    couponType: t.field({ type: CouponTypeEnum, resolve: (c) => c.couponType }),
    amountCents: t.exposeString('amountCents', { nullable: true, description: 'FIXED_AMOUNT: integer cents.' }),
    amountCurrency: t.exposeString('amountCurrency', { nullable: true }),
    percentageRate: t.exposeString('percentageRate', { nullable: true, description: 'PERCENTAGE: percent, e.g. "10".' }),
    frequency: t.field({ type: CouponFrequencyEnum, resolve: (c) => c.frequency }),
    frequencyDuration: t.exposeInt('frequencyDuration', { nullable: true }),
    expiration: t.field({ type: CouponExpirationEnum, resolve: (c) => c.expiration }),
    expirationAt: t.field({ type: 'DateTime', nullable: true, resolve: (c) => c.expirationAt }),
    reusable: t.exposeBoolean('reusable', { description: 'Whether it can be applied to one customer more than once.' }),
    appliesTo: t.field({ type: CouponAppliesTo, resolve: (c) => c.appliesTo }),
    limitedPlans: t.boolean({ resolve: (c) => c.appliesTo.planCodes.length > 0 }),
    limitedBillableMetrics: t.boolean({ resolve: (c) => c.appliesTo.billableMetricCodes.length > 0 }),
    status: t.field({ type: CouponStatusEnum, resolve: (c) => c.status }),
    createdAt: t.field({ type: 'DateTime', resolve: (c) => c.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (c) => c.updatedAt }),
    terminatedAt: t.field({ type: 'DateTime', nullable: true, resolve: (c) => c.terminatedAt }),
  }),
});

const AppliedCouponCreditRef = builder.objectRef<AppliedCouponCredit>('AppliedCouponCredit').implement({
  description: 'What an applied coupon credited on one finalized invoice.',
  fields: (t) => ({
    invoiceId: t.exposeID('invoiceId'),
    amountCents: t.exposeString('amountCents'),
    createdAt: t.field({ type: 'DateTime', resolve: (c) => c.creditedAt }),
  }),
});

export const AppliedCoupon = builder.objectRef<AppliedCouponDocument>('AppliedCoupon').implement({
  description: 'A coupon applied to a customer (Lago `applied_coupon`), with its terms as applied and what remains.',
  fields: (t) => ({
    id: t.exposeID('_id'),
    couponCode: t.exposeString('couponCode'),
    externalCustomerId: t.exposeString('externalCustomerId'),
    couponType: t.field({ type: CouponTypeEnum, resolve: (a) => a.couponType }),
    amountCents: t.exposeString('amountCents', { nullable: true }),
    amountCurrency: t.exposeString('amountCurrency', { nullable: true }),
    percentageRate: t.exposeString('percentageRate', { nullable: true }),
    frequency: t.field({ type: CouponFrequencyEnum, resolve: (a) => a.frequency }),
    frequencyDuration: t.exposeInt('frequencyDuration', { nullable: true }),
    frequencyDurationRemaining: t.exposeInt('frequencyDurationRemaining', { nullable: true, description: 'RECURRING: invoices it still applies to.' }),
    amountCentsRemaining: t.exposeString('amountCentsRemaining', { nullable: true, description: 'A fixed ONCE coupon: what it can still credit.' }),
    creditedAmountCents: t.exposeString('creditedAmountCents', { description: 'Σ credited so far.' }),
    credits: t.field({ type: [AppliedCouponCreditRef], resolve: (a) => a.credits }),
    status: t.field({ type: AppliedCouponStatusEnum, resolve: (a) => a.status }),
    createdAt: t.field({ type: 'DateTime', resolve: (a) => a.createdAt }),
    terminatedAt: t.field({ type: 'DateTime', nullable: true, resolve: (a) => a.terminatedAt }),
  }),
});

const CouponConnection = connectionOf('Coupon', Coupon);
const AppliedCouponConnection = connectionOf('AppliedCoupon', AppliedCoupon);

const cents = z.string().max(40, 'at most 40 characters');
const codes = z.array(identifier).max(LIST_LIMITS.couponTargets, `at most ${LIST_LIMITS.couponTargets} codes`).nullish();
const appliesTo = z.object({ planCodes: codes, billableMetricCodes: codes }).nullish();
const fields = {
  name: text().nullish(),
  description: text(1000).nullish(),
  couponType: z.enum(COUPON_TYPES).nullish(),
  amountCents: cents.nullish(),
  amountCurrency: z.string().max(3, 'an ISO 4217 code').nullish(),
  percentageRate: cents.nullish(),
  frequency: z.enum(COUPON_FREQUENCIES).nullish(),
  frequencyDuration: z.number().int().nullish(),
  expiration: z.enum(COUPON_EXPIRATIONS).nullish(),
  expirationAt: z.date().nullish(),
  reusable: z.boolean().nullish(),
  appliesTo,
};
const createSchema = z.object({ code: identifier, ...fields, name: text().min(1, 'must not be empty'), couponType: z.enum(COUPON_TYPES) });
const updateSchema = z.object({ code: identifier, ...fields });
const codeSchema = z.object({ code: identifier });
const applySchema = z.object({
  externalCustomerId: identifier,
  couponCode: identifier,
  amountCents: cents.nullish(),
  amountCurrency: z.string().max(3, 'an ISO 4217 code').nullish(),
  percentageRate: cents.nullish(),
  frequency: z.enum(COUPON_FREQUENCIES).nullish(),
  frequencyDuration: z.number().int().nullish(),
});

/** Inputs as the domain reads them: dates as ISO strings, absent fields absent (not said). */
function said<T extends Record<string, unknown>>(input: T) {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) if (value !== undefined) out[key] = value instanceof Date ? value.toISOString() : value;
  return out as { [K in keyof T]: Exclude<T[K], Date | undefined> | (Extract<T[K], Date> extends never ? never : string) };
}

const AppliesToInput = builder.inputType('CouponAppliesToInput', {
  description: 'Limit to plans or to billable metrics (not both); empty lists: the whole invoice.',
  fields: (t) => ({ planCodes: t.stringList(), billableMetricCodes: t.stringList() }),
});
const couponInputFields = (t: Parameters<Parameters<typeof builder.inputType>[1]['fields']>[0], create: boolean) => ({
  code: t.string({ required: true, description: create ? 'Unique per organization. Immutable.' : 'The coupon to update.' }),
  name: t.string({ required: create }),
  description: t.string(),
  couponType: t.field({ type: CouponTypeEnum, required: create }),
  amountCents: t.string({ description: 'FIXED_AMOUNT: integer cents, > 0.' }),
  amountCurrency: t.string({ description: 'FIXED_AMOUNT: ISO 4217.' }),
  percentageRate: t.string({ description: 'PERCENTAGE: percent, > 0 and ≤ 100.' }),
  frequency: t.field({ type: CouponFrequencyEnum, description: 'Default ONCE.' }),
  frequencyDuration: t.int({ description: 'RECURRING: the number of invoices.' }),
  expiration: t.field({ type: CouponExpirationEnum, description: 'Default NO_EXPIRATION.' }),
  expirationAt: t.field({ type: 'DateTime', description: 'TIME_LIMIT: when it can no longer be applied.' }),
  reusable: t.boolean({ description: 'Default true.' }),
  appliesTo: t.field({ type: AppliesToInput }),
});
const CreateInput = builder.inputType('CreateCouponInput', { fields: (t) => couponInputFields(t, true) });
const UpdateInput = builder.inputType('UpdateCouponInput', {
  description: 'Omitted fields keep their value. Once applied to a customer, only the name, description and expiration can change (CONFLICT otherwise).',
  fields: (t) => couponInputFields(t, false),
});
const TerminateInput = builder.inputType('TerminateCouponInput', { fields: (t) => ({ code: t.string({ required: true }) }) });
const ApplyInput = builder.inputType('ApplyCouponInput', {
  description: 'Applies a coupon to a customer; the overrides replace the coupon’s terms for this application.',
  fields: (t) => ({
    externalCustomerId: t.string({ required: true }),
    couponCode: t.string({ required: true }),
    amountCents: t.string(),
    amountCurrency: t.string(),
    percentageRate: t.string(),
    frequency: t.field({ type: CouponFrequencyEnum }),
    frequencyDuration: t.int(),
  }),
});
const RemoveInput = builder.inputType('RemoveAppliedCouponInput', { fields: (t) => ({ id: t.id({ required: true }) }) });

const CouponPayload = payloadOf('Coupon', 'coupon', Coupon);
const AppliedCouponPayload = payloadOf('AppliedCoupon', 'appliedCoupon', AppliedCoupon);

builder.queryFields((t) => ({
  coupon: t.field({
    type: Coupon,
    description: 'A coupon of your organization, by code (NOT_FOUND otherwise).',
    args: { code: t.arg.string({ required: true }) },
    resolve: async (_root, { code }, ctx) => {
      const coupon = await ctx.app.coupons.get(organizationOf(ctx), code);
      if (coupon === null) throw new NotFoundError(`coupon "${code}" not found`);
      return coupon;
    },
  }),
  coupons: t.field({
    type: CouponConnection,
    description: 'Coupons, oldest first.',
    args: { status: t.arg({ type: CouponStatusEnum }), first: t.arg.int(), after: t.arg.string() },
    resolve: (_root, args, ctx) => paginate(ctx.app.coupons.coupons(), { organizationId: organizationOf(ctx), ...(args.status ? { status: args.status } : {}) }, args),
  }),
  appliedCoupons: t.field({
    type: AppliedCouponConnection,
    description: 'Coupons applied to customers, oldest first (of one customer with `externalCustomerId`).',
    args: { externalCustomerId: t.arg.string(), status: t.arg({ type: AppliedCouponStatusEnum }), first: t.arg.int(), after: t.arg.string() },
    resolve: (_root, args, ctx) =>
      paginate(
        ctx.app.coupons.applied(),
        { organizationId: organizationOf(ctx), ...(args.externalCustomerId ? { externalCustomerId: args.externalCustomerId } : {}), ...(args.status ? { status: args.status } : {}) },
        args,
      ),
  }),
}));

builder.objectField(Customer, 'appliedCoupons', (t) =>
  t.field({
    type: AppliedCouponConnection,
    description: 'The coupons applied to this customer, oldest first.',
    args: { status: t.arg({ type: AppliedCouponStatusEnum }), first: t.arg.int(), after: t.arg.string() },
    resolve: (customer: CustomerDocument, args, ctx) => paginate(ctx.app.coupons.applied(), { customerId: customer._id, ...(args.status ? { status: args.status } : {}) }, args),
  }),
);

builder.mutationFields((t) => ({
  createCoupon: t.field({
    type: CouponPayload,
    description: 'Creates a coupon (Lago `POST /coupons`). CONFLICT when the code is taken.',
    args: { input: t.arg({ type: CreateInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ coupon: await inInput(() => ctx.app.coupons.create(actorFrom(ctx), said(parseInput(createSchema, input)))) }),
  }),
  updateCoupon: t.field({
    type: CouponPayload,
    description: 'Updates a coupon named by its code.',
    args: { input: t.arg({ type: UpdateInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ coupon: await inInput(() => ctx.app.coupons.update(actorFrom(ctx), said(parseInput(updateSchema, input)))) }),
  }),
  terminateCoupon: t.field({
    type: CouponPayload,
    description: 'Terminates a coupon: it can no longer be applied; the applications made go on.',
    args: { input: t.arg({ type: TerminateInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ coupon: await inInput(() => ctx.app.coupons.terminate(actorFrom(ctx), parseInput(codeSchema, input).code)) }),
  }),
  applyCoupon: t.field({
    type: AppliedCouponPayload,
    description: 'Applies a coupon to a customer (Lago `POST /applied_coupons`). VALIDATION when the coupon is terminated or expired, not reusable and already applied, or a fixed amount in another currency than the customer’s.',
    args: { input: t.arg({ type: ApplyInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ appliedCoupon: await inInput(() => ctx.app.coupons.apply(actorFrom(ctx), said(parseInput(applySchema, input)))) }),
  }),
  removeAppliedCoupon: t.field({
    type: AppliedCouponPayload,
    description: 'Removes a coupon from a customer: it credits nothing more.',
    args: { input: t.arg({ type: RemoveInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ appliedCoupon: await inInput(() => ctx.app.coupons.remove(actorFrom(ctx), String(input.id))) }),
  }),
}));

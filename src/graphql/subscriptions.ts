import { z } from 'zod';
import type { CustomerDocument } from '../../projections/customers.ts';
import type { OrganizationDocument } from '../../projections/organizations.ts';
import type { PlanDocument } from '../../projections/plans.ts';
import type { SubscriptionDocument } from '../../projections/subscriptions.ts';
import { applicableTimezone } from '../application/subscriptions.ts';
import { currentBillingPeriod, type CurrentBillingPeriod } from '../billing/periods/index.ts';
import { assertPlanListCaps } from '../domain/plan/index.ts';
import { NotFoundError } from '../domain/shared/errors.ts';
import type { PlanOverrides } from '../domain/subscription/index.ts';
import { organizationOf } from './auth.ts';
import { builder, type GraphQLContext } from './builder.ts';
import { actorFrom, identifier, inInput, payloadOf, text } from './commandSupport.ts';
import { connectionOf, paginate } from './connection.ts';
import { Customer } from './customers.ts';
import { parseInput } from './errors.ts';
import { ChargePropertiesInput, TypedFields, untypedCharges } from './chargeInputs.ts';
import { UNTYPED } from './chargeOutputs.ts';
import { ChargeFilterInput, MinimumCommitmentInput, Plan, UsageThresholdInput } from './planTypes.ts';

const STATUSES = ['PENDING', 'ACTIVE', 'TERMINATED', 'CANCELED'] as const;
const SubscriptionStatus = builder.enumType('SubscriptionStatus', { values: STATUSES });
const BillingTime = builder.enumType('BillingTime', {
  description: 'CALENDAR: periods follow the calendar; ANNIVERSARY: they start on the day of `subscriptionAt`.',
  values: ['CALENDAR', 'ANNIVERSARY'] as const,
});
const OnTerminationInvoice = builder.enumType('OnTerminationInvoice', { values: ['GENERATE', 'SKIP'] as const });
const OnTerminationCreditNote = builder.enumType('OnTerminationCreditNote', {
  description: 'What the unused part of an in-advance subscription fee becomes at a termination: a credit to the customer’s balance, a refund of what was paid, an offset of what the invoice still owes, or nothing (Lago `on_termination_credit_note`). An upgrade always credits.',
  values: ['CREDIT', 'REFUND', 'OFFSET', 'SKIP'] as const,
});

/** Plan, customer and organization of a subscription, batched per request. */
async function relatedOf(sub: SubscriptionDocument, ctx: GraphQLContext) {
  const [plan, customer, organization] = await Promise.all([
    ctx.loaders.byId<PlanDocument>('plans').load(sub.planId),
    ctx.loaders.byId<CustomerDocument>('customers').load(sub.customerId),
    ctx.loaders.byId<OrganizationDocument>('organizations').load(sub.organizationId),
  ]);
  return { plan, customer, organization };
}

/** §7.3 `current_billing_period_*`: the charges period containing the clock's now, in the customer's timezone. */
async function periodOf(sub: SubscriptionDocument, ctx: GraphQLContext): Promise<CurrentBillingPeriod | null> {
  if (sub.status !== 'ACTIVE' || !sub.startedAt) return null;
  const { plan, customer, organization } = await relatedOf(sub, ctx);
  if (!plan) return null;
  const periodSubscription = {
    interval: plan.interval,
    billingTime: sub.billingTime,
    subscriptionAt: sub.subscriptionAt,
    startedAt: sub.startedAt,
    timezone: applicableTimezone(customer, organization),
    payInAdvance: plan.payInAdvance,
    billChargesMonthly: plan.billChargesMonthly ?? false,
  };
  return currentBillingPeriod(periodSubscription, ctx.app.deps.clock.now());
}

export const BillingSubscription = builder.objectRef<SubscriptionDocument>('BillingSubscription').implement({
  description:
    'A customer’s subscription to a plan (Lago’s `subscription`). One `externalId` keeps its history: each plan change is a new subscription with its own `id`.',
  fields: (t) => ({
    id: t.exposeID('_id'),
    externalId: t.exposeString('externalId'),
    externalCustomerId: t.exposeString('externalCustomerId'),
    planCode: t.exposeString('planCode'),
    name: t.exposeString('name', { nullable: true }),
    status: t.field({ type: SubscriptionStatus, resolve: (s) => s.status }),
    billingTime: t.field({ type: BillingTime, resolve: (s) => s.billingTime }),
    subscriptionAt: t.field({ type: 'DateTime', resolve: (s) => s.subscriptionAt }),
    startedAt: t.field({ type: 'DateTime', nullable: true, resolve: (s) => s.startedAt }),
    trialEndsAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'End of the trial: first start of this externalId + the plan’s trial days (a plan change does not restart it).',
      resolve: (s) => s.trialEndsAt,
    }),
    trialEndedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'The trial’s end once it has passed (Lago `trial_ended_at`), else null.',
      resolve: (s, _args, ctx) => (s.trialEndsAt && Date.parse(s.trialEndsAt) <= ctx.app.deps.clock.now().getTime() ? s.trialEndsAt : null),
    }),
    endingAt: t.field({ type: 'DateTime', nullable: true, resolve: (s) => s.endingAt }),
    terminatedAt: t.field({ type: 'DateTime', nullable: true, resolve: (s) => s.terminatedAt }),
    canceledAt: t.field({ type: 'DateTime', nullable: true, resolve: (s) => s.canceledAt }),
    previousPlanCode: t.exposeString('previousPlanCode', { nullable: true }),
    nextPlanCode: t.exposeString('nextPlanCode', { nullable: true }),
    downgradePlanDate: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When a pending downgrade takes over: the start of the next billing period.',
      resolve: (s) => s.downgradePlanDate,
    }),
    currentBillingPeriodStartedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'Start of the current (charges) billing period, in the customer’s timezone; null unless ACTIVE.',
      resolve: async (s, _args, ctx) => (await periodOf(s, ctx))?.startedAt ?? null,
    }),
    currentBillingPeriodEndingAt: t.field({
      type: 'DateTime',
      nullable: true,
      resolve: async (s, _args, ctx) => (await periodOf(s, ctx))?.endingAt ?? null,
    }),
    onTerminationInvoice: t.field({ type: OnTerminationInvoice, resolve: (s) => s.onTerminationInvoice }),
    onTerminationCreditNote: t.field({ type: OnTerminationCreditNote, resolve: (s) => s.onTerminationCreditNote ?? 'CREDIT' }),
    planOverrides: t.field({ type: 'JSON', nullable: true, resolve: (s) => s.planOverrides }),
    createdAt: t.field({ type: 'DateTime', resolve: (s) => s.createdAt }),
    customer: t.field({ type: Customer, nullable: true, resolve: (s, _args, ctx) => ctx.loaders.byId<CustomerDocument>('customers').load(s.customerId) }),
    plan: t.field({ type: Plan, nullable: true, resolve: (s, _args, ctx) => ctx.loaders.byId<PlanDocument>('plans').load(s.planId) }),
  }),
});

const BillingSubscriptionConnection = connectionOf('BillingSubscription', BillingSubscription);

const SubscriptionPayload = payloadOf('Subscription', 'subscription', BillingSubscription);

const ChargeOverridesInput = builder.inputType('ChargeOverridesInput', {
  description: 'Overrides one charge of the plan, named by its id.',
  fields: (t) => ({
    id: t.id({ required: true }),
    typedProperties: t.field({ type: ChargePropertiesInput, description: 'The charge model’s properties (at most one of typedProperties and properties).' }),
    properties: t.field({ type: 'JSON', deprecationReason: UNTYPED('typedProperties') }),
    filters: t.field({ type: [ChargeFilterInput] }),
    minAmountCents: t.string(),
    taxCodes: t.stringList(),
  }),
});

const PlanOverridesInput = builder.inputType('PlanOverridesInput', {
  description: 'Plan terms for this subscription only (Lago `plan_overrides`); omitted fields keep the plan’s.',
  fields: (t) => ({
    amountCents: t.string(),
    trialPeriod: t.float(),
    taxCodes: t.stringList(),
    minimumCommitment: t.field({ type: MinimumCommitmentInput }),
    usageThresholds: t.field({ type: [UsageThresholdInput] }),
    charges: t.field({ type: [ChargeOverridesInput] }),
  }),
});

const CreateSubscriptionInput = builder.inputType('CreateSubscriptionInput', {
  description: 'Lago `POST /subscriptions`. An active externalId on another plan is a plan change (upgrade now, downgrade at period end).',
  fields: (t) => ({
    externalId: t.string({ required: true }),
    externalCustomerId: t.string({ required: true }),
    planCode: t.string({ required: true }),
    name: t.string(),
    billingTime: t.field({ type: BillingTime, description: 'Default CALENDAR.' }),
    subscriptionAt: t.field({ type: 'DateTime', description: 'Default now; a later day makes the subscription PENDING until then.' }),
    endingAt: t.field({ type: 'DateTime', description: 'Terminated automatically then.' }),
    planOverrides: t.field({ type: PlanOverridesInput }),
  }),
});

const UpdateSubscriptionInput = builder.inputType('UpdateSubscriptionInput', {
  description: 'Updates the active (else pending) subscription of an externalId. Omitted fields are kept; null clears.',
  fields: (t) => ({
    externalId: t.string({ required: true }),
    name: t.string(),
    endingAt: t.field({ type: 'DateTime' }),
    planOverrides: t.field({ type: PlanOverridesInput }),
  }),
});

const TerminateSubscriptionInput = builder.inputType('TerminateSubscriptionInput', {
  fields: (t) => ({
    externalId: t.string({ required: true }),
    status: t.field({ type: SubscriptionStatus, description: 'ACTIVE or PENDING: which one to end. Default the active one, else the pending one.' }),
    onTerminationInvoice: t.field({ type: OnTerminationInvoice, description: 'Default GENERATE.' }),
    onTerminationCreditNote: t.field({ type: OnTerminationCreditNote, description: 'Default CREDIT (in-advance plans only).' }),
  }),
});

const date = z.date();
const overrides = z.looseObject({}).nullish() as unknown as z.ZodType<PlanOverrides | null | undefined>;
const createSchema = z.object({
  externalId: identifier,
  externalCustomerId: identifier,
  planCode: identifier,
  name: text().nullish(),
  billingTime: z.enum(['CALENDAR', 'ANNIVERSARY']).nullish(),
  subscriptionAt: date.nullish(),
  endingAt: date.nullish(),
  planOverrides: overrides,
});
const updateSchema = z.object({ externalId: identifier, name: text().nullish(), endingAt: date.nullish(), planOverrides: overrides });
/**
 * The input's shape (zod), then the overrides' list caps, before the application looks anything up for them; typed
 * charge overrides in their JSON form (`names` reports errors under the typed fields).
 */
function withOverrides<T extends { planOverrides?: PlanOverrides | null }>(schema: z.ZodType<T>, input: unknown, names: TypedFields): T {
  const parsed = parseInput(schema, input);
  assertPlanListCaps(parsed.planOverrides as Parameters<typeof assertPlanListCaps>[0], 'input.planOverrides');
  const overrides = parsed.planOverrides;
  if (typeof overrides !== 'object' || overrides === null || !Array.isArray(overrides.charges)) return parsed;
  const charges = untypedCharges(overrides.charges, 'input.planOverrides.charges', names) as PlanOverrides['charges'];
  return { ...parsed, planOverrides: { ...overrides, charges } };
}

/** Runs a subscription command whose input may carry plan overrides, its errors named as the client sent them. */
function withTypedOverrides<T>(run: (names: TypedFields) => Promise<T>): Promise<T> {
  const names = new TypedFields();
  return names.run(() => inInput(() => run(names)));
}
const terminateSchema = z.object({
  externalId: identifier,
  status: z.enum(['ACTIVE', 'PENDING'], 'must be ACTIVE or PENDING').nullish(),
  onTerminationInvoice: z.enum(['GENERATE', 'SKIP']).nullish(),
  onTerminationCreditNote: z.enum(['CREDIT', 'REFUND', 'OFFSET', 'SKIP']).nullish(),
});

builder.queryFields((t) => ({
  subscription: t.field({
    type: BillingSubscription,
    description: 'The subscription of an externalId: the active one, else the pending one, else the latest (NOT_FOUND if none).',
    args: { externalId: t.arg.string({ required: true }) },
    resolve: async (_root, { externalId }, ctx) => {
      const found = await ctx.app.subscriptions.current(organizationOf(ctx), externalId);
      if (!found) throw new NotFoundError(`subscription "${externalId}" not found`);
      return found;
    },
  }),
  subscriptions: t.field({
    type: BillingSubscriptionConnection,
    description: 'Subscriptions (every plan change is one), oldest first.',
    args: {
      externalCustomerId: t.arg.string(),
      status: t.arg({ type: SubscriptionStatus }),
      planCode: t.arg.string(),
      first: t.arg.int(),
      after: t.arg.string(),
    },
    resolve: (_root, args, ctx) => paginate(ctx.app.subscriptions.collection(), ctx.app.subscriptions.filter(organizationOf(ctx), args), args),
  }),
}));

builder.mutationFields((t) => ({
  createSubscription: t.field({
    type: SubscriptionPayload,
    description: 'Subscribes a customer to a plan, or changes the plan of an active externalId. Repeating it is a no-op.',
    args: { input: t.arg({ type: CreateSubscriptionInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({
      subscription: await withTypedOverrides((names) => ctx.app.subscriptions.create(actorFrom(ctx), withOverrides(createSchema, input, names))),
    }),
  }),
  updateSubscription: t.field({
    type: SubscriptionPayload,
    args: { input: t.arg({ type: UpdateSubscriptionInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({
      subscription: await withTypedOverrides((names) => ctx.app.subscriptions.update(actorFrom(ctx), withOverrides(updateSchema, input, names))),
    }),
  }),
  terminateSubscription: t.field({
    type: SubscriptionPayload,
    description: 'Lago `DELETE /subscriptions/:external_id`: an active subscription is TERMINATED now, a pending one CANCELED.',
    args: { input: t.arg({ type: TerminateSubscriptionInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({
      subscription: await inInput(() => ctx.app.subscriptions.terminate(actorFrom(ctx), parseInput(terminateSchema, input))),
    }),
  }),
}));

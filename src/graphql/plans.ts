import { z } from 'zod';
import type { PlanDocument } from '../../projections/plans.ts';
import { assertPlanListCaps, type PlanInput } from '../domain/plan/index.ts';
import { NotFoundError } from '../domain/shared/errors.ts';
import { organizationOf } from './auth.ts';
import { builder } from './builder.ts';
import { TypedFields, untypedCharges } from './chargeInputs.ts';
import { actorFrom, identifier, payloadOf, text } from './commandSupport.ts';
import { connectionOf, paginate } from './connection.ts';
import { parseInput } from './errors.ts';
import { CreatePlanInput, Plan, UpdatePlanInput } from './planTypes.ts';

export { Charge, ChargeFilterInput, ChargeModel, MinimumCommitmentInput, Plan, PlanInterval, UsageThresholdInput } from './planTypes.ts';

const PlanConnection = connectionOf('Plan', Plan);
const PlanPayload = payloadOf('Plan', 'plan', Plan);

const DeletePlanInput = builder.inputType('DeletePlanInput', { fields: (t) => ({ code: t.string({ required: true }) }) });

// Shape only: the plan's rules (amounts, charges, properties, combinations) are the domain's, which names fields
// from `input` the same way (`input.charges.0.properties.amount`).
const planHeader = z.looseObject({ code: identifier, name: text().min(1, 'must not be empty') });
const deleteSchema = z.object({ code: identifier });

/**
 * The GraphQL input as the domain's `PlanInput`, the name trimmed, typed charge properties and filters in their JSON
 * form (`names` then reports errors under the typed fields); list caps checked before any lookup.
 */
function planInputOf(input: Record<string, unknown>, names: TypedFields): PlanInput {
  const header = parseInput(planHeader, input);
  assertPlanListCaps(input, 'input');
  const charges = untypedCharges(input.charges, 'input.charges', names);
  return { ...(input as unknown as PlanInput), charges: charges as PlanInput['charges'], code: header.code, name: header.name };
}

/** Runs a plan command on the input, its errors named as the client sent the fields. */
function withPlanInput<T>(input: Record<string, unknown>, command: (plan: PlanInput) => Promise<T>): Promise<T> {
  const names = new TypedFields();
  return names.run(async () => command(planInputOf(input, names)));
}

builder.queryFields((t) => ({
  plan: t.field({
    type: Plan,
    description: 'A live plan of your organization, by code (NOT_FOUND otherwise).',
    args: { code: t.arg.string({ required: true }) },
    resolve: async (_root, { code }, ctx) => {
      const plan = await ctx.app.plans.get(organizationOf(ctx), code);
      if (!plan) throw new NotFoundError(`plan "${code}" not found`);
      return plan;
    },
  }),
  plans: t.field({
    type: PlanConnection,
    description: 'Live plans, oldest first.',
    args: { first: t.arg.int(), after: t.arg.string() },
    resolve: (_root, args, ctx) =>
      paginate(ctx.app.deps.readModels.collection<PlanDocument>('plans'), { organizationId: organizationOf(ctx), deletedAt: null }, args),
  }),
}));

builder.mutationFields((t) => ({
  createPlan: t.field({
    type: PlanPayload,
    description: 'Creates a plan (Lago `POST /plans`): charges name live billable metrics, tax codes live taxes. CONFLICT when the code is taken.',
    args: { input: t.arg({ type: CreatePlanInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ plan: await withPlanInput(input, (plan) => ctx.app.plans.create(actorFrom(ctx), plan)) }),
  }),
  updatePlan: t.field({
    type: PlanPayload,
    description: 'Replaces a plan named by its code (Lago `PUT /plans/:code`): charges given with their id are kept, others added, missing ones removed.',
    args: { input: t.arg({ type: UpdatePlanInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ plan: await withPlanInput(input, (plan) => ctx.app.plans.update(actorFrom(ctx), plan)) }),
  }),
  deletePlan: t.field({
    type: PlanPayload,
    description: 'Deletes a plan (soft): it disappears from queries and its code can be reused. Answers the deleted plan.',
    args: { input: t.arg({ type: DeletePlanInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ plan: await ctx.app.plans.delete(actorFrom(ctx), parseInput(deleteSchema, input).code) }),
  }),
}));

import { z } from 'zod';
import { AGGREGATION_TYPES, ROUNDING_FUNCTIONS } from '../domain/billableMetric/index.ts';
import { NotFoundError } from '../domain/shared/errors.ts';
import { LIST_LIMITS } from '../domain/shared/limits.ts';
import type { BillableMetricDocument } from '../../projections/billableMetrics.ts';
import { organizationOf } from './auth.ts';
import { builder } from './builder.ts';
import { actorFrom, identifier, inInput, payloadOf, text } from './commandSupport.ts';
import { connectionOf, paginate } from './connection.ts';
import { parseInput } from './errors.ts';

const AggregationTypeEnum = builder.enumType('AggregationType', { values: AGGREGATION_TYPES });
const RoundingFunctionEnum = builder.enumType('RoundingFunction', { values: ROUNDING_FUNCTIONS });
const WeightedIntervalEnum = builder.enumType('WeightedInterval', { values: ['SECONDS'] as const });

const MetricFilter = builder.objectRef<{ key: string; values: string[] }>('BillableMetricFilter').implement({
  description: 'An event property a charge may filter on, and its declared values.',
  fields: (t) => ({ key: t.exposeString('key'), values: t.exposeStringList('values') }),
});

export const BillableMetric = builder.objectRef<BillableMetricDocument>('BillableMetric').implement({
  description: 'What usage is counted and how: events with this `code` are aggregated per subscription and period.',
  fields: (t) => ({
    id: t.exposeID('_id'),
    code: t.exposeString('code'),
    name: t.exposeString('name'),
    description: t.exposeString('description', { nullable: true }),
    aggregationType: t.field({ type: AggregationTypeEnum, resolve: (m) => m.aggregationType }),
    fieldName: t.exposeString('fieldName', { nullable: true, description: 'Event property aggregated; null for COUNT.' }),
    recurring: t.exposeBoolean('recurring', { description: 'Units carry over from period to period (SUM, UNIQUE_COUNT, WEIGHTED_SUM).' }),
    weightedInterval: t.field({ type: WeightedIntervalEnum, nullable: true, resolve: (m) => m.weightedInterval }),
    roundingFunction: t.field({ type: RoundingFunctionEnum, nullable: true, resolve: (m) => m.roundingFunction }),
    roundingPrecision: t.exposeInt('roundingPrecision', { nullable: true, description: 'Decimal places; negative rounds to tens, hundreds…' }),
    filters: t.field({ type: [MetricFilter], resolve: (m) => m.filters }),
    createdAt: t.field({ type: 'DateTime', resolve: (m) => m.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (m) => m.updatedAt }),
  }),
});

const BillableMetricConnection = connectionOf('BillableMetric', BillableMetric);

const FilterInput = builder.inputType('BillableMetricFilterInput', {
  fields: (t) => ({ key: t.string({ required: true }), values: t.stringList({ required: true }) }),
});

const definitionFields = {
  description: text(1000).nullish(),
  fieldName: text().nullish(),
  recurring: z.boolean().nullish(),
  weightedInterval: z.literal('SECONDS').nullish(),
  roundingFunction: z.enum(ROUNDING_FUNCTIONS).nullish(),
  roundingPrecision: z.number().int().nullish(),
  // The caps are the domain's (validate.ts); checked here too so a huge list costs no more than its parsing.
  filters: z
    .array(
      z.object({
        key: text(),
        values: z.array(z.string().max(255, 'at most 255 characters')).max(LIST_LIMITS.filterValues, `at most ${LIST_LIMITS.filterValues.toLocaleString('en-US')} values`),
      }),
    )
    .max(LIST_LIMITS.filterKeys, `at most ${LIST_LIMITS.filterKeys} filter keys`)
    .nullish(),
};
const createSchema = z.object({ code: identifier, name: text().min(1, 'must not be empty'), aggregationType: z.enum(AGGREGATION_TYPES), ...definitionFields });
const updateSchema = z.object({ code: identifier, name: text().nullish(), aggregationType: z.enum(AGGREGATION_TYPES).nullish(), ...definitionFields });
const deleteSchema = z.object({ code: identifier });

const CreateInput = builder.inputType('CreateBillableMetricInput', {
  fields: (t) => ({
    code: t.string({ required: true, description: 'Unique per organization among live metrics; events name it. Immutable.' }),
    name: t.string({ required: true }),
    description: t.string(),
    aggregationType: t.field({ type: AggregationTypeEnum, required: true }),
    fieldName: t.string({ description: 'Required unless COUNT (ignored for COUNT).' }),
    recurring: t.boolean({ description: 'Only for SUM, UNIQUE_COUNT, WEIGHTED_SUM. Default false.' }),
    weightedInterval: t.field({ type: WeightedIntervalEnum, description: 'Only for WEIGHTED_SUM (default SECONDS).' }),
    roundingFunction: t.field({ type: RoundingFunctionEnum }),
    roundingPrecision: t.int({ description: '-20..20, may be negative; without a roundingFunction it is stored and ignored (as Lago).' }),
    filters: t.field({ type: [FilterInput], description: 'Keys unique, each with a non-empty list of values.' }),
  }),
});

const UpdateInput = builder.inputType('UpdateBillableMetricInput', {
  description: 'Omitted fields keep their value; null clears an optional one. The code names the metric and cannot change.',
  fields: (t) => ({
    code: t.string({ required: true }),
    name: t.string(),
    description: t.string(),
    aggregationType: t.field({ type: AggregationTypeEnum }),
    fieldName: t.string(),
    recurring: t.boolean(),
    weightedInterval: t.field({ type: WeightedIntervalEnum }),
    roundingFunction: t.field({ type: RoundingFunctionEnum, description: 'Clearing it keeps roundingPrecision, which is then ignored.' }),
    roundingPrecision: t.int(),
    filters: t.field({ type: [FilterInput], description: 'Replaces the whole list.' }),
  }),
});

const DeleteInput = builder.inputType('DeleteBillableMetricInput', { fields: (t) => ({ code: t.string({ required: true }) }) });

const BillableMetricPayload = payloadOf('BillableMetric', 'billableMetric', BillableMetric);

builder.queryFields((t) => ({
  billableMetric: t.field({
    type: BillableMetric,
    description: 'A live billable metric of your organization, by code (NOT_FOUND otherwise).',
    args: { code: t.arg.string({ required: true }) },
    resolve: async (_root, { code }, ctx) => {
      const metric = await ctx.app.billableMetrics.get(organizationOf(ctx), code);
      if (!metric) throw new NotFoundError(`billable metric "${code}" not found`);
      return metric;
    },
  }),
  billableMetrics: t.field({
    type: BillableMetricConnection,
    description: 'Live billable metrics, oldest first.',
    args: { first: t.arg.int(), after: t.arg.string() },
    resolve: (_root, args, ctx) =>
      paginate(ctx.app.deps.readModels.collection<BillableMetricDocument>('billableMetrics'), { organizationId: organizationOf(ctx), deletedAt: null }, args),
  }),
}));

builder.mutationFields((t) => ({
  createBillableMetric: t.field({
    type: BillableMetricPayload,
    description: 'Creates a billable metric (Lago `POST /billable_metrics`). CONFLICT when the code is taken.',
    args: { input: t.arg({ type: CreateInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({
      billableMetric: await inInput(() => ctx.app.billableMetrics.create(actorFrom(ctx), parseInput(createSchema, input))),
    }),
  }),
  updateBillableMetric: t.field({
    type: BillableMetricPayload,
    description: 'Updates a billable metric named by its code.',
    args: { input: t.arg({ type: UpdateInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({
      billableMetric: await inInput(() => ctx.app.billableMetrics.update(actorFrom(ctx), parseInput(updateSchema, input))),
    }),
  }),
  deleteBillableMetric: t.field({
    type: BillableMetricPayload,
    description: 'Deletes a billable metric; CONFLICT while a live plan charges it. Its code can then be reused.',
    args: { input: t.arg({ type: DeleteInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({
      billableMetric: await inInput(() => ctx.app.billableMetrics.delete(actorFrom(ctx), parseInput(deleteSchema, input).code)),
    }),
  }),
}));

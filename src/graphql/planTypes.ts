import type { BillableMetricDocument } from '../../projections/billableMetrics.ts';
import type { PlanDocument } from '../../projections/plans.ts';
import { CHARGE_MODELS, PLAN_INTERVALS, type PlanCharge, type PlanChargeFilter } from '../domain/plan/index.ts';
import { BillableMetric } from './billableMetrics.ts';
import { builder } from './builder.ts';
import { ChargeFilterValueInput, ChargePropertiesInput } from './chargeInputs.ts';
import { ChargeFilterValueRef, ChargePropertiesRef, filterValueList, UNTYPED } from './chargeOutputs.ts';

export const PlanInterval = builder.enumType('PlanInterval', { values: PLAN_INTERVALS });
export const ChargeModel = builder.enumType('ChargeModel', {
  description: 'How a charge prices the units of its metric (billing-semantics §2).',
  values: CHARGE_MODELS,
});

const MinimumCommitment = builder.objectRef<NonNullable<PlanDocument['minimumCommitment']>>('MinimumCommitment').implement({
  description: 'The least the plan bills per period: a true-up fee tops the period up to it.',
  fields: (t) => ({
    amountCents: t.exposeString('amountCents'),
    invoiceDisplayName: t.exposeString('invoiceDisplayName', { nullable: true }),
    taxCodes: t.exposeStringList('taxCodes'),
  }),
});

const UsageThreshold = builder.objectRef<PlanDocument['usageThresholds'][number]>('UsageThreshold').implement({
  description: 'A progressive-billing threshold: passing it invoices the usage so far.',
  fields: (t) => ({
    amountCents: t.exposeString('amountCents'),
    thresholdDisplayName: t.exposeString('thresholdDisplayName', { nullable: true }),
    recurring: t.exposeBoolean('recurring'),
  }),
});

const ChargeFilter = builder.objectRef<PlanChargeFilter>('ChargeFilter').implement({
  description: 'Prices the events whose properties match `values` with its own properties.',
  fields: (t) => ({
    invoiceDisplayName: t.exposeString('invoiceDisplayName', { nullable: true }),
    typedValues: t.field({ type: [ChargeFilterValueRef], description: 'The event properties matched, one entry per key.', resolve: (f) => filterValueList(f.values) }),
    typedProperties: t.field({ type: ChargePropertiesRef, resolve: (f) => f.properties }),
    values: t.field({ type: 'JSON', description: '{key: [values]} or {key: ["__ALL_FILTER_VALUES__"]}.', deprecationReason: UNTYPED('typedValues'), resolve: (f) => f.values }),
    properties: t.field({ type: 'JSON', deprecationReason: UNTYPED('typedProperties'), resolve: (f) => f.properties }),
  }),
});

export const Charge = builder.objectRef<PlanCharge>('Charge').implement({
  description: 'How a plan prices one billable metric.',
  fields: (t) => ({
    id: t.exposeID('id'),
    billableMetricId: t.exposeID('billableMetricId'),
    billableMetricCode: t.exposeString('billableMetricCode'),
    billableMetric: t.field({
      type: BillableMetric,
      nullable: true,
      resolve: (charge, _args, ctx) => ctx.loaders.byId<BillableMetricDocument>('billableMetrics').load(charge.billableMetricId),
    }),
    chargeModel: t.field({ type: ChargeModel, resolve: (charge) => charge.chargeModel }),
    typedProperties: t.field({ type: ChargePropertiesRef, description: "The model's properties.", resolve: (charge) => charge.properties }),
    properties: t.field({ type: 'JSON', description: "The model's properties (camelCase of Lago's).", deprecationReason: UNTYPED('typedProperties'), resolve: (charge) => charge.properties }),
    filters: t.field({ type: [ChargeFilter], resolve: (charge) => charge.filters }),
    payInAdvance: t.exposeBoolean('payInAdvance'),
    prorated: t.exposeBoolean('prorated'),
    invoiceable: t.exposeBoolean('invoiceable'),
    minAmountCents: t.exposeString('minAmountCents'),
    taxCodes: t.exposeStringList('taxCodes'),
    invoiceDisplayName: t.exposeString('invoiceDisplayName', { nullable: true }),
  }),
});

export const Plan = builder.objectRef<PlanDocument>('Plan').implement({
  description: 'What a subscription bills: a subscription fee per interval and charges on usage.',
  fields: (t) => ({
    id: t.exposeID('_id'),
    code: t.exposeString('code'),
    name: t.exposeString('name'),
    description: t.exposeString('description', { nullable: true }),
    invoiceDisplayName: t.exposeString('invoiceDisplayName', { nullable: true }),
    interval: t.field({ type: PlanInterval, resolve: (plan) => plan.interval }),
    amountCents: t.exposeString('amountCents'),
    amountCurrency: t.exposeString('amountCurrency'),
    payInAdvance: t.exposeBoolean('payInAdvance'),
    trialPeriod: t.exposeFloat('trialPeriod', { description: 'Trial days (decimals allowed).' }),
    billChargesMonthly: t.exposeBoolean('billChargesMonthly', { nullable: true }),
    taxCodes: t.exposeStringList('taxCodes'),
    minimumCommitment: t.field({ type: MinimumCommitment, nullable: true, resolve: (plan) => plan.minimumCommitment }),
    usageThresholds: t.field({ type: [UsageThreshold], resolve: (plan) => plan.usageThresholds }),
    charges: t.field({ type: [Charge], resolve: (plan) => plan.charges }),
    yearlyAmountCents: t.exposeString('yearlyAmountCents', { description: 'The amount normalised to a year, to compare plans.' }),
    createdAt: t.field({ type: 'DateTime', resolve: (plan) => plan.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (plan) => plan.updatedAt }),
    deletedAt: t.field({ type: 'DateTime', nullable: true, resolve: (plan) => plan.deletedAt }),
  }),
});

export const ChargeFilterInput = builder.inputType('ChargeFilterInput', {
  description: 'Prices the events matching `typedValues` (or `values`) with `typedProperties` (or `properties`): one of each pair.',
  fields: (t) => ({
    invoiceDisplayName: t.string(),
    typedValues: t.field({ type: [ChargeFilterValueInput], description: 'The event properties matched, one entry per key (each key once).' }),
    typedProperties: t.field({ type: ChargePropertiesInput, description: "The charge model's properties for these events." }),
    values: t.field({ type: 'JSON', description: '{key: [values]} or {key: ["__ALL_FILTER_VALUES__"]}.', deprecationReason: UNTYPED('typedValues') }),
    properties: t.field({ type: 'JSON', description: "The charge model's properties for these events.", deprecationReason: UNTYPED('typedProperties') }),
  }),
});

const ChargeInput = builder.inputType('ChargeInput', {
  fields: (t) => ({
    id: t.id({ description: "Keeps an existing charge (update); omit to add one." }),
    billableMetricCode: t.string({ required: true }),
    chargeModel: t.field({ type: ChargeModel, required: true }),
    typedProperties: t.field({ type: ChargePropertiesInput, description: "The model's properties (at most one of typedProperties and properties)." }),
    properties: t.field({ type: 'JSON', description: 'Per model, camelCase of Lago (e.g. {"amount": "0.05"}).', deprecationReason: UNTYPED('typedProperties') }),
    filters: t.field({ type: [ChargeFilterInput] }),
    payInAdvance: t.boolean(),
    prorated: t.boolean(),
    invoiceable: t.boolean({ description: 'Default true.' }),
    minAmountCents: t.string(),
    taxCodes: t.stringList(),
    invoiceDisplayName: t.string(),
  }),
});

export const MinimumCommitmentInput = builder.inputType('MinimumCommitmentInput', {
  fields: (t) => ({ amountCents: t.string({ required: true }), invoiceDisplayName: t.string(), taxCodes: t.stringList() }),
});

export const UsageThresholdInput = builder.inputType('UsageThresholdInput', {
  fields: (t) => ({ amountCents: t.string({ required: true }), thresholdDisplayName: t.string(), recurring: t.boolean() }),
});

/** Create and update take the same fields: an update replaces the whole plan (Lago's PUT), the code names it. */
function planInputType(name: string, description: string) {
  return builder.inputType(name, {
    description,
    fields: (t) => ({
      code: t.string({ required: true }),
      name: t.string({ required: true }),
      description: t.string(),
      invoiceDisplayName: t.string(),
      interval: t.field({ type: PlanInterval, required: true }),
      amountCents: t.string({ required: true, description: 'Integer cents, as a string ("10000").' }),
      amountCurrency: t.string({ required: true, description: 'ISO 4217 code.' }),
      payInAdvance: t.boolean(),
      trialPeriod: t.float({ description: 'Trial days, ≥ 0.' }),
      billChargesMonthly: t.boolean({ description: 'YEARLY or SEMIANNUAL plans only.' }),
      taxCodes: t.stringList(),
      minimumCommitment: t.field({ type: MinimumCommitmentInput }),
      usageThresholds: t.field({ type: [UsageThresholdInput] }),
      charges: t.field({ type: [ChargeInput] }),
    }),
  });
}

export const CreatePlanInput = planInputType('CreatePlanInput', 'A new plan; its code must be unused among live plans.');
export const UpdatePlanInput = planInputType('UpdatePlanInput', 'The whole new plan: omitted optional fields are reset.');

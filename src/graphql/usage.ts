import type BigNumber from 'bignumber.js';
import type { CustomerUsageView } from '../application/usage.ts';
import type { ChargeUsage as ChargeUsageData, FilterUsage, GroupedUsage as GroupedUsageData } from '../billing/usage/price.ts';
import { organizationOf } from './auth.ts';
import { builder } from './builder.ts';
import { FeeDetailRef } from './chargeDetails.ts';
import { ChargeFilterValueRef, filterValueList, groupValueList, PricingGroupValueRef, UNTYPED } from './chargeOutputs.ts';
import { ChargeModel } from './planTypes.ts';

/** Money and units cross the API as decimal strings, never JSON numbers (`"1550"`, `"0.25"`). */
const decimal = (value: BigNumber): string => value.toFixed();

/** The amounts every usage level shares: charge, filter, group. */
type UsageAmounts = { units: BigNumber; totalAggregatedUnits: BigNumber; eventsCount: number; amountCents: BigNumber };

type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;

const amountFields = <T extends UsageAmounts>(t: PothosSchemaTypes.ObjectFieldBuilder<Types, T>) => ({
  units: t.string({ description: 'Units priced, after the metric’s rounding.', resolve: (u) => decimal(u.units) }),
  totalAggregatedUnits: t.string({
    description: 'WEIGHTED_SUM: the level at the end of the period; otherwise the units.',
    resolve: (u) => decimal(u.totalAggregatedUnits),
  }),
  eventsCount: t.int({ description: 'Events counted (UNIQUE_COUNT: the distinct values, as Lago reports it).', resolve: (u) => u.eventsCount }),
  amountCents: t.string({ description: 'Integer cents, rounded once per fee.', resolve: (u) => decimal(u.amountCents) }),
});

const ChargeUsageFilter = builder.objectRef<FilterUsage>('ChargeUsageFilter').implement({
  description: 'Usage of one charge filter; the default bucket (events matching no filter) has null `values`.',
  fields: (t) => ({
    ...amountFields(t),
    invoiceDisplayName: t.exposeString('invoiceDisplayName', { nullable: true }),
    typedValues: t.field({ type: [ChargeFilterValueRef], nullable: true, description: 'The filter’s keys and values; null for the default bucket.', resolve: (f) => filterValueList(f.values) }),
    values: t.field({ type: 'JSON', nullable: true, description: '{key: [values]} of the filter; null for the default bucket.', deprecationReason: UNTYPED('typedValues'), resolve: (f) => f.values }),
  }),
});

const GroupedUsage = builder.objectRef<GroupedUsageData>('GroupedUsage').implement({
  description: 'Usage of one pricing group (`pricingGroupKeys` values), priced on its own.',
  fields: (t) => ({
    ...amountFields(t),
    typedGroupedBy: t.field({ type: [PricingGroupValueRef], description: 'The group’s key values; a missing property is null.', resolve: (g) => groupValueList(g.groupedBy) }),
    groupedBy: t.field({ type: 'JSON', description: '{key: value} of the group; a missing property is null.', deprecationReason: UNTYPED('typedGroupedBy'), resolve: (g) => g.groupedBy }),
    filters: t.field({ type: [ChargeUsageFilter], resolve: (g) => g.filters }),
  }),
});

const ChargeUsageCharge = builder.objectRef<ChargeUsageData['charge']>('ChargeUsageCharge').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    chargeModel: t.field({ type: ChargeModel, resolve: (c) => c.chargeModel }),
    invoiceDisplayName: t.exposeString('invoiceDisplayName', { nullable: true }),
  }),
});

const ChargeUsageBillableMetric = builder.objectRef<ChargeUsageData['billableMetric']>('ChargeUsageBillableMetric').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    code: t.exposeString('code'),
    aggregationType: t.exposeString('aggregationType', { description: 'COUNT, SUM, MAX, UNIQUE_COUNT, LATEST or WEIGHTED_SUM.' }),
  }),
});

const ChargeUsage = builder.objectRef<ChargeUsageData>('ChargeUsage').implement({
  description: 'Usage of one charge of the plan (Lago `charges_usage[]`): the sum of its fees (filters × groups).',
  fields: (t) => ({
    ...amountFields(t),
    amountCurrency: t.exposeString('amountCurrency'),
    charge: t.field({ type: ChargeUsageCharge, resolve: (c) => c.charge }),
    billableMetric: t.field({ type: ChargeUsageBillableMetric, resolve: (c) => c.billableMetric }),
    filters: t.field({
      type: [ChargeUsageFilter],
      description: 'Per charge filter, the default bucket last; empty when the charge has no filters.',
      resolve: (c) => c.filters,
    }),
    groupedUsage: t.field({ type: [GroupedUsage], description: 'Per pricing group; empty when the charge is not grouped.', resolve: (c) => c.groupedUsage }),
    typedDetails: t.field({
      type: [FeeDetailRef],
      description: 'Per fee (filter × group): the charge model’s explanation of the amount (tiers, packages, free units…).',
      resolve: (c) => c.details,
    }),
    details: t.field({
      type: 'JSON',
      description: 'Per fee (filter × group): the charge model’s explanation of the amount (tiers, packages, free units…).',
      deprecationReason: UNTYPED('typedDetails'),
      resolve: (c) => c.details,
    }),
  }),
});

/** Lago's `customer_usage`; reused by the `customerUsageUpdated` subscription. */
export const CustomerUsage = builder.objectRef<CustomerUsageView>('CustomerUsage').implement({
  description: 'Priced usage of a subscription over one charges period: charges only (no subscription fee, coupons or credits).',
  fields: (t) => ({
    fromDatetime: t.field({ type: 'DateTime', resolve: (u) => u.fromDatetime }),
    toDatetime: t.field({ type: 'DateTime', resolve: (u) => u.toDatetime }),
    issuingDate: t.exposeString('issuingDate', { description: 'YYYY-MM-DD in the customer’s timezone.' }),
    currency: t.exposeString('currency'),
    amountCents: t.string({ resolve: (u) => decimal(u.amountCents) }),
    taxesAmountCents: t.string({ description: 'Rounded once on the sum of every fee’s unrounded taxes.', resolve: (u) => decimal(u.taxesAmountCents) }),
    totalAmountCents: t.string({ resolve: (u) => decimal(u.totalAmountCents) }),
    chargesUsage: t.field({ type: [ChargeUsage], resolve: (u) => u.chargesUsage }),
  }),
});

builder.queryFields((t) => ({
  customerUsage: t.field({
    type: CustomerUsage,
    description:
      'Lago `GET /customers/:id/current_usage`: usage of the current charges period of an ACTIVE subscription of the customer (NOT_FOUND otherwise), from what is folded now (events acknowledged within the last ~200 ms may not be in it yet; see `waitForEvents`).',
    args: {
      externalCustomerId: t.arg.string({ required: true }),
      externalSubscriptionId: t.arg.string({ required: true }),
      applyTaxes: t.arg.boolean({ defaultValue: true }),
      waitForEvents: t.arg.boolean({
        defaultValue: false,
        description: 'Read-your-writes: first wait (at most 5 s) until every event acknowledged for this subscription is folded.',
      }),
    },
    resolve: async (_root, args, ctx) => {
      return ctx.app.usage.current(organizationOf(ctx), args.externalCustomerId, args.externalSubscriptionId, { applyTaxes: args.applyTaxes ?? true, waitForEvents: args.waitForEvents ?? false });
    },
  }),
  pastUsage: t.field({
    type: [CustomerUsage],
    description: 'Lago `GET /customers/:id/past_usage`: previous charges periods of the subscription, most recent first (terminated ones too).',
    args: {
      externalCustomerId: t.arg.string({ required: true }),
      externalSubscriptionId: t.arg.string({ required: true }),
      billableMetricCode: t.arg.string({ description: 'Only this metric’s charges.' }),
      periodsCount: t.arg.int({ description: 'How many periods, 1 to 100; default 12.' }),
      waitForEvents: t.arg.boolean({ defaultValue: false, description: 'As for `customerUsage`.' }),
    },
    resolve: async (_root, args, ctx) => {
      return ctx.app.usage.past(organizationOf(ctx), args.externalCustomerId, args.externalSubscriptionId, {
        billableMetricCode: args.billableMetricCode,
        periodsCount: args.periodsCount,
        waitForEvents: args.waitForEvents ?? false,
      });
    },
  }),
}));

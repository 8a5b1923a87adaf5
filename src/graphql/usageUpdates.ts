import { organizationOf } from './auth.ts';
import { builder } from './builder.ts';
import { CustomerUsage } from './usage.ts';

builder.subscriptionFields((t) => ({
  customerUsageUpdated: t.field({
    type: CustomerUsage,
    description:
      'Current usage of an ACTIVE subscription of the customer: sent once on subscribe, then whenever new events are folded for it — at most one push per 80 ms, each reflecting every event acknowledged before it was computed.',
    args: {
      externalCustomerId: t.arg.string({ required: true }),
      externalSubscriptionId: t.arg.string({ required: true }),
      applyTaxes: t.arg.boolean({ defaultValue: true }),
    },
    // One shared computation per subscription and window, whatever the number of subscribers (usage feed). An
    // unknown or inactive subscription fails the first read, so the client gets NOT_FOUND instead of silence.
    subscribe: (_root, args, ctx) =>
      ctx.app.usageFeed.watch({
        organizationId: organizationOf(ctx),
        externalCustomerId: args.externalCustomerId,
        externalSubscriptionId: args.externalSubscriptionId,
        applyTaxes: args.applyTaxes ?? true,
      }),
    resolve: (usage) => usage,
  }),
}));

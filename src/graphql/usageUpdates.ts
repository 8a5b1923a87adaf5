import type { App } from '../application/app.ts';
import type { CustomerUsageView } from '../application/usage.ts';
import { organizationOf } from './auth.ts';
import { builder } from './builder.ts';
import { CustomerUsage } from './usage.ts';

type Watch = { app: App; organizationId: string; externalCustomerId: string; externalSubscriptionId: string; applyTaxes: boolean };

/**
 * The current usage now, then again each time the usage projection has folded new events for the subscription
 * (ticks from the usage feed: coalesced, and only once the read models hold every event acknowledged so far).
 * An unknown or inactive subscription fails the first read, so the client gets NOT_FOUND instead of silence.
 */
async function* usageUpdates(watch: Watch): AsyncGenerator<CustomerUsageView> {
  const read = () => watch.app.usage.current(watch.organizationId, watch.externalCustomerId, watch.externalSubscriptionId, { applyTaxes: watch.applyTaxes });
  const ticks = watch.app.usageFeed.watch(watch.organizationId, watch.externalSubscriptionId);
  try {
    await watch.app.usageFeed.fresh();
    yield await read();
    for await (const _tick of ticks) yield await read();
  } finally {
    await ticks.return?.();
  }
}

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
    subscribe: (_root, args, ctx) =>
      usageUpdates({
        app: ctx.app,
        organizationId: organizationOf(ctx),
        externalCustomerId: args.externalCustomerId,
        externalSubscriptionId: args.externalSubscriptionId,
        applyTaxes: args.applyTaxes ?? true,
      }),
    resolve: (usage) => usage,
  }),
}));

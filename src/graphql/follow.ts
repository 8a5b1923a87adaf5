import { resilientSubscription } from '../application/logFollower.ts';
import type { RecordedEvent } from '../application/ports/eventStore.ts';
import { organizationOf } from './auth.ts';
import type { GraphQLContext } from './builder.ts';

/**
 * The caller's organization's events from now on that `accept` takes, each answered once the read models hold it,
 * as the document `load` reads (skipped when null): what a websocket subscription of documents pushes.
 */
export async function* followDocuments<T>(ctx: GraphQLContext, accept: (event: RecordedEvent) => boolean, load: (event: RecordedEvent, organizationId: string) => Promise<T | null>): AsyncGenerator<T> {
  const organizationId = organizationOf(ctx);
  const { eventStore, waitForProjections, logger } = ctx.app.deps;
  const subscription = resilientSubscription(eventStore, { after: await eventStore.headPosition(), usage: 'none', name: 'document subscription', logger });
  try {
    for await (const event of subscription) {
      if (event.metadata.organizationId !== organizationId || !accept(event)) continue;
      await waitForProjections(event.position, { usage: false });
      const doc = await load(event, organizationId);
      if (doc !== null) yield doc;
    }
  } finally {
    await subscription.close();
  }
}

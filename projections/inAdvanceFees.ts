import type { InAdvanceFeeCreated } from '../src/domain/invoice/index.ts';
import { defineProjection } from './projection.ts';

/** Pay-in-advance fees of non-invoiceable charges, waiting for (then listed with) their period-end invoice. */
export type InAdvanceFeeDocument = Omit<InAdvanceFeeCreated['data'], never> & { _id: string };

export const IN_ADVANCE_FEES = 'inAdvanceFees';

export const inAdvanceFeesProjection = defineProjection<InAdvanceFeeDocument>({
  name: 'inAdvanceFees',
  collection: IN_ADVANCE_FEES,
  indexes: [{ name: 'bySubscriptionPeriod', keys: { subscriptionId: 1, chargesFrom: 1 } }],
  handles: ['InAdvanceFeeCreated'],
  catalog: false,
  documentIds: (event) => [event.streamId],
  fold(doc, event) {
    if (doc !== null) return doc;
    const data = (event as unknown as InAdvanceFeeCreated).data;
    return { _id: event.streamId, ...data };
  },
});

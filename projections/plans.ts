import type { PlanDefinition, PlanEvent } from '../src/domain/plan/index.ts';
import { definitionOf, yearlyAmountCents } from '../src/domain/plan/index.ts';
import { defineProjection } from './projection.ts';

/** A plan as clients and other areas (subscriptions, billing) read it. Deleted plans keep `deletedAt`. */
export type PlanDocument = {
  _id: string;
  organizationId: string;
  /** The plan amount normalised to a year (cents), to tell upgrades from downgrades. */
  yearlyAmountCents: string;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
} & PlanDefinition;

/** `yearlyAmountCents` that never throws: odd data in the log must not stop the projection. */
function safeYearly(plan: PlanDefinition): string {
  try {
    return yearlyAmountCents(plan.interval, plan.amountCents);
  } catch {
    return '0';
  }
}

export const plansProjection = defineProjection<PlanDocument>({
  name: 'plans',
  collection: 'plans',
  // NOTE: no index on `charges.billableMetricCode`: the embedded store pushes equality on indexed fields down to
  // json_extract, which does not look inside arrays; unindexed, mingo matches array elements as MongoDB does.
  indexes: [{ name: 'byOrganizationCode', keys: { organizationId: 1, code: 1 } }, { name: 'byOrganizationCreated', keys: { organizationId: 1, createdAt: 1, _id: 1 } }],
  handles: ['PlanCreated', 'PlanUpdated', 'PlanDeleted'],
  documentIds: (event) => [(event.data as { planId: string }).planId],
  fold(doc, event) {
    const e = event as unknown as PlanEvent;
    switch (e.type) {
      case 'PlanCreated': {
        const plan = definitionOf(e.data);
        const { planId, organizationId, createdAt } = e.data;
        return { _id: planId, organizationId, ...plan, yearlyAmountCents: safeYearly(plan), createdAt, updatedAt: createdAt, deletedAt: null };
      }
      case 'PlanUpdated': {
        const plan = definitionOf(e.data);
        return doc ? { ...doc, ...plan, yearlyAmountCents: safeYearly(plan), updatedAt: e.data.updatedAt } : doc;
      }
      case 'PlanDeleted':
        return doc ? { ...doc, deletedAt: e.data.deletedAt, updatedAt: e.data.deletedAt } : doc;
      default:
        return doc;
    }
  },
});

import { IllegalStateError, NotFoundError } from '../shared/errors.ts';
import type { PlanEvent } from './events.ts';
import type { PlanState } from './state.ts';
import type { PlanCharge, PlanDefinition, PlanInput, PlanLookups } from './types.ts';
import { validatePlanInput } from './validatePlan.ts';

/**
 * `lookups` come from the read models (metrics by code, live tax codes); `chargeIds` are fresh ids, one per input
 * charge, used for the charges given without an id.
 */
export type PlanCommand =
  | {
      type: 'CreatePlan';
      data: { planId: string; organizationId: string; input: PlanInput; chargeIds: string[]; lookups: PlanLookups };
      metadata: { now: string };
    }
  | { type: 'UpdatePlan'; data: { input: PlanInput; chargeIds: string[]; lookups: PlanLookups }; metadata: { now: string } }
  | { type: 'DeletePlan'; data: { code: string }; metadata: { now: string } };

/** JSON with sorted keys: two plans are the same when this is. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}

function create(command: Extract<PlanCommand, { type: 'CreatePlan' }>, state: PlanState): PlanEvent[] {
  if (state.status === 'active') throw new IllegalStateError(`a plan with code "${state.plan.code}" already exists`);
  const { planId, organizationId, input, chargeIds, lookups } = command.data;
  const plan = validatePlanInput(input, { lookups, existing: new Map(), newIds: chargeIds });
  return [{ type: 'PlanCreated', data: { planId, organizationId, ...plan, createdAt: command.metadata.now } }];
}

function update(command: Extract<PlanCommand, { type: 'UpdatePlan' }>, state: PlanState): PlanEvent[] {
  if (state.status !== 'active') throw new NotFoundError(`plan "${command.data.input.code}" not found`);
  const { input, chargeIds, lookups } = command.data;
  const existing = new Map<string, PlanCharge>(state.plan.charges.map((charge) => [charge.id, charge]));
  const plan: PlanDefinition = { ...validatePlanInput(input, { lookups, existing, newIds: chargeIds }), code: state.plan.code };
  if (canonical(plan) === canonical(state.plan)) return [];
  return [{ type: 'PlanUpdated', data: { planId: state.planId, organizationId: state.organizationId, ...plan, updatedAt: command.metadata.now } }];
}

/** Create (code unused or freed by a deletion), full replacement (no change → no event), soft delete (repeat → no event). */
export function decide(command: PlanCommand, state: PlanState): PlanEvent[] {
  switch (command.type) {
    case 'CreatePlan':
      return create(command, state);
    case 'UpdatePlan':
      return update(command, state);
    case 'DeletePlan': {
      if (state.status === 'none') throw new NotFoundError(`plan "${command.data.code}" not found`);
      if (state.status === 'deleted') return [];
      const { planId, organizationId, plan } = state;
      return [{ type: 'PlanDeleted', data: { planId, organizationId, code: plan.code, deletedAt: command.metadata.now } }];
    }
    default: {
      const unknownCommand: never = command;
      return unknownCommand;
    }
  }
}

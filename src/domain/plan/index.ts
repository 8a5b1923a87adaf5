import type { Decider } from '../shared/decider.ts';
import { decide, type PlanCommand } from './decide.ts';
import type { PlanEvent } from './events.ts';
import { evolve, initialState, type PlanState } from './state.ts';

export type { PlanCommand } from './decide.ts';
export type * from './events.ts';
export type { PlanState } from './state.ts';
export type * from './types.ts';
export type { ChargeOverrides, OverrideLookups, PlanOverrides } from './overrides.ts';
export { CHARGE_MODELS, PLAN_INTERVALS } from './types.ts';
export { definitionOf } from './state.ts';
export { validateChargeProperties } from './chargeProperties/index.ts';
export { validatePlanOverrides } from './overrides.ts';
export { assertPlanListCaps } from './caps.ts';
export { yearlyAmountCents } from './yearlyAmount.ts';

/** A plan: one stream per (organization, code); create, full replacement, soft delete. */
export const planDecider: Decider<PlanCommand, PlanEvent, PlanState> = {
  initialState,
  evolve,
  decide,
};

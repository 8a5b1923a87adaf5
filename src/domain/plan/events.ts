import type { DomainEvent } from '../shared/decider.ts';
import type { PlanDefinition } from './types.ts';

/** A plan was created: the whole plan. */
export type PlanCreated = DomainEvent<'PlanCreated', PlanDefinition & { planId: string; organizationId: string; createdAt: string }>;

/** A plan was replaced: the whole new plan, so the log shows what the plan was at any time. */
export type PlanUpdated = DomainEvent<'PlanUpdated', PlanDefinition & { planId: string; organizationId: string; updatedAt: string }>;

/** A plan was deleted (soft): it disappears from queries; its code can be used again. */
export type PlanDeleted = DomainEvent<'PlanDeleted', { planId: string; organizationId: string; code: string; deletedAt: string }>;

export type PlanEvent = PlanCreated | PlanUpdated | PlanDeleted;

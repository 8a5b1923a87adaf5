import BigNumber from 'bignumber.js';
import { validatePlanOverrides, yearlyAmountCents, type OverrideLookups, type PlanDefinition, type PlanOverrides as PlanAggregateOverrides } from '../plan/index.ts';
import type { PlanOverrides } from './events.ts';

/** A plan as the application reads it (`plans` read model): its definition, id, yearly amount, deletion. */
export type SubscriptionPlan = PlanDefinition & { _id: string; yearlyAmountCents: string; deletedAt?: string | null };

/**
 * Applies overrides to a plan with the plan aggregate's own rules (§3.6): the effective terms, yearly amount
 * recomputed, or a `ValidationError` naming `input.planOverrides.…`.
 */
export function effectivePlan(plan: SubscriptionPlan, overrides: PlanOverrides | null, lookups: OverrideLookups = {}): SubscriptionPlan {
  if (!overrides) return plan;
  return validatePlanOverrides(plan, overrides as PlanAggregateOverrides, { ...lookups, field: 'input.planOverrides' });
}

/**
 * The yearly price a running subscription pays: its stored amount override re-applied to the plan as it is now.
 * Tolerant on purpose — overrides validated long ago must not block a plan change if the plan moved since.
 */
export function currentYearlyAmount(plan: SubscriptionPlan, overrides: PlanOverrides | null): string {
  const amount = overrides?.amountCents;
  if (typeof amount !== 'string' && typeof amount !== 'number') return plan.yearlyAmountCents;
  try {
    return yearlyAmountCents(plan.interval, String(amount));
  } catch {
    return plan.yearlyAmountCents;
  }
}

/** Lago `upgrade?`: an equal yearly price counts as an upgrade (billing-semantics §9.7). */
export function isUpgrade(next: SubscriptionPlan, currentYearlyAmountCents: string): boolean {
  return new BigNumber(next.yearlyAmountCents).gte(currentYearlyAmountCents);
}

/** `trialEndsAt` = initial start + trial days (fractional days allowed), or null without a trial. */
export function trialEnd(initialStartedAt: string | null, trialPeriod: number): string | null {
  if (!initialStartedAt || !(trialPeriod > 0)) return null;
  return new Date(Date.parse(initialStartedAt) + Math.round(trialPeriod * 86_400_000)).toISOString();
}

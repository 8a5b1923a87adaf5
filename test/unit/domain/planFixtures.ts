import { planDecider, type ChargeInput, type MetricRef, type PlanCommand, type PlanEvent, type PlanInput, type PlanLookups, type PlanState } from '../../../src/domain/plan/index.ts';
import { ValidationError } from '../../../src/domain/shared/errors.ts';
import { spec } from '../../support/decider.ts';
import { expect } from 'vitest';

export const now = '2026-01-01T00:00:00.000Z';
export const later = '2026-02-01T00:00:00.000Z';

const metric = (code: string, aggregationType: string, recurring = false, filters: MetricRef['filters'] = []): MetricRef => ({
  id: `bm_${code}`,
  code,
  aggregationType,
  recurring,
  filters,
});

/** One metric of each aggregation the rules care about. */
export const metrics: Record<string, MetricRef> = Object.fromEntries(
  [
    metric('api_calls', 'COUNT', false, [{ key: 'region', values: ['eu', 'us'] }, { key: 'tier', values: ['free', 'paid'] }]),
    metric('storage', 'SUM', true),
    metric('volume', 'SUM'),
    metric('seats', 'UNIQUE_COUNT', true),
    metric('users', 'UNIQUE_COUNT'),
    metric('peak', 'MAX'),
    metric('gauge', 'LATEST'),
    metric('gb_seconds', 'WEIGHTED_SUM', true),
  ].map((m) => [m.code, m]),
);

export const lookups: PlanLookups = { metrics, taxCodes: ['vat_20', 'vat_5'] };

export const plan = spec<PlanCommand, PlanEvent, PlanState>(planDecider);

export const baseInput: PlanInput = { code: 'pro', name: 'Pro', interval: 'MONTHLY', amountCents: '10000', amountCurrency: 'EUR' };

export const charge = (overrides: Partial<ChargeInput> = {}): ChargeInput => ({
  billableMetricCode: 'api_calls',
  chargeModel: 'STANDARD',
  properties: { amount: '0.05' },
  ...overrides,
});

export const create = (input: Partial<PlanInput> = {}, chargeIds = ['ch_1', 'ch_2', 'ch_3']): PlanCommand => ({
  type: 'CreatePlan',
  data: { planId: 'plan_1', organizationId: 'org1', input: { ...baseInput, ...input }, chargeIds, lookups },
  metadata: { now },
});

export const update = (input: Partial<PlanInput> = {}, chargeIds = ['ch_new_1', 'ch_new_2', 'ch_new_3']): PlanCommand => ({
  type: 'UpdatePlan',
  data: { input: { ...baseInput, ...input }, chargeIds, lookups },
  metadata: { now: later },
});

/** The events a valid create decides (for `given`). */
export const createdWith = (input: Partial<PlanInput> = {}): PlanEvent[] => planDecider.decide(create(input), planDecider.initialState());

/** Asserts a create with `input` is refused with a VALIDATION error whose field is exactly `field`. */
export function refuses(input: Partial<PlanInput>, field: string): void {
  const thrown = plan.given([]).when(create(input)).thenThrows(ValidationError) as ValidationError;
  expect(thrown.field).toBe(field);
  expect(thrown.message.startsWith(`${field}:`)).toBe(true);
}

/** Asserts a create with one charge is refused naming `field` (relative to `input.charges.0`). */
export function refusesCharge(overrides: Partial<ChargeInput>, field: string): void {
  refuses({ charges: [charge(overrides)] }, `input.charges.0.${field}`);
}

/** Asserts a create with one charge is accepted. */
export function acceptsCharge(overrides: Partial<ChargeInput>): void {
  const [event] = createdWith({ charges: [charge(overrides)] });
  expect(event?.type).toBe('PlanCreated');
}

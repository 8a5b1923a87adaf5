import { describe, expect, it } from 'vitest';
import { planDecider, type PlanCreated, type PlanEvent } from '../../../src/domain/plan/index.ts';
import { IllegalStateError, NotFoundError, ValidationError } from '../../../src/domain/shared/errors.ts';
import { charge, create, createdWith, later, now, plan, refuses, update } from './planFixtures.ts';

const created = createdWith({ charges: [charge()] });
const deleted: PlanEvent = { type: 'PlanDeleted', data: { planId: 'plan_1', organizationId: 'org1', code: 'pro', deletedAt: later } };

describe('plan: create', () => {
  it('records the whole plan with defaults (invoiceable, no minimum, generated charge id)', () =>
    plan.given([]).when(create({ charges: [charge()] })).then([
      {
        type: 'PlanCreated',
        data: {
          planId: 'plan_1', organizationId: 'org1', code: 'pro', name: 'Pro', description: null, invoiceDisplayName: null,
          interval: 'MONTHLY', amountCents: '10000', amountCurrency: 'EUR', payInAdvance: false, trialPeriod: 0,
          billChargesMonthly: null, taxCodes: [], minimumCommitment: null, usageThresholds: [],
          charges: [{
            id: 'ch_1', billableMetricId: 'bm_api_calls', billableMetricCode: 'api_calls', chargeModel: 'STANDARD',
            properties: { amount: '0.05' }, filters: [], payInAdvance: false, prorated: false, invoiceable: true,
            minAmountCents: '0', taxCodes: [], invoiceDisplayName: null,
          }],
          createdAt: now,
        },
      },
    ]));

  it('keeps every optional field it is given', () => {
    const [event] = createdWith({
      description: 'For teams', invoiceDisplayName: 'Pro plan', payInAdvance: true, trialPeriod: 14.5, interval: 'YEARLY',
      billChargesMonthly: true, taxCodes: ['vat_20', 'vat_20'],
      minimumCommitment: { amountCents: '50000', invoiceDisplayName: 'Commitment', taxCodes: ['vat_5'] },
      usageThresholds: [{ amountCents: '20000', thresholdDisplayName: 'T1' }, { amountCents: '10000', recurring: true }],
    }) as [PlanCreated];
    expect(event.data).toMatchObject({
      description: 'For teams', invoiceDisplayName: 'Pro plan', payInAdvance: true, trialPeriod: 14.5, billChargesMonthly: true,
      taxCodes: ['vat_20'], minimumCommitment: { amountCents: '50000', invoiceDisplayName: 'Commitment', taxCodes: ['vat_5'] },
      usageThresholds: [{ amountCents: '20000', thresholdDisplayName: 'T1', recurring: false }, { amountCents: '10000', thresholdDisplayName: null, recurring: true }],
    });
  });

  it('refuses a code that a live plan already has (CONFLICT)', () => plan.given(created).when(create()).thenThrows(IllegalStateError, /already exists/));
  it('accepts the code of a deleted plan again, as a new plan', () =>
    plan.given([...created, deleted]).when({ ...create(), data: { ...create().data, planId: 'plan_2' } } as never).thenState((state) => {
      expect(state).toMatchObject({ status: 'active', planId: 'plan_2' });
    }));
  it('refuses a charge id on create: there is no charge to keep', () => refuses({ charges: [charge({ id: 'x' })] }, 'input.charges.0.id'));
});

describe('plan: fields', () => {
  it('refuses a blank code', () => refuses({ code: ' ' }, 'input.code'));
  it('refuses a blank name', () => refuses({ name: '' }, 'input.name'));
  it('refuses an unknown interval', () => refuses({ interval: 'DAILY' as never }, 'input.interval'));
  it.each(['10.5', '-1', 'abc', '', '1e3'])('refuses amountCents %j: a string of integer cents', (amountCents) => refuses({ amountCents }, 'input.amountCents'));
  it('refuses amountCents given as a number', () => refuses({ amountCents: 100 as never }, 'input.amountCents'));
  it('refuses a currency outside ISO 4217', () => refuses({ amountCurrency: 'XYZ' }, 'input.amountCurrency'));
  it('refuses a negative trial period', () => refuses({ trialPeriod: -1 }, 'input.trialPeriod'));
  it('refuses billChargesMonthly on a MONTHLY plan', () => refuses({ billChargesMonthly: true }, 'input.billChargesMonthly'));
  it.each(['YEARLY', 'SEMIANNUAL'] as const)('accepts billChargesMonthly on a %s plan', (interval) =>
    expect(createdWith({ interval, billChargesMonthly: true })).toHaveLength(1));
  it('accepts billChargesMonthly false on any plan', () => expect(createdWith({ billChargesMonthly: false })).toHaveLength(1));
  it('refuses an unknown plan tax code', () => refuses({ taxCodes: ['vat_20', 'nope'] }, 'input.taxCodes.1'));
  it('refuses a minimum commitment that is not integer cents', () => refuses({ minimumCommitment: { amountCents: '1.5' } }, 'input.minimumCommitment.amountCents'));
  it('refuses an unknown minimum commitment tax code', () =>
    refuses({ minimumCommitment: { amountCents: '100', taxCodes: ['nope'] } }, 'input.minimumCommitment.taxCodes.0'));
  it('refuses a usage threshold of 0', () => refuses({ usageThresholds: [{ amountCents: '0' }] }, 'input.usageThresholds.0.amountCents'));
  it('refuses two recurring usage thresholds', () =>
    refuses({ usageThresholds: [{ amountCents: '100', recurring: true }, { amountCents: '200', recurring: true }] }, 'input.usageThresholds.1.recurring'));
  it('refuses the same fixed usage threshold twice', () =>
    refuses({ usageThresholds: [{ amountCents: '100' }, { amountCents: '100' }] }, 'input.usageThresholds.1.amountCents'));
  it('refuses a charge on an unknown billable metric', () => refuses({ charges: [charge({ billableMetricCode: 'nope' })] }, 'input.charges.0.billableMetricCode'));
  it('refuses an unknown charge model', () => refuses({ charges: [charge({ chargeModel: 'CUSTOM' as never })] }, 'input.charges.0.chargeModel'));
  it('refuses an unknown charge tax code', () => refuses({ charges: [charge({ taxCodes: ['nope'] })] }, 'input.charges.0.taxCodes.0'));
  it('refuses a charge minimum that is not integer cents', () => refuses({ charges: [charge({ minAmountCents: '-5' })] }, 'input.charges.0.minAmountCents'));
  it('names the index of the bad charge', () => refuses({ charges: [charge(), charge({ properties: {} })] }, 'input.charges.1.properties.amount'));
});

describe('plan: update (full replacement)', () => {
  const kept = charge({ id: 'ch_1', properties: { amount: '0.10' } });

  it('records the whole new plan, keeping the charge ids it is given and generating the others', () => {
    const [event] = planDecider.decide(update({ name: 'Pro 2', charges: [kept, charge({ billableMetricCode: 'storage' })] }), fold(created));
    expect(event).toMatchObject({
      type: 'PlanUpdated',
      data: { planId: 'plan_1', organizationId: 'org1', code: 'pro', name: 'Pro 2', updatedAt: later, charges: [{ id: 'ch_1', properties: { amount: '0.10' } }, { id: 'ch_new_2', billableMetricCode: 'storage' }] },
    });
  });
  it('resets the optional fields it is not given', () => {
    const rich = createdWith({ description: 'x', charges: [charge()], taxCodes: ['vat_20'] });
    const [event] = planDecider.decide(update(), fold(rich));
    expect(event?.data).toMatchObject({ description: null, taxCodes: [], charges: [] });
  });
  it('decides nothing when the plan does not change', () => plan.given(created).when(update({ charges: [charge({ id: 'ch_1' })] })).then([]));
  it('refuses an id that is not a charge of the plan', () => plan.given(created).when(update({ charges: [charge({ id: 'other' })] })).thenThrows(ValidationError, /input\.charges\.0\.id/));
  it('refuses the same charge id twice', () =>
    plan.given(created).when(update({ charges: [charge({ id: 'ch_1' }), charge({ id: 'ch_1' })] })).thenThrows(ValidationError, /input\.charges\.1\.id/));
  it('refuses to move a kept charge to another metric', () =>
    plan.given(created).when(update({ charges: [charge({ id: 'ch_1', billableMetricCode: 'storage' })] })).thenThrows(ValidationError, /input\.charges\.0\.billableMetricCode/));
  it('validates like create', () => plan.given(created).when(update({ amountCents: 'x' })).thenThrows(ValidationError, /input\.amountCents/));
  it('refuses an unknown plan', () => plan.given([]).when(update()).thenThrows(NotFoundError));
  it('refuses a deleted plan', () => plan.given([...created, deleted]).when(update()).thenThrows(NotFoundError));
  it('keeps the code: it names the stream', () =>
    plan.given(created).when(update({ name: 'Renamed' })).thenState((state) => expect(state).toMatchObject({ plan: { code: 'pro', name: 'Renamed' } })));
});

describe('plan: delete', () => {
  const remove = { type: 'DeletePlan', data: { code: 'pro' }, metadata: { now: later } } as const;
  it('soft-deletes a live plan', () => plan.given(created).when(remove).then([deleted]));
  it('treats deleting a deleted plan as a no-op', () => plan.given([...created, deleted]).when(remove).then([]));
  it('refuses an unknown plan', () => plan.given([]).when(remove).thenThrows(NotFoundError));
});

function fold(events: PlanEvent[]) {
  return events.reduce(planDecider.evolve, planDecider.initialState());
}

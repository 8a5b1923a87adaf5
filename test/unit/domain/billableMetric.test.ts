import { describe, expect, it } from 'vitest';
import { billableMetricDecider, type BillableMetricCommand, type BillableMetricEvent, type BillableMetricState } from '../../../src/domain/billableMetric/index.ts';
import type { BillableMetricFields } from '../../../src/domain/billableMetric/index.ts';
import { IllegalStateError, NotFoundError, ValidationError } from '../../../src/domain/shared/errors.ts';
import { spec } from '../../support/decider.ts';

const now = '2026-01-01T00:00:00.000Z';
const later = '2026-01-02T00:00:00.000Z';
const metric = spec<BillableMetricCommand, BillableMetricEvent, BillableMetricState>(billableMetricDecider);

const create = (fields: BillableMetricFields = {}, metricId = 'm1'): BillableMetricCommand => ({
  type: 'CreateBillableMetric',
  data: { organizationId: 'org1', metricId, code: 'storage', name: 'Storage', aggregationType: 'SUM', fieldName: 'gb', ...fields },
  metadata: { now },
});
const update = (fields: BillableMetricFields): BillableMetricCommand => ({ type: 'UpdateBillableMetric', data: { code: 'storage', ...fields }, metadata: { now: later } });
const remove = (usedByPlanCodes: string[] = []): BillableMetricCommand => ({
  type: 'DeleteBillableMetric',
  data: { code: 'storage', usedByPlanCodes },
  metadata: { now: later },
});

const definition = {
  name: 'Storage',
  description: null,
  aggregationType: 'SUM' as const,
  fieldName: 'gb',
  recurring: false,
  weightedInterval: null,
  roundingFunction: null,
  roundingPrecision: null,
  filters: [],
};
const identity = { organizationId: 'org1', metricId: 'm1', code: 'storage' };
const created: BillableMetricEvent = { type: 'BillableMetricCreated', data: { ...identity, ...definition, createdAt: now } };
const deleted: BillableMetricEvent = { type: 'BillableMetricDeleted', data: { ...identity, deletedAt: later } };

/** Runs a command expected to be refused and returns the field the ValidationError names. */
function refusedField(history: BillableMetricEvent[], command: BillableMetricCommand): string | undefined {
  return (metric.given(history).when(command).thenThrows(ValidationError) as ValidationError).field;
}

describe('billable metric', () => {
  describe('when it does not exist', () => {
    it('is created with Lago defaults: no description, not recurring, no rounding, no filters', () =>
      metric.given([]).when(create()).then([created]));

    it('forces fieldName to null for COUNT', () =>
      metric.given([]).when(create({ aggregationType: 'COUNT', fieldName: 'ignored' })).thenState((state) => {
        expect(state.status === 'active' && state.definition.fieldName).toBeNull();
      }));

    for (const aggregationType of ['SUM', 'MAX', 'UNIQUE_COUNT', 'LATEST', 'WEIGHTED_SUM'] as const) {
      it(`requires fieldName for ${aggregationType}`, () => expect(refusedField([], create({ aggregationType, fieldName: ' ' }))).toBe('fieldName'));
    }

    for (const aggregationType of ['COUNT', 'MAX', 'LATEST'] as const) {
      it(`refuses recurring for ${aggregationType}`, () => expect(refusedField([], create({ aggregationType, recurring: true }))).toBe('recurring'));
    }

    for (const aggregationType of ['SUM', 'UNIQUE_COUNT', 'WEIGHTED_SUM'] as const) {
      it(`allows recurring for ${aggregationType}`, () =>
        metric.given([]).when(create({ aggregationType, recurring: true })).thenState((state) => {
          expect(state.status === 'active' && state.definition.recurring).toBe(true);
        }));
    }

    it('defaults weightedInterval to SECONDS for WEIGHTED_SUM', () =>
      metric.given([]).when(create({ aggregationType: 'WEIGHTED_SUM' })).thenState((state) => {
        expect(state.status === 'active' && state.definition.weightedInterval).toBe('SECONDS');
      }));

    it('refuses weightedInterval on anything but WEIGHTED_SUM', () =>
      expect(refusedField([], create({ aggregationType: 'SUM', weightedInterval: 'SECONDS' }))).toBe('weightedInterval'));

    it('accepts a negative rounding precision', () =>
      metric.given([]).when(create({ roundingFunction: 'ROUND', roundingPrecision: -2 })).thenState((state) => {
        expect(state.status === 'active' && state.definition.roundingPrecision).toBe(-2);
      }));

    // Lago stores rounding_precision without a rounding_function (BillableMetrics::CreateService passes both
    // through; ApplyRoundingService returns the units unchanged when the function is blank).
    it('accepts and stores a rounding precision without a rounding function', () =>
      metric.given([]).when(create({ roundingPrecision: 2 })).thenState((state) => {
        expect(state.status === 'active' && [state.definition.roundingFunction, state.definition.roundingPrecision]).toEqual([null, 2]);
      }));

    it('refuses a rounding precision beyond ±20 or not whole, with or without a function', () => {
      expect(refusedField([], create({ roundingFunction: 'CEIL', roundingPrecision: 21 }))).toBe('roundingPrecision');
      expect(refusedField([], create({ roundingFunction: 'CEIL', roundingPrecision: 1.5 }))).toBe('roundingPrecision');
      expect(refusedField([], create({ roundingPrecision: -21 }))).toBe('roundingPrecision');
    });

    it('refuses an unknown aggregation type', () =>
      expect(refusedField([], create({ aggregationType: 'CUSTOM' as never }))).toBe('aggregationType'));

    it('refuses a blank name or code', () => {
      expect(refusedField([], create({ name: '  ' }))).toBe('name');
      const blankCode = create();
      if (blankCode.type === 'CreateBillableMetric') blankCode.data.code = ' ';
      expect(refusedField([], blankCode)).toBe('code');
    });

    it('keeps filters sorted by key', () =>
      metric
        .given([])
        .when(create({ filters: [{ key: 'region', values: ['eu', 'us'] }, { key: 'cloud', values: ['aws'] }] }))
        .thenState((state) => {
          expect(state.status === 'active' && state.definition.filters.map((f) => f.key)).toEqual(['cloud', 'region']);
        }));

    it('refuses a filter with a blank or repeated key', () => {
      expect(refusedField([], create({ filters: [{ key: ' ', values: ['a'] }] }))).toBe('filters.0.key');
      expect(refusedField([], create({ filters: [{ key: 'a', values: ['x'] }, { key: 'a', values: ['y'] }] }))).toBe('filters.1.key');
    });

    it('refuses a filter without values, with a blank or repeated value, or with the all-values sentinel', () => {
      expect(refusedField([], create({ filters: [{ key: 'a', values: [] }] }))).toBe('filters.0.values');
      expect(refusedField([], create({ filters: [{ key: 'a', values: ['x', ''] }] }))).toBe('filters.0.values.1');
      expect(refusedField([], create({ filters: [{ key: 'a', values: ['x', 'x'] }] }))).toBe('filters.0.values.1');
      expect(refusedField([], create({ filters: [{ key: 'a', values: ['__ALL_FILTER_VALUES__'] }] }))).toBe('filters.0.values.0');
    });

    it('cannot be updated or deleted', () => {
      metric.given([]).when(update({ name: 'X' })).thenThrows(NotFoundError);
      metric.given([]).when(remove()).thenThrows(NotFoundError);
    });
  });

  describe('when active', () => {
    it('refuses a second metric with the same code', () => metric.given([created]).when(create({}, 'm2')).thenThrows(IllegalStateError, /already exists/));
    it('treats a repeated create (same id) as a no-op', () => metric.given([created]).when(create()).then([]));

    it('updates only the fields given and records the whole definition', () =>
      metric.given([created]).when(update({ name: 'Disk', description: 'GB stored' })).then([
        { type: 'BillableMetricUpdated', data: { ...identity, ...definition, name: 'Disk', description: 'GB stored', updatedAt: later } },
      ]));

    it('treats an update that changes nothing as a no-op', () => metric.given([created]).when(update({ name: 'Storage', fieldName: 'gb' })).then([]));

    it('clears fieldName when switching to COUNT', () =>
      metric.given([created]).when(update({ aggregationType: 'COUNT' })).thenState((state) => {
        expect(state.status === 'active' && state.definition.fieldName).toBeNull();
      }));

    it('drops weightedInterval when switching away from WEIGHTED_SUM', () => {
      const weighted: BillableMetricEvent = { type: 'BillableMetricCreated', data: { ...identity, ...definition, aggregationType: 'WEIGHTED_SUM', weightedInterval: 'SECONDS', createdAt: now } };
      metric.given([weighted]).when(update({ aggregationType: 'SUM' })).thenState((state) => {
        expect(state.status === 'active' && state.definition.weightedInterval).toBeNull();
      });
    });

    // Lago's BillableMetrics::UpdateService sets rounding_function and rounding_precision each only when given.
    it('keeps the precision when the rounding function is cleared, and sets a precision alone', () => {
      const rounded: BillableMetricEvent = { type: 'BillableMetricCreated', data: { ...identity, ...definition, roundingFunction: 'ROUND', roundingPrecision: 2, createdAt: now } };
      metric.given([rounded]).when(update({ roundingFunction: null })).thenState((state) => {
        expect(state.status === 'active' && [state.definition.roundingFunction, state.definition.roundingPrecision]).toEqual([null, 2]);
      });
      metric.given([rounded]).when(update({ roundingFunction: null, roundingPrecision: 1 })).thenState((state) => {
        expect(state.status === 'active' && [state.definition.roundingFunction, state.definition.roundingPrecision]).toEqual([null, 1]);
      });
      metric.given([created]).when(update({ roundingPrecision: -1 })).thenState((state) => {
        expect(state.status === 'active' && [state.definition.roundingFunction, state.definition.roundingPrecision]).toEqual([null, -1]);
      });
    });

    it('refuses switching a recurring metric to MAX', () => {
      const recurring: BillableMetricEvent = { type: 'BillableMetricCreated', data: { ...identity, ...definition, recurring: true, createdAt: now } };
      expect(refusedField([recurring], update({ aggregationType: 'MAX' }))).toBe('recurring');
    });

    it('refuses a null name', () => expect(refusedField([created], update({ name: null }))).toBe('name'));

    it('is deleted when no live plan uses it', () => metric.given([created]).when(remove()).then([deleted]));

    it('refuses deletion while live plans use it, naming them', () =>
      metric.given([created]).when(remove(['basic', 'pro'])).thenThrows(IllegalStateError, /basic, pro/));
  });

  describe('when deleted', () => {
    it('cannot be updated or deleted again', () => {
      metric.given([created, deleted]).when(update({ name: 'X' })).thenThrows(NotFoundError);
      metric.given([created, deleted]).when(remove()).thenThrows(NotFoundError);
    });

    it('lets the code be used again by a new metric', () =>
      metric.given([created, deleted]).when(create({ aggregationType: 'COUNT' }, 'm2')).then([
        {
          type: 'BillableMetricCreated',
          data: { ...identity, metricId: 'm2', ...definition, aggregationType: 'COUNT', fieldName: null, createdAt: now },
        },
      ]));
  });
});

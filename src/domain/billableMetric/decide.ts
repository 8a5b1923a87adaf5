import { IllegalStateError, NotFoundError, ValidationError } from '../shared/errors.ts';
import type { BillableMetricEvent } from './events.ts';
import { definitionOf, type BillableMetricState } from './state.ts';
import { resolveDefinition, type BillableMetricFields } from './validate.ts';

export type BillableMetricCommand =
  | {
      type: 'CreateBillableMetric';
      data: { organizationId: string; metricId: string; code: string } & BillableMetricFields;
      metadata: { now: string };
    }
  | { type: 'UpdateBillableMetric'; data: { code: string } & BillableMetricFields; metadata: { now: string } }
  | {
      type: 'DeleteBillableMetric';
      /** Codes of the live plans charging this metric, looked up by the application (decide stays pure). */
      data: { code: string; usedByPlanCodes: string[] };
      metadata: { now: string };
    };

export function decide(command: BillableMetricCommand, state: BillableMetricState): BillableMetricEvent[] {
  switch (command.type) {
    case 'CreateBillableMetric':
      return create(command.data, state, command.metadata.now);
    case 'UpdateBillableMetric':
      return update(command.data, state, command.metadata.now);
    case 'DeleteBillableMetric':
      return remove(command.data, state, command.metadata.now);
    default: {
      const unknownCommand: never = command;
      return unknownCommand;
    }
  }
}

type CreateData = Extract<BillableMetricCommand, { type: 'CreateBillableMetric' }>['data'];

function create(data: CreateData, state: BillableMetricState, now: string): BillableMetricEvent[] {
  const { organizationId, metricId, code, ...fields } = data;
  if (code.trim() === '') throw new ValidationError('code: must not be empty', 'code');
  if (state.status === 'active') {
    if (state.metricId === metricId) return [];
    throw new IllegalStateError(`a billable metric with code "${code}" already exists`);
  }
  const definition = resolveDefinition(null, fields);
  return [{ type: 'BillableMetricCreated', data: { organizationId, metricId, code, ...definition, createdAt: now } }];
}

function update(data: { code: string } & BillableMetricFields, state: BillableMetricState, now: string): BillableMetricEvent[] {
  if (state.status !== 'active') throw new NotFoundError(`billable metric "${data.code}" not found`);
  const { code: _code, ...fields } = data;
  const definition = definitionOf(resolveDefinition(state.definition, fields));
  if (JSON.stringify(definition) === JSON.stringify(definitionOf(state.definition))) return [];
  const { organizationId, metricId, code } = state;
  return [{ type: 'BillableMetricUpdated', data: { organizationId, metricId, code, ...definition, updatedAt: now } }];
}

function remove(data: { code: string; usedByPlanCodes: string[] }, state: BillableMetricState, now: string): BillableMetricEvent[] {
  if (state.status !== 'active') throw new NotFoundError(`billable metric "${data.code}" not found`);
  if (data.usedByPlanCodes.length > 0) {
    throw new IllegalStateError(`billable metric "${data.code}" is used by plans: ${data.usedByPlanCodes.join(', ')}; remove its charges first`);
  }
  const { organizationId, metricId, code } = state;
  return [{ type: 'BillableMetricDeleted', data: { organizationId, metricId, code, deletedAt: now } }];
}

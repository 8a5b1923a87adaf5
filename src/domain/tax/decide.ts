import BigNumber from 'bignumber.js';
import { IllegalStateError, NotFoundError, ValidationError } from '../shared/errors.ts';
import type { TaxDefinition, TaxEvent } from './events.ts';
import { definitionOf, type TaxState } from './state.ts';

/** What a command may say about a tax: `undefined` = not said (keep / default), `null` = clear. */
export type TaxFields = {
  name?: string | null;
  rate?: string | null;
  description?: string | null;
  appliedToOrganization?: boolean | null;
};

export type TaxCommand =
  | { type: 'CreateTax'; data: { organizationId: string; taxId: string; code: string } & TaxFields; metadata: { now: string } }
  | { type: 'UpdateTax'; data: { code: string } & TaxFields; metadata: { now: string } }
  | {
      type: 'DeleteTax';
      /** Live customers, plans and add-ons carrying this tax code, looked up by the application (decide stays pure). */
      data: { code: string; usedByCustomerExternalIds: string[]; usedByPlanCodes: string[]; usedByAddOnCodes: string[] };
      metadata: { now: string };
    };

const DECIMAL = /^\d+(\.\d+)?$/;

/** A percentage between 0 and 100 written as a plain decimal; normalised ("20.50" → "20.5"). */
export function parseRate(rate: string | null): string {
  const text = rate?.trim() ?? '';
  if (!DECIMAL.test(text)) throw new ValidationError('rate: must be a decimal percentage such as "20" or "5.5"', 'rate');
  const value = new BigNumber(text);
  if (value.isGreaterThan(100)) throw new ValidationError('rate: must be between 0 and 100', 'rate');
  return value.toFixed();
}

const pick = <T>(said: T | undefined, kept: T): T => (said === undefined ? kept : said);

function resolveDefinition(current: TaxDefinition | null, said: TaxFields): TaxDefinition {
  const name = pick(said.name, current?.name ?? null)?.trim() ?? '';
  if (name === '') throw new ValidationError('name: must not be empty', 'name');
  const description = pick(said.description, current?.description ?? null)?.trim() || null;
  return {
    name,
    rate: said.rate === undefined && current ? current.rate : parseRate(said.rate ?? null),
    description,
    appliedToOrganization: pick(said.appliedToOrganization, current?.appliedToOrganization ?? false) ?? false,
  };
}

export function decide(command: TaxCommand, state: TaxState): TaxEvent[] {
  const now = command.metadata.now;
  switch (command.type) {
    case 'CreateTax': {
      const { organizationId, taxId, code, ...fields } = command.data;
      if (code.trim() === '') throw new ValidationError('code: must not be empty', 'code');
      if (state.status === 'active') {
        if (state.taxId === taxId) return [];
        throw new IllegalStateError(`a tax with code "${code}" already exists`);
      }
      return [{ type: 'TaxCreated', data: { organizationId, taxId, code, ...resolveDefinition(null, fields), createdAt: now } }];
    }
    case 'UpdateTax': {
      if (state.status !== 'active') throw new NotFoundError(`tax "${command.data.code}" not found`);
      const { code: _code, ...fields } = command.data;
      const definition = definitionOf(resolveDefinition(state.definition, fields));
      if (JSON.stringify(definition) === JSON.stringify(definitionOf(state.definition))) return [];
      const { organizationId, taxId, code } = state;
      return [{ type: 'TaxUpdated', data: { organizationId, taxId, code, ...definition, updatedAt: now } }];
    }
    case 'DeleteTax': {
      if (state.status !== 'active') throw new NotFoundError(`tax "${command.data.code}" not found`);
      const { usedByCustomerExternalIds: customers, usedByPlanCodes: plans, usedByAddOnCodes: addOns } = command.data;
      if (customers.length + plans.length + addOns.length > 0) {
        const users = [...customers.map((id) => `customer ${id}`), ...plans.map((code) => `plan ${code}`), ...addOns.map((code) => `add-on ${code}`)];
        throw new IllegalStateError(`tax "${state.code}" is still applied to ${users.join(', ')}; remove it from them first`);
      }
      const { organizationId, taxId, code } = state;
      return [{ type: 'TaxDeleted', data: { organizationId, taxId, code, deletedAt: now } }];
    }
    default: {
      const unknownCommand: never = command;
      return unknownCommand;
    }
  }
}

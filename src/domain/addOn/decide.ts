import { assertCurrency } from '../organization/index.ts';
import { centsOf, codeOf, optionalText, requiredText, taxCodesOf } from '../plan/fields.ts';
import { IllegalStateError, NotFoundError, ValidationError } from '../shared/errors.ts';
import type { AddOnDefinition, AddOnEvent } from './events.ts';
import { definitionOf, type AddOnState } from './state.ts';

/** What a command may say about an add-on: `undefined` = not said (keep / default), `null` = clear. */
export type AddOnFields = {
  name?: string | null;
  invoiceDisplayName?: string | null;
  description?: string | null;
  amountCents?: string | null;
  amountCurrency?: string | null;
  taxCodes?: string[] | null;
};

/** The live taxes among the codes the command names, looked up by the application (decide stays pure). */
type TaxLookup = { existingTaxCodes: string[] };

export type AddOnCommand =
  | { type: 'CreateAddOn'; data: { organizationId: string; addOnId: string; code: string } & AddOnFields & TaxLookup; metadata: { now: string } }
  | { type: 'UpdateAddOn'; data: { code: string } & AddOnFields & TaxLookup; metadata: { now: string } }
  | { type: 'DeleteAddOn'; data: { code: string }; metadata: { now: string } };

const pick = <T>(said: T | undefined, kept: T): T => (said === undefined ? kept : said);

/** The definition a create (current = null) or an update leads to, validated in input order (Lago's `AddOn` validations). */
function resolveDefinition(current: AddOnDefinition | null, said: AddOnFields, existingTaxCodes: readonly string[]): AddOnDefinition {
  const name = requiredText(pick(said.name, current?.name ?? null), 'name');
  const invoiceDisplayName = optionalText(pick(said.invoiceDisplayName, current?.invoiceDisplayName ?? null), 'invoiceDisplayName');
  const description = optionalText(pick(said.description, current?.description ?? null), 'description');
  // NOTE: Lago refuses a zero amount (`numericality: {greater_than: 0}`), unlike a plan's.
  const amountCents = centsOf(pick(said.amountCents, current?.amountCents ?? null), 'amountCents', { positive: true });
  const amountCurrency = requiredText(pick(said.amountCurrency, current?.amountCurrency ?? null), 'amountCurrency');
  // NOTE: the currency list matches "eur" too; Lago's `inclusion: {in: currency_list}` takes upper-case codes only.
  if (!/^[A-Z]{3}$/.test(amountCurrency)) throw new ValidationError(`amountCurrency: "${amountCurrency}" is not an ISO 4217 currency code such as "EUR"`, 'amountCurrency');
  assertCurrency(amountCurrency, 'amountCurrency');
  // Codes kept from the current definition are not re-checked: a tax cannot be deleted while an add-on carries it.
  const taxCodes = said.taxCodes === undefined ? (current?.taxCodes ?? []) : taxCodesOf(said.taxCodes, existingTaxCodes, 'taxCodes');
  return definitionOf({ name, invoiceDisplayName, description, amountCents, amountCurrency, taxCodes });
}

export function decide(command: AddOnCommand, state: AddOnState): AddOnEvent[] {
  const now = command.metadata.now;
  switch (command.type) {
    case 'CreateAddOn': {
      const { organizationId, addOnId, code, existingTaxCodes, ...fields } = command.data;
      codeOf(code, 'code');
      if (state.status === 'active') {
        if (state.addOnId === addOnId) return [];
        throw new IllegalStateError(`an add-on with code "${code}" already exists`);
      }
      return [{ type: 'AddOnCreated', data: { organizationId, addOnId, code, ...resolveDefinition(null, fields, existingTaxCodes), createdAt: now } }];
    }
    case 'UpdateAddOn': {
      if (state.status !== 'active') throw new NotFoundError(`add-on "${command.data.code}" not found`);
      const { code: _code, existingTaxCodes, ...fields } = command.data;
      const definition = resolveDefinition(state.definition, fields, existingTaxCodes);
      if (JSON.stringify(definition) === JSON.stringify(definitionOf(state.definition))) return [];
      const { organizationId, addOnId, code } = state;
      return [{ type: 'AddOnUpdated', data: { organizationId, addOnId, code, ...definition, updatedAt: now } }];
    }
    case 'DeleteAddOn': {
      if (state.status !== 'active') throw new NotFoundError(`add-on "${command.data.code}" not found`);
      const { organizationId, addOnId, code } = state;
      return [{ type: 'AddOnDeleted', data: { organizationId, addOnId, code, deletedAt: now } }];
    }
    default: {
      const unknownCommand: never = command;
      return unknownCommand;
    }
  }
}

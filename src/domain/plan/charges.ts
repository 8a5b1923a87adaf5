import { ValidationError } from '../shared/errors.ts';
import { chargeFiltersOf } from './chargeFilters.ts';
import { validateChargeProperties } from './chargeProperties/index.ts';
import { assertChargeCombination } from './chargeRules.ts';
import { LIST_LIMITS } from '../shared/limits.ts';
import { centsOf, codeOf, flag, listOf, optionalText, taxCodesOf } from './fields.ts';
import { CHARGE_MODELS, type ChargeInput, type MetricRef, type PlanCharge, type PlanLookups } from './types.ts';

/** What validating a plan's charges needs besides the inputs. */
export type ChargesContext = {
  lookups: PlanLookups;
  /** The plan's current charges (update), by id: an input naming an id keeps that charge. */
  existing: ReadonlyMap<string, PlanCharge>;
  /** Fresh ids from the application, one per input charge, used for charges given without an id. */
  newIds: readonly string[];
};

const fail = (field: string, message: string): never => {
  throw new ValidationError(`${field}: ${message}`, field);
};

function metricOf(code: string, lookups: PlanLookups, field: string): MetricRef {
  const metric = Object.hasOwn(lookups.metrics, code) ? lookups.metrics[code] : undefined;
  return metric ?? fail(field, `no billable metric with code "${code}"`);
}

/** Keeps a given id only when it is one of the plan's charges (a charge cannot change metric); else a new id. */
function chargeIdOf(input: ChargeInput, metric: MetricRef, index: number, context: ChargesContext, field: string): string {
  if (input.id === undefined || input.id === null) {
    return context.newIds[index] ?? fail(`${field}.id`, 'no id was generated for this charge');
  }
  const existing = context.existing.get(input.id);
  if (!existing) return fail(`${field}.id`, `"${input.id}" is not a charge of this plan (omit the id to add a charge)`);
  if (existing.billableMetricId !== metric.id) {
    fail(`${field}.billableMetricCode`, `charge "${input.id}" bills "${existing.billableMetricCode}": a charge cannot change metric (omit the id to replace it)`);
  }
  return input.id;
}

function chargeOf(input: ChargeInput, index: number, context: ChargesContext, field: string): PlanCharge {
  const code = codeOf(input.billableMetricCode, `${field}.billableMetricCode`);
  const metric = metricOf(code, context.lookups, `${field}.billableMetricCode`);
  if (!CHARGE_MODELS.includes(input.chargeModel)) fail(`${field}.chargeModel`, `must be one of ${CHARGE_MODELS.join(', ')}`);
  const settings = {
    chargeModel: input.chargeModel,
    payInAdvance: flag(input.payInAdvance, `${field}.payInAdvance`, false),
    prorated: flag(input.prorated, `${field}.prorated`, false),
    minAmountCents: input.minAmountCents === undefined || input.minAmountCents === null ? '0' : centsOf(input.minAmountCents, `${field}.minAmountCents`),
  };
  assertChargeCombination(settings, metric, field);
  return {
    id: chargeIdOf(input, metric, index, context, field),
    billableMetricId: metric.id,
    billableMetricCode: metric.code,
    chargeModel: settings.chargeModel,
    properties: validateChargeProperties(settings.chargeModel, input.properties, `${field}.properties`),
    filters: chargeFiltersOf(input.filters, settings.chargeModel, metric, `${field}.filters`),
    payInAdvance: settings.payInAdvance,
    prorated: settings.prorated,
    invoiceable: flag(input.invoiceable, `${field}.invoiceable`, true),
    minAmountCents: settings.minAmountCents,
    taxCodes: taxCodesOf(input.taxCodes, context.lookups.taxCodes, `${field}.taxCodes`),
    invoiceDisplayName: optionalText(input.invoiceDisplayName, `${field}.invoiceDisplayName`),
  };
}

/** Validates every charge of a plan input (`field` is the list's path, e.g. `input.charges`). */
export function validateCharges(inputs: readonly ChargeInput[] | null | undefined, context: ChargesContext, field: string): PlanCharge[] {
  const charges = listOf(inputs, field, { max: LIST_LIMITS.charges, what: 'charges' }).map((input, i) => chargeOf(input, i, context, `${field}.${i}`));
  const seen = new Set<string>();
  charges.forEach((charge, i) => {
    if (seen.has(charge.id)) fail(`${field}.${i}.id`, `charge "${charge.id}" is listed twice`);
    seen.add(charge.id);
  });
  return charges;
}

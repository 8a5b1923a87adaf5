import { ZodError, type ZodType } from 'zod';
import type { ChargeModelName, ChargePropertiesByModel } from '../../../billing/chargeModels/types.ts';
import { ValidationError } from '../../shared/errors.ts';
import { dynamicProperties } from './dynamic.ts';
import { graduatedProperties } from './graduated.ts';
import { graduatedPercentageProperties } from './graduatedPercentage.ts';
import { packageProperties } from './package.ts';
import { percentageProperties } from './percentage.ts';
import { standardProperties } from './standard.ts';
import { volumeProperties } from './volume.ts';

/** The properties schema of each charge model: camelCase of Lago's keys, exactly those of the pricing engine. */
const SCHEMAS: { readonly [M in ChargeModelName]: ZodType } = {
  STANDARD: standardProperties,
  GRADUATED: graduatedProperties,
  GRADUATED_PERCENTAGE: graduatedPercentageProperties,
  PACKAGE: packageProperties,
  PERCENTAGE: percentageProperties,
  VOLUME: volumeProperties,
  DYNAMIC: dynamicProperties,
};

/** A zod error as a domain error naming the full field path (`….graduatedRanges.1.fromValue`). */
function toValidationError(error: ZodError, field: string, model: ChargeModelName): ValidationError {
  // An unknown key first: `graduated_ranges` for `graduatedRanges` should be named as such, not as a missing key.
  const issue = error.issues.find((i) => i.code === 'unrecognized_keys') ?? error.issues[0];
  const path = [field, ...(issue?.path ?? []).map(String)];
  if (issue?.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    const at = [...path, key].join('.');
    return new ValidationError(`${at}: not a property of the ${model} charge model`, at);
  }
  const at = path.join('.');
  return new ValidationError(`${at}: ${issue?.message ?? 'invalid'}`, at);
}

/**
 * Validates a charge's (or a charge filter's) `properties` for its model and returns them as stored. Absent
 * properties read as `{}`, so a missing required one is named (`properties.amount: is required`). Throws a
 * `ValidationError` whose `field` is the path of the first bad value under `field`.
 */
export function validateChargeProperties<M extends ChargeModelName>(model: M, properties: unknown, field: string): ChargePropertiesByModel[M] {
  if (!Object.hasOwn(SCHEMAS, model)) throw new ValidationError(`${field}: unknown charge model ${JSON.stringify(model)}`, field);
  const value = properties === undefined || properties === null ? {} : properties;
  if (typeof value !== 'object' || Array.isArray(value)) throw new ValidationError(`${field}: must be an object`, field);
  try {
    return SCHEMAS[model].parse(value) as ChargePropertiesByModel[M];
  } catch (error) {
    if (error instanceof ZodError) throw toValidationError(error, field, model);
    throw error;
  }
}

import { dynamic } from './dynamic.ts';
import { graduated } from './graduated.ts';
import { graduatedPercentage } from './graduatedPercentage.ts';
import { packageModel } from './package.ts';
import { percentage } from './percentage.ts';
import { proratedGraduated } from './proratedGraduated.ts';
import { standard } from './standard.ts';
import type { ChargeModel, ChargeModelName, ChargePropertiesByModel } from './types.ts';
import { volume } from './volume.ts';

export type * from './details.ts';
export type * from './types.ts';
export { dynamic, graduated, graduatedPercentage, packageModel, percentage, proratedGraduated, standard, volume };

const MODELS: { readonly [M in ChargeModelName]: ChargeModel<ChargePropertiesByModel[M]> } = {
  STANDARD: standard,
  GRADUATED: graduated,
  GRADUATED_PERCENTAGE: graduatedPercentage,
  PACKAGE: packageModel,
  PERCENTAGE: percentage,
  VOLUME: volume,
  DYNAMIC: dynamic,
};

/** Options of `chargeModelFor`. */
export interface ChargeModelOptions {
  /** The charge is prorated: GRADUATED then walks events with `proratedGraduated` (§2.9). */
  readonly prorated?: boolean;
}

/**
 * The charge model function for a charge (Lago's `ChargeModels::Factory`). A prorated GRADUATED charge gets
 * `proratedGraduated`; a prorated VOLUME or STANDARD charge uses its usual model, fed `fullUnits`.
 * Throws a `RangeError` for an unknown name.
 */
export function chargeModelFor<M extends ChargeModelName>(name: M, options: ChargeModelOptions = {}): ChargeModel<ChargePropertiesByModel[M]> {
  if (name === 'GRADUATED' && options.prorated === true) return proratedGraduated as ChargeModel<ChargePropertiesByModel[M]>;
  if (!Object.hasOwn(MODELS, name)) throw new RangeError(`unknown charge model ${JSON.stringify(name)}`);
  return MODELS[name] as ChargeModel<ChargePropertiesByModel[M]>;
}

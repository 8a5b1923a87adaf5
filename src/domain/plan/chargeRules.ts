import BigNumber from 'bignumber.js';
import { ValidationError } from '../shared/errors.ts';
import type { ChargeModelName, MetricRef } from './types.ts';

/** §1.1: aggregations whose charges may be paid in advance. */
const PAYABLE_IN_ADVANCE = ['COUNT', 'SUM', 'UNIQUE_COUNT'];
/** §2.12: aggregations a prorated charge may use (and only when the metric is recurring). */
const PRORATABLE = ['SUM', 'UNIQUE_COUNT'];
const PRORATED_IN_ADVANCE: readonly ChargeModelName[] = ['STANDARD'];
const PRORATED_IN_ARREARS: readonly ChargeModelName[] = ['STANDARD', 'VOLUME', 'GRADUATED'];

/** The settings the combination rules look at. */
export type ChargeSettings = {
  chargeModel: ChargeModelName;
  payInAdvance: boolean;
  prorated: boolean;
  minAmountCents: string;
};

const fail = (field: string, message: string): never => {
  throw new ValidationError(`${field}: ${message}`, field);
};

function assertPayInAdvance(charge: ChargeSettings, metric: MetricRef, field: string): void {
  if (!charge.payInAdvance) return;
  if (!PAYABLE_IN_ADVANCE.includes(metric.aggregationType)) {
    fail(`${field}.payInAdvance`, `a ${metric.aggregationType} metric cannot be paid in advance (only ${PAYABLE_IN_ADVANCE.join(', ')})`);
  }
  if (charge.chargeModel === 'VOLUME') fail(`${field}.payInAdvance`, 'a VOLUME charge cannot be paid in advance');
  if (!new BigNumber(charge.minAmountCents).isZero()) {
    fail(`${field}.minAmountCents`, 'a minimum amount cannot be set on a charge paid in advance');
  }
}

function assertProrated(charge: ChargeSettings, metric: MetricRef, field: string): void {
  if (!charge.prorated) return;
  if (!metric.recurring || !PRORATABLE.includes(metric.aggregationType)) {
    fail(`${field}.prorated`, `only charges on a recurring SUM or UNIQUE_COUNT metric can be prorated ("${metric.code}" is ${metric.recurring ? '' : 'non-recurring '}${metric.aggregationType})`);
  }
  const allowed = charge.payInAdvance ? PRORATED_IN_ADVANCE : PRORATED_IN_ARREARS;
  if (!allowed.includes(charge.chargeModel)) {
    fail(`${field}.prorated`, `a prorated charge ${charge.payInAdvance ? 'paid in advance' : 'in arrears'} must be ${allowed.join(' or ')}, not ${charge.chargeModel}`);
  }
}

/**
 * The charge/metric combination rules: pay in advance only for COUNT/SUM/UNIQUE_COUNT and never VOLUME (§1.1,
 * §2.6), no minimum with pay in advance (§2.10), proration only for recurring SUM/UNIQUE_COUNT — STANDARD in
 * advance, STANDARD/VOLUME/GRADUATED in arrears (§2.12) — and DYNAMIC only on SUM (§2.7).
 */
export function assertChargeCombination(charge: ChargeSettings, metric: MetricRef, field: string): void {
  if (charge.chargeModel === 'DYNAMIC' && metric.aggregationType !== 'SUM') {
    fail(`${field}.chargeModel`, `DYNAMIC needs a SUM metric ("${metric.code}" is ${metric.aggregationType})`);
  }
  assertPayInAdvance(charge, metric, field);
  assertProrated(charge, metric, field);
}

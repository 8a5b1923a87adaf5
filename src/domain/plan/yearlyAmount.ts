import BigNumber from 'bignumber.js';
import type { PlanInterval } from './types.ts';

/** Billing periods per year of each interval (§3.1). */
const PERIODS_PER_YEAR: Readonly<Record<PlanInterval, number>> = { WEEKLY: 52, MONTHLY: 12, QUARTERLY: 4, SEMIANNUAL: 2, YEARLY: 1 };

/**
 * The plan amount normalised to a year, in cents (`MONTHLY`, "1000" → "12000"): how upgrades and downgrades
 * are told apart (§3.1, §9.7). Throws a `RangeError` for an unknown interval or a non-integer amount.
 */
export function yearlyAmountCents(interval: PlanInterval, amountCents: string): string {
  const periods = Object.hasOwn(PERIODS_PER_YEAR, interval) ? PERIODS_PER_YEAR[interval] : undefined;
  if (periods === undefined) throw new RangeError(`unknown interval ${JSON.stringify(interval)}`);
  if (typeof amountCents !== 'string' || !/^-?\d+$/.test(amountCents)) throw new RangeError(`amountCents must be integer cents, got ${JSON.stringify(amountCents)}`);
  return new BigNumber(amountCents).times(periods).toFixed();
}

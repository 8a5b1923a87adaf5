import BigNumber from 'bignumber.js';
import { assertCurrency } from '../organization/index.ts';
import { centsOf, codeOf, optionalText, requiredText } from '../plan/fields.ts';
import { IllegalStateError, NotFoundError, ValidationError } from '../shared/errors.ts';
import { LIST_LIMITS, tooMany } from '../shared/limits.ts';
import {
  COUPON_EXPIRATIONS,
  COUPON_FREQUENCIES,
  COUPON_TYPES,
  type AppliedCouponEvent,
  type AppliedCouponTerms,
  type CouponDefinition,
  type CouponEvent,
  type CouponExpiration,
  type CouponFrequency,
  type CouponType,
} from './events.ts';
import { couponDefinitionOf, type AppliedCouponState, type CouponState } from './state.ts';

/** What a command may say about a coupon: `undefined` = not said (keep / default), `null` = clear. */
export type CouponFields = {
  name?: string | null;
  description?: string | null;
  couponType?: CouponType | null;
  amountCents?: string | null;
  amountCurrency?: string | null;
  percentageRate?: string | null;
  frequency?: CouponFrequency | null;
  frequencyDuration?: number | null;
  expiration?: CouponExpiration | null;
  expirationAt?: string | null;
  reusable?: boolean | null;
  appliesTo?: { planCodes?: string[] | null; billableMetricCodes?: string[] | null } | null;
};

/** Plans and metrics a coupon may be limited to: looked up by the application (decide stays pure). */
export type CouponCatalog = { planCodes: readonly string[]; billableMetricCodes: readonly string[] };

export type CouponCommand =
  | { type: 'CreateCoupon'; data: { organizationId: string; couponId: string; code: string } & CouponFields; catalog: CouponCatalog; metadata: { now: string } }
  | {
      type: 'UpdateCoupon';
      /** `applied`: the coupon is applied to a customer (its terms can no longer change, as in Lago). */
      data: { code: string } & CouponFields;
      catalog: CouponCatalog;
      applied: boolean;
      metadata: { now: string };
    }
  | { type: 'TerminateCoupon'; data: { code: string }; metadata: { now: string } };

/** Fields only a coupon applied to no customer may change (Lago's `attached_to_customers?`). */
const TERMS: readonly (keyof CouponDefinition)[] = ['couponType', 'amountCents', 'amountCurrency', 'percentageRate', 'frequency', 'frequencyDuration', 'reusable', 'appliesTo'];

const DECIMAL = /^\d+(\.\d+)?$/;

/** A percentage rate, 0 < rate ≤ 100, as a plain decimal string; normalised ("10.50" → "10.5"). */
export function percentageRateOf(value: unknown, field: string): string {
  const text = typeof value === 'string' ? value.trim() : '';
  if (!DECIMAL.test(text)) throw new ValidationError(`${field}: must be a decimal percentage such as "10" or "12.5"`, field);
  const rate = new BigNumber(text);
  if (rate.isZero() || rate.isGreaterThan(100)) throw new ValidationError(`${field}: must be greater than 0 and at most 100`, field);
  return rate.toFixed();
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) throw new ValidationError(`${field}: must be one of ${allowed.join(', ')}`, field);
  return value as T;
}

function codesOf(value: readonly string[] | null | undefined, known: readonly string[], field: string, what: string): string[] {
  if (value === undefined || value === null) return [];
  if (value.length > LIST_LIMITS.couponTargets) throw new ValidationError(tooMany(field, LIST_LIMITS.couponTargets, `${what} codes`), field);
  const live = new Set(known);
  value.forEach((code, i) => {
    if (!live.has(code)) throw new ValidationError(`${field}.${i}: no ${what} with code "${code}"`, `${field}.${i}`);
  });
  return [...new Set(value)];
}

const pick = <T>(said: T | undefined, kept: T): T => (said === undefined ? kept : said);

/** The definition a create (current = null) or an update leads to, validated. */
function resolveDefinition(current: CouponDefinition | null, said: CouponFields, catalog: CouponCatalog, now: string): CouponDefinition {
  const name = requiredText(pick(said.name, current?.name ?? null), 'name');
  const description = optionalText(pick(said.description, current?.description ?? null), 'description');
  const couponType = oneOf(pick(said.couponType, current?.couponType ?? null), COUPON_TYPES, 'couponType');
  let amountCents: string | null = null;
  let amountCurrency: string | null = null;
  let percentageRate: string | null = null;
  if (couponType === 'FIXED_AMOUNT') {
    amountCents = centsOf(pick(said.amountCents, current?.amountCents ?? null), 'amountCents', { positive: true });
    amountCurrency = requiredText(pick(said.amountCurrency, current?.amountCurrency ?? null), 'amountCurrency');
    assertCurrency(amountCurrency, 'amountCurrency');
  } else {
    percentageRate = percentageRateOf(pick(said.percentageRate, current?.percentageRate ?? null), 'percentageRate');
  }
  const frequency = oneOf(pick(said.frequency, current?.frequency ?? 'ONCE') ?? 'ONCE', COUPON_FREQUENCIES, 'frequency');
  let frequencyDuration: number | null = null;
  if (frequency === 'RECURRING') {
    const duration = pick(said.frequencyDuration, current?.frequencyDuration ?? null);
    if (typeof duration !== 'number' || !Number.isInteger(duration) || duration < 1 || duration > 10_000) {
      throw new ValidationError('frequencyDuration: a RECURRING coupon needs the number of periods it applies to, from 1 to 10,000', 'frequencyDuration');
    }
    frequencyDuration = duration;
  }
  const expiration = oneOf(pick(said.expiration, current?.expiration ?? 'NO_EXPIRATION') ?? 'NO_EXPIRATION', COUPON_EXPIRATIONS, 'expiration');
  let expirationAt: string | null = null;
  if (expiration === 'TIME_LIMIT') {
    const at = pick(said.expirationAt, current?.expirationAt ?? null);
    const ms = typeof at === 'string' ? Date.parse(at) : Number.NaN;
    if (!Number.isFinite(ms)) throw new ValidationError('expirationAt: a TIME_LIMIT coupon needs the ISO-8601 instant it expires at', 'expirationAt');
    if (ms <= Date.parse(now) && said.expirationAt !== undefined) throw new ValidationError('expirationAt: must be in the future', 'expirationAt');
    expirationAt = new Date(ms).toISOString();
  }
  const reusable = pick(said.reusable, current?.reusable ?? true) ?? true;
  const saidTargets = said.appliesTo === undefined ? undefined : (said.appliesTo ?? { planCodes: [], billableMetricCodes: [] });
  const planCodes = saidTargets === undefined ? (current?.appliesTo.planCodes ?? []) : codesOf(saidTargets.planCodes, catalog.planCodes, 'appliesTo.planCodes', 'plan');
  const billableMetricCodes =
    saidTargets === undefined ? (current?.appliesTo.billableMetricCodes ?? []) : codesOf(saidTargets.billableMetricCodes, catalog.billableMetricCodes, 'appliesTo.billableMetricCodes', 'billable metric');
  if (planCodes.length > 0 && billableMetricCodes.length > 0) {
    throw new ValidationError('appliesTo: a coupon is limited to plans or to billable metrics, not both', 'appliesTo');
  }
  return couponDefinitionOf({ name, description, couponType, amountCents, amountCurrency, percentageRate, frequency, frequencyDuration, expiration, expirationAt, reusable, appliesTo: { planCodes, billableMetricCodes } });
}

export function decideCoupon(command: CouponCommand, state: CouponState): CouponEvent[] {
  const now = command.metadata.now;
  switch (command.type) {
    case 'CreateCoupon': {
      const { organizationId, couponId, code, ...fields } = command.data;
      codeOf(code, 'code');
      // A terminated coupon keeps its code (its applications still name it).
      if (state.status !== 'none') {
        if (state.couponId === couponId) return [];
        throw new IllegalStateError(`a coupon with code "${code}" already exists${state.status === 'terminated' ? ' (terminated)' : ''}`);
      }
      return [{ type: 'CouponCreated', data: { organizationId, couponId, code, ...resolveDefinition(null, fields, command.catalog, now), createdAt: now } }];
    }
    case 'UpdateCoupon': {
      if (state.status !== 'active') throw new NotFoundError(`coupon "${command.data.code}" not found`);
      const { code: _code, ...fields } = command.data;
      const definition = resolveDefinition(state.definition, fields, command.catalog, now);
      if (command.applied) {
        const changed = TERMS.find((field) => JSON.stringify(definition[field]) !== JSON.stringify(state.definition[field]));
        if (changed !== undefined) throw new IllegalStateError(`${changed}: coupon "${state.code}" is applied to customers; only its name, description and expiration can change`);
      }
      if (JSON.stringify(definition) === JSON.stringify(couponDefinitionOf(state.definition))) return [];
      const { organizationId, couponId, code } = state;
      return [{ type: 'CouponUpdated', data: { organizationId, couponId, code, ...definition, updatedAt: now } }];
    }
    case 'TerminateCoupon': {
      if (state.status === 'none') throw new NotFoundError(`coupon "${command.data.code}" not found`);
      if (state.status === 'terminated') return [];
      const { organizationId, couponId, code } = state;
      return [{ type: 'CouponTerminated', data: { organizationId, couponId, code, terminatedAt: now } }];
    }
    default: {
      const unknownCommand: never = command;
      return unknownCommand;
    }
  }
}

/** Overrides an application may give (Lago's `POST /applied_coupons`). */
export type AppliedCouponOverrides = {
  amountCents?: string | null;
  amountCurrency?: string | null;
  percentageRate?: string | null;
  frequency?: CouponFrequency | null;
  frequencyDuration?: number | null;
};

export type AppliedCouponCommand =
  | {
      type: 'ApplyCoupon';
      data: {
        organizationId: string;
        appliedCouponId: string;
        /** The coupon as it is now (looked up by the application): live, and not expired at `now`. */
        coupon: { couponId: string; code: string; status: 'active' | 'terminated'; definition: CouponDefinition };
        customer: { customerId: string; externalId: string; currency: string | null };
        /** The customer already has (or had) this coupon applied: refused unless the coupon is reusable. */
        alreadyApplied: boolean;
        overrides: AppliedCouponOverrides;
      };
      metadata: { now: string };
    }
  | { type: 'RemoveAppliedCoupon'; data: { appliedCouponId: string }; metadata: { now: string } };

/** The terms an application fixes: the coupon's, with the overrides given (validated as the coupon's own). */
function termsOf(definition: CouponDefinition, overrides: AppliedCouponOverrides): AppliedCouponTerms {
  const fixed = definition.couponType === 'FIXED_AMOUNT';
  if (!fixed && (overrides.amountCents != null || overrides.amountCurrency != null)) throw new ValidationError('amountCents: only a FIXED_AMOUNT coupon has an amount', 'amountCents');
  if (fixed && overrides.percentageRate != null) throw new ValidationError('percentageRate: only a PERCENTAGE coupon has a rate', 'percentageRate');
  const amountCents = fixed ? centsOf(overrides.amountCents ?? definition.amountCents, 'amountCents', { positive: true }) : null;
  const amountCurrency = fixed ? (overrides.amountCurrency ?? definition.amountCurrency) : null;
  if (amountCurrency !== null) assertCurrency(amountCurrency, 'amountCurrency');
  const percentageRate = fixed ? null : percentageRateOf(overrides.percentageRate ?? definition.percentageRate, 'percentageRate');
  const frequency = oneOf(overrides.frequency ?? definition.frequency, COUPON_FREQUENCIES, 'frequency');
  let frequencyDuration: number | null = null;
  if (frequency === 'RECURRING') {
    const duration = overrides.frequencyDuration ?? definition.frequencyDuration;
    if (typeof duration !== 'number' || !Number.isInteger(duration) || duration < 1 || duration > 10_000) {
      throw new ValidationError('frequencyDuration: a RECURRING coupon needs the number of periods it applies to, from 1 to 10,000', 'frequencyDuration');
    }
    frequencyDuration = duration;
  }
  return {
    couponType: definition.couponType,
    amountCents,
    amountCurrency,
    percentageRate,
    frequency,
    frequencyDuration,
    limitedPlanCodes: [...definition.appliesTo.planCodes],
    limitedBillableMetricCodes: [...definition.appliesTo.billableMetricCodes],
  };
}

export function decideAppliedCoupon(command: AppliedCouponCommand, state: AppliedCouponState): AppliedCouponEvent[] {
  const now = command.metadata.now;
  switch (command.type) {
    case 'ApplyCoupon': {
      const { organizationId, appliedCouponId, coupon, customer, alreadyApplied, overrides } = command.data;
      if (state.status !== 'none') return [];
      if (coupon.status !== 'active') throw new ValidationError(`couponCode: coupon "${coupon.code}" is terminated`, 'couponCode');
      const { definition } = coupon;
      if (definition.expiration === 'TIME_LIMIT' && definition.expirationAt !== null && Date.parse(definition.expirationAt) <= Date.parse(now)) {
        throw new ValidationError(`couponCode: coupon "${coupon.code}" expired at ${definition.expirationAt}`, 'couponCode');
      }
      if (alreadyApplied && !definition.reusable) {
        throw new ValidationError(`couponCode: coupon "${coupon.code}" is not reusable and is already applied to customer "${customer.externalId}"`, 'couponCode');
      }
      const terms = termsOf(definition, overrides);
      // Lago's `AppliedCoupons::CreateService`: a fixed amount in another currency than the customer's is refused.
      if (terms.amountCurrency !== null && customer.currency !== null && terms.amountCurrency !== customer.currency) {
        throw new ValidationError(`amountCurrency: the coupon is in ${terms.amountCurrency}, customer "${customer.externalId}" is billed in ${customer.currency}`, 'amountCurrency');
      }
      return [
        {
          type: 'AppliedCouponCreated',
          data: { organizationId, appliedCouponId, couponId: coupon.couponId, couponCode: coupon.code, customerId: customer.customerId, externalCustomerId: customer.externalId, ...terms, createdAt: now },
        },
      ];
    }
    case 'RemoveAppliedCoupon': {
      if (state.status === 'none') throw new NotFoundError(`applied coupon ${command.data.appliedCouponId} not found`);
      if (state.status === 'terminated') return [];
      return [{ type: 'AppliedCouponTerminated', data: { organizationId: state.applied.organizationId, appliedCouponId: state.applied.appliedCouponId, terminatedAt: now } }];
    }
    default: {
      const unknownCommand: never = command;
      return unknownCommand;
    }
  }
}

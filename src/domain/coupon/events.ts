import type { DomainEvent } from '../shared/decider.ts';

export const COUPON_TYPES = ['FIXED_AMOUNT', 'PERCENTAGE'] as const;
export const COUPON_FREQUENCIES = ['ONCE', 'RECURRING', 'FOREVER'] as const;
export const COUPON_EXPIRATIONS = ['NO_EXPIRATION', 'TIME_LIMIT'] as const;
export type CouponType = (typeof COUPON_TYPES)[number];
export type CouponFrequency = (typeof COUPON_FREQUENCIES)[number];
export type CouponExpiration = (typeof COUPON_EXPIRATIONS)[number];

/**
 * A coupon as stored (Lago's `coupon`, §5.1). Amounts are integer cents as strings, the rate a decimal percentage
 * string ("10", "12.5"): never floats. A coupon limits itself to plans or to billable metrics, never both.
 */
export type CouponDefinition = {
  name: string;
  description: string | null;
  couponType: CouponType;
  /** FIXED_AMOUNT: cents and currency; null for PERCENTAGE. */
  amountCents: string | null;
  amountCurrency: string | null;
  /** PERCENTAGE: the rate; null for FIXED_AMOUNT. */
  percentageRate: string | null;
  frequency: CouponFrequency;
  /** RECURRING: the number of billing periods it applies to; null otherwise. */
  frequencyDuration: number | null;
  expiration: CouponExpiration;
  /** TIME_LIMIT: the instant after which it can no longer be applied; null otherwise. */
  expirationAt: string | null;
  /** Whether it can be applied to the same customer more than once. */
  reusable: boolean;
  appliesTo: { planCodes: string[]; billableMetricCodes: string[] };
};

type CouponIdentity = { organizationId: string; couponId: string; code: string };

export type CouponCreated = DomainEvent<'CouponCreated', CouponIdentity & CouponDefinition & { createdAt: string }>;
/** Carries the whole definition after the update, so a fold only assigns. */
export type CouponUpdated = DomainEvent<'CouponUpdated', CouponIdentity & CouponDefinition & { updatedAt: string }>;
export type CouponTerminated = DomainEvent<'CouponTerminated', CouponIdentity & { terminatedAt: string }>;
export type CouponEvent = CouponCreated | CouponUpdated | CouponTerminated;

/**
 * A coupon applied to a customer (Lago's `applied_coupon`): the coupon's terms as they were when applied, with the
 * overrides given then. What it credits on each finalized invoice is appended to its stream in the same atomic
 * append as the invoice's finalization.
 */
export type AppliedCouponTerms = {
  couponType: CouponType;
  amountCents: string | null;
  amountCurrency: string | null;
  percentageRate: string | null;
  frequency: CouponFrequency;
  frequencyDuration: number | null;
  limitedPlanCodes: string[];
  limitedBillableMetricCodes: string[];
};

type AppliedIdentity = { organizationId: string; appliedCouponId: string };

export type AppliedCouponCreated = DomainEvent<
  'AppliedCouponCreated',
  AppliedIdentity & AppliedCouponTerms & { couponId: string; couponCode: string; customerId: string; externalCustomerId: string; createdAt: string }
>;
/** One finalized invoice's credit, and the applied coupon's state after it. */
export type AppliedCouponCredited = DomainEvent<
  'AppliedCouponCredited',
  AppliedIdentity & { invoiceId: string; amountCents: string; creditedAmountCents: string; frequencyDurationRemaining: number | null; terminated: boolean; creditedAt: string }
>;
export type AppliedCouponTerminated = DomainEvent<'AppliedCouponTerminated', AppliedIdentity & { terminatedAt: string }>;
export type AppliedCouponEvent = AppliedCouponCreated | AppliedCouponCredited | AppliedCouponTerminated;

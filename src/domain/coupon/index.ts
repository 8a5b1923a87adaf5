import type { Decider } from '../shared/decider.ts';
import { decideAppliedCoupon, decideCoupon, type AppliedCouponCommand, type CouponCommand } from './decide.ts';
import type { AppliedCouponEvent, CouponEvent } from './events.ts';
import { evolveAppliedCoupon, evolveCoupon, initialAppliedCouponState, initialCouponState, type AppliedCouponState, type CouponState } from './state.ts';

export type { AppliedCouponCommand, AppliedCouponOverrides, CouponCatalog, CouponCommand, CouponFields } from './decide.ts';
export { percentageRateOf } from './decide.ts';
export * from './events.ts';
export type { AppliedCouponState, CouponState } from './state.ts';

/** A coupon of the organization's catalog (Lago's `coupon`, §5.1). Streams are keyed by code. */
export const couponDecider: Decider<CouponCommand, CouponEvent, CouponState> = { initialState: initialCouponState, evolve: evolveCoupon, decide: decideCoupon };

/** A coupon applied to a customer (Lago's `applied_coupon`). Streams are keyed by the applied coupon's id. */
export const appliedCouponDecider: Decider<AppliedCouponCommand, AppliedCouponEvent, AppliedCouponState> = {
  initialState: initialAppliedCouponState,
  evolve: evolveAppliedCoupon,
  decide: decideAppliedCoupon,
};

import type { AppliedCouponCreated, AppliedCouponEvent, CouponDefinition, CouponEvent } from './events.ts';

/** One stream per (organization, code). */
export type CouponState =
  | { status: 'none' }
  | { status: 'active' | 'terminated'; organizationId: string; couponId: string; code: string; definition: CouponDefinition };

export const initialCouponState = (): CouponState => ({ status: 'none' });

/** The definition fields of an event, in one fixed order (so two definitions compare as JSON). */
export function couponDefinitionOf(data: CouponDefinition): CouponDefinition {
  const { name, description, couponType, amountCents, amountCurrency, percentageRate, frequency, frequencyDuration, expiration, expirationAt, reusable, appliesTo } = data;
  return { name, description, couponType, amountCents, amountCurrency, percentageRate, frequency, frequencyDuration, expiration, expirationAt, reusable, appliesTo: { planCodes: [...appliesTo.planCodes], billableMetricCodes: [...appliesTo.billableMetricCodes] } };
}

export function evolveCoupon(state: CouponState, event: CouponEvent): CouponState {
  switch (event.type) {
    case 'CouponCreated': {
      const { organizationId, couponId, code } = event.data;
      return { status: 'active', organizationId, couponId, code, definition: couponDefinitionOf(event.data) };
    }
    case 'CouponUpdated':
      return state.status === 'none' ? state : { ...state, definition: couponDefinitionOf(event.data) };
    case 'CouponTerminated':
      return state.status === 'none' ? state : { ...state, status: 'terminated' };
    default: {
      const unknownEvent: never = event;
      return unknownEvent;
    }
  }
}

/** One stream per applied coupon (an id of its own: a reusable coupon may be applied several times). */
export type AppliedCouponState =
  | { status: 'none' }
  | {
      status: 'active' | 'terminated';
      applied: AppliedCouponCreated['data'];
      /** Σ of what it credited so far, integer cents. */
      creditedAmountCents: string;
      frequencyDurationRemaining: number | null;
      /** Invoices it credited (a retried finalization never credits one twice). */
      invoiceIds: string[];
    };

export const initialAppliedCouponState = (): AppliedCouponState => ({ status: 'none' });

export function evolveAppliedCoupon(state: AppliedCouponState, event: AppliedCouponEvent): AppliedCouponState {
  switch (event.type) {
    case 'AppliedCouponCreated':
      return { status: 'active', applied: event.data, creditedAmountCents: '0', frequencyDurationRemaining: event.data.frequency === 'RECURRING' ? event.data.frequencyDuration : null, invoiceIds: [] };
    case 'AppliedCouponCredited':
      return state.status === 'none'
        ? state
        : {
            ...state,
            status: event.data.terminated ? 'terminated' : state.status,
            creditedAmountCents: event.data.creditedAmountCents,
            frequencyDurationRemaining: event.data.frequencyDurationRemaining,
            invoiceIds: [...state.invoiceIds, event.data.invoiceId],
          };
    case 'AppliedCouponTerminated':
      return state.status === 'none' ? state : { ...state, status: 'terminated' };
    default: {
      const unknownEvent: never = event;
      return unknownEvent;
    }
  }
}

import type { AppliedCouponEvent, AppliedCouponTerms, CouponDefinition, CouponEvent } from '../src/domain/coupon/index.ts';
import { defineProjection } from './projection.ts';

/** A coupon of the catalog: ACTIVE until terminated (a terminated coupon cannot be applied; applied ones go on). */
export type CouponDocument = CouponDefinition & {
  _id: string;
  organizationId: string;
  code: string;
  status: 'ACTIVE' | 'TERMINATED';
  createdAt: string;
  updatedAt: string;
  terminatedAt: string | null;
};

export const COUPONS = 'coupons';
export const APPLIED_COUPONS = 'appliedCoupons';

export const couponsProjection = defineProjection<CouponDocument>({
  name: 'coupons',
  collection: COUPONS,
  indexes: [{ name: 'byOrganizationCode', keys: { organizationId: 1, code: 1 } }, { name: 'byOrganizationCreated', keys: { organizationId: 1, createdAt: 1, _id: 1 } }],
  handles: ['CouponCreated', 'CouponUpdated', 'CouponTerminated'],
  // Current usage reads no coupon.
  catalog: false,
  documentIds: (event) => [String((event.data as { couponId: string }).couponId)],
  fold(doc, recorded, id) {
    const event = recorded as unknown as CouponEvent;
    switch (event.type) {
      case 'CouponCreated': {
        const { couponId: _id, createdAt, ...fields } = event.data;
        return { ...fields, _id: id, status: 'ACTIVE', createdAt, updatedAt: createdAt, terminatedAt: null };
      }
      case 'CouponUpdated': {
        const { couponId: _id, updatedAt, ...fields } = event.data;
        return doc === null ? doc : { ...doc, ...fields, updatedAt };
      }
      case 'CouponTerminated':
        return doc === null ? doc : { ...doc, status: 'TERMINATED', terminatedAt: event.data.terminatedAt, updatedAt: event.data.terminatedAt };
      default:
        return doc;
    }
  },
});

/** One credit an applied coupon gave: on which invoice, how much. */
export type AppliedCouponCredit = { invoiceId: string; amountCents: string; creditedAt: string };

/** A coupon applied to a customer, with what it has credited and what remains. */
export type AppliedCouponDocument = AppliedCouponTerms & {
  _id: string;
  organizationId: string;
  couponId: string;
  couponCode: string;
  customerId: string;
  externalCustomerId: string;
  status: 'ACTIVE' | 'TERMINATED';
  /** Σ credited so far, integer cents. */
  creditedAmountCents: string;
  /** A fixed ONCE coupon: what it can still credit; null otherwise. */
  amountCentsRemaining: string | null;
  /** RECURRING: the periods it still applies to; null otherwise. */
  frequencyDurationRemaining: number | null;
  credits: AppliedCouponCredit[];
  createdAt: string;
  updatedAt: string;
  terminatedAt: string | null;
};

const remaining = (terms: Pick<AppliedCouponTerms, 'couponType' | 'frequency' | 'amountCents'>, credited: string): string | null =>
  terms.couponType === 'FIXED_AMOUNT' && terms.frequency === 'ONCE' && terms.amountCents !== null ? String(BigInt(terms.amountCents) - BigInt(credited)) : null;

export const appliedCouponsProjection = defineProjection<AppliedCouponDocument>({
  name: 'appliedCoupons',
  collection: APPLIED_COUPONS,
  indexes: [
    { name: 'byCustomerStatus', keys: { customerId: 1, status: 1 } },
    { name: 'byOrganizationCustomer', keys: { organizationId: 1, externalCustomerId: 1 } },
    { name: 'byCoupon', keys: { couponId: 1 } },
    { name: 'byOrganizationCreated', keys: { organizationId: 1, createdAt: 1, _id: 1 } },
    { name: 'byCustomerCreated', keys: { customerId: 1, createdAt: 1, _id: 1 } },
  ],
  handles: ['AppliedCouponCreated', 'AppliedCouponCredited', 'AppliedCouponTerminated'],
  catalog: false,
  documentIds: (event) => [String((event.data as { appliedCouponId: string }).appliedCouponId)],
  fold(doc, recorded, id) {
    const event = recorded as unknown as AppliedCouponEvent;
    switch (event.type) {
      case 'AppliedCouponCreated': {
        const { appliedCouponId: _id, createdAt, ...fields } = event.data;
        return {
          ...fields,
          _id: id,
          status: 'ACTIVE',
          creditedAmountCents: '0',
          amountCentsRemaining: remaining(fields, '0'),
          frequencyDurationRemaining: fields.frequency === 'RECURRING' ? fields.frequencyDuration : null,
          credits: [],
          createdAt,
          updatedAt: createdAt,
          terminatedAt: null,
        };
      }
      case 'AppliedCouponCredited': {
        if (doc === null) return doc;
        const { invoiceId, amountCents, creditedAmountCents, frequencyDurationRemaining, terminated, creditedAt } = event.data;
        return {
          ...doc,
          creditedAmountCents,
          amountCentsRemaining: remaining(doc, creditedAmountCents),
          frequencyDurationRemaining,
          credits: [...doc.credits, { invoiceId, amountCents, creditedAt }],
          status: terminated ? 'TERMINATED' : doc.status,
          terminatedAt: terminated ? creditedAt : doc.terminatedAt,
          updatedAt: creditedAt,
        };
      }
      case 'AppliedCouponTerminated':
        return doc === null ? doc : { ...doc, status: 'TERMINATED', terminatedAt: event.data.terminatedAt, updatedAt: event.data.terminatedAt };
      default:
        return doc;
    }
  },
});

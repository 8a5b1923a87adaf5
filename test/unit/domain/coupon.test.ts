import { describe, expect, it } from 'vitest';
import { appliedCouponDecider, couponDecider, type AppliedCouponCommand, type CouponCommand, type CouponEvent } from '../../../src/domain/coupon/index.ts';
import { fold } from '../../../src/domain/shared/decider.ts';
import { IllegalStateError, NotFoundError, ValidationError } from '../../../src/domain/shared/errors.ts';

const now = '2026-01-01T00:00:00.000Z';
const catalog = { planCodes: ['pro'], billableMetricCodes: ['calls'] };
const create = (fields: Record<string, unknown> = {}, couponId = 'c-1'): CouponCommand => ({
  type: 'CreateCoupon',
  data: { organizationId: 'o', couponId, code: 'ten', name: 'Ten', couponType: 'PERCENTAGE', percentageRate: '10', ...fields },
  catalog,
  metadata: { now },
});
const decide = (command: CouponCommand, history: CouponEvent[] = []) => couponDecider.decide(command, fold(couponDecider, history));

describe('coupon decider', () => {
  it('creates with Lago’s defaults (ONCE, no expiration, reusable) and normalised values', () => {
    const [event] = decide(create({ percentageRate: '10.50' }));
    expect(event).toMatchObject({ type: 'CouponCreated', data: { percentageRate: '10.5', frequency: 'ONCE', frequencyDuration: null, expiration: 'NO_EXPIRATION', reusable: true, amountCents: null, appliesTo: { planCodes: [], billableMetricCodes: [] } } });
  });

  it('a create repeated with the same id is a no-op; another id, or a terminated coupon’s code, is a conflict', () => {
    const history = decide(create());
    expect(decide(create(), history)).toEqual([]);
    expect(() => decide(create({}, 'c-2'), history)).toThrow(IllegalStateError);
    const terminated = [...history, ...decide({ type: 'TerminateCoupon', data: { code: 'ten' }, metadata: { now } }, history)];
    expect(() => decide(create({}, 'c-2'), terminated)).toThrow(/terminated/);
    expect(decide({ type: 'TerminateCoupon', data: { code: 'ten' }, metadata: { now } }, terminated)).toEqual([]);
  });

  it('refuses what Lago refuses, naming the field', () => {
    const field = (fields: Record<string, unknown>) => {
      try {
        decide(create(fields));
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        return (error as ValidationError).field;
      }
      throw new Error('accepted');
    };
    expect(field({ couponType: 'FIXED_AMOUNT', amountCurrency: 'EUR' })).toBe('amountCents');
    expect(field({ couponType: 'FIXED_AMOUNT', amountCents: '0', amountCurrency: 'EUR' })).toBe('amountCents');
    expect(field({ couponType: 'FIXED_AMOUNT', amountCents: '100' })).toBe('amountCurrency');
    expect(field({ percentageRate: '0' })).toBe('percentageRate');
    expect(field({ frequency: 'RECURRING' })).toBe('frequencyDuration');
    expect(field({ expiration: 'TIME_LIMIT' })).toBe('expirationAt');
    expect(field({ expiration: 'TIME_LIMIT', expirationAt: '2025-12-31T00:00:00Z' })).toBe('expirationAt');
    expect(field({ appliesTo: { planCodes: ['nope'] } })).toBe('appliesTo.planCodes.0');
    expect(field({ appliesTo: { planCodes: ['pro'], billableMetricCodes: ['calls'] } })).toBe('appliesTo');
  });

  it('once applied, only the name, description and expiration change', () => {
    const history = decide(create());
    const update = (fields: Record<string, unknown>, applied: boolean): CouponCommand => ({ type: 'UpdateCoupon', data: { code: 'ten', ...fields }, catalog, applied, metadata: { now } });
    expect(() => decide(update({ percentageRate: '20' }, true), history)).toThrow(/percentageRate/);
    expect(decide(update({ percentageRate: '20' }, false), history)).toMatchObject([{ type: 'CouponUpdated', data: { percentageRate: '20' } }]);
    expect(decide(update({ name: 'Renamed', expiration: 'TIME_LIMIT', expirationAt: '2027-01-01T00:00:00Z' }, true), history)).toMatchObject([{ data: { name: 'Renamed', expirationAt: '2027-01-01T00:00:00.000Z' } }]);
    expect(decide(update({ name: 'Ten' }, true), history)).toEqual([]);
    expect(() => decide(update({ name: 'x' }, false))).toThrow(NotFoundError);
  });
});

describe('applied coupon decider', () => {
  const coupon = fold(couponDecider, decide(create({ couponType: 'FIXED_AMOUNT', amountCents: '500', amountCurrency: 'EUR', percentageRate: null, reusable: false })));
  if (coupon.status === 'none') throw new Error('unreachable');
  const apply = (data: Partial<Extract<AppliedCouponCommand, { type: 'ApplyCoupon' }>['data']> = {}, at = now): AppliedCouponCommand => ({
    type: 'ApplyCoupon',
    data: {
      organizationId: 'o',
      appliedCouponId: 'a-1',
      coupon: { couponId: coupon.couponId, code: coupon.code, status: 'active', definition: coupon.definition },
      customer: { customerId: 'k', externalId: 'c1', currency: 'EUR' },
      alreadyApplied: false,
      overrides: {},
      ...data,
    },
    metadata: { now: at },
  });
  const run = (command: AppliedCouponCommand) => appliedCouponDecider.decide(command, appliedCouponDecider.initialState());

  it('applies the coupon’s terms with the overrides given', () => {
    expect(run(apply({ overrides: { amountCents: '300', frequency: 'RECURRING', frequencyDuration: 3 } }))).toMatchObject([
      { type: 'AppliedCouponCreated', data: { amountCents: '300', amountCurrency: 'EUR', frequency: 'RECURRING', frequencyDuration: 3, couponCode: 'ten' } },
    ]);
    expect(() => run(apply({ overrides: { percentageRate: '5' } }))).toThrow(/percentageRate/);
  });

  it('refuses a coupon not reusable already applied, in another currency, terminated, or expired', () => {
    expect(() => run(apply({ alreadyApplied: true }))).toThrow(/not reusable/);
    expect(() => run(apply({ customer: { customerId: 'k', externalId: 'c1', currency: 'USD' } }))).toThrow(/billed in USD/);
    expect(() => run(apply({ coupon: { couponId: coupon.couponId, code: coupon.code, status: 'terminated', definition: coupon.definition } }))).toThrow(/terminated/);
    const expiring = { ...coupon.definition, expiration: 'TIME_LIMIT' as const, expirationAt: '2026-02-01T00:00:00.000Z' };
    expect(run(apply({ coupon: { couponId: coupon.couponId, code: coupon.code, status: 'active', definition: expiring } }, '2026-01-31T23:59:59.000Z'))).toHaveLength(1);
    expect(() => run(apply({ coupon: { couponId: coupon.couponId, code: coupon.code, status: 'active', definition: expiring } }, '2026-02-01T00:00:00.000Z'))).toThrow(/expired/);
  });

  it('folds credits into what remains; removal is idempotent', () => {
    const created = run(apply());
    const credited = { type: 'AppliedCouponCredited' as const, data: { organizationId: 'o', appliedCouponId: 'a-1', invoiceId: 'i-1', amountCents: '200', creditedAmountCents: '200', frequencyDurationRemaining: null, terminated: false, creditedAt: now } };
    const state = fold(appliedCouponDecider, [...created, credited]);
    expect(state).toMatchObject({ status: 'active', creditedAmountCents: '200', invoiceIds: ['i-1'] });
    const removed = appliedCouponDecider.decide({ type: 'RemoveAppliedCoupon', data: { appliedCouponId: 'a-1' }, metadata: { now } }, state);
    expect(removed).toMatchObject([{ type: 'AppliedCouponTerminated' }]);
    expect(appliedCouponDecider.decide({ type: 'RemoveAppliedCoupon', data: { appliedCouponId: 'a-1' }, metadata: { now } }, fold(appliedCouponDecider, [...created, credited, ...removed]))).toEqual([]);
    expect(() => appliedCouponDecider.decide({ type: 'RemoveAppliedCoupon', data: { appliedCouponId: 'a-1' }, metadata: { now } }, appliedCouponDecider.initialState())).toThrow(NotFoundError);
  });
});

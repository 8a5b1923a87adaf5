import type { Actor, AppDeps } from './context.ts';
import { executeGuarded, guardKeys } from './consistency.ts';
import { getCustomerByExternalId } from './customers.ts';
import { execute } from './execute.ts';
import {
  appliedCouponDecider,
  couponDecider,
  type AppliedCouponCommand,
  type AppliedCouponEvent,
  type AppliedCouponOverrides,
  type AppliedCouponState,
  type CouponCommand,
  type CouponFields,
} from '../domain/coupon/index.ts';
import { fold } from '../domain/shared/decider.ts';
import { NotFoundError, ValidationError } from '../domain/shared/errors.ts';
import { streamName } from '../domain/shared/streams.ts';
import { APPLIED_COUPONS, COUPONS, type AppliedCouponDocument, type CouponDocument } from '../../projections/coupons.ts';

/** Keyed by code: the event store's `no_stream` append makes codes unique per organization without a race. */
export const couponStream = (organizationId: string, code: string) => streamName('coupon', organizationId, code);
/** One stream per application of a coupon to a customer. */
export const appliedCouponStream = (organizationId: string, appliedCouponId: string) => streamName('appliedCoupon', organizationId, appliedCouponId);

/** An applied coupon's exact state and stream revision, from its stream (never a read model that may lag). */
export async function readAppliedCoupon(deps: Pick<AppDeps, 'eventStore'>, organizationId: string, appliedCouponId: string): Promise<{ state: AppliedCouponState; revision: bigint | null }> {
  const recorded = await deps.eventStore.readStream(appliedCouponStream(organizationId, appliedCouponId));
  const state = fold(appliedCouponDecider, recorded.map((e) => ({ type: e.type, data: e.data }) as AppliedCouponEvent));
  return { state, revision: recorded.at(-1)?.revision ?? null };
}

export function createCouponService(deps: AppDeps) {
  const coupons = () => deps.readModels.collection<CouponDocument>(COUPONS);
  const applied = () => deps.readModels.collection<AppliedCouponDocument>(APPLIED_COUPONS);
  const now = () => ({ now: deps.clock.now().toISOString() });

  /** The live plans and metrics among the codes a coupon is limited to (decide names the unknown ones). */
  async function catalogFor(organizationId: string, fields: CouponFields) {
    const planCodes = fields.appliesTo?.planCodes ?? [];
    const metricCodes = fields.appliesTo?.billableMetricCodes ?? [];
    const [plans, metrics] = await Promise.all([
      planCodes.length === 0 ? [] : deps.readModels.collection<{ _id: string; code: string }>('plans').find({ organizationId, deletedAt: null, code: { $in: [...planCodes] } }),
      metricCodes.length === 0 ? [] : deps.readModels.collection<{ _id: string; code: string }>('billableMetrics').find({ organizationId, deletedAt: null, code: { $in: [...metricCodes] } }),
    ]);
    return { planCodes: plans.map((p) => p.code), billableMetricCodes: metrics.map((m) => m.code) };
  }

  /** Coupon commands are writers of the coupon's key (applications read it); limits read the metrics' keys. */
  const runGuarded = (actor: Actor, code: string, fields: CouponFields, prepare: () => Promise<CouponCommand>) =>
    executeGuarded(
      deps,
      actor,
      couponStream(actor.organizationId, code),
      couponDecider,
      { writes: [guardKeys.coupon(code)], reads: (fields.appliesTo?.billableMetricCodes ?? []).map(guardKeys.metric) },
      prepare,
    );

  const byId = async (couponId: string) => {
    const doc = await coupons().findOne({ _id: couponId });
    if (doc === null) throw new NotFoundError(`coupon ${couponId} not found`);
    return doc;
  };
  const appliedById = async (organizationId: string, appliedCouponId: string) => {
    const doc = await applied().findOne({ _id: appliedCouponId, organizationId });
    if (doc === null) throw new NotFoundError(`applied coupon ${appliedCouponId} not found`);
    return doc;
  };

  return {
    async create(actor: Actor, input: { code: string } & CouponFields): Promise<CouponDocument> {
      const couponId = deps.newId();
      await runGuarded(actor, input.code, input, async () => ({
        type: 'CreateCoupon',
        data: { ...input, organizationId: actor.organizationId, couponId },
        catalog: await catalogFor(actor.organizationId, input),
        metadata: now(),
      }));
      return byId(couponId);
    },

    /** Name, description and expiration always; the terms only while the coupon is applied to no customer (Lago). */
    async update(actor: Actor, input: { code: string } & CouponFields): Promise<CouponDocument> {
      const { state } = await runGuarded(actor, input.code, input, async () => {
        const current = await coupons().findOne({ organizationId: actor.organizationId, code: input.code, status: 'ACTIVE' });
        const used = current === null ? 0 : await applied().count({ couponId: current._id });
        return { type: 'UpdateCoupon', data: input, catalog: await catalogFor(actor.organizationId, input), applied: used > 0, metadata: now() };
      });
      if (state.status === 'none') throw new NotFoundError(`coupon "${input.code}" not found`);
      return byId(state.couponId);
    },

    /** No new application afterwards; coupons already applied go on (as in Lago). */
    async terminate(actor: Actor, code: string): Promise<CouponDocument> {
      const { state } = await runGuarded(actor, code, {}, async () => ({ type: 'TerminateCoupon', data: { code }, metadata: now() }));
      if (state.status === 'none') throw new NotFoundError(`coupon "${code}" not found`);
      return byId(state.couponId);
    },

    get: (organizationId: string, code: string) => coupons().findOne({ organizationId, code }),

    /**
     * Applies a coupon to a customer (Lago's `POST /applied_coupons`), with optional overrides of its amount,
     * currency, rate, frequency and duration. Reads the coupon's and the customer's keys; a non-reusable coupon
     * also writes its (customer, coupon) key, so two applications racing cannot both pass.
     */
    async apply(actor: Actor, input: { externalCustomerId: string; couponCode: string } & AppliedCouponOverrides): Promise<AppliedCouponDocument> {
      const { organizationId } = actor;
      const appliedCouponId = deps.newId();
      const { externalCustomerId, couponCode, ...overrides } = input;
      const coupon = await coupons().findOne({ organizationId, code: couponCode });
      if (coupon === null) throw new ValidationError(`couponCode: no coupon with code "${couponCode}"`, 'couponCode');
      const reads = [guardKeys.coupon(couponCode), guardKeys.customer(externalCustomerId)];
      await executeGuarded(
        deps,
        actor,
        appliedCouponStream(organizationId, appliedCouponId),
        appliedCouponDecider,
        coupon.reusable ? { reads } : { reads, writes: [guardKeys.couponUse(externalCustomerId, couponCode)] },
        async (): Promise<AppliedCouponCommand> => {
          const [current, customer] = await Promise.all([coupons().findOne({ organizationId, code: couponCode }), getCustomerByExternalId(deps, organizationId, externalCustomerId)]);
          if (current === null) throw new ValidationError(`couponCode: no coupon with code "${couponCode}"`, 'couponCode');
          if (customer === null) throw new ValidationError(`externalCustomerId: no customer with external id "${externalCustomerId}"`, 'externalCustomerId');
          // Lago's `reusable?` check counts every application, terminated ones included.
          const alreadyApplied = (await applied().count({ customerId: customer._id, couponId: current._id })) > 0;
          const { _id, organizationId: _org, code, status, createdAt: _c, updatedAt: _u, terminatedAt: _t, ...definition } = current;
          return {
            type: 'ApplyCoupon',
            data: {
              organizationId,
              appliedCouponId,
              coupon: { couponId: _id, code, status: status === 'ACTIVE' ? 'active' : 'terminated', definition },
              customer: { customerId: customer._id, externalId: customer.externalId, currency: customer.currency ?? null },
              alreadyApplied,
              overrides,
            },
            metadata: now(),
          };
        },
      );
      return appliedById(organizationId, appliedCouponId);
    },

    /** Lago's `DELETE /customers/:id/applied_coupons/:id`: it credits nothing more. */
    async remove(actor: Actor, appliedCouponId: string): Promise<AppliedCouponDocument> {
      await appliedById(actor.organizationId, appliedCouponId);
      await execute(deps, actor, appliedCouponStream(actor.organizationId, appliedCouponId), appliedCouponDecider, { type: 'RemoveAppliedCoupon', data: { appliedCouponId }, metadata: now() });
      return appliedById(actor.organizationId, appliedCouponId);
    },

    coupons,
    applied,
  };
}

export type CouponService = ReturnType<typeof createCouponService>;

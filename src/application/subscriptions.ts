import type { Actor, AppDeps } from './context.ts';
import { executeGuarded, guardKeys } from './consistency.ts';
import { execute } from './execute.ts';
import { getCustomerByExternalId } from './customers.ts';
import { findLiveTaxes } from './taxes.ts';
import type { MetricRef, OverrideLookups } from '../domain/plan/index.ts';
import { fold } from '../domain/shared/decider.ts';
import { NotFoundError } from '../domain/shared/errors.ts';
import { streamName } from '../domain/shared/streams.ts';
import {
  activeOf,
  subscriptionDecider,
  type BillingTime,
  type OnTerminationCreditNote,
  type OnTerminationInvoice,
  type PlanOverrides,
  type SubscriptionCommand,
  type SubscriptionCustomer,
  type SubscriptionEvent,
  type SubscriptionPlan,
} from '../domain/subscription/index.ts';
import type { OrganizationDocument } from '../../projections/organizations.ts';
import type { PlanDocument } from '../../projections/plans.ts';
import type { SubscriptionDocument } from '../../projections/subscriptions.ts';

/** One stream per external id (per organization): it holds every plan change of that external id. */
export function subscriptionStream(organizationId: string, externalId: string): string {
  return streamName('subscription', organizationId, externalId);
}

export type CreateSubscriptionInput = {
  externalId: string;
  externalCustomerId: string;
  planCode: string;
  name?: string | null;
  billingTime?: BillingTime | null;
  subscriptionAt?: Date | null;
  endingAt?: Date | null;
  planOverrides?: PlanOverrides | null;
};
export type UpdateSubscriptionInput = { externalId: string; name?: string | null; endingAt?: Date | null; planOverrides?: PlanOverrides | null };
export type TerminateSubscriptionInput = { externalId: string; status?: 'ACTIVE' | 'PENDING' | null; onTerminationInvoice?: OnTerminationInvoice | null; onTerminationCreditNote?: OnTerminationCreditNote | null };
export type SubscriptionFilter = { externalCustomerId?: string | null; status?: string | null; planCode?: string | null };

/** The `billableMetrics` fields the override checks read (that area owns the collection). */
type MetricDocument = { _id: string; code: string; aggregationType: string; recurring?: boolean; filters?: { key: string; values: string[] }[] };

const iso = (date: Date | null | undefined): string | null | undefined => (date instanceof Date ? date.toISOString() : date);
/** Status order for "the" subscription of an external id: the active one, else the pending one, else the latest. */
const RANK: Record<string, number> = { ACTIVE: 0, PENDING: 1 };

/** The customer's applicable timezone (§3.3): customer → organization → UTC. */
export function applicableTimezone(customer: { timezone?: string | null } | null, organization: { timezone?: string | null } | null): string {
  return customer?.timezone ?? organization?.timezone ?? 'UTC';
}

export function createSubscriptionService(deps: AppDeps) {
  const subscriptions = () => deps.readModels.collection<SubscriptionDocument>('subscriptions');
  const plans = () => deps.readModels.collection<PlanDocument>('plans');
  const metadata = () => ({ now: deps.clock.now().toISOString() });
  const run = (actor: Actor, externalId: string, command: SubscriptionCommand) =>
    execute(deps, actor, subscriptionStream(actor.organizationId, externalId), subscriptionDecider, command);

  async function customerOf(organizationId: string, externalCustomerId: string): Promise<SubscriptionCustomer | null> {
    const customer = await getCustomerByExternalId(deps, organizationId, externalCustomerId);
    if (!customer) return null;
    const organization = await deps.readModels.collection<OrganizationDocument>('organizations').findOne({ _id: organizationId });
    return { _id: customer._id, externalId: customer.externalId, currency: customer.currency, timezone: applicableTimezone(customer, organization), deletedAt: customer.deletedAt };
  }

  /** The plan's metrics and the overrides' live tax codes, so the plan aggregate's checks can run in `decide`. */
  async function overrideLookups(organizationId: string, plan: SubscriptionPlan | null, overrides: PlanOverrides | null | undefined): Promise<OverrideLookups> {
    if (!plan || !overrides) return {};
    const given = overrides as { taxCodes?: unknown; minimumCommitment?: { taxCodes?: unknown }; charges?: { taxCodes?: unknown }[] };
    const codes = [given.taxCodes, given.minimumCommitment?.taxCodes, ...(Array.isArray(given.charges) ? given.charges.map((c) => c?.taxCodes) : [])]
      .flatMap((list) => (Array.isArray(list) ? list : []))
      .filter((code): code is string => typeof code === 'string');
    const metricCodes = [...new Set(plan.charges.map((charge) => charge.billableMetricCode))];
    const [taxes, metrics] = await Promise.all([
      findLiveTaxes(deps, organizationId, [...new Set(codes)]),
      deps.readModels.collection<MetricDocument>('billableMetrics').find({ organizationId, code: { $in: metricCodes }, deletedAt: null }),
    ]);
    const metricRef = (m: MetricDocument): MetricRef => ({
      id: m._id,
      code: m.code,
      aggregationType: String(m.aggregationType).toUpperCase(),
      recurring: m.recurring === true,
      filters: (m.filters ?? []).map((f) => ({ key: f.key, values: [...f.values] })),
    });
    return { taxCodes: taxes.map((tax) => tax.code), metrics: Object.fromEntries(metrics.map((m) => [m.code, metricRef(m)])) };
  }

  /** The base plan the active subscription of this external id runs on (for the upgrade/downgrade decision). */
  async function currentPlanOf(organizationId: string, externalId: string): Promise<SubscriptionPlan | null> {
    const history = await deps.eventStore.readStream(subscriptionStream(organizationId, externalId));
    const active = activeOf(fold(subscriptionDecider, history.map((e) => ({ type: e.type, data: e.data }) as SubscriptionEvent)));
    return active ? plans().findOne({ _id: active.planId, organizationId }) : null;
  }

  /** Active, else pending, else the latest subscription of an external id. */
  async function current(organizationId: string, externalId: string, planCode?: string): Promise<SubscriptionDocument | null> {
    const docs = await subscriptions().find({ organizationId, externalId, ...(planCode ? { planCode } : {}) }, { sort: { createdAt: -1, _id: -1 } });
    return [...docs].sort((a, b) => (RANK[a.status] ?? 2) - (RANK[b.status] ?? 2))[0] ?? null;
  }

  async function answer(organizationId: string, externalId: string, events: SubscriptionEvent[], planCode?: string): Promise<SubscriptionDocument> {
    const createdId = events.find((e) => e.type === 'SubscriptionCreated')?.data.subscriptionId;
    const doc = createdId
      ? await subscriptions().findOne({ _id: createdId, organizationId })
      : ((planCode ? await current(organizationId, externalId, planCode) : null) ?? (await current(organizationId, externalId)));
    if (!doc) throw new NotFoundError(`subscription ${externalId} not found`);
    return doc;
  }

  return {
    /** Lago's `POST /subscriptions`: a new subscription, an idempotent repeat, or a plan change (§3.2). */
    async create(actor: Actor, input: CreateSubscriptionInput): Promise<SubscriptionDocument> {
      const { organizationId } = actor;
      const subscriptionId = deps.newId();
      const prepare = async (): Promise<SubscriptionCommand> => {
        const [plan, customer, currentPlan] = await Promise.all([
          plans().findOne({ organizationId, code: input.planCode, deletedAt: null }),
          customerOf(organizationId, input.externalCustomerId),
          currentPlanOf(organizationId, input.externalId),
        ]);
        const data = {
          ...input,
          subscriptionAt: iso(input.subscriptionAt),
          endingAt: iso(input.endingAt),
          organizationId,
          subscriptionId,
          plan,
          customer,
          currentPlan,
          overrideLookups: await overrideLookups(organizationId, plan, input.planOverrides),
        };
        return { type: 'CreateSubscription', data, metadata: metadata() };
      };
      // The subscription decides on the customer (it exists, its currency) and the customer's currency rule on its
      // subscriptions: both are writers of the customer's key (consistency.ts).
      const stream = subscriptionStream(organizationId, input.externalId);
      const guards = { writes: [guardKeys.customer(input.externalCustomerId)] };
      const { events } = await executeGuarded(deps, actor, stream, subscriptionDecider, guards, prepare);
      return answer(organizationId, input.externalId, events, input.planCode);
    },

    /** Lago's `PUT /subscriptions/:external_id` on the active (else pending) subscription. */
    async update(actor: Actor, input: UpdateSubscriptionInput): Promise<SubscriptionDocument> {
      const { organizationId } = actor;
      const target = await current(organizationId, input.externalId);
      const plan = target ? await plans().findOne({ _id: target.planId, organizationId }) : null;
      const data = { ...input, endingAt: iso(input.endingAt), organizationId, plan, overrideLookups: await overrideLookups(organizationId, plan, input.planOverrides) };
      const { events } = await run(actor, input.externalId, { type: 'UpdateSubscription', data, metadata: metadata() });
      return answer(organizationId, input.externalId, events);
    },

    /** Lago's `DELETE /subscriptions/:external_id`: terminates the active one, cancels a pending one. */
    async terminate(actor: Actor, input: TerminateSubscriptionInput): Promise<SubscriptionDocument> {
      const { organizationId } = actor;
      const data = { organizationId, externalId: input.externalId, status: input.status ?? null, onTerminationInvoice: input.onTerminationInvoice ?? 'GENERATE', onTerminationCreditNote: input.onTerminationCreditNote ?? 'CREDIT' };
      const { events } = await run(actor, input.externalId, { type: 'TerminateSubscription', data, metadata: metadata() });
      const id = events[0]?.data.subscriptionId;
      const doc = id ? await subscriptions().findOne({ _id: id, organizationId }) : null;
      if (!doc) throw new NotFoundError(`subscription ${input.externalId} not found`);
      return doc;
    },

    current,

    /** Filter for the `subscriptions` connection. */
    filter(organizationId: string, args: SubscriptionFilter): Record<string, unknown> {
      return {
        organizationId,
        ...(args.externalCustomerId ? { externalCustomerId: args.externalCustomerId } : {}),
        ...(args.status ? { status: args.status } : {}),
        ...(args.planCode ? { planCode: args.planCode } : {}),
      };
    },

    collection: subscriptions,

    /**
     * The billing clock's step: activates pending subscriptions whose start (or downgrade date) has passed,
     * switches downgrades, terminates those past `endingAt`. Every organization; one command per external id.
     * Returns how many external ids changed.
     */
    async activateDue(now: Date): Promise<number> {
      const at = now.toISOString();
      const due = await subscriptions().find({
        $or: [
          { status: 'PENDING', activatesAt: { $lte: at } },
          { status: 'ACTIVE', endingAt: { $lte: at } },
        ],
      });
      const streams = new Map(due.map((doc) => [`${doc.organizationId}\u0000${doc.externalId}`, doc]));
      let changed = 0;
      for (const doc of streams.values()) {
        const actor = { organizationId: doc.organizationId, actor: 'billingClock' };
        const command: SubscriptionCommand = { type: 'ActivateDueSubscriptions', data: { organizationId: doc.organizationId, externalId: doc.externalId }, metadata: { now: at } };
        try {
          const { events } = await run(actor, doc.externalId, command);
          if (events.length > 0) changed += 1;
        } catch (error) {
          // One odd stream must not hold back every other organization's activations.
          deps.logger.error('subscription activation failed', { organizationId: doc.organizationId, externalId: doc.externalId, error: String(error) });
        }
      }
      return changed;
    },
  };
}

export type SubscriptionService = ReturnType<typeof createSubscriptionService>;

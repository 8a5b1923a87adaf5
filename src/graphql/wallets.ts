import BigNumber from 'bignumber.js';
import { z } from 'zod';
import { RULE_INTERVALS, WALLET_FEE_TYPES, type RecurringTransactionRule, type WalletTerms } from '../domain/wallet/index.ts';
import { NotFoundError, ValidationError } from '../domain/shared/errors.ts';
import type { CustomerDocument } from '../../projections/customers.ts';
import type { WalletDocument, WalletTransactionDocument } from '../../projections/wallets.ts';
import type { OngoingBalance } from '../application/wallets.ts';
import type { WalletUpdate } from '../application/walletMonitor.ts';
import { organizationOf } from './auth.ts';
import { builder, type GraphQLContext } from './builder.ts';
import { actorFrom, identifier, inInput, payloadOf, text } from './commandSupport.ts';
import { connectionOf, paginate } from './connection.ts';
import { Customer } from './customers.ts';
import { parseInput } from './errors.ts';

const WalletStatusEnum = builder.enumType('WalletStatus', { values: ['ACTIVE', 'TERMINATED'] as const });
const FeeTypeEnum = builder.enumType('WalletFeeType', { values: WALLET_FEE_TYPES });
const TriggerEnum = builder.enumType('RecurringTransactionTrigger', { description: 'INTERVAL: every interval from `startedAt`; THRESHOLD: when the ongoing balance falls to `thresholdCredits`.', values: ['INTERVAL', 'THRESHOLD'] as const });
const MethodEnum = builder.enumType('RecurringTransactionMethod', { description: 'FIXED: the rule’s paid and granted credits; TARGET: what brings the ongoing balance back to `targetOngoingBalance`.', values: ['FIXED', 'TARGET'] as const });
const IntervalEnum = builder.enumType('RecurringTransactionInterval', { values: RULE_INTERVALS });
const TransactionTypeEnum = builder.enumType('WalletTransactionType', { values: ['INBOUND', 'OUTBOUND'] as const });
const TransactionStatusEnum = builder.enumType('WalletTransactionTransactionStatus', {
  description: 'PURCHASED: paid credits (settle when their credit invoice is paid); GRANTED: free credits; VOIDED: credits removed; INVOICED: credits an invoice used.',
  values: ['PURCHASED', 'GRANTED', 'VOIDED', 'INVOICED'] as const,
});
const StatusEnum = builder.enumType('WalletTransactionStatus', { values: ['PENDING', 'SETTLED', 'FAILED'] as const });
const SourceEnum = builder.enumType('WalletTransactionSource', { values: ['MANUAL', 'INTERVAL', 'THRESHOLD'] as const });

type Metadata = { key: string; value: string };
const MetadataRef = builder.objectRef<Metadata>('WalletTransactionMetadata').implement({ fields: (t) => ({ key: t.exposeString('key'), value: t.exposeString('value') }) });

const AppliesTo = builder.objectRef<WalletTerms['appliesTo']>('WalletAppliesTo').implement({
  description: 'What the wallet pays for: fee types and billable metrics (their charge fees); both empty: every fee.',
  fields: (t) => ({ feeTypes: t.field({ type: [FeeTypeEnum], resolve: (a) => a.feeTypes }), billableMetricCodes: t.exposeStringList('billableMetricCodes') }),
});

const RuleRef = builder.objectRef<RecurringTransactionRule>('RecurringTransactionRule').implement({
  fields: (t) => ({
    id: t.exposeID('ruleId'),
    trigger: t.field({ type: TriggerEnum, resolve: (r) => r.trigger }),
    interval: t.field({ type: IntervalEnum, nullable: true, resolve: (r) => r.interval }),
    thresholdCredits: t.exposeString('thresholdCredits', { nullable: true }),
    method: t.field({ type: MethodEnum, resolve: (r) => r.method }),
    paidCredits: t.exposeString('paidCredits'),
    grantedCredits: t.exposeString('grantedCredits'),
    targetOngoingBalance: t.exposeString('targetOngoingBalance', { nullable: true }),
    startedAt: t.field({ type: 'DateTime', resolve: (r) => r.startedAt }),
    expirationAt: t.field({ type: 'DateTime', nullable: true, resolve: (r) => r.expirationAt }),
    invoiceRequiresSuccessfulPayment: t.exposeBoolean('invoiceRequiresSuccessfulPayment'),
    ignorePaidTopUpLimits: t.exposeBoolean('ignorePaidTopUpLimits'),
    transactionMetadata: t.field({ type: [MetadataRef], resolve: (r) => r.transactionMetadata }),
  }),
});

export const WalletTransaction = builder.objectRef<WalletTransactionDocument>('WalletTransaction').implement({
  description: 'One movement of a wallet’s credits (Lago `wallet_transaction`).',
  fields: (t) => ({
    id: t.exposeID('_id'),
    walletId: t.exposeID('walletId'),
    transactionType: t.field({ type: TransactionTypeEnum, resolve: (w) => w.transactionType }),
    transactionStatus: t.field({ type: TransactionStatusEnum, resolve: (w) => w.transactionStatus }),
    status: t.field({ type: StatusEnum, resolve: (w) => w.status }),
    source: t.field({ type: SourceEnum, resolve: (w) => w.source }),
    creditAmount: t.exposeString('credits', { description: 'Credits, decimal.' }),
    amountCents: t.exposeString('amountCents'),
    invoiceId: t.exposeID('invoiceId', { nullable: true, description: 'PURCHASED: its credit invoice; INVOICED: the invoice it paid.' }),
    invoiceRequiresSuccessfulPayment: t.exposeBoolean('invoiceRequiresSuccessfulPayment'),
    metadata: t.field({ type: [MetadataRef], resolve: (w) => w.metadata }),
    createdAt: t.field({ type: 'DateTime', resolve: (w) => w.createdAt }),
    settledAt: t.field({ type: 'DateTime', nullable: true, resolve: (w) => w.settledAt }),
    failedAt: t.field({ type: 'DateTime', nullable: true, resolve: (w) => w.failedAt }),
  }),
});
const WalletTransactionConnection = connectionOf('WalletTransaction', WalletTransaction);

const ongoing = (w: WalletDocument, ctx: GraphQLContext): Promise<OngoingBalance> => ctx.app.wallets.ongoing(w);

export const Wallet = builder.objectRef<WalletDocument>('Wallet').implement({
  description: 'A customer’s prepaid credits (Lago `wallet`). `balanceCents` is settled; the ongoing balance also deducts current usage not yet invoiced and draft invoices, as of the last folded event.',
  fields: (t) => ({
    id: t.exposeID('_id'),
    externalCustomerId: t.exposeString('externalCustomerId'),
    name: t.exposeString('name', { nullable: true }),
    code: t.exposeString('code', { nullable: true }),
    status: t.field({ type: WalletStatusEnum, resolve: (w) => w.status }),
    currency: t.exposeString('currency'),
    rateAmount: t.exposeString('rateAmount', { description: 'The value of one credit in the currency’s major unit.' }),
    priority: t.exposeInt('priority', { description: '1 is applied to invoices first, 50 last.' }),
    creditsBalance: t.exposeString('creditsBalance'),
    balanceCents: t.exposeString('balanceCents'),
    consumedCredits: t.exposeString('consumedCredits'),
    consumedAmountCents: t.exposeString('consumedAmountCents'),
    pendingCredits: t.string({ description: 'Paid credits waiting for their invoice’s payment.', resolve: (w) => BigNumber.sum(0, ...w.pendingTransactions.map((p) => p.credits)).toFixed() }),
    ongoingUsageBalanceCents: t.string({ resolve: async (w, _a, ctx) => (await ongoing(w, ctx)).ongoingUsageBalanceCents }),
    creditsOngoingUsageBalance: t.string({ resolve: async (w, _a, ctx) => (await ongoing(w, ctx)).creditsOngoingUsageBalance }),
    ongoingBalanceCents: t.string({ resolve: async (w, _a, ctx) => (await ongoing(w, ctx)).ongoingBalanceCents }),
    creditsOngoingBalance: t.string({ resolve: async (w, _a, ctx) => (await ongoing(w, ctx)).creditsOngoingBalance }),
    depletedOngoingBalance: t.boolean({ resolve: async (w, _a, ctx) => (await ongoing(w, ctx)).depletedOngoingBalance }),
    expirationAt: t.field({ type: 'DateTime', nullable: true, resolve: (w) => w.expirationAt }),
    invoiceRequiresSuccessfulPayment: t.exposeBoolean('invoiceRequiresSuccessfulPayment'),
    paidTopUpMinAmountCents: t.exposeString('paidTopUpMinAmountCents', { nullable: true }),
    paidTopUpMaxAmountCents: t.exposeString('paidTopUpMaxAmountCents', { nullable: true }),
    appliesTo: t.field({ type: AppliesTo, resolve: (w) => w.appliesTo }),
    recurringTransactionRules: t.field({ type: [RuleRef], resolve: (w) => w.recurringTransactionRules }),
    lastTransactionAt: t.field({ type: 'DateTime', nullable: true, resolve: (w) => w.lastTransactionAt }),
    createdAt: t.field({ type: 'DateTime', resolve: (w) => w.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (w) => w.updatedAt }),
    terminatedAt: t.field({ type: 'DateTime', nullable: true, resolve: (w) => w.terminatedAt }),
    transactions: t.field({
      type: WalletTransactionConnection,
      description: 'Its transactions, oldest first.',
      args: { status: t.arg({ type: StatusEnum }), transactionStatus: t.arg({ type: TransactionStatusEnum }), first: t.arg.int(), after: t.arg.string() },
      resolve: (w, args, ctx) => paginate(ctx.app.wallets.transactions(), { walletId: w._id, ...(args.status ? { status: args.status } : {}), ...(args.transactionStatus ? { transactionStatus: args.transactionStatus } : {}) }, args, 'sequence'),
    }),
  }),
});
const WalletConnection = connectionOf('Wallet', Wallet);

const credits = z.string().max(42, 'at most 42 characters').nullish();
const metadataSchema = z.array(z.object({ key: z.string().max(100), value: z.string().max(255) })).max(20, 'at most 20 entries').nullish();
const ruleSchema = z.object({
  trigger: z.enum(['INTERVAL', 'THRESHOLD']),
  interval: z.enum(RULE_INTERVALS).nullish(),
  thresholdCredits: credits,
  method: z.enum(['FIXED', 'TARGET']).nullish(),
  paidCredits: credits,
  grantedCredits: credits,
  targetOngoingBalance: credits,
  startedAt: z.date().nullish(),
  expirationAt: z.date().nullish(),
  invoiceRequiresSuccessfulPayment: z.boolean().nullish(),
  ignorePaidTopUpLimits: z.boolean().nullish(),
  transactionMetadata: metadataSchema,
});
const termsSchema = {
  name: text().nullish(),
  priority: z.number().int().nullish(),
  expirationAt: z.date().nullish(),
  invoiceRequiresSuccessfulPayment: z.boolean().nullish(),
  paidTopUpMinAmountCents: z.string().max(20).nullish(),
  paidTopUpMaxAmountCents: z.string().max(20).nullish(),
  appliesTo: z.object({ feeTypes: z.array(z.enum(WALLET_FEE_TYPES)).max(10).nullish(), billableMetricCodes: z.array(identifier).max(100, 'at most 100 metrics').nullish() }).nullish(),
  recurringTransactionRules: z.array(ruleSchema).max(5).nullish(),
};
const createSchema = z.object({
  externalCustomerId: identifier,
  code: identifier.nullish(),
  currency: z.string().max(3, 'an ISO 4217 code'),
  rateAmount: z.string().max(42),
  paidCredits: credits,
  grantedCredits: credits,
  transactionMetadata: metadataSchema,
  ...termsSchema,
});
const updateSchema = z.object({ id: z.string().max(100), ...termsSchema });
const topUpSchema = z.object({
  walletId: z.string().max(100),
  paidCredits: credits,
  grantedCredits: credits,
  voidedCredits: credits,
  metadata: metadataSchema,
  invoiceRequiresSuccessfulPayment: z.boolean().nullish(),
  ignorePaidTopUpLimits: z.boolean().nullish(),
});

type Terms = z.infer<z.ZodObject<typeof termsSchema>>;
/** Terms as the domain reads them, with the current ones (an update) or Lago's defaults for what is not said. */
function termsOf(input: Terms, now: Date, current?: WalletDocument): WalletTerms {
  const iso = (d: Date | null | undefined, fallback: string | null) => (d === undefined ? fallback : d === null ? null : d.toISOString());
  return {
    name: input.name === undefined ? (current?.name ?? null) : input.name,
    priority: input.priority ?? current?.priority ?? 50,
    expirationAt: iso(input.expirationAt, current?.expirationAt ?? null),
    invoiceRequiresSuccessfulPayment: input.invoiceRequiresSuccessfulPayment ?? current?.invoiceRequiresSuccessfulPayment ?? false,
    paidTopUpMinAmountCents: input.paidTopUpMinAmountCents === undefined ? (current?.paidTopUpMinAmountCents ?? null) : input.paidTopUpMinAmountCents,
    paidTopUpMaxAmountCents: input.paidTopUpMaxAmountCents === undefined ? (current?.paidTopUpMaxAmountCents ?? null) : input.paidTopUpMaxAmountCents,
    appliesTo:
      input.appliesTo === undefined || input.appliesTo === null
        ? (current?.appliesTo ?? { feeTypes: [], billableMetricCodes: [] })
        : { feeTypes: input.appliesTo.feeTypes ?? [], billableMetricCodes: input.appliesTo.billableMetricCodes ?? [] },
    recurringTransactionRules:
      input.recurringTransactionRules === undefined || input.recurringTransactionRules === null
        ? (current?.recurringTransactionRules ?? [])
        : input.recurringTransactionRules.map((r) => ({
            ruleId: '',
            trigger: r.trigger,
            interval: r.interval ?? null,
            thresholdCredits: r.thresholdCredits ?? null,
            method: r.method ?? 'FIXED',
            paidCredits: r.paidCredits ?? '0',
            grantedCredits: r.grantedCredits ?? '0',
            targetOngoingBalance: r.targetOngoingBalance ?? null,
            startedAt: (r.startedAt ?? now).toISOString(),
            expirationAt: r.expirationAt ? r.expirationAt.toISOString() : null,
            invoiceRequiresSuccessfulPayment: r.invoiceRequiresSuccessfulPayment ?? false,
            ignorePaidTopUpLimits: r.ignorePaidTopUpLimits ?? false,
            transactionMetadata: r.transactionMetadata ?? [],
          })),
  };
}

const MetadataInput = builder.inputType('WalletTransactionMetadataInput', { fields: (t) => ({ key: t.string({ required: true }), value: t.string({ required: true }) }) });
const AppliesToInput = builder.inputType('WalletAppliesToInput', {
  description: 'Limit the wallet to fee types and to billable metrics’ charge fees; empty: every fee.',
  fields: (t) => ({ feeTypes: t.field({ type: [FeeTypeEnum] }), billableMetricCodes: t.stringList() }),
});
const RuleInput = builder.inputType('RecurringTransactionRuleInput', {
  fields: (t) => ({
    trigger: t.field({ type: TriggerEnum, required: true }),
    interval: t.field({ type: IntervalEnum, description: 'INTERVAL rules.' }),
    thresholdCredits: t.string({ description: 'THRESHOLD rules: fires when the ongoing balance (credits) falls to it.' }),
    method: t.field({ type: MethodEnum, description: 'Default FIXED.' }),
    paidCredits: t.string(),
    grantedCredits: t.string(),
    targetOngoingBalance: t.string({ description: 'TARGET rules.' }),
    startedAt: t.field({ type: 'DateTime', description: 'Default now: intervals count from it.' }),
    expirationAt: t.field({ type: 'DateTime' }),
    invoiceRequiresSuccessfulPayment: t.boolean(),
    ignorePaidTopUpLimits: t.boolean(),
    transactionMetadata: t.field({ type: [MetadataInput] }),
  }),
});
const termsFields = (t: Parameters<Parameters<typeof builder.inputType>[1]['fields']>[0]) => ({
  name: t.string(),
  priority: t.int({ description: '1 (applied first) to 50 (default).' }),
  expirationAt: t.field({ type: 'DateTime', description: 'The billing clock terminates the wallet then; what remains is lost.' }),
  invoiceRequiresSuccessfulPayment: t.boolean(),
  paidTopUpMinAmountCents: t.string(),
  paidTopUpMaxAmountCents: t.string(),
  appliesTo: t.field({ type: AppliesToInput }),
  recurringTransactionRules: t.field({ type: [RuleInput], description: 'At most one (as in Lago).' }),
});
const CreateInput = builder.inputType('CreateWalletInput', {
  fields: (t) => ({
    externalCustomerId: t.string({ required: true }),
    code: t.string(),
    currency: t.string({ required: true, description: 'The customer’s currency.' }),
    rateAmount: t.string({ required: true, description: 'The value of one credit, e.g. "1.5".' }),
    paidCredits: t.string({ description: 'Invoiced; added to the balance once the invoice is paid.' }),
    grantedCredits: t.string({ description: 'Added at once.' }),
    transactionMetadata: t.field({ type: [MetadataInput] }),
    ...termsFields(t),
  }),
});
const UpdateInput = builder.inputType('UpdateWalletInput', { description: 'Omitted fields keep their value.', fields: (t) => ({ id: t.id({ required: true }), ...termsFields(t) }) });
const TerminateInput = builder.inputType('TerminateWalletInput', { fields: (t) => ({ id: t.id({ required: true }) }) });
const TopUpInput = builder.inputType('CreateWalletTransactionInput', {
  fields: (t) => ({
    walletId: t.id({ required: true }),
    paidCredits: t.string(),
    grantedCredits: t.string(),
    voidedCredits: t.string({ description: 'At most the balance.' }),
    metadata: t.field({ type: [MetadataInput] }),
    invoiceRequiresSuccessfulPayment: t.boolean(),
    ignorePaidTopUpLimits: t.boolean(),
  }),
});

const WalletPayload = payloadOf('Wallet', 'wallet', Wallet);
const TransactionsPayload = builder.objectRef<{ wallet: WalletDocument; transactions: WalletTransactionDocument[] }>('CreateWalletTransactionPayload').implement({
  fields: (t) => ({ wallet: t.field({ type: Wallet, resolve: (p) => p.wallet }), walletTransactions: t.field({ type: [WalletTransaction], resolve: (p) => p.transactions }) }),
});

builder.queryFields((t) => ({
  wallet: t.field({
    type: Wallet,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.app.wallets.byId(organizationOf(ctx), String(id)),
  }),
  wallets: t.field({
    type: WalletConnection,
    description: 'Wallets, oldest first (of one customer with `externalCustomerId`).',
    args: { externalCustomerId: t.arg.string(), status: t.arg({ type: WalletStatusEnum }), first: t.arg.int(), after: t.arg.string() },
    resolve: (_root, args, ctx) =>
      paginate(ctx.app.wallets.wallets(), { organizationId: organizationOf(ctx), ...(args.externalCustomerId ? { externalCustomerId: args.externalCustomerId } : {}), ...(args.status ? { status: args.status } : {}) }, args),
  }),
  walletTransaction: t.field({
    type: WalletTransaction,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => {
      const doc = await ctx.app.wallets.transactions().findOne({ _id: String(id), organizationId: organizationOf(ctx) });
      if (doc === null) throw new NotFoundError(`wallet transaction ${String(id)} not found`);
      return doc;
    },
  }),
}));

builder.objectField(Customer, 'wallets', (t) =>
  t.field({
    type: WalletConnection,
    description: 'The customer’s wallets, oldest first.',
    args: { status: t.arg({ type: WalletStatusEnum }), first: t.arg.int(), after: t.arg.string() },
    resolve: (customer: CustomerDocument, args, ctx) => paginate(ctx.app.wallets.wallets(), { customerId: customer._id, ...(args.status ? { status: args.status } : {}) }, args),
  }),
);

builder.mutationFields((t) => ({
  createWallet: t.field({
    type: WalletPayload,
    description: 'Creates a wallet (Lago `POST /wallets`): granted credits at once, paid credits through a credit invoice.',
    args: { input: t.arg({ type: CreateInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const parsed = parseInput(createSchema, input);
      return {
        wallet: await inInput(() =>
          ctx.app.wallets.create(actorFrom(ctx), {
            ...termsOf(parsed, ctx.app.deps.clock.now()),
            externalCustomerId: parsed.externalCustomerId,
            code: parsed.code ?? null,
            currency: parsed.currency,
            rateAmount: parsed.rateAmount,
            paidCredits: parsed.paidCredits ?? null,
            grantedCredits: parsed.grantedCredits ?? null,
            transactionMetadata: parsed.transactionMetadata ?? [],
          }),
        ),
      };
    },
  }),
  updateWallet: t.field({
    type: WalletPayload,
    args: { input: t.arg({ type: UpdateInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const parsed = parseInput(updateSchema, input);
      const current = await ctx.app.wallets.byId(organizationOf(ctx), parsed.id);
      return { wallet: await inInput(() => ctx.app.wallets.update(actorFrom(ctx), parsed.id, termsOf(parsed, ctx.app.deps.clock.now(), current))) };
    },
  }),
  terminateWallet: t.field({
    type: WalletPayload,
    description: 'Terminates a wallet: its credits are no longer applied (Lago `DELETE /wallets/:id`).',
    args: { input: t.arg({ type: TerminateInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ wallet: await inInput(() => ctx.app.wallets.terminate(actorFrom(ctx), String(input.id))) }),
  }),
  createWalletTransaction: t.field({
    type: TransactionsPayload,
    description: 'Tops a wallet up or voids credits (Lago `POST /wallet_transactions`).',
    args: { input: t.arg({ type: TopUpInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const parsed = parseInput(topUpSchema, input);
      return inInput(() =>
        ctx.app.wallets.topUp(actorFrom(ctx), {
          walletId: parsed.walletId,
          paidCredits: parsed.paidCredits ?? null,
          grantedCredits: parsed.grantedCredits ?? null,
          voidedCredits: parsed.voidedCredits ?? null,
          metadata: parsed.metadata ?? [],
          invoiceRequiresSuccessfulPayment: parsed.invoiceRequiresSuccessfulPayment ?? null,
          ignorePaidTopUpLimits: parsed.ignorePaidTopUpLimits ?? false,
        }),
      );
    },
  }),
}));

builder.subscriptionFields((t) => ({
  walletUpdated: t.field({
    type: Wallet,
    description:
      'A wallet (`walletId`) or every active wallet of a customer (`externalCustomerId`): sent on subscribe, then whenever its balance, ongoing balance or transactions change — as usage is folded, invoices finalized and top-ups made (at most one computation per customer per 25 ms, shared by every subscriber).',
    args: { walletId: t.arg.id(), externalCustomerId: t.arg.string() },
    subscribe: async (_root, args, ctx) => {
      const organizationId = organizationOf(ctx);
      let customerId: string;
      let walletId: string | null = null;
      if (args.walletId !== null && args.walletId !== undefined) {
        const wallet = await ctx.app.wallets.byId(organizationId, String(args.walletId));
        // Both given: both filter (a wallet of another customer is not found).
        if (args.externalCustomerId && wallet.externalCustomerId !== args.externalCustomerId) throw new NotFoundError(`wallet ${wallet._id} not found for customer "${args.externalCustomerId}"`);
        customerId = wallet.customerId;
        walletId = wallet._id;
      } else if (args.externalCustomerId) {
        const customer = await ctx.app.deps.readModels.collection<CustomerDocument>('customers').findOne({ organizationId, externalId: args.externalCustomerId, deletedAt: null });
        if (customer === null) throw new NotFoundError(`customer "${args.externalCustomerId}" not found`);
        customerId = customer._id;
      } else {
        throw new ValidationError('walletId: give walletId or externalCustomerId', 'walletId');
      }
      return ctx.app.walletMonitor.watch(organizationId, customerId, walletId);
    },
    resolve: (update: WalletUpdate, _args, ctx) => ctx.app.wallets.remember(update.wallet, update.ongoing),
  }),
}));

import type { AppDeps } from './context.ts';
import { createOrganizationService } from './organizations.ts';
import { createCatalogServices } from './catalog.ts';
import { createPlanService } from './plans.ts';
import { createSubscriptionService } from './subscriptions.ts';
import { createIngestionService, type IngestionOptions } from './ingestion.ts';
import { createUsageService } from './usage.ts';
import { createUsageFeed } from './usageFeed.ts';
import { createInvoiceService } from './invoices.ts';
import { createCouponService } from './coupons.ts';
import { createCreditNoteService } from './creditNotes.ts';
import { createAddOnService } from './addOns.ts';
import { createWalletService } from './wallets.ts';
import { createWalletMonitor } from './walletMonitor.ts';
import { createLifetimeUsageService } from './lifetimeUsage.ts';
import { createAlertService } from './alerts.ts';
import { createWebhookEndpointService } from './webhookEndpoints.ts';
import { createWebhookService } from './webhooks.ts';

export interface AppOptions {
  adminApiKey?: string | undefined;
  ingestion?: IngestionOptions;
}

const DEFAULT_INGESTION: IngestionOptions = { lateWindowDays: 35, futureToleranceMs: 5 * 60_000 };

/** The application services the GraphQL edge calls. */
export function createApp(deps: AppDeps, options: AppOptions = {}) {
  const usage = createUsageService(deps);
  const creditNotes = createCreditNoteService(deps);
  const invoices = createInvoiceService(deps, usage, creditNotes);
  const wallets = createWalletService(deps, invoices, usage);
  const walletMonitor = createWalletMonitor(deps, wallets);
  invoices.onPaymentUpdated((actor, invoice) => wallets.paymentUpdated(actor, invoice));
  const lifetimeUsage = createLifetimeUsageService(deps, usage, invoices);
  const alerts = createAlertService(deps, { usage, wallets, walletMonitor, lifetime: (org, ext) => lifetimeUsage.totalOf(org, ext) });
  return {
    deps,
    organizations: createOrganizationService(deps, { adminApiKey: options.adminApiKey }),
    ...createCatalogServices(deps),
    plans: createPlanService(deps),
    subscriptions: createSubscriptionService(deps),
    ingestion: createIngestionService(deps, options.ingestion ?? DEFAULT_INGESTION),
    usage,
    coupons: createCouponService(deps),
    creditNotes,
    addOns: createAddOnService(deps),
    invoices,
    wallets,
    walletMonitor,
    lifetimeUsage,
    alerts,
    webhookEndpoints: createWebhookEndpointService(deps),
    webhooks: createWebhookService(deps),
    usageFeed: createUsageFeed(deps.projections, (watch) => usage.currentReader(watch.organizationId, watch.externalCustomerId, watch.externalSubscriptionId, watch.applyTaxes), deps.turns ? { schedule: deps.turns.run } : {}),
  };
}

export type App = ReturnType<typeof createApp>;

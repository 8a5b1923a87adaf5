import type { AppDeps } from './context.ts';
import { createOrganizationService } from './organizations.ts';
import { createCatalogServices } from './catalog.ts';
import { createPlanService } from './plans.ts';
import { createSubscriptionService } from './subscriptions.ts';
import { createIngestionService, type IngestionOptions } from './ingestion.ts';
import { createUsageService } from './usage.ts';
import type { ProjectionRunner } from '../../projections/runner.ts';
import { createUsageFeed, logUsageChanges, runnerUsageChanges } from './usageFeed.ts';

export interface AppOptions {
  adminApiKey?: string | undefined;
  /** The in-process projection runner, when this process runs projections (embedded / `ROLE=all`). */
  runner?: ProjectionRunner | undefined;
  ingestion?: IngestionOptions;
}

const DEFAULT_INGESTION: IngestionOptions = { lateWindowDays: 35, futureToleranceMs: 5 * 60_000 };

/** The application services the GraphQL edge calls. */
export function createApp(deps: AppDeps, options: AppOptions = {}) {
  return {
    deps,
    runner: options.runner,
    organizations: createOrganizationService(deps, { adminApiKey: options.adminApiKey }),
    ...createCatalogServices(deps),
    plans: createPlanService(deps),
    subscriptions: createSubscriptionService(deps),
    ingestion: createIngestionService(deps, options.ingestion ?? DEFAULT_INGESTION),
    usage: createUsageService(deps),
    usageFeed: createUsageFeed(deps, options.runner ? runnerUsageChanges(options.runner) : logUsageChanges(deps)),
  };
}

export type App = ReturnType<typeof createApp>;

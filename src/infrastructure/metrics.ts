import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { MetricsSink } from '../application/ports/metrics.ts';

/**
 * Prometheus metrics (`prom-client`), served at `GET /metrics`: GraphQL requests and their latency per operation
 * (type and root field, a bounded set), ingestion outcomes, billing runs, webhook deliveries, websocket connections, the projections'
 * lag per projection (read from health when scraped), and the process's own (CPU, memory, event-loop lag, GC).
 */
export function createMetrics(health?: () => Promise<{ projections: { name: string; checkpoint: string; head: string }[] }>) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'billing_' });
  const requests = new Counter({ name: 'billing_graphql_requests_total', help: 'GraphQL operations executed, by operation and outcome', labelNames: ['operation', 'outcome'] as const, registers: [registry] });
  const duration = new Histogram({
    name: 'billing_graphql_request_duration_seconds',
    help: 'GraphQL execution time, by operation',
    labelNames: ['operation'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const events = new Counter({ name: 'billing_ingestion_events_total', help: 'Usage events ingested, by outcome', labelNames: ['outcome'] as const, registers: [registry] });
  const runs = new Histogram({ name: 'billing_billing_run_duration_seconds', help: 'Billing runs (billing clock ticks and advanceClock)', buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300], registers: [registry] });
  const invoices = new Counter({ name: 'billing_invoices_total', help: 'Invoices issued, finalized and refreshed by billing runs', labelNames: ['action'] as const, registers: [registry] });
  const webhooks = new Counter({ name: 'billing_webhook_deliveries_total', help: 'Webhook delivery attempts, by outcome (SUCCEEDED, RETRYING, FAILED)', labelNames: ['outcome'] as const, registers: [registry] });
  const webhookDuration = new Histogram({
    name: 'billing_webhook_delivery_duration_seconds',
    help: 'Webhook delivery attempts: the request to the endpoint, until its answer, a refusal or the timeout',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const sockets = new Gauge({ name: 'billing_websocket_connections', help: 'Open graphql-ws connections', registers: [registry] });
  new Gauge({
    name: 'billing_projection_lag_events',
    help: 'Log positions between the head and each projection’s checkpoint',
    labelNames: ['projection'] as const,
    registers: [registry],
    async collect() {
      if (health === undefined) return;
      this.reset();
      for (const p of (await health()).projections) this.set({ projection: p.name }, Number(BigInt(p.head) - BigInt(p.checkpoint)));
    },
  });

  const sink: MetricsSink = {
    ingested(counts) {
      if (counts.accepted > 0) events.inc({ outcome: 'accepted' }, counts.accepted);
      if (counts.duplicate > 0) events.inc({ outcome: 'duplicate' }, counts.duplicate);
      if (counts.rejected > 0) events.inc({ outcome: 'rejected' }, counts.rejected);
    },
    billingRun(seconds, counts) {
      runs.observe(seconds);
      for (const [action, n] of Object.entries(counts)) if (n > 0) invoices.inc({ action }, n);
    },
    webhookDelivered(outcome, seconds) {
      webhooks.inc({ outcome });
      webhookDuration.observe(seconds);
    },
  };
  return {
    registry,
    sink,
    request(operation: string, outcome: 'ok' | 'error', seconds: number) {
      requests.inc({ operation, outcome });
      duration.observe({ operation }, seconds);
    },
    socketOpened: () => sockets.inc(),
    socketClosed: () => sockets.dec(),
    /** The exposition text and its content type. */
    async scrape() {
      return { body: await registry.metrics(), contentType: registry.contentType };
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

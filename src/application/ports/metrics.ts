/** What the application reports for operations (README "Operations"): a port, so the core names no library. */
export interface MetricsSink {
  /** Ingestion outcomes of one batch. */
  ingested(counts: { accepted: number; duplicate: number; rejected: number }): void;
  /** One billing run (`runDue`): how long it took and what it issued. */
  billingRun(seconds: number, counts: { created: number; finalized: number; refreshed: number }): void;
  /** One webhook delivery attempt: what it decided and how long the request took. */
  webhookDelivered(outcome: 'SUCCEEDED' | 'RETRYING' | 'FAILED', seconds: number): void;
}

export const noMetrics: MetricsSink = { ingested: () => {}, billingRun: () => {}, webhookDelivered: () => {} };

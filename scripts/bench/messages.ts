/** The IPC messages between the orchestrator (realistic.ts) and its client processes. */
import type { Endpoint } from './gql.ts';
import type { Io, DiskUsage } from './proc.ts';
import type { ClientSpec, Shape } from './workload.ts';

// Load client (loadClient.ts) ------------------------------------------------------------------------------------

export type LoadJob = {
  endpoint: Endpoint;
  shape: Shape;
  spec: ClientSpec;
  batchSize: number;
  /** Events to send back to back; null: until told to stop (or until `pace.durationMs`). */
  events: number | null;
  /** Open loop: one batch every `intervalMs` for `durationMs`, at most `maxInFlight` unanswered at once. */
  pace: { intervalMs: number; durationMs: number; maxInFlight: number } | null;
  /** Subscription indices whose cumulative accepted event count (in acknowledgement order) each ack reports. */
  watch: number[];
  /**
   * Re-send a batch whose connection the server reset (ECONNRESET and the like; ingestion is idempotent by
   * transactionId), up to 5 times, counted in `resets`. Default: such a failure ends the client (the phase fails).
   */
  retryResets?: boolean;
};

export type Ack = {
  /** Acknowledged at (ms, `performance.timeOrigin + performance.now()`). */
  t: number;
  events: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  retries: number;
  latencyMs: number;
  /** [subscription index, cumulative accepted count] for the watched subscriptions this batch carried. */
  watched: [number, number][];
};

export type LoadSummary = {
  events: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  retries: number;
  /** Batches re-sent after a reset connection (`retryResets`). */
  resets: number;
  batches: number;
  generatedDuplicates: number;
  startedAt: number;
  endedAt: number;
  /** Paced mode: ticks whose batch was not sent because `maxInFlight` batches were unanswered. */
  skippedTicks: number;
};

export type ToLoad = { type: 'start'; job: LoadJob } | { type: 'go' } | { type: 'stop' };
export type FromLoad = { type: 'ready' } | { type: 'ack'; ack: Ack } | { type: 'done'; summary: LoadSummary };

// Query client (queryClient.ts) ----------------------------------------------------------------------------------

/** `warmup` then `requests` sequential queries; each part ends early at its time cap (a slow server still finishes). */
/** `floor`: send `{ __typename }` instead of `customerUsage` (the same client and HTTP path, no usage work). */
export type QueryJob = { endpoint: Endpoint; shape: Shape; seed: number; warmup: number; requests: number; warmupCapMs: number; measureCapMs: number; floor?: boolean };
export type ToQuery = { type: 'start'; job: QueryJob };
/** `latencies` holds the measured requests that completed (fewer than asked when the cap cut the run short). */
export type FromQuery = { type: 'done'; latencies: Float64Array; inServer: Float64Array; warmedUp: number; capped: boolean; startedAt: number; endedAt: number; last: unknown };

// Live client (liveClient.ts) ------------------------------------------------------------------------------------

export type LiveJob = { wsUrl: string; key: string; watchers: number[]; connections: number; subscribeTimeoutMs: number };
export type ToLive = { type: 'start'; job: LiveJob } | { type: 'stop' };
export type Pushes = { watcher: Uint32Array; t: Float64Array; count: Float64Array };
export type FromLive =
  | { type: 'ready'; baselines: number[]; openMs: number }
  | { type: 'done'; pushes: Pushes; errors: string[] };

// Floor (floor.ts) ------------------------------------------------------------------------------------------------

export type FloorJob = {
  dbPath: string;
  organizationId: string;
  shape: Shape;
  /** The clients of the phase to reproduce, each with the number of events it sent, in batches of `batchSize`. */
  clients: { spec: ClientSpec; events: number }[];
  batchSize: number;
  rowsPerTransaction: number;
};
export type FloorResult = {
  events: number;
  inserted: number;
  /** Time spent inserting and committing (generating the events excluded). */
  seconds: number;
  wallSeconds: number;
  io: Io | null;
  disk: DiskUsage;
};
export type ToFloor = { type: 'start'; job: FloorJob };
export type FromFloor = { type: 'done'; result: FloorResult };

// Wallet client (walletClient.ts) --------------------------------------------------------------------------------

/**
 * `wallets`: one `walletUpdated(walletId)` watcher per wallet, spread over `connections` websockets, "ready" once each
 * had its first push. `thresholds`: one organization-wide `usageThresholdReached`, "ready" at once, "canary" at the
 * first invoice of subscription `canary`.
 */
export type WalletJob =
  | { kind: 'wallets'; wsUrl: string; key: string; walletIds: string[]; connections: number; subscribeTimeoutMs: number }
  | { kind: 'thresholds'; wsUrl: string; key: string; canary: string };
/**
 * `expect`: answer "reached" once every watcher's latest ongoingUsageBalanceCents is at least its target (`wallets`),
 * or every listed subscription has had an invoice with at least that feesAmountCents (`thresholds`), or at the timeout.
 */
export type ToWallet =
  | { type: 'start'; job: WalletJob }
  | { type: 'expect'; usage?: number[]; fees?: [string, number][]; timeoutMs: number }
  | { type: 'stop' };
/** Per push: watcher, arrival time (ms, `now()`), and the wallet's cents as numbers. */
export type WalletPushes = { watcher: Uint32Array; t: Float64Array; usage: Float64Array; ongoing: Float64Array; balance: Float64Array };
export type InvoicePush = { t: number; id: string; externalSubscriptionId: string | null; invoiceType: string; status: string; feesAmountCents: number; thresholds: number };
export type FromWallet =
  | { type: 'ready'; baselines: number[]; openMs: number }
  /** `thresholds`: the first progressive invoice of the canary subscription arrived (the subscription is live). */
  | { type: 'canary'; t: number }
  /** After `expect`: how long it took (ms from the request), and how many targets were still short at the end. */
  | { type: 'reached'; ms: number; short: number }
  | { type: 'done'; wallets: WalletPushes; invoices: InvoicePush[]; errors: string[] };

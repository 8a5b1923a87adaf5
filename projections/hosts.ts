import type { ProjectionHost, ProjectionStatus } from '../src/application/ports/projectionHost.ts';
import type { ReadModelStore } from '../src/application/ports/readModelStore.ts';
import type { EventStore } from '../src/application/ports/eventStore.ts';
import type { Logger } from '../src/application/logger.ts';
import { followLog } from '../src/application/logFollower.ts';
import type { CommitInfo, ProjectionRunner } from './runner.ts';
import { METERS, subjectKey, type UsageMeterDocument } from './usageStore.ts';

const USAGE = 'usage';

type Waiter = { reached: () => boolean; resolve: (value: boolean) => void; timer: NodeJS.Timeout };

/**
 * The state every host tracks from commits it hears of: checkpoints, stale subjects, and who waits for what.
 * Waiters are resolved on the commit that satisfies them; nothing polls.
 */
export abstract class TrackedHost implements ProjectionHost {
  protected state: ProjectionStatus = { checkpoints: new Map(), stale: new Set(), quarantined: 0, running: false, failure: null, catalog: 0n };
  private readonly waiters = new Set<Waiter>();
  private readonly listeners = new Set<(changed: readonly string[]) => void>();

  abstract start(): Promise<void>;
  abstract stop(): Promise<void>;
  abstract watch(subject: string, delta: 1 | -1): void;
  /** Asks the projections to commit `position` as soon as they have folded it. */
  protected abstract want(position: bigint): void;

  status(): ProjectionStatus {
    return this.state;
  }

  async waitFor(position: bigint, options: { names?: readonly string[]; timeoutMs?: number; quiet?: boolean } = {}): Promise<void> {
    const names = options.names;
    const reached = () => (names ? names.map((n) => this.state.checkpoints.get(n) ?? 0n) : [...this.state.checkpoints.values()]).every((p) => p >= position);
    if (!(await this.until(reached, position, options.timeoutMs ?? 5_000, options.quiet))) {
      throw new Error(`projections did not reach position ${position} within ${options.timeoutMs ?? 5_000} ms`);
    }
  }

  usageFresh(subject: string, position: bigint, timeoutMs: number): Promise<boolean> {
    return this.until(() => (this.state.checkpoints.get(USAGE) ?? 0n) >= position && !this.state.stale.has(subject), position, timeoutMs);
  }

  onCommit(listener: (changed: readonly string[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A commit happened: new state, then waiters, then listeners. */
  protected committed(info: Omit<CommitInfo, 'stale'> & { stale: Iterable<string> }): void {
    this.state = { ...this.state, checkpoints: info.checkpoints, stale: new Set(info.stale), quarantined: info.quarantined, failure: null, catalog: info.catalog };
    for (const waiter of this.waiters) {
      if (!waiter.reached()) continue;
      clearTimeout(waiter.timer);
      this.waiters.delete(waiter);
      waiter.resolve(true);
    }
    if (info.changed.length > 0) for (const listener of this.listeners) listener(info.changed);
  }

  private until(reached: () => boolean, position: bigint, timeoutMs: number, quiet = false): Promise<boolean> {
    if (reached()) return Promise.resolve(true);
    if (!quiet) this.want(position);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        reached,
        resolve,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          resolve(false);
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }
}

/** Projections in this thread (`:memory:` databases, tests, server mode with `ROLE=all`/`worker`). */
export class InlineHost extends TrackedHost {
  readonly runner: ProjectionRunner;

  constructor(runner: ProjectionRunner) {
    super();
    this.runner = runner;
    runner.commits.on('commit', (info) => this.committed(info));
  }

  async start(): Promise<void> {
    await this.runner.start();
    this.state = { ...this.state, checkpoints: this.runner.checkpoints(), stale: new Set(this.runner.stale()), quarantined: this.runner.quarantined(), running: true, catalog: this.runner.catalogPosition() };
  }

  async stop(): Promise<void> {
    await this.runner.stop();
    this.state = { ...this.state, running: false };
  }

  override status(): ProjectionStatus {
    return { ...this.state, failure: this.runner.lastFailure() };
  }

  watch(subject: string, delta: 1 | -1): void {
    this.runner.watch(subject, delta);
  }

  protected want(position: bigint): void {
    this.runner.want(position);
  }
}

/**
 * An API process whose projections run in another process on the same store (`ROLE=api`): it reads the stored
 * checkpoints and meters on a timer (a separate process can only be polled) and hears of usage changes from the
 * log's tail.
 */
export class PollingHost extends TrackedHost {
  private readonly readModels: ReadModelStore;
  private readonly eventStore: EventStore;
  private readonly names: readonly string[];
  private readonly logger: Logger;
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | null = null;
  private pendingChanges = new Set<string>();
  private tail: { close(): Promise<void> } | null = null;
  private stopped = false;
  private polled = 0;

  constructor(readModels: ReadModelStore, eventStore: EventStore, names: readonly string[], logger: Logger, intervalMs = 20) {
    super();
    this.readModels = readModels;
    this.eventStore = eventStore;
    this.names = names;
    this.logger = logger;
    this.intervalMs = intervalMs;
  }

  async start(): Promise<void> {
    await this.poll();
    this.state = { ...this.state, running: true };
    // From the head on; resubscribes by itself when the store drops it (logFollower.ts).
    this.tail = followLog(this.eventStore, {
      after: 'head',
      name: 'usage change tail',
      logger: this.logger,
      handle: (event) => {
        const data = event.data as { organizationId?: string; externalSubscriptionId?: string; externalId?: string };
        if (event.type === 'UsageEventIngested') this.pendingChanges.add(subjectKey(data.organizationId!, data.externalSubscriptionId!));
        else if (event.type.startsWith('Subscription') && data.organizationId && data.externalId) this.pendingChanges.add(subjectKey(data.organizationId, data.externalId));
      },
    });
    const loop = () => {
      if (this.stopped) return;
      this.timer = setTimeout(() => void this.poll().catch((error: unknown) => this.logger.warn('checkpoint poll failed', { error: String(error) })).finally(loop), this.intervalMs);
    };
    loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.tail?.close();
  }

  watch(): void {}

  protected want(): void {}

  private async poll(): Promise<void> {
    const checkpoints = new Map<string, bigint>();
    for (const name of this.names) checkpoints.set(name, (await this.readModels.getCheckpoint(name)) ?? 0n);
    const usage = checkpoints.get(USAGE) ?? 0n;
    const previous = this.state.checkpoints.get(USAGE) ?? 0n;
    // The quarantine grows only with a checkpoint (a quarantined event is passed): counted again only when one moved
    // (on MongoDB, a count every poll was a whole-collection count 50 times a second per API instance). Re-folds
    // finish between checkpoints: read while any is known, or when a checkpoint moved.
    const moved = this.polled === 0 || [...checkpoints].some(([name, position]) => position !== (this.state.checkpoints.get(name) ?? 0n));
    this.polled += 1;
    const stale = moved || this.state.stale.size > 0 ? (await this.readModels.collection<UsageMeterDocument>(METERS).find({ pending: true })).filter((m) => m.refold !== null).map((m) => m._id) : [];
    const quarantined = moved ? await this.readModels.collection('quarantine').count({}) : this.state.quarantined;
    // Changes seen on the tail are the worker's once its checkpoint moved past them.
    const changed = usage > previous ? [...this.pendingChanges] : [];
    if (changed.length > 0) this.pendingChanges = new Set();
    // A separate process's commits are not told apart: any move of a catalog checkpoint counts as a change.
    const catalog = [...checkpoints].filter(([name]) => name !== USAGE).reduce((max, [, p]) => (p > max ? p : max), 0n);
    this.committed({ checkpoints, changed, stale, quarantined, catalog });
  }
}

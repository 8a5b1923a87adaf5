import { EventEmitter } from 'node:events';
import type { EventStore, LogPart, RecordedEvent } from '../src/application/ports/eventStore.ts';
import type { Document, DocumentWrite, ReadModelStore } from '../src/application/ports/readModelStore.ts';
import type { Logger } from '../src/application/logger.ts';
import { backoff, retrier, RESUBSCRIBING, type BackoffOptions } from '../src/application/logFollower.ts';
import { collectionsOf, isStateful, type AnyProjection, type FoldFailure, type Projection, type StatefulFold, type StatefulProjection } from './projection.ts';
import { QUARANTINE, quarantineRecord, type QuarantineDocument } from './quarantine.ts';

/** What one commit made visible. */
export interface CommitInfo {
  /** Every projection's checkpoint after the commit. */
  checkpoints: Map<string, bigint>;
  /** Keys of the stateful projection whose documents changed (usage: subject keys). */
  changed: string[];
  /** Keys whose documents lag the checkpoint (being re-folded). */
  stale: string[];
  quarantined: number;
  /** The position of the last commit that changed a catalog read model (the simple projections). */
  catalog: bigint;
}

export interface ProjectionRunnerOptions {
  /** Events read per page. */
  batchSize?: number;
  /** Longest a folded usage event waits for its commit (unless someone waits for it: then at once). */
  commitIntervalMs?: number;
  /** Folded events that force a commit whatever the interval. */
  maxUncommitted?: number;
  /** Time given to background work (re-folds) per step. */
  backgroundBudgetMs?: number;
  /** Events a re-fold reads per step (usage). */
  refoldPage?: number;
  /** Read only part of the log (a rebuild split across threads). */
  log?: LogPart;
  /** The stateful projection starts from empty read models (a rebuild): see StatefulDeps. */
  fromEmpty?: boolean;
  /** Waits before resubscribing to a dropped log subscription, or retrying a failed background read. */
  resubscribe?: BackoffOptions;
  logger?: Logger;
}

const IDLE = Symbol('idle');
const TIMEOUT = Symbol('timeout');
type Next = IteratorResult<RecordedEvent> | typeof IDLE;
const ignore = () => {};
const idle = () => new Promise<typeof IDLE>((resolve) => setImmediate(() => resolve(IDLE)));
const sleep = (ms: number) => new Promise<typeof TIMEOUT>((resolve) => setTimeout(() => resolve(TIMEOUT), Math.max(0, ms)));

/** The first of `promise`, a timeout of `ms` and a wake-up call; the timer is cleared either way. */
function nextOrTimeout<T>(promise: Promise<T>, ms: number, onWake: (wake: () => void) => void): Promise<T | typeof TIMEOUT> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(TIMEOUT), Math.max(0, ms));
    onWake(() => {
      clearTimeout(timer);
      resolve(TIMEOUT);
    });
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** A live subscriber's subscription changed: committed within this. */
const WATCHED_COMMIT_MS = 25;

/** Under load, background work (re-folds) gets a step at least this often. */
const BACKGROUND_EVERY_MS = 50;

/** Commits that fail for every document (disk full, I/O error) are retried, waiting longer each time. */
const RETRY_MS = [100, 500, 2_000, 5_000, 10_000];

/**
 * Runs every projection over one shared read of the log, then follows it. Each event is read and parsed once;
 * simple projections fold into an overlay of pending documents, the stateful usage fold into its own working set,
 * and one commit writes everything with every checkpoint (one transaction on the embedded store).
 *
 * When to commit: at once for a page holding anything but usage events (commands wait on read models), when
 * someone waits for a position already folded, when watched keys changed (live pushes), and otherwise every
 * `commitIntervalMs` or `maxUncommitted` events — fewer, larger commits write fewer pages per event.
 *
 * Nothing stops it: an event a fold throws on, or a document the store refuses, is quarantined (recorded in the
 * `quarantine` collection, logged, counted) and the rest goes on; a commit that fails for every document is
 * retried with back-off.
 */
export class ProjectionRunner {
  readonly commits = new EventEmitter<{ commit: [CommitInfo] }>();
  private readonly positions = new Map<string, bigint>();
  private readonly eventStore: EventStore;
  private readonly readModels: ReadModelStore;
  private readonly simple: Projection[];
  /** Collections of the simple projections that are catalog (their writes move `catalog`). */
  private readonly catalogCollections: Set<string>;
  private readonly stateful: { projection: StatefulProjection; fold: StatefulFold } | null;
  private readonly options: Required<Omit<ProjectionRunnerOptions, 'logger' | 'refoldPage' | 'log' | 'fromEmpty' | 'resubscribe'>>;
  private readonly resubscribe: BackoffOptions | undefined;
  private readonly log: LogPart;
  private readonly logger: Logger | undefined;
  /** Documents of simple projections folded but not committed: later folds read them from here. */
  private overlay = new Map<string, { collection: string; id: string; doc: Document | null; position: bigint }>();
  private quarantine: QuarantineDocument[] = [];
  private catalog = 0n;
  private quarantinedTotal = 0;
  /** The last position every projection has folded (committed or not). */
  private folded = 0n;
  private uncommittedSince: number | null = null;
  private urgent = false;
  private readonly wanted: bigint[] = [];
  private readonly watched = new Map<string, number>();
  private stopFollowing: (() => Promise<void>) | null = null;
  private failure: string | null = null;
  /** Why following the log stopped for good (an error no retry can mend): health fails until a restart. */
  private stoppedBy: string | null = null;
  private wake: (() => void) | null = null;

  constructor(eventStore: EventStore, readModels: ReadModelStore, projections: AnyProjection[], options: ProjectionRunnerOptions = {}) {
    this.eventStore = eventStore;
    this.readModels = readModels;
    this.simple = projections.filter((p): p is Projection => !isStateful(p));
    this.catalogCollections = new Set(this.simple.filter((p) => p.catalog !== false).map((p) => p.collection));
    const stateful = projections.find(isStateful);
    this.stateful = stateful ? { projection: stateful, fold: stateful.create({ readModels, eventStore, logger: options.logger, refoldPage: options.refoldPage, fromEmpty: options.fromEmpty }) } : null;
    this.log = options.log ?? 'all';
    this.options = {
      batchSize: options.batchSize ?? 1_000,
      commitIntervalMs: options.commitIntervalMs ?? 200,
      maxUncommitted: options.maxUncommitted ?? 20_000,
      backgroundBudgetMs: options.backgroundBudgetMs ?? 20,
    };
    this.logger = options.logger;
    this.resubscribe = options.resubscribe;
    this.backgroundDelays = backoff(options.resubscribe);
    this.commits.setMaxListeners(0);
  }

  /** Loads the checkpoints and starts following the log; catching up goes on in the background. */
  async start(): Promise<void> {
    await ensureCollections(this.readModels, [...this.simple, ...(this.stateful ? [this.stateful.projection] : [])]);
    await this.readModels.ensureIndexes(QUARANTINE, [{ name: 'byOrganization', keys: { organizationId: 1, _id: 1 } }]);
    for (const projection of this.all()) this.positions.set(projection.name, (await this.readModels.getCheckpoint(projection.name)) ?? 0n);
    this.quarantinedTotal = await this.readModels.collection(QUARANTINE).count({});
    if (this.stateful) await this.stateful.fold.start(this.positions.get(this.stateful.projection.name)!);
    const checkpoints = [...this.positions.values()];
    // Anything read before this start may be older than the catalog as stored: start from where it is.
    this.catalog = checkpoints.reduce((max, p) => (p > max ? p : max), 0n);
    this.folded = checkpoints.reduce((min, p) => (p < min ? p : min), checkpoints[0] ?? 0n);
    this.follow(this.folded);
  }

  async stop(): Promise<void> {
    await this.stopFollowing?.();
    this.stopFollowing = null;
  }

  /** Committed checkpoint of each projection (0 before the first event). */
  checkpoints(): Map<string, bigint> {
    return new Map(this.positions);
  }

  /** Keys of the stateful projection whose documents lag its checkpoint (usage: subjects being re-folded). */
  stale(): string[] {
    return this.stateful?.fold.stale() ?? [];
  }

  quarantined(): number {
    return this.quarantinedTotal;
  }

  /** The position of the last commit that changed a catalog read model. */
  catalogPosition(): bigint {
    return this.catalog;
  }

  /** Why the runner stopped following the log, or why the last commit failed while it is retried; null when healthy. */
  lastFailure(): string | null {
    return this.stoppedBy ?? this.failure;
  }

  /** Someone waits for `position`: commit as soon as it is folded. */
  want(position: bigint): void {
    if ([...this.positions.values()].every((p) => p >= position)) return;
    this.wanted.push(position);
    this.wake?.();
  }

  /** Live subscribers on these keys: their changes are committed without waiting for the interval. */
  watch(key: string, delta: 1 | -1): void {
    const count = (this.watched.get(key) ?? 0) + delta;
    if (count > 0) this.watched.set(key, count);
    else this.watched.delete(key);
  }

  /**
   * Resolves when every projection (or each one named) has committed the log up to `position` (read-your-writes
   * after a command).
   */
  async waitFor(position: bigint, timeoutMs = 5_000, names?: readonly string[]): Promise<void> {
    const reached = () => (names ? names.map((name) => this.positions.get(name) ?? 0n) : [...this.positions.values()]).every((p) => p >= position);
    if (reached()) return;
    this.want(position);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.commits.off('commit', check);
        reject(new Error(`projections did not reach position ${position} within ${timeoutMs} ms`));
      }, timeoutMs);
      const check = () => {
        if (!reached()) return;
        clearTimeout(timer);
        this.commits.off('commit', check);
        resolve();
      };
      this.commits.on('commit', check);
    });
  }

  /** Folds one batch of events into every projection and commits (tests and the rebuild script). */
  async apply(batch: RecordedEvent[]): Promise<void> {
    await this.processPage(batch);
    await this.commit();
  }

  private *all(): Generator<AnyProjection> {
    yield* this.simple;
    if (this.stateful) yield this.stateful.projection;
  }

  /**
   * Follows the log from `from`. When the store drops the subscription (it throws or ends), the page read so far is
   * folded and the runner resubscribes strictly after its last event (`folded`) after a back-off: every event read
   * is folded once, none is skipped. The subscription is read directly (no wrapper, no extra promise per event).
   */
  private follow(from: bigint): void {
    const open = (after: bigint) => {
      const subscription = this.eventStore.subscribeToAll({ after, usage: this.log });
      return { subscription, iterator: subscription[Symbol.asyncIterator]() };
    };
    const retry = retrier({ name: 'projections', logger: this.logger, backoff: this.resubscribe });
    let current = open(from);
    let running = true;
    const loop = (async () => {
      let pending: Promise<IteratorResult<RecordedEvent>> = current.iterator.next();
      while (running) {
        let dropped: { error: unknown } | null = null;
        let first: IteratorResult<RecordedEvent> | typeof TIMEOUT;
        try {
          first = await nextOrTimeout(pending, this.waitMs(), (wake) => (this.wake = wake));
        } catch (error) {
          first = TIMEOUT;
          dropped = { error };
        }
        this.wake = null;
        if (first !== TIMEOUT && first.done) {
          dropped = { error: new Error('the log subscription ended') };
        } else if (first !== TIMEOUT) {
          const page: RecordedEvent[] = [first.value];
          pending = current.iterator.next();
          // Take what is already available without waiting: pages grow under load, stay small when idle. One
          // turn of the event loop per page (not per event: a pending setImmediate per event would keep every
          // event of a long catch-up reachable until the loop yields).
          const turn = idle();
          while (page.length < this.options.batchSize) {
            let next: Next;
            try {
              next = await Promise.race([pending, turn]);
            } catch (error) {
              dropped = { error };
              break;
            }
            if (next === IDLE) break;
            if (next.done) {
              dropped = { error: new Error('the log subscription ended') };
              break;
            }
            page.push(next.value);
            pending = current.iterator.next();
          }
          // Awaited only after the page is folded: a drop meanwhile must not count as an unhandled rejection.
          pending.catch(ignore);
          retry.reset();
          await this.processPage(page);
          // Under load there is no idle moment: background work still gets a slice every so often.
          if (this.backgroundDue() && performance.now() - this.lastBackground >= BACKGROUND_EVERY_MS) await this.background();
        } else if (this.backgroundDue()) {
          await this.background();
        }
        if (this.shouldCommit()) await this.commitWithRetry();
        if (dropped !== null && running) {
          void current.subscription.close().catch(() => {});
          await retry.wait(RESUBSCRIBING, dropped.error, { after: this.folded.toString() });
          if (!running) break;
          current = open(this.folded);
          pending = current.iterator.next();
          pending.catch(ignore);
        }
        // Catching up never waits on I/O: yield once per page so that messages (waits, watches) and timers run.
        await idle();
      }
    })().catch((error: unknown) => {
      // Not a store failure (those are retried): the health check fails so that the process is restarted.
      this.stoppedBy = `projections stopped: ${String(error)}`;
      this.logger?.error('projections stopped', { error: String(error) });
    });
    this.stopFollowing = async () => {
      running = false;
      this.wake?.();
      retry.interrupt();
      await current.subscription.close();
      await loop;
      if (this.overlay.size > 0 || (this.stateful?.fold.pending() ?? 0) > 0) await this.commit().catch(() => {});
    };
  }

  private lastBackground = 0;
  private watchedDirty = false;
  private lastCommit = 0;
  private readonly backgroundDelays: ReturnType<typeof backoff>;
  /** A background step failed (a read of the store): none before this instant. */
  private backgroundRetryAt = 0;

  private backgroundDue(): boolean {
    return this.stateful?.fold.hasBackgroundWork() === true && performance.now() >= this.backgroundRetryAt;
  }

  private async background(): Promise<void> {
    try {
      await this.stateful!.fold.backgroundStep(this.options.backgroundBudgetMs);
      this.backgroundDelays.reset();
    } catch (error) {
      // A step reads before it changes anything: it is simply taken again later.
      const retryInMs = this.backgroundDelays.next();
      this.backgroundRetryAt = performance.now() + retryInMs;
      this.logger?.warn('projection background step failed; retrying', { error: String(error), retryInMs });
    }
    this.lastBackground = performance.now();
    // Re-fold progress is committed with the documents it wrote: a crash resumes from the last page committed.
    this.urgent = true;
  }

  /** How long to wait for the next event before committing or doing background work. */
  private waitMs(): number {
    if (this.backgroundDue()) return 0;
    if (this.stateful?.fold.hasBackgroundWork()) return Math.min(this.backgroundRetryAt - performance.now(), this.commitWaitMs());
    return this.commitWaitMs();
  }

  private commitWaitMs(): number {
    if (this.uncommittedSince === null) return 1_000;
    const interval = this.uncommittedSince + this.options.commitIntervalMs - performance.now();
    return this.watchedDirty ? Math.min(interval, this.lastCommit + WATCHED_COMMIT_MS - performance.now()) : interval;
  }

  private shouldCommit(): boolean {
    if (this.uncommittedSince === null && !this.urgent) return false;
    if (this.urgent) return true;
    // Live subscribers: their subscriptions' changes are committed within WATCHED_COMMIT_MS (every page would
    // rewrite the same pages a hundred times a second, and the WAL's fsyncs would grow with it).
    if (this.watchedDirty && performance.now() - this.lastCommit >= WATCHED_COMMIT_MS) return true;
    if (this.wanted.some((position) => position <= this.folded)) return true;
    const pending = this.stateful?.fold.pending() ?? 0;
    if (pending >= this.options.maxUncommitted) return true;
    return performance.now() - this.uncommittedSince! >= this.options.commitIntervalMs;
  }

  private async processPage(page: RecordedEvent[]): Promise<void> {
    const end = page.at(-1)!.position;
    let touchedCatalog = false;
    for (const projection of this.simple) {
      const after = this.positions.get(projection.name) ?? 0n;
      const events = page.filter((event) => event.position > after && projection.handles.includes(event.type));
      if (events.length > 0) touchedCatalog = true;
      await this.fold(projection, events);
    }
    if (this.stateful) {
      const { projection, fold } = this.stateful;
      const after = this.positions.get(projection.name) ?? 0n;
      const events = page.filter((event) => event.position > after && projection.handles.includes(event.type));
      const barriers = events.filter((event) => projection.barriers.includes(event.type));
      if (barriers.length > 0) {
        // The stateful fold reads what the other projections just folded: commit them first.
        await this.commitWithRetry(end, false);
        await fold.barrier(barriers);
        touchedCatalog = true;
      }
      await fold.process(events, end);
    }
    this.folded = end;
    this.uncommittedSince ??= performance.now();
    if (touchedCatalog) this.urgent = true;
    if (this.watched.size > 0 && this.stateful && !this.watchedDirty) {
      if (page.some((event) => event.type === 'UsageEventIngested' && this.watched.has(subjectOfEvent(event)))) this.watchedDirty = true;
    }
  }

  private async fold(projection: Projection, events: RecordedEvent[]): Promise<void> {
    if (events.length === 0) return;
    const ids = [...new Set(events.flatMap((event) => projection.documentIds(event)))];
    const missing = ids.filter((id) => !this.overlay.has(`${projection.collection}\u0000${id}`));
    const stored = await this.readModels.loadForUpdate(projection.collection, missing);
    const working = new Map<string, { doc: Document | null; position: bigint; dirty: boolean }>();
    for (const id of ids) {
      const pending = this.overlay.get(`${projection.collection}\u0000${id}`);
      const found = pending ?? stored.get(id);
      working.set(id, { doc: found?.doc ?? null, position: found?.position ?? 0n, dirty: false });
    }
    for (const event of events) {
      for (const id of projection.documentIds(event)) {
        const entry = working.get(id)!;
        if (event.position <= entry.position) continue;
        try {
          entry.doc = projection.fold(entry.doc, event, id);
        } catch (error) {
          // The document stays as it was; the event is recorded and skipped.
          this.quarantineEvent(projection.name, event, id, error);
        }
        entry.position = event.position;
        entry.dirty = true;
      }
    }
    for (const [id, entry] of working) {
      if (entry.dirty) this.overlay.set(`${projection.collection}\u0000${id}`, { collection: projection.collection, id, doc: entry.doc, position: entry.position });
    }
  }

  private quarantineEvent(projection: string, event: RecordedEvent, documentId: string | null, error: unknown): void {
    const organizationId = String(event.metadata.organizationId ?? (event.data as { organizationId?: unknown } | null)?.organizationId ?? '');
    this.addQuarantine({ position: event.position, organizationId, documentId, error: String(error) }, projection, event.type);
  }

  private addQuarantine(failure: FoldFailure, projection: string, eventType: string | null): void {
    this.logger?.warn('projection quarantined an event', { projection, position: failure.position.toString(), documentId: failure.documentId, error: failure.error });
    this.quarantine.push(quarantineRecord(projection, failure, eventType));
  }

  /** Commits, retrying with back-off while every write fails; folding waits meanwhile (memory stays bounded). */
  private async commitWithRetry(position = this.folded, withStateful = true): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.commit(position, withStateful);
        this.failure = null;
        return;
      } catch (error) {
        this.failure = String(error);
        const wait = RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]!;
        this.logger?.error('projection commit failed; retrying', { error: this.failure, retryInMs: wait });
        await sleep(wait);
      }
    }
  }

  private stagedWrites: DocumentWrite[] | null = null;

  /**
   * One commit: the overlay, the stateful fold's dirty documents, quarantine records and every checkpoint. When
   * the store refuses it, each write is tried alone: those it refuses are quarantined, the rest committed. When
   * it refuses every write, the commit fails as a whole (kept for the retry).
   */
  private async commit(position = this.folded, withStateful = true): Promise<void> {
    const stateful = this.stateful;
    if (this.stagedWrites === null) {
      const writes: DocumentWrite[] = [...this.overlay.values()];
      if (writes.some((write) => this.catalogCollections.has(write.collection))) this.catalog = position;
      this.overlay = new Map();
      if (stateful && withStateful) {
        writes.push(...stateful.fold.takeWrites(position));
        for (const failure of stateful.fold.takeFailures()) this.addQuarantine(failure, stateful.projection.name, 'UsageEventIngested');
      }
      this.stagedWrites = writes;
    }
    const writes = this.stagedWrites;
    const quarantine = this.quarantine.map((doc): DocumentWrite => ({ collection: QUARANTINE, id: doc._id, doc, position: BigInt(doc.position) }));
    const checkpoints = [...this.all()]
      .filter((p) => withStateful || !isStateful(p))
      .map((p) => ({ name: p.name, position: position > (this.positions.get(p.name) ?? 0n) ? position : this.positions.get(p.name)! }));
    try {
      await this.readModels.commit([...writes, ...quarantine], checkpoints);
    } catch (error) {
      const refused = await this.isolate(writes, error);
      for (const write of refused) {
        this.addQuarantine({ position: write.position, organizationId: organizationOfWrite(write), documentId: `${write.collection}/${write.id}`, error: 'the store refused this document' }, write.collection, null);
      }
      const records = this.quarantine.map((doc): DocumentWrite => ({ collection: QUARANTINE, id: doc._id, doc, position: BigInt(doc.position) }));
      await this.readModels.commit(records, checkpoints);
      // The refused documents' cached state was never stored: reload from what was.
      if (refused.length > 0 && stateful) stateful.fold.reset();
    }
    this.stagedWrites = null;
    this.quarantinedTotal += this.quarantine.length;
    this.quarantine = [];
    for (const checkpoint of checkpoints) this.positions.set(checkpoint.name, checkpoint.position);
    if (withStateful) {
      this.uncommittedSince = null;
      this.urgent = false;
      this.watchedDirty = false;
      this.lastCommit = performance.now();
      const remaining = this.wanted.filter((p) => p > position);
      this.wanted.length = 0;
      this.wanted.push(...remaining);
    }
    this.commits.emit('commit', {
      checkpoints: new Map(this.positions),
      changed: withStateful && stateful ? stateful.fold.takeChanged() : [],
      stale: this.stale(),
      quarantined: this.quarantinedTotal,
      catalog: this.catalog,
    });
  }

  /**
   * Finds the writes the store refuses by committing each alone (the others go in). Throws when it refuses them
   * all, or the only one: the fault is then the store's, not a document's.
   */
  private async isolate(writes: readonly DocumentWrite[], cause: unknown): Promise<DocumentWrite[]> {
    if (writes.length <= 1) throw cause;
    const refused: DocumentWrite[] = [];
    for (const write of writes) {
      try {
        await this.readModels.commit([write], []);
      } catch {
        refused.push(write);
      }
    }
    if (refused.length === writes.length) throw cause;
    return refused;
  }
}

/** Creates every collection a projection writes, with its indexes. */
export async function ensureCollections(readModels: ReadModelStore, projections: readonly AnyProjection[]): Promise<void> {
  for (const projection of projections) {
    for (const collection of collectionsOf(projection)) await readModels.ensureIndexes(collection.name, collection.indexes, { clustered: collection.clustered ?? false });
  }
}

function subjectOfEvent(event: RecordedEvent): string {
  const data = event.data as { organizationId: string; externalSubscriptionId: string };
  return `${encodeURIComponent(data.organizationId)}|${encodeURIComponent(data.externalSubscriptionId)}`;
}

function organizationOfWrite(write: DocumentWrite): string {
  const doc = write.doc as { organizationId?: unknown } | null;
  if (typeof doc?.organizationId === 'string') return doc.organizationId;
  // Usage documents carry the organization as the first part of their id.
  const first = write.id.split('|')[0];
  return first === undefined || first === write.id ? '' : decodeURIComponent(first);
}

import { EventEmitter } from 'node:events';
import type { EventStore, RecordedEvent } from '../src/application/ports/eventStore.ts';
import type { Document, DocumentWrite, ReadModelStore } from '../src/application/ports/readModelStore.ts';
import type { Logger } from '../src/application/logger.ts';
import { isBatchProjection, type AnyProjection, type BatchProjection, type Projection } from './projection.ts';

export interface ProjectionChange {
  projection: string;
  collection: string;
  ids: string[];
  position: bigint;
}

export interface ProjectionRunnerOptions {
  batchSize?: number;
  logger?: Logger;
}

const IDLE = Symbol('idle');
const idle = () => new Promise<typeof IDLE>((resolve) => setImmediate(() => resolve(IDLE)));

/**
 * Runs projections over one shared read of the log: catch up from the lowest checkpoint, then follow live appends,
 * folding in batches. Each event is read and parsed once, whatever the number of projections; every batch commits
 * all projections' documents and checkpoints together (one transaction on the embedded store). A projection skips
 * events at or below its own checkpoint, and a document skips events at or below the position it stores, so a
 * replay never applies an event twice.
 */
export class ProjectionRunner {
  readonly changes = new EventEmitter<{ change: [ProjectionChange] }>();
  private readonly positions = new Map<string, bigint>();
  private stopFollowing: (() => Promise<void>) | null = null;
  private readonly eventStore: EventStore;
  private readonly readModels: ReadModelStore;
  private readonly projections: Projection[];
  private readonly batchProjections: BatchProjection[];
  private readonly batchSize: number;
  private readonly logger: Logger | undefined;

  constructor(eventStore: EventStore, readModels: ReadModelStore, projections: AnyProjection[], options: ProjectionRunnerOptions = {}) {
    this.eventStore = eventStore;
    this.readModels = readModels;
    this.projections = projections.filter((p): p is Projection => !isBatchProjection(p));
    this.batchProjections = projections.filter(isBatchProjection);
    this.batchSize = options.batchSize ?? 1000;
    this.logger = options.logger;
    this.changes.setMaxListeners(0);
  }

  /** Loads every checkpoint and starts following the log (catch-up continues in the background). */
  async start(): Promise<void> {
    for (const projection of [...this.projections, ...this.batchProjections]) {
      await this.readModels.ensureIndexes(projection.collection, projection.indexes);
      this.positions.set(projection.name, (await this.readModels.getCheckpoint(projection.name)) ?? 0n);
    }
    const checkpoints = [...this.positions.values()];
    this.follow(checkpoints.reduce((min, p) => (p < min ? p : min), checkpoints[0] ?? 0n));
  }

  async stop(): Promise<void> {
    await this.stopFollowing?.();
    this.stopFollowing = null;
  }

  /** Checkpoint of each projection (0 before the first event). */
  checkpoints(): Map<string, bigint> {
    return new Map(this.positions);
  }

  /**
   * Resolves when every projection (or each one named) has folded the log up to `position` (read-your-writes after
   * a command).
   */
  async waitFor(position: bigint, timeoutMs = 5_000, names?: readonly string[]): Promise<void> {
    const reached = () => (names ? names.map((name) => this.positions.get(name) ?? 0n) : [...this.positions.values()]).every((p) => p >= position);
    if (reached()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.changes.off('change', check);
        reject(new Error(`projections did not reach position ${position} within ${timeoutMs} ms`));
      }, timeoutMs);
      const check = () => {
        if (!reached()) return;
        clearTimeout(timer);
        this.changes.off('change', check);
        resolve();
      };
      this.changes.on('change', check);
    });
  }

  private follow(from: bigint): void {
    const subscription = this.eventStore.subscribeToAll({ after: from });
    const iterator = subscription[Symbol.asyncIterator]();
    let running = true;
    const loop = (async () => {
      let pending = iterator.next();
      while (running) {
        const first = await pending;
        if (first.done) return;
        const batch: RecordedEvent[] = [first.value];
        pending = iterator.next();
        // Take what is already available without waiting: batches grow under load, stay small when idle.
        while (batch.length < this.batchSize) {
          const next = await Promise.race([pending, idle()]);
          if (next === IDLE || next.done) break;
          batch.push(next.value);
          pending = iterator.next();
        }
        await this.applyAll(this.projections, batch, this.batchProjections);
      }
    })().catch((error: unknown) => this.logger?.error('projections stopped', { error: String(error) }));
    this.stopFollowing = async () => {
      running = false;
      await subscription.close();
      await loop;
    };
  }

  /** Folds one batch into one projection and commits. Exposed for tests and the rebuild script. */
  async apply(projection: AnyProjection, batch: RecordedEvent[]): Promise<void> {
    if (!this.positions.has(projection.name)) this.positions.set(projection.name, 0n);
    if (isBatchProjection(projection)) await this.applyAll([], batch, [projection]);
    else await this.applyAll([projection], batch);
  }

  private async applyAll(projections: Projection[], batch: RecordedEvent[], batchProjections: BatchProjection[] = []): Promise<void> {
    const last = batch.at(-1);
    if (!last) return;
    const writes: DocumentWrite[] = [];
    const changed: ProjectionChange[] = [];
    for (const projection of projections) {
      const after = this.positions.get(projection.name) ?? 0n;
      const events = batch.filter((event) => event.position > after && projection.handles.includes(event.type));
      const own = await this.fold(projection, events);
      writes.push(...own);
      changed.push({ projection: projection.name, collection: projection.collection, ids: own.map((w) => w.id), position: last.position });
    }
    // A batch projection reads the other read models: it runs in this transaction unless the batch changes them.
    const [together, after] = partition(batchProjections, (p) => !batch.some((e) => p.barriers.includes(e.type)));
    for (const projection of together) {
      const own = await this.processBatch(projection, batch, last.position);
      writes.push(...own);
      changed.push({ projection: projection.name, collection: projection.collection, ids: own.map((w) => w.id), position: last.position });
    }
    await this.readModels.commit(writes, [...projections, ...together].map((p) => ({ name: p.name, position: last.position })));
    this.advance(changed, last.position);
    for (const projection of after) {
      const own = await this.processBatch(projection, batch, last.position);
      await this.readModels.commit(own, [{ name: projection.name, position: last.position }]);
      this.advance([{ projection: projection.name, collection: projection.collection, ids: own.map((w) => w.id), position: last.position }], last.position);
    }
  }

  private advance(changed: ProjectionChange[], position: bigint): void {
    for (const change of changed) {
      const current = this.positions.get(change.projection) ?? 0n;
      if (position > current) this.positions.set(change.projection, position);
      this.changes.emit('change', change);
    }
  }

  private async processBatch(projection: BatchProjection, batch: RecordedEvent[], batchEnd: bigint): Promise<DocumentWrite[]> {
    const after = this.positions.get(projection.name) ?? 0n;
    const events = batch.filter((event) => event.position > after && projection.handles.includes(event.type));
    if (events.length === 0) return [];
    try {
      return await projection.process(events, batchEnd, this.readModels, this.logger);
    } catch (error) {
      // A read failing mid-batch: retry the batch rather than skip it (the loop stops; a restart resumes here).
      this.logger?.error('batch projection failed', { projection: projection.name, error: String(error) });
      throw error;
    }
  }

  private async fold(projection: Projection, events: RecordedEvent[]): Promise<DocumentWrite[]> {
    if (events.length === 0) return [];
    const ids = [...new Set(events.flatMap((event) => projection.documentIds(event)))];
    const stored = await this.readModels.loadForUpdate(projection.collection, ids);
    const working = new Map<string, { doc: Document | null; position: bigint; dirty: boolean }>();
    for (const id of ids) {
      const found = stored.get(id);
      working.set(id, { doc: found?.doc ?? null, position: found?.position ?? 0n, dirty: false });
    }
    for (const event of events) {
      for (const id of projection.documentIds(event)) {
        const entry = working.get(id)!;
        if (event.position <= entry.position) continue;
        entry.doc = this.safeFold(projection, entry.doc, event, id);
        entry.position = event.position;
        entry.dirty = true;
      }
    }
    return [...working].filter(([, e]) => e.dirty).map(([id, e]) => ({ collection: projection.collection, id, doc: e.doc, position: e.position }));
  }

  private safeFold(projection: Projection, doc: Document | null, event: RecordedEvent, id: string): Document | null {
    try {
      return projection.fold(doc, event, id);
    } catch (error) {
      // A projection never stops on data it finds odd: keep the document as it was and say so.
      this.logger?.warn('projection skipped an event', { projection: projection.name, type: event.type, error: String(error) });
      return doc;
    }
  }
}

function partition<T>(items: readonly T[], test: (item: T) => boolean): [T[], T[]] {
  const yes: T[] = [];
  const no: T[] = [];
  for (const item of items) (test(item) ? yes : no).push(item);
  return [yes, no];
}

import { EventEmitter } from 'node:events';
import type { EventStore, RecordedEvent } from '../src/application/ports/eventStore.ts';
import type { Document, DocumentWrite, ReadModelStore } from '../src/application/ports/readModelStore.ts';
import type { Logger } from '../src/application/logger.ts';
import type { Projection } from './projection.ts';

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
 * Runs projections: each catches up from its checkpoint, then follows the live log, folding in batches. Documents
 * and checkpoint are committed together; an event at or below a document's stored position is skipped, so a
 * replay never applies an event twice.
 */
export class ProjectionRunner {
  readonly changes = new EventEmitter<{ change: [ProjectionChange] }>();
  private readonly positions = new Map<string, bigint>();
  private readonly stops: (() => Promise<void>)[] = [];
  private readonly eventStore: EventStore;
  private readonly readModels: ReadModelStore;
  private readonly projections: Projection[];
  private readonly batchSize: number;
  private readonly logger: Logger | undefined;

  constructor(eventStore: EventStore, readModels: ReadModelStore, projections: Projection[], options: ProjectionRunnerOptions = {}) {
    this.eventStore = eventStore;
    this.readModels = readModels;
    this.projections = projections;
    this.batchSize = options.batchSize ?? 500;
    this.logger = options.logger;
    this.changes.setMaxListeners(0);
  }

  /** Starts every projection; resolves once each has loaded its checkpoint (catch-up continues in background). */
  async start(): Promise<void> {
    for (const projection of this.projections) {
      await this.readModels.ensureIndexes(projection.collection, projection.indexes);
      const checkpoint = await this.readModels.getCheckpoint(projection.name);
      this.positions.set(projection.name, checkpoint ?? 0n);
      this.follow(projection, checkpoint ?? 0n);
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.stops.splice(0).map((stop) => stop()));
  }

  /** Checkpoint of each projection (0 before the first event). */
  checkpoints(): Map<string, bigint> {
    return new Map(this.positions);
  }

  /** Resolves when every projection has folded the log up to `position` (read-your-writes after a command). */
  async waitFor(position: bigint, timeoutMs = 5_000): Promise<void> {
    const reached = () => [...this.positions.values()].every((p) => p >= position);
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

  private follow(projection: Projection, from: bigint): void {
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
        await this.apply(projection, batch);
      }
    })().catch((error: unknown) => this.logger?.error('projection stopped', { projection: projection.name, error: String(error) }));
    this.stops.push(async () => {
      running = false;
      await subscription.close();
      await loop;
    });
  }

  /** Folds one batch and commits documents + checkpoint. Exposed for tests and the rebuild script. */
  async apply(projection: Projection, batch: RecordedEvent[]): Promise<void> {
    const last = batch.at(-1);
    if (!last) return;
    const handled = batch.filter((event) => projection.handles.includes(event.type));
    const ids = [...new Set(handled.flatMap((event) => projection.documentIds(event)))];
    const stored = await this.readModels.loadForUpdate(projection.collection, ids);
    const working = new Map<string, { doc: Document | null; position: bigint; dirty: boolean }>();
    for (const id of ids) {
      const found = stored.get(id);
      working.set(id, { doc: found?.doc ?? null, position: found?.position ?? 0n, dirty: false });
    }
    for (const event of handled) {
      for (const id of projection.documentIds(event)) {
        const entry = working.get(id)!;
        if (event.position <= entry.position) continue;
        entry.doc = this.safeFold(projection, entry.doc, event, id);
        entry.position = event.position;
        entry.dirty = true;
      }
    }
    const writes: DocumentWrite[] = [];
    for (const [id, entry] of working) {
      if (entry.dirty) writes.push({ collection: projection.collection, id, doc: entry.doc, position: entry.position });
    }
    await this.readModels.commit(writes, { name: projection.name, position: last.position });
    this.positions.set(projection.name, last.position);
    this.changes.emit('change', {
      projection: projection.name,
      collection: projection.collection,
      ids: writes.map((w) => w.id),
      position: last.position,
    });
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

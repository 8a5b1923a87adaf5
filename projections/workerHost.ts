import { Worker } from 'node:worker_threads';
import type { Logger, LogLevel } from '../src/application/logger.ts';
import type { SqliteEventStore } from '../src/infrastructure/eventStore/sqlite.ts';
import { TrackedHost } from './hosts.ts';
import type { ProjectionRunnerOptions } from './runner.ts';
import type { FromWorker, ToWorker, WorkerData } from './worker.ts';

/** Restart delays after the worker exits unexpectedly. */
const RESTART_MS = [100, 1_000, 5_000];

/**
 * Projections in a worker thread of this process (embedded store): ingestion acknowledgements and HTTP on this
 * thread, folds and their commits on the other core. The worker reports each commit by message (checkpoints,
 * changed usage subjects, re-folding subjects), so read-your-writes and live pushes follow commits without polling;
 * this thread tells it of each append (no polling there either), of positions someone waits for, and of watched
 * subjects. A worker that dies is restarted (it resumes from its checkpoints); meanwhile health says so.
 */
export class WorkerHost extends TrackedHost {
  private readonly data: WorkerData;
  private readonly eventStore: SqliteEventStore;
  private readonly logger: Logger;
  private worker: Worker | null = null;
  private stopping = false;
  private restarts = 0;
  private unlisten: (() => void) | null = null;
  private readonly watched = new Map<string, number>();
  private started: Promise<void> | null = null;

  constructor(eventStore: SqliteEventStore, options: { databasePath: string; readModelsPath: string; logLevel: LogLevel; logger: Logger; runner?: Omit<ProjectionRunnerOptions, 'logger'> }) {
    super();
    this.eventStore = eventStore;
    this.logger = options.logger;
    this.data = { databasePath: options.databasePath, readModelsPath: options.readModelsPath, logLevel: options.logLevel, runner: options.runner ?? {} };
  }

  /** Resolves once the worker runs (its first report), not once it has caught up. */
  async start(): Promise<void> {
    this.unlisten = this.eventStore.onAppended((position) => this.send({ type: 'appended', position: position.toString() }));
    await this.spawn();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.unlisten?.();
    const worker = this.worker;
    if (worker === null) return;
    await new Promise<void>((resolve) => {
      // The worker commits what it folded, closes its connection, says so and ends; a stuck one is terminated.
      const timer = setTimeout(() => void worker.terminate().then(() => resolve()), 10_000);
      worker.on('message', (message: FromWorker) => {
        if (message.type === 'stopped') void worker.terminate();
      });
      worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      worker.postMessage({ type: 'stop' } satisfies ToWorker);
    });
    this.worker = null;
    this.state = { ...this.state, running: false };
  }

  watch(subject: string, delta: 1 | -1): void {
    const count = (this.watched.get(subject) ?? 0) + delta;
    if (count > 0) this.watched.set(subject, count);
    else this.watched.delete(subject);
    this.send({ type: 'watch', subject, delta });
  }

  protected want(position: bigint): void {
    this.send({ type: 'want', position: position.toString() });
  }

  private send(message: ToWorker): void {
    this.worker?.postMessage(message);
  }

  private spawn(): Promise<void> {
    const worker = new Worker(new URL('./worker.ts', import.meta.url), { workerData: this.data });
    this.worker = worker;
    this.started = new Promise<void>((resolve, reject) => {
      worker.on('message', (message: FromWorker) => {
        if (message.type !== 'commit') return;
        this.state = { ...this.state, running: true };
        this.committed({
          checkpoints: new Map(message.checkpoints.map(([name, position]) => [name, BigInt(position)])),
          changed: message.changed,
          stale: message.stale,
          quarantined: message.quarantined,
          catalog: BigInt(message.catalog),
        });
        if (message.failure !== null) this.state = { ...this.state, failure: message.failure };
        this.restarts = 0;
        resolve();
      });
      worker.once('error', (error) => {
        this.logger.error('projection worker failed', { error: String(error?.stack ?? error) });
        reject(error);
      });
      worker.once('exit', (code) => {
        this.state = { ...this.state, running: false, failure: `projection worker exited (${code})` };
        if (this.stopping) return;
        const delay = RESTART_MS[Math.min(this.restarts++, RESTART_MS.length - 1)]!;
        this.logger.error('projection worker exited; restarting', { code, restartInMs: delay });
        setTimeout(() => {
          if (this.stopping) return;
          void this.spawn().then(
            () => {
              for (const [subject, count] of this.watched) for (let i = 0; i < count; i += 1) this.send({ type: 'watch', subject, delta: 1 });
            },
            () => {},
          );
        }, delay);
      });
    });
    return this.started;
  }
}

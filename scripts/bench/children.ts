/**
 * Every child process of a bench run (server, load/query/live clients, floor, rebuild) is registered here, so
 * that any exit path — success, a failed phase, Ctrl-C — stops them all. IPC children get typed messages.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { withTimeout } from './wait.ts';

type Stopper = () => Promise<void>;
export type ChildKind = 'server' | 'client';
const running = new Map<ChildProcess, { stop: Stopper; kind: ChildKind }>();

let closing = false;

/** From now on every new child is killed at once (the run is being torn down). */
export function closeRegistry(): void {
  closing = true;
}

/** Registers a child; `stop` (default: SIGKILL) is called by `stopAll` if it is still running then. */
export function register(child: ChildProcess, kind: ChildKind, stop?: Stopper): ChildProcess {
  const kill: Stopper = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  if (closing) {
    child.kill('SIGKILL');
    return child;
  }
  running.set(child, { stop: stop ?? kill, kind });
  child.once('exit', () => running.delete(child));
  return child;
}

/** Stops every child still running (of one kind, or all), each with its own stopper, in parallel. */
export async function stopAll(kind?: ChildKind): Promise<void> {
  const stops = [...running.values()].filter((c) => kind === undefined || c.kind === kind).map((c) => c.stop());
  await Promise.allSettled(stops);
}

/** Resolves when the child has exited (at once if it already has). */
export function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** The last lines a child wrote to stderr, for error messages. */
export function stderrTail(child: ChildProcess, lines = 20): () => string {
  const tail: string[] = [];
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    tail.push(...chunk.split('\n').filter((l) => l.length > 0));
    if (tail.length > lines) tail.splice(0, tail.length - lines);
  });
  return () => tail.join('\n');
}

type Typed = { type: string };
export type ErrorMessage = { type: 'error'; message: string };

/** A forked bench script speaking `In` / `Out` messages over IPC. */
export class IpcChild<In extends Typed, Out extends Typed> {
  readonly process: ChildProcess;
  private readonly arrived = new Map<string, Out>();
  private readonly waiters = new Map<string, { resolve: (m: Out) => void; reject: (e: Error) => void }[]>();
  private failure: Error | null = null;
  private readonly tail: () => string;

  readonly label: string;

  constructor(label: string, script: URL, onMessage: (message: Out) => void = () => {}) {
    this.label = label;
    this.process = register(
      fork(fileURLToPath(script), [], {
        execArgv: ['--disable-warning=ExperimentalWarning'],
        serialization: 'advanced',
        stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      }),
      'client',
    );
    this.tail = stderrTail(this.process);
    this.process.on('message', (raw) => {
      const message = raw as Out | ErrorMessage;
      if (message.type === 'error') return this.fail(new Error(`${label}: ${(message as ErrorMessage).message}`));
      onMessage(message as Out);
      const pending = this.waiters.get(message.type);
      if (pending?.length) pending.shift()!.resolve(message as Out);
      else this.arrived.set(message.type, message as Out);
    });
    this.process.once('exit', (code, signal) => {
      if (code !== 0) this.fail(new Error(`${label} exited (${signal ?? `code ${code}`})${this.tail() ? `:\n${this.tail()}` : ''}`));
      else this.fail(new Error(`${label} exited before answering`));
    });
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const list of this.waiters.values()) for (const waiter of list.splice(0)) waiter.reject(this.failure);
  }

  send(message: In): void {
    if (this.process.connected) this.process.send(message);
  }

  /** The next message of `type` (or one that came before this call), within `timeoutMs`. */
  waitFor<T extends Out['type']>(type: T, timeoutMs: number): Promise<Extract<Out, { type: T }>> {
    const early = this.arrived.get(type);
    if (early) {
      this.arrived.delete(type);
      return Promise.resolve(early as Extract<Out, { type: T }>);
    }
    if (this.failure) return Promise.reject(this.failure);
    const answer = new Promise<Out>((resolve, reject) => {
      const list = this.waiters.get(type) ?? [];
      list.push({ resolve, reject });
      this.waiters.set(type, list);
    });
    return withTimeout(answer, timeoutMs, `${this.label} to send "${type}"`) as Promise<Extract<Out, { type: T }>>;
  }

  kill(): void {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGKILL');
  }

  async exited(timeoutMs: number): Promise<void> {
    await withTimeout(exitOf(this.process), timeoutMs, `${this.label} to exit`);
  }
}

/** Child side: the IPC channel, typed; a lost parent ends the child. */
export function parentChannel<In extends Typed, Out extends Typed>(onMessage: (message: In) => void | Promise<void>) {
  if (!process.send) {
    console.error('this script is a bench child: run it through scripts/bench/realistic.ts');
    process.exit(2);
  }
  const send = (message: Out | ErrorMessage) => process.send?.(message);
  process.on('disconnect', () => process.exit(0));
  process.on('message', (message) => {
    Promise.resolve(onMessage(message as In)).catch((error: unknown) => {
      // A failed request explains itself (GqlFailure has a status); anything else is a bug: send its stack.
      const known = error instanceof Error && 'status' in error;
      send({ type: 'error', message: error instanceof Error ? (known ? error.message : (error.stack ?? error.message)) : String(error) });
      setTimeout(() => process.exit(1), 100);
    });
  });
  return { send };
}

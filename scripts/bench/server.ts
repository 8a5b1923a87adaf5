/**
 * The server under test, as a child process of its own (`src/main.ts` on the pinned node), so its memory and I/O
 * can be read from /proc/<pid>. Ready when it prints `GraphQL API: http://…:<port>/graphql`; stopped with SIGINT,
 * then SIGKILL after 10 s.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { exitOf, register, stderrTail } from './children.ts';
import { fetchFailure, type Endpoint } from './gql.ts';
import { withTimeout } from './wait.ts';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/** The environment of a server (or rebuild) child: ours without settings that would point it elsewhere. */
export function serverEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of ['DATABASE_PATH', 'EVENTSTORE_URL', 'MONGODB_URL', 'MONGODB_DB', 'ROLE', 'CLOCK', 'ADMIN_API_KEY', 'NODE_OPTIONS']) delete env[key];
  return { ...env, DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...extra };
}

export type ServerOptions = {
  dataDir: string;
  apiKey: string;
  profileDir?: string | undefined;
  readyTimeoutMs?: number;
  /** Settings for this server on top of `serverEnv`'s (e.g. CLOCK, CLOCK_START, ADMIN_API_KEY, which it strips). */
  env?: Record<string, string>;
};

/** SIGINT → SIGKILL grace: 10 s; 60 s when profiling, as the profiles are only written by a clean exit. */
const graceMs = (options: ServerOptions) => (options.profileDir ? 60_000 : 10_000);

export class ServerProcess {
  readonly endpoint: Endpoint;
  readonly wsUrl: string;
  readonly healthUrl: string;
  private stopping: Promise<void> | null = null;

  readonly child: ChildProcess;
  readonly port: number;
  readonly options: ServerOptions;

  private constructor(child: ChildProcess, port: number, options: ServerOptions) {
    this.child = child;
    this.port = port;
    this.options = options;
    this.endpoint = { url: `http://127.0.0.1:${port}/graphql`, key: options.apiKey };
    this.wsUrl = `ws://127.0.0.1:${port}/graphql`;
    this.healthUrl = `http://127.0.0.1:${port}/health`;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  static async start(options: ServerOptions): Promise<ServerProcess> {
    const port = await freePort();
    const profiling = options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [];
    // BENCH_SERVER_NODE_ARGS: extra node flags for the server (diagnostics: --trace-gc, --import a probe, …).
    const extra = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
    const child = spawn(process.execPath, ['--max-semi-space-size=8', ...profiling, ...extra, 'src/main.ts'], {
      cwd: REPO,
      env: serverEnv(options.dataDir, { ...options.env, PORT: String(port), HOST: '127.0.0.1', API_KEY: options.apiKey }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const server = new ServerProcess(child, port, options);
    register(child, 'server', () => server.stop());
    const tail = stderrTail(child);
    const ready = new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (chunk: string) => {
        out += chunk;
        if (/GraphQL API: http:\/\/\S+:\d+\/graphql/.test(out)) resolve();
        if (out.length > 100_000) out = out.slice(-10_000);
      });
      child.once('exit', (code, signal) => reject(new Error(`server exited before it was ready (${signal ?? `code ${code}`}):\n${tail()}`)));
      child.once('error', reject);
    });
    try {
      await withTimeout(ready, options.readyTimeoutMs ?? 60_000, 'the server to print "GraphQL API: …" (ready)');
    } catch (error) {
      await server.stop();
      throw error;
    }
    let printed = 0;
    child.stderr!.on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter((l) => l.length > 0)) {
        printed += 1;
        if (printed <= 50) process.stderr.write(`[server] ${line.slice(0, 500)}\n`);
        else if (printed === 51) process.stderr.write('[server] (further server output not shown)\n');
      }
    });
    return server;
  }

  /** SIGINT (the server closes cleanly, writing CPU profiles if asked), then SIGKILL after the grace period. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (!this.running) return;
      const exit = exitOf(this.child);
      const grace = graceMs(this.options);
      this.child.kill('SIGINT');
      try {
        await withTimeout(exit, grace, 'the server to exit after SIGINT');
      } catch {
        process.stderr.write(`server did not exit within ${grace / 1000} s of SIGINT: SIGKILL${this.options.profileDir ? ' (no CPU profile)' : ''}\n`);
        this.child.kill('SIGKILL');
        await withTimeout(exit, 5_000, 'the server to exit after SIGKILL').catch(() => {});
      }
    })();
    return this.stopping;
  }
}

/** What `/health` says of one projection, read defensively (positions as numbers; null when absent or malformed). */
export type Health = { head: number | null; checkpoint: number | null; caughtUp: boolean | null };

const position = (value: unknown): number | null => {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return null;
};

export function parseHealth(body: unknown, projection = 'usage'): Health {
  const projections = (body as { projections?: unknown } | null)?.projections;
  const entry = Array.isArray(projections)
    ? (projections as unknown[]).find((p): p is Record<string, unknown> => typeof p === 'object' && p !== null && (p as { name?: unknown }).name === projection)
    : undefined;
  if (!entry) return { head: null, checkpoint: null, caughtUp: null };
  return { head: position(entry.head), checkpoint: position(entry.checkpoint), caughtUp: typeof entry.caughtUp === 'boolean' ? entry.caughtUp : null };
}

export async function health(url: string, timeoutMs = 10_000): Promise<Health> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) }).catch((error: unknown) => {
    throw new Error(`GET ${url}: ${fetchFailure(error, timeoutMs)}`);
  });
  const text = await response.text();
  try {
    return parseHealth(JSON.parse(text));
  } catch {
    throw new Error(`GET ${url}: HTTP ${response.status}, not JSON: ${text.slice(0, 200)}`);
  }
}

/**
 * What the phases of one run share: the options, the temp directories, the organization, and the server under
 * test with its memory monitor (stopped and started again by the rebuild phase; CPU profiles printed per run).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Options } from './options.ts';
import { MemoryMonitor } from './proc.ts';
import { printProfiles, summarizeProfiles, type ProfileSummary } from './profile.ts';
import { ServerProcess } from './server.ts';
import type { Shape } from './workload.ts';

export const API_KEY = 'bench-realistic-api-key-0123456789abcdef';

export class BenchContext {
  readonly options: Options;
  readonly shape: Shape;
  readonly tmpRoot: string;
  readonly dataDir: string;
  readonly profileDir: string | null;
  readonly profiles: { label: string; summaries: ProfileSummary[] }[] = [];
  organizationId = '00000000-0000-4000-8000-000000000000';
  /** Peak VmHWM over every server process of the run. */
  serverPeakHwmBytes: number | null = null;
  private current: { server: ServerProcess; memory: MemoryMonitor } | null = null;
  private runs = 0;

  constructor(options: Options, tmpRoot: string, profileDir: string | null) {
    this.options = options;
    this.shape = { customers: options.sizes.customers, subscriptions: options.sizes.subscriptions };
    this.tmpRoot = tmpRoot;
    this.dataDir = join(tmpRoot, 'data');
    this.profileDir = profileDir;
    mkdirSync(this.dataDir, { recursive: true });
  }

  get server(): ServerProcess {
    if (!this.current?.server.running) throw new Error('the server is not running');
    return this.current.server;
  }

  /** How the current server process ended, if it did without being stopped (null while it runs). */
  get serverExit(): string | null {
    const child = this.current?.server.child;
    if (!child || (child.exitCode === null && child.signalCode === null)) return null;
    return child.signalCode ?? `code ${child.exitCode}`;
  }

  get serverRunning(): boolean {
    return this.current?.server.running ?? false;
  }

  get memory(): MemoryMonitor {
    if (!this.current) throw new Error('the server is not running');
    return this.current.memory;
  }

  async startServer(): Promise<ServerProcess> {
    this.runs += 1;
    const server = await ServerProcess.start({ dataDir: this.dataDir, apiKey: API_KEY, profileDir: this.profileDir ? join(this.profileDir, `run${this.runs}`) : undefined });
    this.current = { server, memory: new MemoryMonitor(server.pid, 1000) };
    return server;
  }

  /** Stops the server (SIGINT), keeps its peak memory, and prints its CPU profiles when profiling. */
  async stopServer(): Promise<void> {
    if (!this.current) return;
    const { server, memory } = this.current;
    const hwm = memory.window().hwmBytes;
    if (hwm !== null) this.serverPeakHwmBytes = Math.max(this.serverPeakHwmBytes ?? 0, hwm);
    memory.stop();
    this.current = null;
    await server.stop();
    const dir = server.options.profileDir;
    if (dir) {
      const summaries = summarizeProfiles(dir);
      const label = `server run ${this.runs}`;
      this.profiles.push({ label, summaries });
      printProfiles(label, summaries);
    }
  }
}

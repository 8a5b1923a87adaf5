/** Process and disk figures from /proc and the file system (Linux); null where they cannot be read. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export type Memory = { rssBytes: number; hwmBytes: number };
export type Io = { rchar: number; wchar: number; readBytes: number; writeBytes: number; cancelledWriteBytes: number };

function fields(text: string, separator: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    const at = line.indexOf(separator);
    if (at > 0) map.set(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  return map;
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

const kb = (value: string | undefined) => (value === undefined ? null : Number(value.replace(/\s*kB$/, '')) * 1024);

/** VmRSS (now) and VmHWM (peak) of a process. */
export function memoryOf(pid: number | 'self'): Memory | null {
  const text = read(`/proc/${pid}/status`);
  if (text === null) return null;
  const f = fields(text, ':');
  const rss = kb(f.get('VmRSS'));
  const hwm = kb(f.get('VmHWM'));
  return rss === null || hwm === null ? null : { rssBytes: rss, hwmBytes: hwm };
}

/** The I/O counters of a process (`write_bytes`: what it caused to be written to storage; `wchar`: bytes passed to write calls). */
export function ioOf(pid: number | 'self'): Io | null {
  const text = read(`/proc/${pid}/io`);
  if (text === null) return null;
  const f = fields(text, ':');
  const n = (key: string) => Number(f.get(key) ?? NaN);
  const io = { rchar: n('rchar'), wchar: n('wchar'), readBytes: n('read_bytes'), writeBytes: n('write_bytes'), cancelledWriteBytes: n('cancelled_write_bytes') };
  return Object.values(io).every(Number.isFinite) ? io : null;
}

export function ioDelta(before: Io | null, after: Io | null): Io | null {
  if (!before || !after) return null;
  return {
    rchar: after.rchar - before.rchar,
    wchar: after.wchar - before.wchar,
    readBytes: after.readBytes - before.readBytes,
    writeBytes: after.writeBytes - before.writeBytes,
    cancelledWriteBytes: after.cancelledWriteBytes - before.cancelledWriteBytes,
  };
}

export type DiskUsage = { totalBytes: number; walBytes: number; files: { name: string; bytes: number }[] };

/** Sizes of the files under `dir` (recursively); `walBytes`: the `-wal` files among them. */
export function diskUsage(dir: string): DiskUsage {
  const files: { name: string; bytes: number }[] = [];
  const walk = (at: string, prefix: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path, `${prefix}${entry.name}/`);
      else if (entry.isFile()) {
        try {
          files.push({ name: `${prefix}${entry.name}`, bytes: statSync(path).size });
        } catch {
          // removed meanwhile (a WAL at checkpoint)
        }
      }
    }
  };
  walk(dir, '');
  const totalBytes = files.reduce((sum, f) => sum + f.bytes, 0);
  const walBytes = files.filter((f) => f.name.endsWith('-wal')).reduce((sum, f) => sum + f.bytes, 0);
  return { totalBytes, walBytes, files };
}

/** Polls a process's memory every `intervalMs`; `window()` answers the peak VmRSS seen since the last `reset()`. */
export class MemoryMonitor {
  private timer: NodeJS.Timeout;
  private peakRss = 0;
  /** The highest VmHWM or VmRSS ever read (the kernel's VmHWM can read a little lower later: lazily summed counters). */
  private peakEver = 0;
  last: Memory | null = null;

  private readonly pid: number;

  constructor(pid: number, intervalMs = 1000) {
    this.pid = pid;
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  sample(): Memory | null {
    const memory = memoryOf(this.pid);
    if (memory) {
      this.last = memory;
      this.peakRss = Math.max(this.peakRss, memory.rssBytes);
      this.peakEver = Math.max(this.peakEver, memory.rssBytes, memory.hwmBytes);
    }
    return memory;
  }

  /** Peak VmRSS since the last reset, the current VmRSS and the process's lifetime peak (VmHWM, as high as ever read). */
  window(): { peakRssBytes: number | null; rssBytes: number | null; hwmBytes: number | null } {
    const memory = this.sample();
    return { peakRssBytes: this.peakRss || null, rssBytes: memory?.rssBytes ?? null, hwmBytes: this.peakEver || null };
  }

  reset(): void {
    this.peakRss = 0;
    this.sample();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

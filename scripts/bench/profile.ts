/**
 * CPU profiles written by `node --cpu-prof` (one `.cpuprofile` per thread): the functions with the most self time,
 * merged over call paths (same name, file and line).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './server.ts';

type CallFrame = { functionName: string; url: string; lineNumber: number; columnNumber: number };
type CpuProfile = { nodes: { id: number; callFrame: CallFrame }[]; startTime: number; endTime: number; samples?: number[]; timeDeltas?: number[] };

export type HotFunction = { percent: number; ms: number; name: string; location: string };
export type ProfileSummary = { file: string; thread: string; totalMs: number; idlePercent: number; top: HotFunction[] };

function location(frame: CallFrame): string {
  if (!frame.url) return '(native)';
  const path = frame.url.replace(/^file:\/\//, '').replace(REPO, '');
  return `${path}:${frame.lineNumber + 1}`;
}

/** Self time per function of one profile (a sample's time is the delta to the next sample). */
export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const self = new Map<string, HotFunction>();
  let totalUs = 0;
  let idleUs = 0;
  for (let i = 0; i < samples.length; i += 1) {
    const us = Math.max(0, deltas[i + 1] ?? 0);
    const frame = frames.get(samples[i]!);
    if (!frame) continue;
    totalUs += us;
    if (frame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const name = frame.functionName || '(anonymous)';
    const where = location(frame);
    const key = `${name}\0${where}`;
    const entry = self.get(key) ?? { percent: 0, ms: 0, name, location: where };
    entry.ms += us / 1000;
    self.set(key, entry);
  }
  const totalMs = totalUs / 1000;
  const hottest = [...self.values()].sort((a, b) => b.ms - a.ms).slice(0, top);
  for (const h of hottest) h.percent = totalMs > 0 ? (100 * h.ms) / totalMs : 0;
  // CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile: thread 0 is the main thread.
  const thread = /\.(\d+)\.\d+\.cpuprofile$/.exec(file)?.[1];
  return { file, thread: thread === undefined ? '?' : thread === '0' ? 'main thread' : `worker thread ${thread}`, totalMs, idlePercent: totalUs > 0 ? (100 * idleUs) / totalUs : 0, top: hottest };
}

export function summarizeProfiles(dir: string, top = 15): ProfileSummary[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort();
  } catch {
    return [];
  }
  return files.map((f) => summarizeProfile(join(dir, f), top));
}

export function printProfiles(label: string, summaries: readonly ProfileSummary[]): void {
  if (summaries.length === 0) {
    console.log(`\nCPU profile (${label}): no .cpuprofile written`);
    return;
  }
  for (const s of summaries) {
    console.log(`\nCPU profile (${label}), ${s.thread}: ${(s.totalMs / 1000).toFixed(1)} s sampled, ${s.idlePercent.toFixed(1)} % idle — top ${s.top.length} by self time (percent of sampled time)`);
    for (const h of s.top) console.log(`  ${h.percent.toFixed(1).padStart(5)} %  ${h.ms.toFixed(0).padStart(7)} ms  ${h.name}  ${h.location}`);
  }
}

/** The closing table: each headline figure beside its target. */
import type { CurrentUsageResult } from './phases/currentUsage.ts';
import type { FloorPhaseResult } from './phases/floor.ts';
import type { LiveResult } from './phases/live.ts';
import type { MatrixCell } from './phases/matrix.ts';
import type { RebuildResult } from './phases/rebuild.ts';
import type { SustainedResult } from './phases/sustained.ts';
import type { WalletsResult } from './phases/wallets.ts';
import { bytes, fixed, int } from './stats.ts';

export type Results = {
  matrix?: MatrixCell[];
  sustained?: SustainedResult;
  floor?: FloorPhaseResult;
  currentUsage?: CurrentUsageResult;
  live?: LiveResult;
  rebuild?: RebuildResult;
  wallets?: WalletsResult;
};

export type SummaryRow = { figure: string; value: number | null; shown: string; target: string; pass: boolean | null };

const MB = 1024 * 1024;

/** One figure; `ok` null: informational (no target). */
function row(figure: string, value: number | null | undefined, shown: (v: number) => string, target: string, ok: ((v: number) => boolean) | null): SummaryRow {
  const v = value ?? null;
  return { figure, value: v, shown: v === null ? 'n/a' : shown(v), target: ok ? target : '—', pass: v === null || !ok ? null : ok(v) };
}

export function summaryRows(r: Results, serverPeakHwmBytes: number | null): SummaryRow[] {
  const rows: SummaryRow[] = [];
  const perSecond = (v: number) => `${int(v)} events/s`;
  const ms = (v: number) => `${fixed(v, 1)} ms`;
  if (r.matrix) {
    for (const c of r.matrix) rows.push(row(`matrix batch ${c.batchSize} × ${c.clients} clients: acked / end to end`, c.endToEndRate, () => `${int(c.ackedRate)} / ${int(c.endToEndRate)} events/s`, '', null));
  }
  if (r.sustained) {
    const s = r.sustained;
    rows.push(row('sustained ingestion, acked', s.ackedRate, perSecond, '', null));
    rows.push(row('sustained ingestion, end to end', s.endToEndRate, perSecond, '≥ 25,000 events/s', (v) => v >= 25_000));
    rows.push(row('ack → folded lag p99', s.lag.p99, (v) => `${fixed(v / 1000, 2)} s`, '≤ 1 s', (v) => v <= 1000));
    rows.push(row('written per accepted event (write_bytes)', s.writeBytesPerEvent, (v) => `${int(v)} B`, '≤ 5 KB', (v) => v <= 5 * 1024));
    rows.push(row('on disk per stored event', s.diskBytesPerEvent, (v) => `${int(v)} B`, '≤ 500 B', (v) => v <= 500));
  }
  if (r.floor) {
    rows.push(row('floor (bare SQLite inserts)', r.floor.rate, perSecond, '', null));
    if (r.floor.endToEndRatio !== null) rows.push(row('engine / floor: acked, end to end', r.floor.endToEndRatio, (v) => `${fixed(r.floor!.ackedRatio, 3)}, ${fixed(v, 3)}`, '', null));
  }
  if (r.currentUsage) {
    const cu = r.currentUsage;
    rows.push(row('current usage p99, idle', cu.idle.p99, ms, '', null));
    const cut = cu.busyCapped ? `; only ${int(cu.busy.count)} requests in the ${cu.busyCapSeconds} s cap` : '';
    rows.push(row(`current usage p99, while ingesting at full speed (${int(cu.busyIngestRate)} ev/s${cut})`, cu.busy.p99, ms, '≤ 5 ms', (v) => v <= 5));
    rows.push(row(`current usage p99, while ingesting at ${int(cu.pacedIngestRate)} ev/s`, cu.paced.p99, ms, '≤ 5 ms', (v) => v <= 5));
    rows.push(row('  in the server (Server-Timing) p99, idle', cu.idleInServer.p99, ms, '', null));
    rows.push(row('  in the server (Server-Timing) p99, full speed', cu.busyInServer.p99, ms, '', null));
    rows.push(row('  in the server (Server-Timing) p99, paced', cu.pacedInServer.p99, ms, '', null));
    rows.push(row('  floor ({ __typename }, same client) p99: idle', cu.floor.idle.p99, ms, '', null));
    rows.push(row('  floor ({ __typename }, same client) p99: full speed', cu.floor.busy.p99, ms, '', null));
    rows.push(row('  floor ({ __typename }, same client) p99: paced', cu.floor.paced.p99, ms, '', null));
  }
  if (r.live) {
    const missing = r.live.missing;
    rows.push(row(`live ack → push p99${missing ? ` (${int(missing)} pairs never pushed)` : ''}`, r.live.latency.p99, ms, '≤ 100 ms, every pair pushed', (v) => v <= 100 && missing === 0));
    rows.push(row('live ingestion holding', r.live.achievedRate, perSecond, '≥ 10,000 events/s (1 % slack)', (v) => v >= 9_900));
  }
  if (r.rebuild) {
    rows.push(row('rebuild', r.rebuild.rate, perSecond, '≥ 100,000 events/s', (v) => v >= 100_000));
    rows.push(row('rebuild peak RSS', r.rebuild.peakRssBytes, bytes, '≤ 1 GB', (v) => v <= 1024 * MB));
  }
  if (r.wallets) {
    const w = r.wallets;
    const never = w.wallet.missing ? ` (${int(w.wallet.missing)} pairs never pushed)` : '';
    rows.push(row(`wallet ack → ongoing balance pushed p99${never}`, w.wallet.latency.p99, ms, '≤ 100 ms at 10,000 ev/s, every pair pushed', (v) => v <= 100 && w.wallet.missing === 0));
    rows.push(row('  floor: appended → folded (/health) p99, same step', w.withWallets.floor.p99, ms, '', null));
    rows.push(row('  ingestion holding with the wallet watchers', w.withWallets.achievedRate, perSecond, '≥ 10,000 events/s (1 % slack)', (v) => v >= 9_900));
    const left = w.progressive.uninvoicedMultiples ? ` (${int(w.progressive.uninvoicedMultiples)} crossings never invoiced)` : '';
    rows.push(row(`progressive: crossing ack → invoice pushed p99${left}`, w.progressive.alone.p99, ms, '≤ 1 s, every crossing invoiced', (v) => v <= 1000 && w.progressive.uninvoicedMultiples === 0));
    rows.push(row('  floor: appended → folded (/health) p99, same step', w.alone.floor.p99, ms, '', null));
    rows.push(row('  ingestion in that step', w.alone.achievedRate, perSecond, '', null));
    rows.push(row('  the same with the wallet watchers p99', w.progressive.withWallets.p99, ms, '', null));
  }
  rows.push(row('server peak RSS (VmHWM)', serverPeakHwmBytes, bytes, '≤ 500 MB', (v) => v <= 500 * MB));
  return rows;
}

export function printSummary(rows: readonly SummaryRow[]): void {
  const width = Math.max(...rows.map((r) => r.figure.length), 10);
  const valueWidth = Math.max(...rows.map((r) => r.shown.length), 10);
  console.log('\n== summary');
  console.log(`  ${'figure'.padEnd(width)}  ${'value'.padStart(valueWidth)}  target`);
  for (const r of rows) {
    const mark = r.pass === null ? '' : r.pass ? '  ok' : '  MISSED';
    console.log(`  ${r.figure.padEnd(width)}  ${r.shown.padStart(valueWidth)}  ${r.target}${mark}`);
  }
}

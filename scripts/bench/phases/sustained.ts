/**
 * Phase `sustained`: batches of 1,000 from 4 clients (2 random ids, 2 ordered) for a long run, reported per segment
 * and overall: acked and end-to-end rates, ack → folded lag from /health samples every 100 ms, server memory,
 * bytes written and bytes on disk per event.
 */
import type { BenchContext } from '../context.ts';
import { clientSpecs, LoadRun, loadTimeoutMs, split } from '../ingest.ts';
import { foldedAt, foldTimeoutMs, HealthSampler, lagsOf, settle } from '../lag.ts';
import type { Ack } from '../messages.ts';
import { diskUsage, ioDelta, ioOf, type DiskUsage, type Io } from '../proc.ts';
import { health } from '../server.ts';
import { bytes, distribution, fixed, int, latencies, rate, type Distribution } from '../stats.ts';
import type { ClientSpec } from '../workload.ts';

export const SUSTAINED_BATCH = 1000;
/** The sustained phase's clients: the floor regenerates their events from these specs. */
export const sustainedSpecs = (): ClientSpec[] => clientSpecs(2000, 4);

export type Segment = { index: number; events: number; ackedRate: number | null; endToEndRate: number | null };
export type SustainedResult = {
  clients: { spec: ClientSpec; events: number }[];
  events: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  retries: number;
  ackedSeconds: number;
  foldedSeconds: number | null;
  ackedRate: number | null;
  endToEndRate: number | null;
  ackLatency: Distribution;
  lag: Distribution & { unresolved: number; samples: number; failedSamples: number; meanIntervalMs: number | null };
  segments: Segment[];
  memory: { peakRssBytes: number | null; rssBytes: number | null; hwmBytes: number | null };
  io: Io | null;
  writeBytesPerEvent: number | null;
  wcharPerEvent: number | null;
  disk: DiskUsage;
  eventsStored: number | null;
  diskBytesPerEvent: number | null;
};

export async function runSustained(ctx: BenchContext): Promise<SustainedResult> {
  const { sustainedEvents, segmentEvents } = ctx.options.sizes;
  console.log(`\n== sustained: ${int(sustainedEvents)} events, batches of ${SUSTAINED_BATCH}, 4 clients (2 random ids, 2 ordered), segments of ${int(segmentEvents)}`);
  await settle(ctx.server.healthUrl);
  const specs = sustainedSpecs();
  const events = split(sustainedEvents, SUSTAINED_BATCH, specs.length);
  const io0 = ioOf(ctx.server.pid);
  ctx.memory.reset();
  const sampler = new HealthSampler(ctx.server.healthUrl, 100);
  const boundaries: { t: number; events: number; head: Promise<number | null> }[] = [];
  let acked = 0;
  let load: LoadRun | null = null;
  const onAck = (ack: Ack) => {
    acked += ack.events;
    if (acked >= (boundaries.length + 1) * segmentEvents || acked >= sustainedEvents) {
      boundaries.push({ t: ack.t, events: acked, head: health(ctx.server.healthUrl).then((h) => h.head, () => null) });
      if (process.stdout.isTTY) process.stdout.write(`  … ${int(acked)} events acked\r`);
    }
  };
  try {
    load = await LoadRun.start({ endpoint: ctx.server.endpoint, shape: ctx.shape, specs, batchSize: SUSTAINED_BATCH, events, onAck });
    const result = await load.finished(loadTimeoutMs(Math.max(...events)));
    if (process.stdout.isTTY) process.stdout.write(`${' '.repeat(40)}\r`);
    const finalHead = (await health(ctx.server.healthUrl)).head;
    const caughtUpAt = finalHead === null ? null : await sampler.until(finalHead, foldTimeoutMs(result.events), 'the usage projection to fold the sustained phase');
    await sampler.stop();
    const io = ioDelta(io0, ioOf(ctx.server.pid));
    const memory = ctx.memory.window();
    const disk = diskUsage(ctx.dataDir);
    const eventsStored = (await health(ctx.server.healthUrl)).head;

    const segments: Segment[] = [];
    let previous = { t: result.startedAt, events: 0, folded: result.startedAt as number | null };
    for (const [index, b] of boundaries.entries()) {
      const head = await b.head;
      const folded = head === null ? null : foldedAt(sampler.samples, head);
      const n = b.events - previous.events;
      segments.push({
        index: index + 1,
        events: n,
        ackedRate: rate(n, (b.t - previous.t) / 1000),
        endToEndRate: folded === null || previous.folded === null ? null : rate(n, (folded - previous.folded) / 1000),
      });
      previous = { t: b.t, events: b.events, folded };
    }
    const lag = lagsOf(sampler.samples, result.lastAckAt);
    const ackedSeconds = (result.lastAckAt - result.startedAt) / 1000;
    const foldedSeconds = caughtUpAt === null ? null : (caughtUpAt - result.startedAt) / 1000;
    const out: SustainedResult = {
      clients: specs.map((spec, i) => ({ spec, events: result.summaries[i]?.events ?? events[i]! })),
      events: result.events,
      accepted: result.accepted,
      duplicates: result.duplicates,
      rejected: result.rejected,
      retries: result.retries,
      ackedSeconds,
      foldedSeconds,
      ackedRate: rate(result.events, ackedSeconds),
      endToEndRate: rate(result.events, foldedSeconds),
      ackLatency: result.latency,
      lag: { ...distribution(lag.lags), unresolved: lag.unresolved, samples: sampler.samples.length, failedSamples: sampler.failedSamples, meanIntervalMs: sampler.meanIntervalMs(result.lastAckAt) },
      segments,
      memory,
      io,
      writeBytesPerEvent: io && result.accepted > 0 ? io.writeBytes / result.accepted : null,
      wcharPerEvent: io && result.accepted > 0 ? io.wchar / result.accepted : null,
      disk,
      eventsStored,
      diskBytesPerEvent: eventsStored ? disk.totalBytes / eventsStored : null,
    };
    printSustained(out);
    return out;
  } finally {
    load?.kill();
    await sampler.stop();
  }
}

function printSustained(r: SustainedResult): void {
  console.log('  segment   events      acked ev/s   end-to-end ev/s');
  for (const s of r.segments) console.log(`  ${String(s.index).padStart(7)}   ${int(s.events).padStart(9)}   ${int(s.ackedRate).padStart(12)}   ${int(s.endToEndRate).padStart(15)}`);
  console.log(`  overall: ${int(r.events)} events (${int(r.accepted)} accepted, ${int(r.duplicates)} duplicates, ${int(r.rejected)} rejected, ${int(r.retries)} retries)`);
  console.log(`    acked ${int(r.ackedRate)} events/s (${fixed(r.ackedSeconds)} s); end to end ${int(r.endToEndRate)} events/s (${fixed(r.foldedSeconds)} s until folded)`);
  console.log(`    ack latency: ${latencies(r.ackLatency)}`);
  console.log(`    ack → folded lag: p50 ${fixed(r.lag.p50 === null ? null : r.lag.p50 / 1000, 2)} s, p99 ${fixed(r.lag.p99 === null ? null : r.lag.p99 / 1000, 2)} s, max ${fixed(r.lag.max === null ? null : r.lag.max / 1000, 2)} s (${r.lag.count} /health samples while ingesting, ${int(r.lag.meanIntervalMs)} ms apart on average${r.lag.unresolved ? `, ${r.lag.unresolved} never folded` : ''})`);
  console.log(`    server memory: VmRSS peak ${bytes(r.memory.peakRssBytes)} during the phase, ${bytes(r.memory.rssBytes)} at its end; VmHWM ${bytes(r.memory.hwmBytes)}`);
  console.log(`    written: ${bytes(r.io?.writeBytes)} write_bytes = ${int(r.writeBytesPerEvent)} B per accepted event; wchar ${bytes(r.io?.wchar)} = ${int(r.wcharPerEvent)} B per event`);
  console.log(`    on disk: ${bytes(r.disk.totalBytes)} in DATA_DIR (WAL ${bytes(r.disk.walBytes)}) for ${int(r.eventsStored)} events stored = ${int(r.diskBytesPerEvent)} B per event`);
}

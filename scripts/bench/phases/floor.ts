/**
 * Phase `floor`: the sustained phase's rows (regenerated from the same seeds, duplicates included) inserted by a
 * child process straight into a fresh SQLite file — the cost of a durable, deduplicated log and nothing else.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { IpcChild } from '../children.ts';
import type { BenchContext } from '../context.ts';
import { split } from '../ingest.ts';
import type { FloorResult, FromFloor, ToFloor } from '../messages.ts';
import { bytes, fixed, int, rate } from '../stats.ts';
import { SUSTAINED_BATCH, sustainedSpecs, type SustainedResult } from './sustained.ts';

export type FloorPhaseResult = FloorResult & {
  rate: number | null;
  writeBytesPerEvent: number | null;
  wcharPerEvent: number | null;
  diskBytesPerEvent: number | null;
  /** Engine rate / floor rate (null without a sustained phase in this run). */
  ackedRatio: number | null;
  endToEndRatio: number | null;
  /** Whether the floor kept as many rows as the engine accepted events (the same events, the same duplicates). */
  sameAcceptedCount: boolean | null;
};

export async function runFloor(ctx: BenchContext, sustained: SustainedResult | undefined): Promise<FloorPhaseResult> {
  const clients = sustained?.clients ?? sustainedSpecs().map((spec, i) => ({ spec, events: split(ctx.options.sizes.sustainedEvents, SUSTAINED_BATCH, 4)[i]! }));
  const total = clients.reduce((sum, c) => sum + c.events, 0);
  console.log(`\n== floor: the sustained phase's ${int(total)} events into a bare node:sqlite table (WAL, synchronous=FULL, INSERT OR IGNORE, 1,000 rows per transaction)`);
  const dir = join(ctx.tmpRoot, 'floor');
  mkdirSync(dir, { recursive: true });
  const child = new IpcChild<ToFloor, FromFloor>('floor', new URL('../floor.ts', import.meta.url));
  let result: FloorResult;
  try {
    child.send({ type: 'start', job: { dbPath: join(dir, 'floor.db'), organizationId: ctx.organizationId, shape: ctx.shape, clients, batchSize: SUSTAINED_BATCH, rowsPerTransaction: 1000 } });
    result = (await child.waitFor('done', 120_000 + total / 5)).result;
  } finally {
    child.kill();
  }
  const floorRate = rate(result.events, result.seconds);
  const out: FloorPhaseResult = {
    ...result,
    rate: floorRate,
    writeBytesPerEvent: result.io && result.inserted ? result.io.writeBytes / result.inserted : null,
    wcharPerEvent: result.io && result.inserted ? result.io.wchar / result.inserted : null,
    diskBytesPerEvent: result.inserted ? result.disk.totalBytes / result.inserted : null,
    ackedRatio: sustained?.ackedRate && floorRate ? sustained.ackedRate / floorRate : null,
    endToEndRatio: sustained?.endToEndRate && floorRate ? sustained.endToEndRate / floorRate : null,
    sameAcceptedCount: sustained ? sustained.accepted === result.inserted : null,
  };
  const wal = result.disk.walBytes;
  console.log(`  ${int(out.rate)} events/s (${int(result.events)} rows offered, ${int(result.inserted)} kept, ${fixed(result.seconds, 2)} s inserting, ${fixed(result.wallSeconds, 2)} s with generation)`);
  console.log(`  written: ${bytes(result.io?.writeBytes)} write_bytes = ${int(out.writeBytesPerEvent)} B per kept row; wchar ${int(out.wcharPerEvent)} B per row`);
  console.log(`  on disk: ${bytes(result.disk.totalBytes)} (WAL ${bytes(wal)}) = ${int(out.diskBytesPerEvent)} B per row`);
  if (sustained) {
    console.log(`  engine / floor: acked ${fixed(out.ackedRatio, 3)}, end to end ${fixed(out.endToEndRatio, 3)}`);
    console.log(`  floor kept ${int(result.inserted)} rows, engine accepted ${int(sustained.accepted)}: ${out.sameAcceptedCount ? 'same events, same duplicates' : 'MISMATCH'}`);
  }
  return out;
}

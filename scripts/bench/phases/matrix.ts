/**
 * Phase `matrix`: ingestion for batches of {100, 1000} × {1, 4, 8} concurrent clients, each cell a fixed number of
 * events. Acked rate: events / (last ack − start); end to end: events / (time the usage checkpoint reaches the head
 * read right after the last ack − start).
 */
import type { BenchContext } from '../context.ts';
import { clientSpecs, LoadRun, loadTimeoutMs, split } from '../ingest.ts';
import { foldTimeoutMs, settle, waitFolded } from '../lag.ts';
import { health } from '../server.ts';
import { fixed, int, rate, type Distribution } from '../stats.ts';

export type MatrixCell = {
  batchSize: number;
  clients: number;
  idModes: string;
  events: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  retries: number;
  ackedSeconds: number;
  foldedSeconds: number;
  ackedRate: number | null;
  endToEndRate: number | null;
  latency: Distribution;
};

export const BATCHES = [100, 1000];
export const CLIENTS = [1, 4, 8];

export async function runMatrix(ctx: BenchContext): Promise<MatrixCell[]> {
  const cells: MatrixCell[] = [];
  const total = ctx.options.sizes.matrixEvents;
  console.log(`\n== matrix: ${int(total)} events per cell (2 % duplicates) over ${int(ctx.shape.subscriptions)} subscriptions (Zipf s=1)`);
  console.log('  batch  clients  ids                 acked ev/s   end-to-end ev/s   ack p50 ms   ack p99 ms   accepted/dup/rej   retries');
  let cellIndex = 0;
  for (const batchSize of BATCHES) {
    for (const clients of CLIENTS) {
      await settle(ctx.server.healthUrl);
      const specs = clientSpecs(1000 + cellIndex * 10, clients);
      cellIndex += 1;
      const events = split(total, batchSize, clients);
      const load = await LoadRun.start({ endpoint: ctx.server.endpoint, shape: ctx.shape, specs, batchSize, events });
      const result = await load.finished(loadTimeoutMs(Math.max(...events)));
      const head = (await health(ctx.server.healthUrl)).head;
      const foldedAt = head === null ? null : await waitFolded(ctx.server.healthUrl, head, foldTimeoutMs(result.events));
      const ackedSeconds = (result.lastAckAt - result.startedAt) / 1000;
      const foldedSeconds = foldedAt === null ? NaN : (foldedAt - result.startedAt) / 1000;
      const random = specs.filter((s) => s.idMode === 'random').length;
      const cell: MatrixCell = {
        batchSize,
        clients,
        idModes: `${random} random / ${clients - random} ordered`,
        events: result.events,
        accepted: result.accepted,
        duplicates: result.duplicates,
        rejected: result.rejected,
        retries: result.retries,
        ackedSeconds,
        foldedSeconds,
        ackedRate: rate(result.events, ackedSeconds),
        endToEndRate: foldedAt === null ? null : rate(result.events, foldedSeconds),
        latency: result.latency,
      };
      cells.push(cell);
      console.log(
        `  ${String(batchSize).padStart(5)}  ${String(clients).padStart(7)}  ${cell.idModes.padEnd(18)}  ${int(cell.ackedRate).padStart(10)}   ${int(cell.endToEndRate).padStart(15)}   ${fixed(cell.latency.p50).padStart(10)}   ${fixed(cell.latency.p99).padStart(10)}   ${`${int(cell.accepted)}/${int(cell.duplicates)}/${int(cell.rejected)}`.padStart(16)}   ${int(cell.retries).padStart(7)}`,
      );
    }
  }
  return cells;
}

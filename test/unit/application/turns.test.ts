import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createTurns, immediateTurns } from '../../../src/application/turns.ts';

const busy = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

describe('turns: ingestion pieces share the API thread', () => {
  it('grants one piece per event-loop iteration, in order', async () => {
    const turns = createTurns();
    // A ticker that moves once per iteration (its setImmediate chain runs once per check phase).
    let iteration = 0;
    let ticking = true;
    const tick = () => {
      iteration += 1;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const seen: { piece: number; iteration: number }[] = [];
    const pieces = Array.from({ length: 20 }, (_, piece) => turns.take().then(() => seen.push({ piece, iteration })));
    turns.run(() => seen.push({ piece: 20, iteration }));
    expect(turns.waiting()).toBe(21);
    await Promise.all(pieces);
    await new Promise((resolve) => setImmediate(resolve));
    ticking = false;
    expect(seen.map((s) => s.piece)).toEqual(Array.from({ length: 21 }, (_, i) => i));
    for (let i = 1; i < seen.length; i += 1) expect(seen[i]!.iteration).toBeGreaterThan(seen[i - 1]!.iteration);
    expect(turns.waiting()).toBe(0);
  });

  it('answers a request that arrives while pieces are queued before the queue is done', async () => {
    const turns = createTurns();
    let done = 0;
    let answeredAfter: number | null = null;
    const server = createServer((_req, res) => {
      answeredAfter = done;
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const PIECES = 200;
      const work = Array.from({ length: PIECES }, () => turns.take().then(() => (busy(2), (done += 1))));
      const answer = new Promise<string>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/' }, (res) => {
          let body = '';
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => resolve(body));
        });
        req.on('error', reject);
        req.end();
      });
      expect(await answer).toBe('ok');
      await Promise.all(work);
      // Connecting and sending take a few iterations, each after one 2 ms piece: far fewer than all of them.
      expect(answeredAfter).not.toBeNull();
      expect(answeredAfter!).toBeLessThan(PIECES / 2);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('without turns, every piece goes on at once', async () => {
    const order: string[] = [];
    immediateTurns.run(() => order.push('run'));
    await immediateTurns.take();
    order.push('take');
    expect(order).toEqual(['run', 'take']);
    expect(immediateTurns.waiting()).toBe(0);
  });
});

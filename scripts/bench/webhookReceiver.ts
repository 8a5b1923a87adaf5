/**
 * A webhook endpoint for benchmarks: answers 200 at once, verifies every signature (Standard Webhooks), and records
 * when each webhook arrived and its id, so a run can say how long delivery took, whether anything came twice, and
 * how fast the same requests go when sent straight to it (the floor).
 */
import { createServer, request as httpRequest, Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { now } from './stats.ts';

export type Arrival = { t: number; id: string; type: string };

export async function startWebhookReceiver() {
  const arrivals: Arrival[] = [];
  let verifier: Webhook | null = null;
  let badSignatures = 0;
  let counting = true;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (counting) {
        const id = String(request.headers['webhook-id'] ?? '');
        let type = '';
        try {
          type = String((verifier ? (verifier.verify(body, request.headers as Record<string, string>) as { webhook_type?: string }) : (JSON.parse(body) as { webhook_type?: string })).webhook_type ?? '');
        } catch {
          badSignatures += 1;
        }
        arrivals.push({ t: now(), id, type });
      }
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' }).end('ok');
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`;
  return {
    url,
    arrivals,
    /** Signatures are checked with this endpoint's secret from now on. */
    verifyWith(secret: string) {
      verifier = new Webhook(secret);
    },
    badSignatures: () => badSignatures,
    /**
     * The floor: `count` POSTs of `body` (signed headers as the engine sends them) straight to this receiver,
     * `concurrency` at a time over kept-alive connections, as fast as they go; requests per second.
     */
    async floor(count: number, body: string, headers: Record<string, string>, concurrency: number): Promise<{ rate: number; seconds: number }> {
      counting = false;
      const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
      const target = new URL(url);
      const post = () =>
        new Promise<void>((resolve, reject) => {
          const req = httpRequest({ host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
            res.resume();
            res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
          });
          req.on('error', reject);
          req.end(body);
        });
      let next = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < count) {
            next += 1;
            await post();
          }
        }),
      );
      const seconds = (performance.now() - t0) / 1000;
      agent.destroy();
      counting = true;
      return { rate: count / seconds, seconds };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type WebhookReceiver = Awaited<ReturnType<typeof startWebhookReceiver>>;

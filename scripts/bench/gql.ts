/**
 * GraphQL over HTTP for the bench clients: one POST per call, a timeout on every request, and rate limiting
 * honoured (HTTP 429 or `extensions.code: "RATE_LIMITED"`: wait `Retry-After` seconds, default 1, then re-send the
 * same body; each re-send is counted as a retry).
 */
import { Agent, request as httpRequest } from 'node:http';
export type Endpoint = { url: string; key: string };

export type GqlError = { message: string; extensions?: { code?: string } };
/** `serverMs`: the server's own time for the request (its `Server-Timing: app;dur=…` header), when it sent one. */
export type GqlAnswer<T> = { data: T; retries: number; serverMs: number | null };

export class GqlFailure extends Error {
  readonly status: number;
  readonly errors: GqlError[];

  constructor(message: string, status: number, errors: GqlError[] = []) {
    super(message);
    this.status = status;
    this.errors = errors;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `fetch failed` and its cause (ECONNREFUSED, ECONNRESET, …), or the timeout. */
export function fetchFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && error.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  return `${error instanceof Error ? error.message : String(error)}${cause ? ` (${cause.code ?? cause.message ?? String(cause)})` : ''}`;
}

function retryAfterMs(header: string | null): number {
  if (header === null) return 1000;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? 1000 : Math.max(0, date - Date.now());
}

/** One POST's answer, whichever client sent it. */
type Posted = { status: number; text: string; header(name: string): string | null };

async function fetchPost(endpoint: Endpoint, body: string, timeoutMs: number): Promise<Posted> {
  const response = await fetch(endpoint.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${endpoint.key}` },
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: response.status, text: await response.text(), header: (name) => response.headers.get(name) };
}

// node:http with one kept-alive connection: a few times less client work per request than fetch (undici), for the
// latency probes, whose figure should be the server's, not the client's.
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function leanPost(endpoint: Endpoint, body: string, timeoutMs: number): Promise<Posted> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(endpoint.url, {
      method: 'POST',
      agent,
      timeout: timeoutMs,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${endpoint.key}` },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const value = (name: string) => {
          const header = res.headers[name];
          return header === undefined ? null : Array.isArray(header) ? header.join(', ') : header;
        };
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), header: value });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { name: 'TimeoutError' })));
    req.on('error', reject);
    req.end(body);
  });
}

export type GqlOptions = {
  /** Send with node:http on a kept-alive connection instead of fetch (the latency probes). */
  lean?: boolean;
  /** One request's timeout (default 120 s). */
  timeoutMs?: number;
  /** Give up when rate limiting has delayed the call this long in all (default 300 s). */
  maxRetryMs?: number;
};

/** Sends `query`; answers the data and the number of rate-limited re-sends, or throws a `GqlFailure`. */
export async function gql<T>(endpoint: Endpoint, query: string, variables: Record<string, unknown> = {}, options: GqlOptions = {}): Promise<GqlAnswer<T>> {
  const body = JSON.stringify({ query, variables });
  const timeoutMs = options.timeoutMs ?? 120_000;
  const giveUpAt = performance.now() + (options.maxRetryMs ?? 300_000);
  for (let retries = 0; ; retries += 1) {
    let response: Posted;
    try {
      response = await (options.lean ? leanPost : fetchPost)(endpoint, body, timeoutMs);
    } catch (error) {
      throw new GqlFailure(`POST ${endpoint.url}: ${fetchFailure(error, timeoutMs)}`, 0);
    }
    const text = response.text;
    let parsed: { data?: T | null; errors?: GqlError[] };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      throw new GqlFailure(`POST ${endpoint.url}: HTTP ${response.status}, not JSON: ${text.slice(0, 200)}`, response.status);
    }
    const limited = response.status === 429 || (parsed.errors ?? []).some((e) => e.extensions?.code === 'RATE_LIMITED');
    if (limited) {
      const wait = retryAfterMs(response.header('retry-after'));
      if (performance.now() + wait > giveUpAt) throw new GqlFailure(`POST ${endpoint.url}: still rate limited after ${retries + 1} tries`, response.status, parsed.errors);
      await sleep(wait);
      continue;
    }
    if (parsed.errors?.length || parsed.data === undefined || parsed.data === null) {
      throw new GqlFailure(`POST ${endpoint.url}: HTTP ${response.status}: ${JSON.stringify(parsed.errors ?? text.slice(0, 200))}`, response.status, parsed.errors);
    }
    const timing = /app;dur=([\d.]+)/.exec(response.header('server-timing') ?? '')?.[1];
    return { data: parsed.data, retries, serverMs: timing === undefined ? null : Number(timing) };
  }
}

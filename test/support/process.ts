import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ADMIN = 'admin-key-for-e2e-tests-0123456789';
const root = new URL('../..', import.meta.url).pathname;

export type ServerProcess = { child: ChildProcess; port: number; key: string; output: () => string };

/**
 * The default key as a start announces it: printed on the first start only; later starts say where it is saved
 * (`$DATA_DIR/api-key`), and it is read from there. Undefined until the line is out.
 */
export function keyOf(out: string, dataDir: string): string | undefined {
  const line = /^API key: (.*)$/m.exec(out)?.[1];
  if (line === undefined) return undefined;
  return /^\S+$/.test(line) ? line : readFileSync(join(dataDir, 'api-key'), 'utf8').trim();
}

/** Starts `node src/main.ts` as `npm start` does (projections in a worker thread) and resolves with its port and key. */
export function startServer(dataDir: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--max-semi-space-size=8', 'src/main.ts'], {
    cwd: root,
    env: { ...process.env, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', ADMIN_API_KEY: ADMIN, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const port = /localhost:(\d+)\/graphql/.exec(out)?.[1];
      const key = keyOf(out, dataDir);
      if (port && key) {
        clearTimeout(timer);
        resolve({ child, port: Number(port), key, output: () => out });
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`server exited (${code}): ${out}`)));
  });
}

/** Runs `scripts/rebuildProjection.ts all` (as `npm run projections:rebuild -- all` does) on a stopped server's data directory. */
export function runRebuild(dataDir: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--max-semi-space-size=8', 'scripts/rebuildProjection.ts', 'all'], {
      cwd: root,
      env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

export async function gql<T = Record<string, any>>(port: number, key: string, query: string, variables: Record<string, unknown> = {}): Promise<{ status: number; data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[]; headers: Headers }> {
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] };
  return { status: response.status, ...body, headers: response.headers };
}

export async function health(port: number): Promise<{ status: number; body: Record<string, any> }> {
  const response = await fetch(`http://127.0.0.1:${port}/health`);
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

/** Waits for a condition, polling; fails with `what` after `timeoutMs`. */
export async function until(what: string, condition: () => Promise<boolean>, timeoutMs = 60_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Kills with SIGKILL and waits for the exit. */
export async function kill9(server: ServerProcess): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGKILL');
  await exited;
}

/** A catalog in one call: a COUNT metric, a plan charging it, customers `cus_<i>` and subscriptions `sub_<i>`. */
export async function meteredSubscriptions(port: number, key: string, count: number, timezone = 'UTC'): Promise<void> {
  const run = async (query: string) => {
    const result = await gql(port, key, query);
    if (result.errors) throw new Error(JSON.stringify(result.errors));
  };
  await run('mutation { createBillableMetric(input: {code: "calls", name: "Calls", aggregationType: COUNT}) { billableMetric { code } } }');
  await run('mutation { createPlan(input: {code: "p", name: "P", interval: MONTHLY, amountCents: "0", amountCurrency: "EUR", charges: [{billableMetricCode: "calls", chargeModel: STANDARD, properties: {amount: "1"}}]}) { plan { code } } }');
  for (let i = 0; i < count; i += 1) {
    await run(`mutation { createCustomer(input: {externalId: "cus_${i}", currency: "EUR", timezone: "${timezone}"}) { customer { externalId } } }`);
    await run(`mutation { createSubscription(input: {externalId: "sub_${i}", externalCustomerId: "cus_${i}", planCode: "p"}) { subscription { status } } }`);
  }
}

export const CREATE_EVENTS = 'mutation($events: [UsageEventInput!]!) { createEvents(input: {events: $events}) { acceptedCount } }';

export const callEvents = (sub: string, prefix: string, count: number) => Array.from({ length: count }, (_, i) => ({ transactionId: `${prefix}-${i}`, externalSubscriptionId: sub, code: 'calls' }));

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gql, kill9, startServer, type ServerProcess } from '../support/process.ts';

const root = new URL('../..', import.meta.url).pathname;

describe('secrets at start (the real server in its own process)', () => {
  let dataDir = '';
  let server: ServerProcess | undefined;
  afterEach(async () => {
    if (server) await kill9(server);
    server = undefined;
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints the generated key on the first start only; later starts say where it is saved', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'billing-key-print-'));
    server = await startServer(dataDir);
    const key = readFileSync(join(dataDir, 'api-key'), 'utf8').trim();
    expect(key).toMatch(/^bk_/);
    expect(server.output()).toMatch(new RegExp(`^API key: ${key}$`, 'm'));
    await kill9(server);

    server = await startServer(dataDir);
    expect(server.key).toBe(key);
    expect(server.output()).not.toContain(key);
    expect(server.output()).toContain(`API key: saved in ${resolve(dataDir, 'api-key')}`);
    // The saved key still works.
    expect((await gql(server.port, key, '{ organization { name } }')).data?.organization.name).toBe('Default organization');
  });

  it('a first start as ROLE=api before any projection worker runs saves its key, which works once a worker folds it', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'billing-key-api-first-'));
    // The docker-compose race: the API appends the default organization while no projector runs yet.
    server = await startServer(dataDir, { ROLE: 'api' });
    const key = readFileSync(join(dataDir, 'api-key'), 'utf8').trim();
    expect(key).toMatch(/^bk_/);
    expect(server.output()).toMatch(new RegExp(`^API key: ${key}$`, 'm'));
    expect(server.output()).toContain('projection worker running?');
    // Then the projection worker comes up, on the same files.
    const worker = spawn(process.execPath, ['--max-semi-space-size=8', 'src/main.ts'], { cwd: root, env: { ...process.env, DATA_DIR: dataDir, ROLE: 'worker', LOG_LEVEL: 'warn' }, stdio: 'ignore' });
    try {
      const deadline = Date.now() + 15_000;
      let name: string | undefined;
      while (name === undefined && Date.now() < deadline) {
        name = (await gql(server.port, key, '{ organization { name } }')).data?.organization?.name;
        if (name === undefined) await new Promise((r) => setTimeout(r, 100));
      }
      expect(name).toBe('Default organization');
    } finally {
      worker.kill('SIGKILL');
    }
  });

  it('never prints a preset API_KEY', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'billing-key-preset-'));
    const preset = 'preset-api-key-for-the-e2e-test-0123456789';
    server = await startServer(dataDir, { API_KEY: preset });
    expect(server.key).toBe(preset);
    expect(server.output()).not.toContain(preset);
    expect(server.output()).toContain('API key: the one set in API_KEY');
  });

  it('refuses to start with an API_KEY shorter than 32 characters, with a clear message and no stack trace', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'billing-key-short-'));
    const child = spawn(process.execPath, ['src/main.ts'], {
      cwd: root,
      env: { ...process.env, DATA_DIR: dataDir, PORT: '0', API_KEY: 'too-short-0123456789', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const code = await new Promise<number | null>((done) => child.once('exit', done));
    expect(code).toBe(1);
    expect(out).toContain('configuration: API_KEY: must be at least 32 characters');
    expect(out).not.toMatch(/^\s+at /m);
    expect(out).not.toContain('GraphQL API');
  });
});

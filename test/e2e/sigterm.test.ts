import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;

/** Issue 16 item 8: supervisors and CI send SIGTERM to the npm process; the server must not outlive it. */
describe('npm start under SIGTERM', () => {
  let dataDir = '';
  afterEach(() => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('SIGTERM to npm stops the server too (graceful shutdown), leaving nothing listening', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'billing-sigterm-'));
    const npm = spawn('npm', ['start', '--silent'], { cwd: root, env: { ...process.env, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    npm.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    npm.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start: ${out}`)), 20_000);
      const check = setInterval(() => {
        const found = /localhost:(\d+)\/graphql/.exec(out)?.[1];
        if (found) {
          clearTimeout(timer);
          clearInterval(check);
          resolve(Number(found));
        }
      }, 50);
    });
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBeLessThan(600);
    const exited = new Promise<number | null>((resolve) => npm.on('exit', (code) => resolve(code)));
    npm.kill('SIGTERM');
    await exited;
    // The server shut down (it logged it) and its port is closed: nothing was left behind.
    const deadline = Date.now() + 5_000;
    let listening = true;
    while (listening && Date.now() < deadline) {
      listening = await fetch(`http://127.0.0.1:${port}/health`).then(() => true, () => false);
      if (listening) await new Promise((r) => setTimeout(r, 100));
    }
    expect(listening).toBe(false);
    expect(out).toContain('shutting down');
  });
});

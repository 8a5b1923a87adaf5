import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/application/organizations.ts';
import { loadConfig } from '../../src/config.ts';
import { organizationIdOf } from '../support/catalog.ts';
import { ADMIN_KEY, startTestServer, take, type TestServer } from '../support/server.ts';

const mode = (path: string) => statSync(path).mode & 0o777;

describe('secrets: the data directory and database files are created owner-only', () => {
  let root: string;
  let dataDir: string;
  let server: TestServer;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'billing-modes-'));
    dataDir = join(root, 'data');
    // DATABASE_PATH blank: the default, $DATA_DIR/billing.db, with its read models beside it (as `npm start`).
    server = await startTestServer({ DATA_DIR: dataDir, DATABASE_PATH: '' });
    const created = await server.gql('mutation { createBillableMetric(input: {code: "calls", name: "Calls", aggregationType: COUNT}) { billableMetric { code } } }');
    expect(created.errors).toBeUndefined();
  });
  afterAll(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('DATA_DIR 0700; billing.db, billing.read-models.db, their -wal and -shm, and the saved api-key 0600', () => {
    expect(mode(dataDir)).toBe(0o700);
    const files = ['billing.db', 'billing.db-wal', 'billing.db-shm', 'billing.read-models.db', 'billing.read-models.db-wal', 'billing.read-models.db-shm', 'api-key'];
    for (const file of files) {
      expect(existsSync(join(dataDir, file)), file).toBe(true);
      expect([file, mode(join(dataDir, file)).toString(8)]).toEqual([file, '600']);
    }
  });
});

describe('secrets: key hashes never leave the server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server.close());

  it('the audit tail shows ApiKeyCreated without the key hash', async () => {
    const organizationId = await organizationIdOf(server);
    const client = server.ws(server.apiKey);
    const sub = take<{ auditEvents: { type: string; data: Record<string, unknown> } }>(client, 'subscription { auditEvents { type data } }', 1);
    await sub.started;
    const created = await server.gql<{ createApiKey: { key: string } }>(`mutation { createApiKey(input: {organizationId: "${organizationId}", name: "new"}) { key } }`, {}, ADMIN_KEY);
    const key = created.data!.createApiKey.key;
    const [event] = await sub.done;
    expect(event?.auditEvents.type).toBe('ApiKeyCreated');
    expect(event?.auditEvents.data).toMatchObject({ name: 'new', keyPrefix: key.slice(0, 7) });
    expect(event?.auditEvents.data).not.toHaveProperty('keyHash');
    expect(JSON.stringify(event)).not.toContain(hashApiKey(key));
    // The log itself keeps it (authentication needs it).
    const logged = (await server.system.app.deps.eventStore.readAll()).find((e) => e.type === 'ApiKeyCreated' && (e.data as { name: string }).name === 'new');
    expect((logged?.data as { keyHash: string }).keyHash).toBe(hashApiKey(key));
  });
});

describe('secrets: preset keys are at least 32 characters', () => {
  it('refuses a shorter API_KEY or ADMIN_API_KEY with a message naming the setting', () => {
    expect(() => loadConfig({ API_KEY: 'a'.repeat(31) })).toThrow('configuration: API_KEY: must be at least 32 characters');
    expect(() => loadConfig({ ADMIN_API_KEY: 'sixteen-chars-ok' })).toThrow('configuration: ADMIN_API_KEY: must be at least 32 characters');
    expect(loadConfig({ API_KEY: 'a'.repeat(32), ADMIN_API_KEY: 'b'.repeat(40) })).toMatchObject({ apiKey: 'a'.repeat(32), adminApiKey: 'b'.repeat(40) });
  });
});

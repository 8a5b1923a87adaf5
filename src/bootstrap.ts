import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { System } from './compose.ts';
import type { Config } from './config.ts';

/**
 * First start (an empty log): create a default organization with a ready API key (`API_KEY` when set), save the
 * key to `$DATA_DIR/api-key` and return it. Later starts return the saved (or configured) key at once: they never
 * wait for the projections, which may need long to catch up (the server answers meanwhile, `/ready` says 503).
 */
export async function ensureDefaultOrganization(system: System, config: Config): Promise<string | null> {
  const { organizations, deps } = system.app;
  const empty = (await deps.eventStore.headPosition()) === null;
  const keyFile = join(config.dataDir, 'api-key');
  const save = (key: string) => {
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(keyFile, `${key}\n`, { mode: 0o600 });
  };

  if (empty) {
    const created = await organizations.createOrganization(
      { name: 'Default organization', ...(config.apiKey ? { apiKey: config.apiKey } : {}) },
      'bootstrap',
    );
    save(created.key);
    return created.key;
  }
  if (config.apiKey) {
    const known = await organizations.findApiKeyByKey(config.apiKey);
    if (!known) system.logger.warn('API_KEY is set but does not belong to any organization: it will be refused');
    return config.apiKey;
  }
  return existsSync(keyFile) ? readFileSync(keyFile, 'utf8').trim() : null;
}

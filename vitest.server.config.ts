import { configDefaults, defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

/**
 * `npm run test:server` only (scripts/testServer.ts): the suites that need real servers, which `npm test` excludes.
 * The URLs come from the containers the script starts.
 */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['test/server/**/*.server.test.ts', 'test/contract/*.test.ts'],
    exclude: [...configDefaults.exclude],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});

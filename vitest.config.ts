import { createRequire } from 'node:module';
import { configDefaults, defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  // One copy of graphql: Pothos and Yoga load its CommonJS build, so tests must not pull in the .mjs one too.
  resolve: { alias: { graphql: require.resolve('graphql') } },
  test: {
    include: ['test/**/*.test.ts'],
    // Tests against real KurrentDB and MongoDB servers: `npm run test:server` runs them (vitest.server.config.ts).
    exclude: [...configDefaults.exclude, 'test/server/**', '**/*.server.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});

import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Every test, the fault-injection run included (`npm run test:faults` runs it alone).
    include: ['src/**/*.test.ts', 'tests/**/*.test.ts'],
    // Multi-process cluster tests run under vitest.cluster.config.ts, with PostgreSQL and Redis;
    // the group call of 8 on Janus under vitest.sfu.config.ts, alone (it takes both cores).
    exclude: [...configDefaults.exclude, 'tests/cluster/**', 'tests/e2e/group-call.test.ts'],
    // Builds out/ once for the app and end-to-end tests.
    globalSetup: ['tests/global-setup.ts'],
    // Integration tests start real servers and sockets; two cores share them.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});

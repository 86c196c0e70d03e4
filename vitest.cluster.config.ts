import { defineConfig } from 'vitest/config';

// Cluster mode. The in-process server suites again with every test server a cluster node (its
// data in PostgreSQL; live events, presence and limits through Redis), and the multi-process
// cluster tests (tests/cluster: several servers, HAProxy, faults), which start their own.
export default defineConfig({
  test: {
    include: [
      'tests/server/requests.test.ts',
      'tests/server/hub-model.test.ts',
      'tests/server/security-review.test.ts',
      'tests/server/limits.test.ts',
      'tests/server/resume-ordering.test.ts',
      'tests/cluster/**/*.test.ts',
    ],
    globalSetup: ['tests/cluster-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});

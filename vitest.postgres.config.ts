import { defineConfig } from 'vitest/config';

// The in-process server suites again, with every test server's data in PostgreSQL (the cluster
// store) instead of SQLite: the same requests, limits, security and model tests against both.
export default defineConfig({
  test: {
    include: [
      'tests/server/requests.test.ts',
      'tests/server/hub-model.test.ts',
      'tests/server/security-review.test.ts',
      'tests/server/limits.test.ts',
      'tests/server/http.test.ts',
      'tests/server/auth.test.ts',
      'tests/server/fuzz.test.ts',
      'tests/server/resume-ordering.test.ts',
      'tests/server/threads-search.test.ts',
      'tests/server/files.test.ts',
    ],
    globalSetup: ['tests/postgres-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});

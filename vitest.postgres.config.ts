import { defineConfig } from 'vitest/config';

// The in-process server suites that meet the PostgreSQL store in ways the store contract
// (tests/server/store-contract.test.ts, run on both stores in the base run) does not: requests
// end to end over an asynchronous, networked store (pipelined posts, group commit), resume
// ordering with a store that answers late, access rules as PostgreSQL's SQL writes them (private
// groups, readable conversations), its full-text search and its file records. Suites whose
// behaviour does not depend on the store (HTTP validation, the auth handshake, fuzzing, limits,
// the protocol model) run once, in the base run.
export default defineConfig({
  test: {
    include: [
      'tests/server/requests.test.ts',
      'tests/server/security-review.test.ts',
      'tests/server/resume-ordering.test.ts',
      'tests/server/threads-search.test.ts',
      'tests/server/files.test.ts',
      'tests/server/files-lifecycle.test.ts',
    ],
    globalSetup: ['tests/postgres-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});

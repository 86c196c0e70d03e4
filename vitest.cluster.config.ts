import { defineConfig } from 'vitest/config';

// Cluster mode: what only a cluster node does differently. The in-process suites whose paths
// change with Redis (requests: every event through the Redis broker and registry; limits: the
// per-address windows in Redis; resume ordering: the lossy broker and its sequencer), then the
// multi-process cluster tests (tests/cluster: several servers, HAProxy, faults), which start
// their own. The protocol model and the security review run in the base run and on PostgreSQL.
export default defineConfig({
  test: {
    include: [
      'tests/server/requests.test.ts',
      'tests/server/limits.test.ts',
      'tests/server/resume-ordering.test.ts',
      // Leaving a private group ends its subscriptions on every node (the unlisten control).
      'tests/server/security-3.test.ts',
      // Someone added to a group starts hearing it through the broker's listen control.
      'tests/server/add-members.test.ts',
      'tests/server/call-records.test.ts',
      'tests/cluster/**/*.test.ts',
    ],
    globalSetup: ['tests/cluster-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});

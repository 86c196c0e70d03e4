import { defineConfig } from 'vitest/config';

/** `npm run test:faults`: delivery through a fault-injecting proxy and a server SIGKILL. */
export default defineConfig({
  test: {
    include: ['tests/**/*.faults.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 150_000,
  },
});

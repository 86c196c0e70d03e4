import { defineConfig } from 'vitest/config';

// The group call of 8 on Janus (tests/e2e/group-call.test.ts) runs on its own after the base
// run: ten WebRTC connections' encoders and Janus take both cores, and beside other browser
// tests they starved each other (a mesh call's file transfer timed out in a shared run).
export default defineConfig({
  test: {
    include: ['tests/e2e/group-call.test.ts'],
    globalSetup: ['tests/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});

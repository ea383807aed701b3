import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'server',
    include: ['src/**/*.test.ts'],
    // Real mediasoup workers and real UDP: give each file room and run files one at a time
    // on these 2-core machines so that timing-sensitive media tests are not starved.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    fileParallelism: false,
    globalSetup: ['src/test/globalSetup.ts'],
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Child-process tests run the built CLI: build dist/ once, before any test file starts.
    globalSetup: ['test/support/build-dist.ts'],
    // The whole suite runs on two cores next to PostgreSQL and Redis: keep forks modest.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 20_000,
  },
});

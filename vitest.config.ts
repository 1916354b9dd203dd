import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // The whole suite runs on two cores next to PostgreSQL and Redis: keep forks modest.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 20_000,
  },
});

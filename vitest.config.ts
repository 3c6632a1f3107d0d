import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Test files start real servers (embedded PostgreSQL) and DuckDB; two at a time fits a 2-core machine.
    maxWorkers: 2,
    minWorkers: 1,
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // DuckDB loads and the real captures take a few seconds per file on a 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});

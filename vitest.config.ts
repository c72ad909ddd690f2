import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The local embedding model and SQLite fsyncs are real; give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Builds the web console (dist/console) once per run, from its sources as they are.
    globalSetup: ['test/support/build-console.ts'],
  },
});

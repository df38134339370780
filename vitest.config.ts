import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    // Two files at a time (vitest would take one on two cores): most of a test's time is spent
    // waiting on PostgreSQL, Redis, child processes and timers. Files close what each test opens
    // (test/support/cleanup.ts), so two stay well under PostgreSQL's 100 connections.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});

import { defineConfig } from 'vitest/config';
import { isUnavailable } from './src/postgres/errors.ts';

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
    // The service carries on after a lost connection's error that reached no caller (postgres.js
    // can reject a promise nobody holds when a server goes away; src/cli/serve.ts logs it). The
    // suite, which builds the service without serve(), tolerates that and nothing else.
    onUnhandledError: (error) => (isUnavailable(error) ? false : undefined),
  },
});

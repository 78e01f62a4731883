/**
 * Two layers of tests (docs/testing.md), chosen by where the file is:
 *
 * - `unit`: `packages/<pkg>/src/**\/*.test.ts(x)`, next to the code they test. No service, no
 *   network, no port, no child process, no browser: fakes and fake timers only. They run with
 *   PostgreSQL, Redis, NATS and Mosquitto stopped (test/support/unit-guard.ts makes any connect,
 *   listen or spawn fail), in seconds. `npm run test:unit`.
 * - `integration`: `packages/<pkg>/test/**\/*.test.ts(x)` and `bench/**\/*.test.ts`: real servers on
 *   loopback, PostgreSQL, Redis, NATS, Mosquitto, Chromium. test/global-setup.ts fails the run,
 *   naming what is missing and how to start it, before any of them runs. `npm run test:integration`.
 *
 * No exceptions: a test that needs anything real goes under `test/`, whatever it tests.
 * `npm test` runs both.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'], externalConditions: ['source'] } },
  test: {
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          // Worker threads start faster than processes; nothing here needs a process of its own.
          pool: 'threads',
          include: ['packages/*/src/**/*.test.ts', 'packages/*/src/**/*.test.tsx'],
          setupFiles: ['./test/support/unit-guard.ts'],
          testTimeout: 10_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          // A process per worker: the tests start, signal and kill servers and change process state.
          pool: 'forks',
          include: ['packages/*/test/**/*.test.ts', 'packages/*/test/**/*.test.tsx', 'bench/**/*.test.ts'],
          globalSetup: ['./test/global-setup.ts'],
          setupFiles: ['./test/support/integration-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});

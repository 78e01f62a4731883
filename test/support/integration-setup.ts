/**
 * Setup file of the `integration` project (vitest.config.ts): after each test file, whatever its
 * tests made through packages/server/src/testing.ts and did not remove (a test that failed
 * half-way) is removed: temporary directories, PostgreSQL databases, Redis prefixes. The tests
 * still clean up after themselves; this is the net under them.
 */
import { afterAll } from 'vitest';
import { cleanUpTestResources } from '../../packages/server/src/testing.js';

afterAll(async () => {
  await cleanUpTestResources();
});

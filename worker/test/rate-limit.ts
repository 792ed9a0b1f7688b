/**
 * Requests per minute per key in the Worker tests: the config (vitest.config.ts) and the tests that reach it
 * (edge.test.ts) read it from here.
 *
 * Small enough that a test reaches the 429 in about a second with cheap requests, large enough that the
 * tests' everyday traffic never does: every Worker test file shares the limiter, and `test-key-main`, the
 * key most tests use, has been counted at 94 requests in one minute of a run.
 */
export const RATE_LIMIT_IN_TESTS = 300;

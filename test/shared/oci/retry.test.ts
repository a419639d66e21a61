import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CrossdockError } from '../../../shared/errors.ts';
import {
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  HostBackoff,
  parseRetryAfter,
  realSleep,
  retry,
  type RetryContext,
  type RetryDecision,
  type RetryPolicy,
} from '../../../shared/oci/retry.ts';
import { createFakeClock } from './fixtures.ts';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const POLICY: RetryPolicy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 10_000 };

describe('parseRetryAfter', () => {
  test('reads delta-seconds as milliseconds', () => {
    assert.equal(parseRetryAfter('1', NOW), 1000);
    assert.equal(parseRetryAfter(' 120 ', NOW), 120_000);
    assert.equal(parseRetryAfter('0', NOW), 0);
    assert.equal(parseRetryAfter(['3', '9'], NOW), 3000);
  });

  test('reads an HTTP date as the time left until it, never negative', () => {
    assert.equal(parseRetryAfter(new Date(NOW + 7_000).toUTCString(), NOW), 7_000);
    assert.equal(parseRetryAfter('Thu, 15 Jan 2026 12:00:30 GMT', NOW), 30_000);
    assert.equal(parseRetryAfter('Thursday, 15-Jan-26 12:00:30 GMT', NOW), 30_000);
    assert.equal(parseRetryAfter(new Date(NOW - 60_000).toUTCString(), NOW), 0);
  });

  test('answers undefined for no value or nonsense', () => {
    assert.equal(parseRetryAfter(undefined, NOW), undefined);
    assert.equal(parseRetryAfter('', NOW), undefined);
    assert.equal(parseRetryAfter('soon', NOW), undefined);
    assert.equal(parseRetryAfter('-5', NOW), undefined);
    assert.equal(parseRetryAfter('1.5', NOW), undefined);
  });
});

describe('backoffDelay', () => {
  test('doubles a ceiling per attempt and jitters over its upper half', () => {
    assert.deepEqual([1, 2, 3, 4].map((n) => backoffDelay(POLICY, n, () => 0)), [50, 100, 200, 400]);
    assert.deepEqual([1, 2, 3, 4].map((n) => backoffDelay(POLICY, n, () => 1)), [100, 200, 400, 800]);
  });

  test('never exceeds maxDelayMs, however many attempts', () => {
    assert.equal(backoffDelay(POLICY, 30, () => 1), 1_000);
    assert.equal(backoffDelay(DEFAULT_RETRY_POLICY, 100, () => 0.5), 6_000);
  });
});

describe('HostBackoff', () => {
  test('makes every request to a host wait until the latest asked time, and no other host', () => {
    let now = NOW;
    const backoff = new HostBackoff(() => now);

    backoff.delay('a.example', 2_000);
    backoff.delay('a.example', 500);

    assert.equal(backoff.remaining('a.example'), 2_000);
    assert.equal(backoff.remaining('b.example'), 0);
    now += 1_500;
    assert.equal(backoff.remaining('a.example'), 500);
    now += 500;
    assert.equal(backoff.remaining('a.example'), 0);
  });
});

/** Fails with `errors` in turn, then answers "done"; records the attempt numbers. */
function script(errors: unknown[]): { attempt: (n: number) => Promise<string>; attempts: number[] } {
  const attempts: number[] = [];
  return {
    attempts,
    attempt: async (n) => {
      attempts.push(n);
      const error = errors[n - 1];
      if (error !== undefined) throw error;
      return 'done';
    },
  };
}

const transient = (retryAfterMs?: number) =>
  Object.assign(new CrossdockError('REGISTRY_UNAVAILABLE', 'try again', { retryable: true }), retryAfterMs === undefined ? {} : { retryAfterMs });
const permanent = () => new CrossdockError('REGISTRY_DENIED', 'no', { retryable: false });
const classify = (error: unknown): RetryDecision => ({
  retryable: error instanceof CrossdockError && error.retryable,
  ...((error as { retryAfterMs?: number }).retryAfterMs === undefined ? {} : { retryAfterMs: (error as { retryAfterMs: number }).retryAfterMs }),
});

function context(overrides: Partial<RetryContext> = {}) {
  const clock = createFakeClock(NOW);
  return { clock, ctx: { policy: POLICY, sleep: clock.sleep, now: clock.now, random: () => 0, ...overrides } };
}

describe('retry', () => {
  test('retries transient failures with backoff and returns the first success', async () => {
    const { clock, ctx } = context();
    const { attempt, attempts } = script([transient(), transient()]);
    const retried: number[] = [];

    const result = await retry('op', ctx, attempt, classify, (info) => retried.push(info.delayMs));

    assert.equal(result, 'done');
    assert.deepEqual(attempts, [1, 2, 3]);
    assert.deepEqual(clock.sleeps, [50, 100]);
    assert.deepEqual(retried, [50, 100]);
  });

  test('waits what Retry-After says instead of its own backoff', async () => {
    const { clock, ctx } = context();
    const { attempt } = script([transient(1_000)]);

    await retry('op', ctx, attempt, classify);

    assert.deepEqual(clock.sleeps, [1_000]);
  });

  test('gives up at once on a Retry-After longer than the policy accepts', async () => {
    const { clock, ctx } = context();
    const error = transient(60_000);
    const { attempt, attempts } = script([error]);

    await assert.rejects(retry('op', ctx, attempt, classify), (thrown) => thrown === error);
    assert.deepEqual(attempts, [1]);
    assert.deepEqual(clock.sleeps, []);
  });

  test('rethrows a permanent error without a second attempt', async () => {
    const { clock, ctx } = context();
    const error = permanent();
    const { attempt, attempts } = script([error]);

    await assert.rejects(retry('op', ctx, attempt, classify), (thrown) => thrown === error);
    assert.deepEqual(attempts, [1]);
    assert.deepEqual(clock.sleeps, []);
  });

  test('rethrows the last error once the attempts run out', async () => {
    const { clock, ctx } = context();
    const errors = [transient(), transient(), transient(), transient(), transient()];
    const { attempt, attempts } = script(errors);

    await assert.rejects(retry('op', ctx, attempt, classify), (thrown) => thrown === errors[3]);
    assert.deepEqual(attempts, [1, 2, 3, 4]);
    assert.equal(clock.sleeps.length, 3);
  });

  test('never sleeps past the deadline: DEADLINE_EXCEEDED with the failure as cause', async () => {
    const { clock, ctx } = context({ deadline: NOW + 500 });
    const error = transient(1_000);
    const { attempt, attempts } = script([error]);

    await assert.rejects(retry('GET manifest a/b:v1', ctx, attempt, classify), (thrown: Error) => {
      assert.equal((thrown as { code?: string }).code, 'DEADLINE_EXCEEDED');
      assert.equal((thrown as { retryable?: boolean }).retryable, true);
      assert.equal(thrown.cause, error);
      assert.match(thrown.message, /^GET manifest a\/b:v1: deadline exceeded$/);
      return true;
    });
    assert.deepEqual(attempts, [1]);
    assert.deepEqual(clock.sleeps, []);
  });

  test('stops retrying once the signal is aborted', async () => {
    const controller = new AbortController();
    const { clock, ctx } = context({ signal: controller.signal });
    const error = transient();
    const attempts: number[] = [];

    await assert.rejects(
      retry('op', ctx, async (n) => {
        attempts.push(n);
        controller.abort();
        throw error;
      }, classify),
      (thrown) => thrown === error,
    );
    assert.deepEqual(attempts, [1]);
    assert.deepEqual(clock.sleeps, []);
  });
});

describe('realSleep', () => {
  test('rejects with the abort reason as soon as the signal aborts', async () => {
    const controller = new AbortController();
    const reason = new Error('stop');
    const started = performance.now();

    const sleeping = realSleep(60_000, controller.signal);
    controller.abort(reason);

    await assert.rejects(sleeping, (thrown) => thrown === reason);
    assert.ok(performance.now() - started < 1_000);
  });

  test('rejects at once when the signal is already aborted', async () => {
    const reason = new Error('already');
    await assert.rejects(realSleep(60_000, AbortSignal.abort(reason)), (thrown) => thrown === reason);
  });
});

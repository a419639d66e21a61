import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redeliveryDelayMs } from '../../../shared/tasks/redelivery.ts';

const policy = { baseMs: 10_000, maxMs: 900_000 };

test('the delay doubles with each receive, drawn from the upper half of its step, and stops at the maximum', () => {
  const low = [1, 2, 3, 4].map((n) => redeliveryDelayMs(policy, n, () => 0));
  const high = [1, 2, 3, 4].map((n) => redeliveryDelayMs(policy, n, () => 0.999_999));
  assert.deepEqual(low, [5_000, 10_000, 20_000, 40_000]);
  assert.deepEqual(high, [10_000, 20_000, 40_000, 80_000]);
  assert.equal(redeliveryDelayMs(policy, 30, () => 0.999_999), 900_000);
});

test('a registry\'s Retry-After wins over the backoff, within the maximum', () => {
  assert.equal(redeliveryDelayMs(policy, 1, () => 0.5, 2_000), 2_000);
  assert.equal(redeliveryDelayMs(policy, 5, () => 0.5, 60_000), 60_000);
  assert.equal(redeliveryDelayMs(policy, 1, () => 0.5, 86_400_000), 900_000);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { linkStats, percentile } from '../../../shared/links/link-stats.ts';

test('percentiles are nearest-rank over the records', () => {
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.deepEqual([percentile(sorted, 50), percentile(sorted, 95), percentile(sorted, 99)], [50, 95, 99]);
  assert.equal(percentile([7], 99), 7);
});

test('stats exclude queueing, split by image size (a single-layer 1 GB image in its own bucket), and give bytes per second over busy time', () => {
  const stats = linkStats([
    { bytes: 1_000_000_000, transferMs: 40_000, queuedMs: 60_000 },
    { bytes: 1_200_000_000, transferMs: 50_000, queuedMs: 0 },
    { bytes: 5_000_000, transferMs: 1_000, queuedMs: 10 },
  ]);
  assert.equal(stats.count, 3);
  assert.deepEqual(stats.completionMs, { p50: 40_000, p95: 50_000, p99: 50_000 });
  assert.deepEqual(stats.queuedMs, { p50: 10, p95: 60_000, p99: 60_000 });
  assert.equal(stats.bytesPerSecond, Math.round(2_205_000_000 / 91));
  assert.deepEqual(stats.bySize.map((b) => [b.bucket, b.count, b.completionMs.p95, b.bytesPerSecond]), [
    ['<10MB', 1, 1_000, 5_000_000],
    ['>=1GB', 2, 50_000, Math.round(2_200_000_000 / 90)],
  ]);
  assert.deepEqual(linkStats([]), { count: 0, completionMs: null, queuedMs: null, bytesPerSecond: null, bySize: [] });
});
